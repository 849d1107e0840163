"""XQuAD (en + ru dev split) as an external retrieval benchmark.

    python -m eval.xquad [--data ../shared/xquad] [--out results/]   # writes xquad.json, xquad.md
    python -m eval.xquad --langs all|de,zh [--cache DIR]             # writes xquad_langs.json, .md

`--langs`: every language of ../shared/xquad, one index each, on the held-out articles
(eval/xquad_langs.py). Without it, the en + ru benchmark below.

One mixed index of all 320 paragraphs (160 per language, one file each);
all 1,632 questions are asked. For each direction (question language ->
passage language) the target is the question's paragraph in the passage
language, searched with the language filter; "mixed" searches without a
filter and accepts either language version. Quote accuracy: the top quote of
ask() contains the gold answer in the quote's language. The data is read
from ../shared/xquad (CC BY-SA 4.0) and never copied into the project.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from .metrics import metrics
from .report import xquad_table

HELD_OUT = range(24, 32)  # articles the readers (research/reader_mlp.py, recipes/reader_ce.py) never trained on
DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "xquad"


def load(data: Path) -> dict[str, list[dict]]:
    """Per language: paragraphs in file order, each {"context", "qas": [(id, question, answers)]}."""
    out = {}
    for lang in ("en", "ru"):
        d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
        out[lang] = [{"context": p["context"], "article": ai,
                      "qas": [(q["id"], q["question"], [a["text"] for a in q["answers"]]) for q in p["qas"]]}
                     for ai, a in enumerate(d["data"]) for p in a["paragraphs"]]
    if [[q[0] for q in p["qas"]] for p in out["en"]] != [[q[0] for q in p["qas"]] for p in out["ru"]]:
        raise ValueError("en and ru files are not parallel")
    return out


def source(lang: str, i: int) -> str:
    return f"{lang}/p{i:03d}.txt"


def run(index, paras: dict[str, list[dict]], k: int = 10, articles=None) -> dict:
    """`articles`: ask only the questions of these article numbers (the index holds every paragraph)."""
    answers = {lang: {q[0]: q[2] for p in ps for q in p["qas"]} for lang, ps in paras.items()}
    res: dict[str, dict] = {}
    lat = []
    for qlang in ("en", "ru"):
        for plang in ("en", "ru", None):
            judged = []
            for i, p in enumerate(paras[qlang]):
                if articles is not None and p["article"] not in articles:
                    continue
                want = {source(plang, i)} if plang else {source("en", i), source("ru", i)}
                for _qid, question, _ in p["qas"]:
                    t = time.perf_counter()
                    hits = index.search(question, k=k, langs=[plang] if plang else None)
                    lat.append(time.perf_counter() - t)
                    judged.append([h.source in want for h in hits])
            res[f"{qlang}->{plang or 'mixed'}"] = metrics(judged)
    for qlang in ("en", "ru"):
        ok = n = 0
        for p in paras[qlang]:
            if articles is not None and p["article"] not in articles:
                continue
            for qid, question, _ in p["qas"]:
                a = index.ask(question)
                n += 1
                if a.quotes:
                    q = a.quotes[0]
                    gold = answers.get(q.source.split("/")[0], {}).get(qid, [])
                    ok += any(g in q.text for g in gold)
        res[f"{qlang} quote accuracy"] = {"n": n, "acc": round(ok / max(n, 1), 3)}
    res["search_p50_ms"] = round(1000 * sorted(lat)[len(lat) // 2], 1)
    return res


def main(argv: list[str] | None = None) -> int:
    import rag

    p = argparse.ArgumentParser(prog="python -m eval.xquad")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--out", default="results")
    p.add_argument("--index", default=None, help="keep the benchmark index here and reuse it")
    p.add_argument("--settings", default=None, help='query-time settings as JSON, e.g. \'{"lex_weight": 2}\'')
    p.add_argument("--held-out", action="store_true",
                   help="ask only the questions of articles 24-31, which the reader (rag/read.py) never trained on")
    p.add_argument("--langs", default=None, help="'all' or a comma list (de,zh): each language monolingual, "
                   "->en and ->mixed on the held-out articles (eval/xquad_langs.py); writes xquad_langs.json/.md")
    p.add_argument("--cache", default=None, help="--langs: where the indexes are kept (default /tmp/rag-xquad-langs)")
    a = p.parse_args(argv)
    data = Path(a.data)
    if not (data / "xquad.en.dev.json").exists():
        print(f"XQuAD not found at {data}: skipped (pass --data PATH)", file=sys.stderr)
        return 0
    if a.langs is not None:
        return langs_main(a, data, p)
    paras = load(data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(a.index) if a.index else Path(tmp) / "index"
        t = time.perf_counter()
        try:
            index = rag.load(folder)  # --index: reuse a benchmark index built earlier
        except rag.IndexFormatError:
            docs = Path(tmp) / "docs"
            for lang, ps in paras.items():
                (docs / lang).mkdir(parents=True)
                for i, par in enumerate(ps):
                    (docs / source(lang, i)).write_text(par["context"], encoding="utf-8")
            index = rag.build([docs], folder)
        build_s = time.perf_counter() - t
        if a.settings:
            index.reconfigure(**json.loads(a.settings))
        held = HELD_OUT if a.held_out else None
        res = {"build_seconds": round(build_s, 1), "chunks": len(index.payload.chunks),
               "articles": "24-31 (held out)" if held else "all", **run(index, paras, articles=held)}
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "xquad.json").write_text(json.dumps(res, indent=1))
    (Path(a.out) / "xquad.md").write_text("# XQuAD (en + ru)\n\n" + xquad_table(res) + "\n", encoding="utf-8")
    for name, m in res.items():
        print(f"{name:22} {m}")
    return 0


def langs_main(a, data: Path, p: argparse.ArgumentParser) -> int:
    from . import xquad_langs as xl  # imported here: it imports eval.adopt, which imports this module

    try:
        langs = xl.parse_langs(a.langs)
    except ValueError as e:
        p.error(f"--langs: {e}")
    res = xl.run_langs(langs, data, Path(a.cache) if a.cache else xl.CACHE, json.loads(a.settings or "{}"))
    print(xl.table(res))
    j, m = xl.write(res, Path(a.out))
    print(f"wrote {j} and {m}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
