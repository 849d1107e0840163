"""The one small interface every retriever implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

from ..lang import detect


@dataclass
class Query:
    """A question plus what retrievers derive from it, computed once per query."""

    text: str
    embed: callable = None  # text -> vector; set by the index
    _vec: np.ndarray | None = field(default=None, repr=False)
    cache: dict = field(default_factory=dict, repr=False)  # per-query work a retriever shares between calls
    cross: callable = None  # Query -> its vector for passages in other languages; None: `vector`

    @property
    def lang(self) -> str:
        return detect(self.text)

    @property
    def has_words(self) -> bool:
        """A letter or a digit somewhere: '?!.,;:' or an emoji alone is no question."""
        return any(ch.isalnum() for ch in self.text)

    @property
    def vector(self) -> np.ndarray:
        if self._vec is None:
            self._vec = self.embed(self.text)
        return self._vec

    @property
    def cross_vector(self) -> np.ndarray:
        """The vector that reads passages in languages other than the question's: with the
        question's English gloss mixed in where the index has one (rag/searcher.py), else `vector`."""
        if self.cross is None:
            return self.vector
        if "cross" not in self.cache:
            self.cache["cross"] = self.cross(self)
        return self.cache["cross"]

    def vector_for(self, lang: str | None) -> np.ndarray:
        """The vector that reads passages in `lang` (None: any)."""
        return self.vector if lang is None or lang == self.lang else self.cross_vector


@dataclass(frozen=True)
class Scored:
    row: int  # chunk row in the store
    score: float


def cosines(vectors: np.ndarray, rows: np.ndarray, qv: np.ndarray) -> np.ndarray:
    """Inner products of vectors[rows] with qv, each one a function of its row alone.

    A BLAS matrix-vector product may sum a row in a different order depending
    on where it falls in the matrix, so a shard and the whole index could
    score one passage an ulp apart and order two equal passages differently.
    numpy's einsum loop sums every row alike. `python -m research.cosines`
    (random subsets of 4,000 and 88,000 rows): 33 and 32 rows differ with
    `@`, 0 with einsum, which costs 1.5-2x (0.06 ms at this corpus' size)."""
    return np.einsum("ij,j->i", vectors[rows], qv)


def top(key: np.ndarray, k: int, order: np.ndarray | None = None) -> np.ndarray:
    """Positions of the k largest `key`s, ties at the cut going to the smaller
    `order` (default: position), so the selection is the first k of the total
    order (-key, order). Shards select with their global rows as `order` and
    the merge sorts the same way, so the union of the shards' selections holds
    exactly what one index selects, ties included (argpartition alone keeps an
    arbitrary one of tied candidates: duplicate passages, equal BM25 scores)."""
    n = len(key)
    if k >= n:
        return np.arange(n)
    if k <= 0:
        return np.zeros(0, np.int64)
    cut = key[np.argpartition(-key, k - 1)[k - 1]]
    above = np.flatnonzero(key > cut)
    at = np.flatnonzero(key == cut)
    if order is not None:
        at = at[np.argsort(order[at], kind="stable")]
    return np.concatenate([above, at[: k - len(above)]])


class Retriever(ABC):
    @abstractmethod
    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        """Best-first chunk rows; `mask` (bool per row) restricts the search."""
