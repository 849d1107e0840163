"""Pure helpers: percentiles, ratios, recall. No model, no I/O (tested in tests/test_bench.py)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100, linear interpolation as numpy); None for no values."""
    if not len(values):
        return None
    return float(np.percentile(np.asarray(values, float), q))


def latency_ms(seconds: Sequence[float]) -> dict:
    """p50/p95/mean in milliseconds of per-call timings given in seconds."""
    ms = [1000.0 * s for s in seconds]
    r = lambda x: None if x is None else round(x, 2)
    return {"n": len(ms), "p50_ms": r(percentile(ms, 50)), "p95_ms": r(percentile(ms, 95)),
            "mean_ms": r(float(np.mean(ms))) if ms else None}


def ratio(num: float | None, den: float | None, digits: int = 3) -> float | None:
    """num / den, or None when either is missing or den is 0 (a ratio of nothing is not 0)."""
    if num is None or den is None or den == 0:
        return None
    return round(num / den, digits)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


def rate(count: int, seconds: float | None) -> float | None:
    """Items per second."""
    return ratio(count, seconds, 1)


def hit_rate(judged: Sequence[Sequence[bool]], k: int) -> float | None:
    """Share of questions with a relevant result in the top k (eval.run's recall@k)."""
    if not judged:
        return None
    return round(sum(any(j[:k]) for j in judged) / len(judged), 3)


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean share of the true top-k ids that the approximate top-k holds (ANN recall@k).

    `found`, `truth`: int arrays [queries, >= k] of ids; -1 (FAISS' "no result") never matches.
    """
    found, truth = np.asarray(found)[:, :k], np.asarray(truth)[:, :k]
    if not len(truth):
        return 0.0
    hits = [len(set(f[f >= 0].tolist()) & set(t[t >= 0].tolist())) for f, t in zip(found, truth)]
    return float(np.mean(hits) / k)


def cos_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |cos(a_i, b_i) - 1| over rows: how far two encoders' vectors of the same texts drift."""
    if not len(a):
        return 0.0
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return float(np.max(np.abs(np.sum(a * b, axis=1) - 1.0)))


def distribution(values: Sequence[float], digits: int = 3) -> dict:
    """p5/p25/p50/p75/p95 of a sample, for the cosine distributions in the scale report."""
    qs = (5, 25, 50, 75, 95)
    return {f"p{q}": (None if not len(values) else round(percentile(values, q), digits)) for q in qs}
