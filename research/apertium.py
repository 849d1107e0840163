"""A question machine-translated into English by Apertium, for retrieval across languages (issue 30).

Spanish has no dictionary for the bridge worth having (FreeDict's 3.6K words moved nothing), so
a Spanish question met English passages through e5's vector alone. Debian packages Apertium's
rule-based Spanish -> English translation (apertium-eng-spa); rag/translate.py runs it. This
measures what its translation does, on XQuAD's training articles (0-23, where the choice is
made) and the held-out ones (24-31), →en (the English paragraphs' index) and →mixed (en + ru),
with eval.xquad_langs's indexes and rows (calibration paragraphs left out):

  - `off`: no translation (Settings.translate_langs empty), as before;
  - `bm25`: the translation's English words read by the bridge's BM25 alone;
  - `dense`: the translation's vector mixed into the question's alone (by gloss_weight);
  - `on`: both (the product: the translation's words, and on into Russian through the
    English-Russian dictionary for the Russian passages), at each of --weights;
  - `direct`: `on` with the translation's English words alone (the first version).

Each variant against `off`, question by question (McNemar, eval/paired.py), every question of
the articles once (719 a direction).

    python -m research.apertium [--langs es] [--variants off,bm25,dense,on,direct] [--weights 0.3,0.5] [--out results/apertium.json]

Needs Debian's apertium-eng-spa (scripts/setup.sh installs it).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from eval.adopt import variant_index
from eval.paired import mcnemar
from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.xquad_langs import CACHE, ask_rows, current, figures, language_index, mixed_docs
from research.common import write_json

TRAINING = frozenset(range(24))


def ablate(variant: str) -> None:
    """`dense`: the bridge reads no translation (this process only; `bm25` is gloss_weight 0);
    `direct`: the translation's English words alone, not on into Russian (the first version)."""
    from rag.analyze import analyze
    from rag.retrieve.bridge import BridgeRetriever

    if not hasattr(BridgeRetriever, "_english_terms"):
        BridgeRetriever._english_terms = BridgeRetriever.english_terms
    own = BridgeRetriever._english_terms

    def direct(self, text):
        vocab = self.lexical.vocab
        return [(t, (vocab[t],)) for t in dict.fromkeys(analyze(text, "en")) if t in vocab]

    BridgeRetriever.english_terms = ((lambda self, text: []) if variant == "dense"
                                     else direct if variant == "direct" else own)


def translation_ms(data: Path, lang: str) -> dict:
    """What a translation costs: the pipeline's start, and each of `lang`'s XQuAD questions once
    after it (median and the slowest), in milliseconds."""
    import json
    import statistics
    import time

    from rag.translate import translator

    questions = [q["question"] for a in json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))["data"]
                 for p in a["paragraphs"] for q in p["qas"]]
    t = translator(lang)
    t0 = time.perf_counter()
    t(questions[0])
    start = 1000 * (time.perf_counter() - t0)
    times = []
    for q in questions:
        t0 = time.perf_counter()
        t(q)
        times.append(1000 * (time.perf_counter() - t0))
    return {"start": round(start, 1), "median": round(statistics.median(times), 2), "max": round(max(times), 1),
            "n": len(times)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="es")
    ap.add_argument("--variants", default="off,bm25,dense,on,direct")
    ap.add_argument("--weights", default="0.3,0.5")
    ap.add_argument("--out", default="results/apertium.json")
    a = ap.parse_args(argv)
    from rag.translate import installed

    langs = [lang for lang in a.langs.split(",") if lang in installed()]
    if not langs:
        print(f"no Apertium pair into English installed for {a.langs}: install apertium-eng-spa")
        return 1
    res: dict = {f"{lang} translation ms": translation_ms(a.data, lang) for lang in langs}
    print(res, flush=True)
    where = current(CACHE)
    for variant in a.variants.split(","):
        for w in ([0.3] if variant in ("off", "bm25") else [float(x) for x in a.weights.split(",")]):
            index = {"en": language_index(a.data, "en", where),
                     "mixed": variant_index(mixed_docs(a.data, where), where / "mixed", {})}
            ablate(variant)
            for lang in langs:
                for d in ("en", "mixed"):
                    settings = {"gloss_weight": 0.0 if variant == "bm25" else w,
                                "translate_langs": [] if variant == "off" else [lang]}
                    rows = ask_rows(index[d], a.data, lang, d, settings, articles=range(32))
                    name = f"{lang} →{d} {variant}" + ("" if variant in ("off", "bm25") else f" weight {w}")
                    row = {part: figures([r for r in rows if r["article"] in arts])
                           for part, arts in (("training", TRAINING), ("held out", HELD_OUT))}
                    for against in ("off", f"on weight {w}"):  # direct: against the product's too
                        base = res.get(f"{lang} →{d} {against}", {}).get("rows")
                        if base is None or against == name.split(" ", 2)[2]:
                            continue
                        for f in ("hit@1", "quote"):
                            t = mcnemar([r[f] for r in base], [r[f] for r in rows])
                            row[f"{f} vs {against.split()[0]}"] = {"lost": t.a_only, "gained": t.b_only,
                                                                  "p": round(t.p, 4)}
                    res[name] = {**row, "rows": rows}
                    print(f"{name}: " + "; ".join(
                        f"{part} r@1 {f['r@1']}, quote {f['quote']} (n {f['n']})"
                        for part, f in row.items() if part in ("training", "held out"))
                        + "".join(f"; {k} {v}" for k, v in row.items() if " vs " in k), flush=True)
    write_json({k: {p: v for p, v in r.items() if p != "rows"} for k, r in res.items()}, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
