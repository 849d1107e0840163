"""Calibrate the abstention threshold on the corpus question set.

    python -m eval.calibrate [--index index] [--answer-rate 0.95]

`found` is decided by `Answer.evidence` (see rag/answer.py). We pick the highest
threshold that still answers at least `answer-rate` of the answerable
questions, and report how many unanswerable ones it then declines. Put the
printed value into rag/settings.py (`abstain_below`) on purpose.
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
    items = load_questions()
    top = {i.id: idx.ask(i.question).evidence for i in items}
    ans = [top[i.id] for i in items if i.answerable]
    una = [top[i.id] for i in items if not i.answerable]
    t = calibrate(ans, a.answer_rate)
    print(f"answerable scores: p5 {np.percentile(ans, 5):.3f} median {np.median(ans):.3f}")
    print(f"unanswerable scores: median {np.median(una):.3f} max {max(una):.3f}")
    print(f"threshold {t:.4f} (round down to 4 places for settings.py): answers {np.mean(np.array(ans) >= t):.3f} of answerable, "
          f"declines {np.mean(np.array(una) < t):.3f} of unanswerable")


if __name__ == "__main__":
    main()
