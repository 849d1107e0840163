"""The quote's token head trained on more languages and across them (issues 27, 30): judged paired.

    python -m eval.quotes collect --langs all --across en          # 12 languages, and each over English
    python -m research.recipes.quote_head --out /tmp/head-5.safetensors \\
        && cp /tmp/xquad-quotes/token-column.json /tmp/cols-5.json          # the five languages, as shipped
    python -m research.recipes.quote_head --sets all [--epochs 4] --out /tmp/head-all.safetensors \\
        && cp /tmp/xquad-quotes/token-column.json /tmp/cols-all.json
    python -m research.quote_head_langs five=/tmp/cols-5.json all=/tmp/cols-all.json [--out results/quote_head_langs.json]

The shipped head was trained within five languages (en, ru, de, es, zh), each question over
its own language's paragraphs. The product also quotes Arabic, Thai, Vietnamese… and English
paragraphs asked in Russian or Chinese. Here each head's out-of-fold columns (the recipe's
COLUMNS file: a training-article record scored by the head trained on the other half of the
articles, a held-out one by the full head) are appended to the quote's features, the logit
refitted on every set's training articles as `eval.quotes fit --langs all --across en` fits
it, and the first quote of every held-out question (articles 24-31, 23 sets) compared with
the first variant's, McNemar, pooled over the monolingual sets, the sets across into English,
and all.

Rejected (2026-12-05, research/README.md has the figures): no mix beat the five languages.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.paired import mcnemar
from eval.quotes import HELD_OUT, fit, record_key
from research.common import quote_records, write_json


def firsts(recs: list[dict], cols: dict[str, list[float]]) -> tuple[dict[str, bool], list[float]]:
    """Per held-out record: whether the first quote holds the answer, at weights fitted with
    `cols` as one more feature on every training record; and the weights."""
    withcol = [{**r, "features": np.column_stack([np.asarray(r["features"]), cols[record_key(r)]])} for r in recs]
    w = fit([r for r in withcol if r["article"] not in HELD_OUT])
    return ({record_key(r): bool(r["labels"][int(np.argmax(r["features"] @ w))])
             for r in withcol if r["article"] in HELD_OUT}, np.round(w, 3).tolist())


def group(key: str) -> str:
    return "across" if ">" in key.split("/")[0] else "monolingual"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="+", help="name=path of a recipe's COLUMNS file; the first is the baseline")
    ap.add_argument("--out", default="results/quote_head_langs.json")
    a = ap.parse_args(argv)
    recs = [r for r in quote_records() if r["set"] != "corpus"]
    res: dict = {}
    base = None
    for v in a.variants:
        name, path = v.split("=", 1)
        cols = json.loads(Path(path).read_text(encoding="utf-8"))["columns"]
        hits, w = firsts(recs, cols)
        sets = sorted({k.split("/")[0] for k in hits})
        row = {"weights": w, "sets": {s: round(float(np.mean([h for k, h in hits.items() if k.startswith(s + "/")])), 3)
                                      for s in sets}}
        if base is not None:
            keys = sorted(base)
            for g in ("monolingual", "across", "all"):
                mine = [k for k in keys if g == "all" or group(k) == g]
                t = mcnemar([base[k] for k in mine], [hits[k] for k in mine])
                row[g] = {"n": t.n, "before": round(t.a, 3), "after": round(t.b, 3), "lost": t.a_only,
                          "gained": t.b_only, "p": round(t.p, 4)}
        else:
            base = hits
            for g in ("monolingual", "across", "all"):
                mine = [h for k, h in hits.items() if g == "all" or group(k) == g]
                row[g] = {"n": len(mine), "quote": round(float(np.mean(mine)), 3)}
        res[name] = row
        print(name, {g: row[g] for g in ("monolingual", "across", "all")}, flush=True)
        print("   ", " ".join(f"{s.removeprefix('xquad-')} {x:.3f}" for s, x in row["sets"].items()), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
