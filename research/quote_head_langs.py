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


def firsts(rows: list[dict], fitted=lambda r: True) -> tuple[dict[str, bool], np.ndarray]:
    """Per held-out record: whether the first quote holds the answer, at weights fitted on the
    training records (`fitted` of them) over `rows`' features; and the weights."""
    w = fit([r for r in rows if r["article"] not in HELD_OUT and fitted(r)])
    return ({record_key(r): bool(r["labels"][int(np.argmax(np.asarray(r["features"]) @ w))])
             for r in rows if r["article"] in HELD_OUT}, w)


def with_column(recs: list[dict], cols: dict[str, list[float]]) -> list[dict]:
    """The records with a head's column (record key -> scores) as one more feature."""
    return [{**r, "features": np.column_stack([np.asarray(r["features"]), cols[record_key(r)]])} for r in recs]


def group(key: str) -> str:
    return "across" if ">" in key.split("/")[0] else "monolingual"


def judged_row(hits: dict[str, bool], base: dict[str, bool] | None, weights) -> dict:
    """One variant's first quotes (record key -> holds the answer): per set, and per group
    (monolingual, across, all) its share, or with a baseline's the paired test against it;
    printed as it goes."""
    sets = sorted({k.split("/")[0] for k in hits})
    row = {"weights": np.round(weights, 3).tolist(),
           "sets": {s: round(float(np.mean([h for k, h in hits.items() if k.split("/")[0] == s])), 3) for s in sets}}
    for g in ("monolingual", "across", "all"):
        keys = [k for k in sorted(hits) if g == "all" or group(k) == g]
        if base is None:
            row[g] = {"n": len(keys), "quote": round(float(np.mean([hits[k] for k in keys])), 3)}
        else:
            t = mcnemar([base[k] for k in keys], [hits[k] for k in keys])
            row[g] = {"n": t.n, "before": round(t.a, 3), "after": round(t.b, 3), "lost": t.a_only,
                      "gained": t.b_only, "p": round(t.p, 4)}
    print({g: row[g] for g in ("monolingual", "across", "all")}, flush=True)
    print("   ", " ".join(f"{s.removeprefix('xquad-')} {x:.3f}" for s, x in row["sets"].items()), flush=True)
    return row


def compared(variants) -> dict:
    """name -> judged_row for each (name, rows, fitted) of `variants` (an iterable, read one at a
    time), the first the baseline."""
    res: dict = {}
    base = None
    for name, rows, fitted in variants:
        hits, w = firsts(rows, fitted)
        print(name, end=" ")
        res[name] = judged_row(hits, base, w)
        base = base or hits
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variants", nargs="+", help="name=path of a recipe's COLUMNS file; the first is the baseline")
    ap.add_argument("--out", default="results/quote_head_langs.json")
    a = ap.parse_args(argv)
    recs = [r for r in quote_records() if r["set"] != "corpus"]
    def variants():
        for v in a.variants:
            name, path = v.split("=", 1)
            yield name, with_column(recs, json.loads(Path(path).read_text(encoding="utf-8"))["columns"]), lambda r: True

    write_json(compared(variants()), a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
