"""Synthetic corpora for the scale study, made from real e5 vectors.

v = normalize(base[random row] + sigma * gaussian): each synthetic vector is
a real chunk or sentence vector moved a little, so the set keeps e5's
geometry (all vectors in a narrow cone, random pairs at cosine ~0.8) while
growing to any size. sigma is chosen so that the median nearest-neighbour
cosine of the synthetic set equals the real index's; too small a sigma
makes near-duplicates that any ANN index finds trivially, too large one
makes a uniform cloud on which ANN recall collapses.
"""
from __future__ import annotations

import numpy as np

BLOCK = 100_000  # rows generated at a time: 1M x 384 float64 noise would need 3 GB at once


def normalize(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); zero rows stay zero."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def synth_vectors(base: np.ndarray, n: int, sigma: float, seed: int = 0) -> np.ndarray:
    """n unit float32 rows: random rows of `base` plus isotropic gaussian noise of scale sigma."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for s in range(0, n, BLOCK):
        m = min(BLOCK, n - s)
        rows = base[rng.integers(0, len(base), size=m)]
        out[s : s + m] = normalize(rows + sigma * rng.standard_normal((m, base.shape[1]), dtype=np.float32))
    return out


def perturbed_queries(queries: np.ndarray, n: int, sigma: float, seed: int = 1) -> np.ndarray:
    """n query vectors: every real query once (then random repeats), each perturbed like the corpus."""
    rng = np.random.default_rng(seed)
    rows = np.concatenate([np.arange(min(n, len(queries))), rng.integers(0, len(queries), max(0, n - len(queries)))])
    q = queries[rows] + sigma * rng.standard_normal((len(rows), queries.shape[1]), dtype=np.float32)
    return normalize(q)


def top1_cos(xq: np.ndarray, xb: np.ndarray, self_rows: np.ndarray | None = None) -> np.ndarray:
    """Cosine of each query's nearest neighbour in xb (unit rows); with self_rows the query's own
    row in xb is skipped, so a sample of the corpus gets its nearest *other* vector."""
    import faiss

    k = 1 if self_rows is None else 2
    d, i = faiss.knn(np.ascontiguousarray(xq), np.ascontiguousarray(xb), k, metric=faiss.METRIC_INNER_PRODUCT)
    if self_rows is None:
        return d[:, 0]
    return np.where(i[:, 0] == self_rows, d[:, 1], d[:, 0])


def nn_cos_sample(x: np.ndarray, sample: int, seed: int = 2) -> np.ndarray:
    """Nearest-other-neighbour cosines of `sample` random rows of x."""
    rows = np.random.default_rng(seed).choice(len(x), size=min(sample, len(x)), replace=False)
    return top1_cos(x[rows], x, rows)


def calibrate_sigma(base: np.ndarray, n: int, target: float, lo: float = 0.002, hi: float = 0.2,
                    steps: int = 8, sample: int = 300, seed: int = 0) -> float:
    """Bisection (in log space) for the sigma whose synthetic set of size n has median
    nearest-neighbour cosine `target`: that median falls as sigma grows."""
    for _ in range(steps):
        mid = float(np.sqrt(lo * hi))
        med = float(np.median(nn_cos_sample(synth_vectors(base, n, mid, seed), sample)))
        lo, hi = (mid, hi) if med > target else (lo, mid)
    return float(np.sqrt(lo * hi))
