"""The reader's rerank (opt-in, Settings.reader): another retriever's top passages re-ordered
by a cross-encoder that reads the question with each passage's closest sentences (rag/read.py).

Only within the question's language. On held-out XQuAD the reader beats the cosine
for same-language pairs and loses to it across languages (rag/models/README.md), so the
places held by passages in the question's language are re-ordered among themselves
by the sum of the two standardised scores, and every other passage keeps its place:
a cross-lingual answer is never pushed down by a reader that reads it worse.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..store import SentenceSpan
from .base import Query, Retriever, Scored, cosines


def zscore(a: np.ndarray) -> np.ndarray:
    return (a - a.mean()) / (a.std() + 1e-6)


def within_language(base: np.ndarray, read: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Positions in their new order: the places where `same` is true re-ordered among themselves
    by z(base) + z(read) (ties keep the old order), every other position unchanged."""
    order = np.arange(len(base))
    places = np.flatnonzero(same)
    key = zscore(np.asarray(base, np.float64)) + zscore(np.asarray(read, np.float64))
    order[places] = places[np.argsort(-key[places], kind="stable")]
    return order


def passage_logits(positions: Sequence[int], logits: np.ndarray, n: int) -> np.ndarray:
    """Each passage's best sentence logit; a passage none of whose sentences was read gets
    one below the lowest read (it was not among the closest sentences: no evidence for it)."""
    out = np.full(n, -np.inf)
    for p, v in zip(positions, logits):
        out[p] = max(out[p], float(v))
    seen = np.isfinite(out)
    out[~seen] = out[seen].min() - 1 if seen.any() else 0.0
    return out


class ReaderRerank(Retriever):
    """`inner`'s first `depth` passages re-ordered by the reader's score of their `sentences`
    sentences closest to the question by cosine (all passages together)."""

    def __init__(self, inner: Retriever, score: Callable[[str, list[str], np.ndarray], np.ndarray],
                 sent_vectors: np.ndarray, chunk_sents: Sequence[Sequence[SentenceSpan]],
                 chunk_texts: Sequence[str], langs: np.ndarray, depth: int = 10, sentences: int = 15):
        self.inner, self.score = inner, score
        self.sent_vectors, self.chunk_sents, self.chunk_texts = sent_vectors, chunk_sents, chunk_texts
        self.langs, self.depth, self.sentences = langs, depth, sentences

    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        found = self.inner.search(query, max(k, self.depth), mask)
        head = found[: self.depth]
        if len(head) < 2 or not self.sentences:
            return found[:k]
        positions, texts, rows = [], [], []
        for p, s in enumerate(head):
            for sent in self.chunk_sents[s.row]:
                positions.append(p)
                texts.append(self.chunk_texts[s.row][sent.text_start : sent.text_end])
                rows.append(sent.row)
        if not rows:
            return found[:k]
        cos = cosines(self.sent_vectors, np.asarray(rows, np.int64), query.vector)
        best = np.argsort(-cos, kind="stable")[: self.sentences]
        logits = self.score(query.text, [texts[i] for i in best], cos[best])
        read = passage_logits([positions[i] for i in best], logits, len(head))
        qlang = query.lang  # detected on each access: once here, not per passage
        same = np.array([self.langs[s.row] == qlang for s in head])
        order = within_language(np.array([s.score for s in head]), read, same)
        # each place keeps its score, so the list stays best-first by the scores it shows
        return ([Scored(head[i].row, head[p].score) for p, i in enumerate(order)] + found[self.depth :])[:k]
