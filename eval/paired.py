"""Paired tests of two systems asked the same questions: the adoption rule (docs/adoption.md).

A change that moves vectors or scores is judged per question, not by the difference of two
averages: both systems answer the same questions, so only the questions on which they
disagree carry evidence. Two tests, no distribution assumed:
  - McNemar's exact test for a yes/no figure (hit@1, hit@5, the quote holds the answer,
    answered): under "no difference" each disagreeing question is a fair coin, so the
    p-value is a two-sided binomial tail over the disagreements;
  - a paired bootstrap for a graded figure (reciprocal rank): questions resampled with
    replacement, both systems' values kept together; the 95 % interval of the mean
    difference and the share of resamples on the other side of zero.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

ALPHA = 0.05


class Paired(NamedTuple):
    """B against A on n questions: means, B − A, its 95 % interval, the p-value, and for a yes/no
    figure the questions only A got (a_only) and only B got (b_only)."""

    n: int
    a: float
    b: float
    diff: float
    low: float
    high: float
    p: float
    a_only: int | None
    b_only: int | None

    @property
    def worse(self) -> bool:
        """B significantly worse than A (the rule's refusal)."""
        return self.diff < 0 and self.p < ALPHA

    @property
    def better(self) -> bool:
        return self.diff > 0 and self.p < ALPHA


def binomial_two_sided(k: int, n: int) -> float:
    """P(as far from n/2 as k, or farther) for n fair coins, both tails, capped at 1."""
    if n == 0:
        return 1.0
    k = min(k, n - k)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
    return min(1.0, 2 * tail)


def mcnemar(a: Sequence[bool], b: Sequence[bool], rounds: int = 10_000, seed: int = 0) -> Paired:
    """McNemar's exact test of yes/no outcomes, with the bootstrap interval of the difference."""
    x, y = _pair(a, b)
    a_only, b_only = int(np.sum(x & ~y)), int(np.sum(~x & y))
    low, high = _interval(y.astype(float) - x.astype(float), rounds, seed)
    return Paired(len(x), float(x.mean()), float(y.mean()), float(y.mean() - x.mean()), low, high,
                  binomial_two_sided(min(a_only, b_only), a_only + b_only), a_only, b_only)


def bootstrap(a: Sequence[float], b: Sequence[float], rounds: int = 10_000, seed: int = 0) -> Paired:
    """Paired bootstrap of the mean difference B − A of a graded figure."""
    x, y = (np.asarray(v, dtype=float) for v in (a, b))
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"paired figures must be two lists of the same length, not {x.shape} and {y.shape}")
    d = y - x
    means = _resampled_means(d, rounds, seed)
    low, high = (float(v) for v in np.quantile(means, [0.025, 0.975])) if len(d) else (0.0, 0.0)
    # two-sided: twice the share of resampled differences on the far side of zero
    p = min(1.0, 2 * min(float(np.mean(means <= 0)), float(np.mean(means >= 0)))) if len(d) and d.any() else 1.0
    return Paired(len(d), float(x.mean()) if len(d) else 0.0, float(y.mean()) if len(d) else 0.0,
                  float(d.mean()) if len(d) else 0.0, low, high, p, None, None)


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"paired outcomes must be two lists of the same length, not {x.shape} and {y.shape}")
    return x, y


def _resampled_means(d: np.ndarray, rounds: int, seed: int) -> np.ndarray:
    if not len(d):
        return np.zeros(1)
    rng = np.random.default_rng(seed)
    return np.array([d[rng.integers(0, len(d), len(d))].mean() for _ in range(rounds)])


def _interval(d: np.ndarray, rounds: int, seed: int) -> tuple[float, float]:
    means = _resampled_means(d, rounds, seed)
    return tuple(float(v) for v in np.quantile(means, [0.025, 0.975]))
