"""The token head's reading of the sentences beside a candidate, for choosing the quote (issue 27).

    python -m eval.quotes collect --langs all --across en && python -m research.recipes.quote_head
    python -m research.quote_neighbour_head [--columns /tmp/xquad-quotes/token-column.json]

Where the first quote misses, the answer is most often in the sentence after or before it
(research/quote_neighbours.py), and the quote chosen restates the question: "Algorithms much
more efficient than trial division have been devised to test the primality of large numbers."
asked "What is the name of one algorithm useful for testing the primality of large numbers?",
the answer ("the Miller-Rabin primality test") in the next sentence. The neighbours' similarity
(z) as features lost the corpus set (research/answer_features.py). Here the token head's score
of the sentence before and after a candidate in its passage (0 where there is none) are two more
features beside the candidate's own head column: a sentence after one that reads as the
question may be its answer. The logit is fitted on the five languages' training records (as
Settings.token_quote_weights is), and every held-out question of the 23 sets is asked once,
McNemar against the candidate's own column alone.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.quotes import CACHE, LANGS, record_key
from research.common import quote_records, write_json
from research.quote_head_langs import compared, with_column

FIVE = {f"xquad-{x}" for x in LANGS} | {"corpus"}


def neighbours(r: dict, col: np.ndarray) -> np.ndarray:
    """Each candidate's previous and next sentence's head column, in its own passage (0: none).
    A record's candidates come passage by passage, each passage's sentences in order."""
    p = np.asarray(r["pidx"])
    prev = np.where(np.r_[False, p[1:] == p[:-1]], np.r_[0.0, col[:-1]], 0.0)
    nxt = np.where(np.r_[p[:-1] == p[1:], False], np.r_[col[1:], 0.0], 0.0)
    return np.column_stack([prev, nxt])


def variant(recs: list[dict], cols: dict, name: str) -> list[dict]:
    rows = with_column(recs, cols)  # the candidate's own column last
    if name == "own":
        return rows
    pick = {"both": slice(0, 2), "prev": slice(0, 1), "next": slice(1, 2)}[name]
    return [{**r, "features": np.column_stack([r["features"], neighbours(r, r["features"][:, -1])[:, pick]])}
            for r in rows]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--columns", type=Path, default=CACHE / "token-column.json")
    ap.add_argument("--variants", default="own,prev,next,both")
    ap.add_argument("--out", default="results/quote_neighbour_head.json")
    a = ap.parse_args(argv)
    cols = json.loads(a.columns.read_text(encoding="utf-8"))["columns"]
    recs = [r for r in quote_records() if record_key(r) in cols]
    write_json(compared((name, variant(recs, cols, name), lambda r: r["set"] in FIVE)
                        for name in a.variants.split(",")), a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
