"""Calibrate the abstention thresholds on the corpus question set.

    python -m eval.calibrate [--index index] [--answer-rate 0.95]

`found` is decided by `Answer.evidence` (see rag/answer.py): the cosine of the
question to the best sentence of the top passages. Across languages e5's
cosines run lower, so there are two thresholds: one where that sentence is in
the question's language, one where it is not. For each we pick the highest
value that still answers `answer-rate` of the answerable questions of that
kind, and report how many unanswerable ones it then declines. Put the printed
values into rag/settings.py on purpose.
"""
from __future__ import annotations

import argparse

import numpy as np

from .run import load_questions


def calibrate(scores_answerable: list[float], answer_rate: float) -> float:
    s = np.sort(np.asarray(scores_answerable))
    # answering needs score >= t; allow the lowest (1 - rate) share to fall below
    drop = int(np.floor(len(s) * (1 - answer_rate)))
    return float(s[drop]) if len(s) else 0.0


def main() -> None:
    import rag

    p = argparse.ArgumentParser()
    p.add_argument("--index", default="index")
    p.add_argument("--answer-rate", type=float, default=0.95)
    a = p.parse_args()
    idx = rag.load(a.index)
    rows = []
    for it in load_questions():
        ans = idx.ask(it.question)
        cross = ans.query_lang != "und" and ans.evidence_lang not in ("", ans.query_lang)
        rows.append((it.answerable, cross, ans.evidence))
    for cross, name in ((False, "abstain_below"), (True, "abstain_below_cross")):
        ans = [e for a_, c, e in rows if a_ and c == cross]
        una = [e for a_, c, e in rows if not a_ and c == cross]
        t = calibrate(ans, a.answer_rate)
        t = np.floor(t * 1e4) / 1e4  # 4 places, rounded down so the rate holds
        print(f"{name} = {t:.4f}: answers {np.mean(np.array(ans) >= t):.3f} of {len(ans)} answerable, "
              f"declines {np.mean(np.array(una) < t) if una else float('nan'):.3f} of {len(una)} unanswerable")


if __name__ == "__main__":
    main()
