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

    @property
    def lang(self) -> str:
        return detect(self.text)

    @property
    def vector(self) -> np.ndarray:
        if self._vec is None:
            self._vec = self.embed(self.text)
        return self._vec


@dataclass(frozen=True)
class Scored:
    row: int  # chunk row in the store
    score: float


class Retriever(ABC):
    @abstractmethod
    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        """Best-first chunk rows; `mask` (bool per row) restricts the search."""
