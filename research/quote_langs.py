"""The quote's weights in every XQuAD language: one fit for all 12, or one per language (issues 27, 30).

    python -m research.quote_langs [--langs all] [--out results/quote_langs.json]

rag/settings.py `quote_weights` were fitted by `python -m eval.quotes fit` on XQuAD's training
articles in en, ru, de, es, zh and on eval/questions. Four languages stay under issue 30's
0.75 for the first quote (ar, el, hi, th; docs/results/xquad_langs.md). Here every language's
candidates are collected as eval.quotes collects them (one monolingual index a language,
kept under eval.quotes' cache), and the first quote on the held-out articles (24-31) is
compared under: today's weights; weights fitted on the training articles (0-23) of all 12
languages and eval/questions; weights fitted on the language's own training articles. Also
printed: where the answer is when the first quote misses it (the next or previous sentence of
the same passage, elsewhere in it, another passage) and the ceiling (a candidate holds it).
McNemar (eval/paired.py) over all held-out questions for the all-12 fit.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.paired import mcnemar
from eval.quotes import CACHE, collect_corpus, collect_xquad, fit
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import write_json


def records(langs: tuple[str, ...], cache: Path) -> list[dict]:
    """Every language's collected candidates (made once, kept in `cache`)."""
    out = []
    for lg in langs:
        path = cache / f"quote-langs-{lg}.jsonl"
        if not path.is_file():
            recs = collect_xquad(Path(DEFAULT_DATA), lg, cache)
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
        out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in out if r["labels"]]


def firsts(recs: list[dict], w: np.ndarray) -> list[int]:
    return [int(np.argmax(np.asarray(r["features"]) @ w)) for r in recs]


def hits(recs: list[dict], w: np.ndarray) -> list[bool]:
    return [bool(r["labels"][i]) for r, i in zip(recs, firsts(recs, w))]


def misses(recs: list[dict], w: np.ndarray) -> dict[str, int]:
    """Where the answer is when the first quote misses it."""
    out = {"next": 0, "previous": 0, "same passage": 0, "other passage": 0, "no candidate": 0}
    for r, i in zip(recs, firsts(recs, w)):
        lab, p = r["labels"], r["pidx"]
        if lab[i]:
            continue
        if not any(lab):
            out["no candidate"] += 1
        elif i + 1 < len(lab) and lab[i + 1] and p[i + 1] == p[i]:
            out["next"] += 1
        elif i > 0 and lab[i - 1] and p[i - 1] == p[i]:
            out["previous"] += 1
        elif any(x and p[j] == p[i] for j, x in enumerate(lab)):
            out["same passage"] += 1
        else:
            out["other passage"] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    from eval.xquad_langs import parse_langs
    from rag.settings import Settings

    ap = argparse.ArgumentParser(prog="python -m research.quote_langs", description=__doc__.splitlines()[0])
    ap.add_argument("--langs", default="all")
    ap.add_argument("--index", default="data/corpus-index", help="the corpus index for eval/questions")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--out", default="results/quote_langs.json")
    a = ap.parse_args(argv)
    langs = parse_langs(a.langs)
    a.cache.mkdir(parents=True, exist_ok=True)
    recs = records(langs, a.cache)
    corpus = [r for r in collect_corpus(a.index) if r["labels"]]
    today = np.asarray(Settings().quote_weights)
    w_all = fit([r for r in recs if r["article"] not in HELD_OUT] + corpus)
    res: dict = {"weights, all 12": np.round(w_all, 3).tolist(), "languages": {}}
    before, after = [], []
    for lg in langs:
        held = [r for r in recs if r["lang"] == lg and r["article"] in HELD_OUT]
        own = fit([r for r in recs if r["lang"] == lg and r["article"] not in HELD_OUT])
        a0, a1 = hits(held, today), hits(held, w_all)
        before += a0
        after += a1
        row = {"n": len(held), "ceiling": round(float(np.mean([any(r["labels"]) for r in held])), 3),
               "today": round(float(np.mean(a0)), 3), "all 12": round(float(np.mean(a1)), 3),
               "own": round(float(np.mean(hits(held, own))), 3), "misses today": misses(held, today)}
        res["languages"][lg] = row
        print(lg, json.dumps(row), flush=True)
    p = mcnemar(before, after)
    res["paired, all 12 against today"] = {"n": p.n, "today": round(p.a, 3), "all 12": round(p.b, 3),
                                           "lost": p.a_only, "gained": p.b_only, "p": float(f"{p.p:.2g}")}
    res["corpus set (fitted on)"] = {"today": round(float(np.mean(hits(corpus, today))), 3),
                                     "all 12": round(float(np.mean(hits(corpus, w_all))), 3)}
    print(json.dumps(res["paired, all 12 against today"]), json.dumps(res["corpus set (fitted on)"]), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
