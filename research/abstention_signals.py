"""Can a retrieval signal tell unanswerable questions from answerable ones?

    python -m research.abstention_signals [--index index]

For every question of the corpus set: the best-sentence cosine that `ask()`
abstains on, the BM25 and name-field coverage of the question by the top 3
passages (share of the best possible score), and whether every number of the
question occurs in the top 3 passages. Printed per group (same-language /
cross-lingual evidence, answerable / not) as 10/50/90th percentiles: where
the groups overlap, no threshold on that signal separates them.
"""
from __future__ import annotations

import argparse
import re

import numpy as np

from eval.run import load_questions

NUMBER = re.compile(r"\d+")


def signals(idx, item) -> dict:
    q = idx.searcher.query(item.question)
    h = idx.searcher.hybrid
    top = [s.row for s in h.search(q, 5)[:3]]
    lex = h._share(idx.searcher.lexical, 1.0, q, 50, None)
    names = h._share(idx.searcher.names, 1.0, q, 50, None)
    a = idx.ask(item.question)
    nums = set(NUMBER.findall(item.question))
    text = " ".join(x.text for x in a.hits[:3])
    return {"answerable": item.answerable, "cross": a.evidence_lang != q.lang, "cosine": a.evidence,
            "bm25": max((lex.get(r, 0.0) for r in top), default=0.0),
            "names": max((names.get(r, 0.0) for r in top), default=0.0),
            "numbers_in_top3": all(n in text for n in nums) if nums else None}


def main(argv: list[str] | None = None) -> int:
    import rag

    p = argparse.ArgumentParser(prog="python -m research.abstention_signals")
    p.add_argument("--index", default="index")
    a = p.parse_args(argv)
    idx = rag.load(a.index)
    rows = [signals(idx, it) for it in load_questions()]
    for cross in (False, True):
        for ans in (True, False):
            g = [r for r in rows if r["answerable"] == ans and r["cross"] == cross]
            if not g:
                continue
            pct = {k: np.percentile([r[k] for r in g], [10, 50, 90]).round(3).tolist()
                   for k in ("cosine", "bm25", "names")}
            print(f"{'cross' if cross else 'same '} {'answerable  ' if ans else 'unanswerable'} n={len(g):3d} {pct}")
    for ans in (True, False):
        g = [r["numbers_in_top3"] for r in rows if r["answerable"] == ans and r["numbers_in_top3"] is not None]
        print(f"{'answerable' if ans else 'unanswerable'}: every question number in the top 3 passages "
              f"for {sum(g)} of {len(g)} questions with numbers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
