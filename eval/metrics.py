"""Scoring: ranking metrics through ranx, abstention and latency figures.

A question is judged by the relevance of what came back, in rank order
(`[False, True, ...]`: the 2nd passage overlaps the evidence). From that we
build ranx qrels and a run:

- run: the returned passages keyed by rank ("1", "2", ...) so that the same
  chunk returned twice still counts once per place, scored 1/rank so ranx
  keeps our order (it sorts by score, and ties would reorder);
- qrels: the returned passages that are relevant; a question with none gets a
  dummy id that is never retrieved, so it stays in the mean with zeros.

Our recall@k is "at least one relevant passage in the top k", which is ranx's
`hit_rate@k` (ranx's own `recall@k` is the share of all relevant passages,
a different thing when the evidence spans two overlapping chunks).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

NOTHING = "none-retrieved"  # qrels id of a question whose evidence was not returned


def _ranx(judged: Sequence[Sequence[bool]], names: list[str]) -> dict[str, float]:
    from ranx import Qrels, Run, evaluate

    qrels, run = {}, {}
    for q, rels in enumerate(judged):
        qid = f"q{q}"
        run[qid] = {str(r): 1.0 / r for r in range(1, len(rels) + 1)}
        qrels[qid] = {str(r): 1 for r, ok in enumerate(rels, 1) if ok} or {NOTHING: 1}
    with warnings.catch_warnings():  # numba's int cast warning inside ranx's hit_rate
        warnings.simplefilter("ignore")
        res = evaluate(Qrels(qrels), Run(run), names)
    res = res if isinstance(res, dict) else {names[0]: res}
    return {k: float(v) for k, v in res.items()}


def metrics(judged: Sequence[Sequence[bool]]) -> dict:
    """recall@1/5/10 (= ranx hit_rate@k), MRR@10 and nDCG@10 over questions judged as above."""
    if not judged:
        return {"n": 0, "r@1": 0.0, "r@5": 0.0, "r@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    m = _ranx(judged, ["hit_rate@1", "hit_rate@5", "hit_rate@10", "mrr@10", "ndcg@10"])
    return {"n": len(judged), "r@1": round(m["hit_rate@1"], 3), "r@5": round(m["hit_rate@5"], 3),
            "r@10": round(m["hit_rate@10"], 3), "mrr@10": round(m["mrr@10"], 3),
            "ndcg@10": round(m["ndcg@10"], 3)}


def recall_curve(judged: Sequence[Sequence[bool]], kmax: int = 10) -> list[float]:
    """recall@k (ranx hit_rate@k) for k = 1..kmax, for the plot."""
    if not judged:
        return [0.0] * kmax
    m = _ranx(judged, [f"hit_rate@{k}" for k in range(1, kmax + 1)])
    return [round(m[f"hit_rate@{k}"], 4) for k in range(1, kmax + 1)]


def abstention_scores(outcomes: Sequence[tuple[bool, bool]]) -> dict:
    """outcomes: (answerable, found) per question.

    precision: of the declined questions, the share truly unanswerable;
    recall (= abstain_unanswerable): of the unanswerable, the share declined;
    answer_answerable: of the answerable, the share answered.
    A ratio with nothing to count (no question declined) is None, not 0.
    """
    declined = [a for a, f in outcomes if not f]
    una = [f for a, f in outcomes if not a]
    ans = [f for a, f in outcomes if a]
    ratio = lambda x, n: round(x / n, 3) if n else None
    return {
        "declined": len(declined), "unanswerable": len(una), "answerable": len(ans),
        "precision": ratio(sum(not a for a in declined), len(declined)),
        "recall": ratio(sum(not f for f in una), len(una)),
        "abstain_unanswerable": ratio(sum(not f for f in una), len(una)),  # the same; the pinned name
        "answer_answerable": ratio(sum(ans), len(ans)),
    }


def latency(seconds: Sequence[float]) -> dict:
    """p50/p95 in milliseconds."""
    if not len(seconds):
        return {"p50_ms": None, "p95_ms": None, "n": 0}
    ms = 1000 * np.asarray(seconds, float)
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "n": len(ms)}
