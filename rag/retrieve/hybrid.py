"""Hybrid retrieval: dense + BM25 fusion, then a best-sentence rerank.

Why not reciprocal-rank fusion: RRF gives BM25's list the same weight whether
it matched the question's content or only a year or a name; across languages
it then pushes junk up (measured: 0 % cross-lingual recall). Here BM25 adds
`lex_weight * share`, where share is the BM25 score over the best score any
passage could get for this question (every term matched at saturation): a
Russian question whose only match in an English passage is "1924" adds almost
nothing, a same-language question that matches its rare terms adds a lot.

The rerank scores each candidate by its best-matching sentence (sentence
vectors are computed at index time), standardised per language like the
dense passage scores, because the answer usually sits in one sentence and a
passage's average meaning can drift away from it.
"""
from __future__ import annotations

import numpy as np

from .base import Query, Retriever, Scored
from .dense import DenseRetriever, LanguageNorm
from .lexical import LexicalRetriever


class SentenceScorer:
    """Per-sentence similarity, standardised per language like passages."""

    def __init__(self, sent_vectors: np.ndarray, sent_langs: list[str], pool_correction: float = 0.0,
                 hub_correction: float = 0.0, hub_k: int = 10):
        self.vectors = sent_vectors
        self.norm = LanguageNorm(sent_vectors, sent_langs, pool_correction, hub_correction, hub_k)

    def scores(self, qv, rows: np.ndarray) -> np.ndarray:
        """`qv`: the question's vector, or Query.vector_for (one for each sentence language)."""
        return self.norm(qv, rows, self.norm.cosines(qv, rows))


class LexicalFusion(Retriever):
    """Lexical retrievers fused alone, each by its share of the best possible score:
    BM25 + the bridge is lexical search across languages without the dense side."""

    def __init__(self, parts: list[tuple[Retriever, float]], depth: int = 50):
        self.parts = parts  # (retriever with max_score, weight)
        self.depth = depth

    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        total: dict[int, float] = {}
        for r, w in self.parts:
            for row, share in HybridRetriever._share(r, w, query, max(self.depth, k), mask).items():
                total[row] = total.get(row, 0.0) + w * share
        rows = np.array(sorted(total), dtype=np.int64)
        score = np.array([total[r] for r in rows])
        return [Scored(int(rows[i]), float(score[i])) for i in np.lexsort((rows, -score))[:k]]


class HybridRetriever(Retriever):
    def __init__(self, dense: DenseRetriever, lexical: LexicalRetriever | None,
                 sentences: SentenceScorer | None, chunk_sents: list[np.ndarray],
                 lex_weight: float = 2.0, sent_weight: float = 0.5, depth: int = 50,
                 reserve: int = 0, names: LexicalRetriever | None = None, name_weight: float = 0.0,
                 bridge: Retriever | None = None, bridge_weight: float = 0.0,
                 lex_by_lang: dict[str, float] | None = None):
        self.dense = dense
        self.lexical = lexical
        self.sentences = sentences
        self.chunk_sents = chunk_sents  # sentence rows of each chunk
        self.lex_weight = lex_weight
        self.sent_weight = sent_weight
        self.depth = depth
        self.reserve = reserve
        self.names = names
        self.name_weight = name_weight
        self.bridge = bridge  # translated BM25 across languages (retrieve/bridge.py)
        self.bridge_weight = bridge_weight
        self.lex_by_lang = lex_by_lang or {}  # a question language's own lex_weight (Settings.lex_by_lang)

    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        depth = max(self.depth, k)
        dense = self.dense.search(query, depth, mask)
        cand = {s.row: s.score for s in dense}
        # a question language's own weight holds for passages in that language only: across
        # languages BM25 matches no more than numbers and names, and weighs as before
        own = self.lex_by_lang.get(query.lang, self.lex_weight)
        lex = self._share(self.lexical, max(own, self.lex_weight), query, depth, mask)
        names = self._share(self.names, self.name_weight, query, depth, mask)
        bridge = self._share(self.bridge, self.bridge_weight, query, depth, mask)
        missing = np.array(sorted((set(lex) | set(names) | set(bridge)) - set(cand)), dtype=np.int64)
        if len(missing):
            raw = self.dense.raw(query, missing)
            z = self.dense.standardise(query.vector_for, missing, raw) if self.dense.balance else raw
            cand.update(zip(missing.tolist(), z.tolist()))
        rows = np.array(sorted(cand), dtype=np.int64)
        if len(rows) == 0:
            return []
        lex_w = np.where(self.dense.langs[rows] == query.lang, own, self.lex_weight).tolist()
        score = np.array([cand[r] + lw * lex.get(r, 0.0) + self.name_weight * names.get(r, 0.0)
                          + self.bridge_weight * bridge.get(r, 0.0) for r, lw in zip(rows, lex_w)], dtype=np.float64)
        if self.sentences is not None and self.sent_weight:
            score += self.sent_weight * self.best_sentence(query, rows)
        order = np.lexsort((rows, -score))
        # never more than half the places: with k = 1 or 2 the best passage is shown, whatever its language
        keep = min(self.reserve, (k - 1) // 2)
        top = self._reserve_languages(order, rows, query.lang, k, keep) if keep > 0 else list(order[:k])
        return [Scored(int(rows[i]), float(score[i])) for i in top]

    def _reserve_languages(self, order: np.ndarray, rows: np.ndarray, qlang: str, k: int, keep: int) -> list[int]:
        """Keep the best `keep` passages in languages other than the question's in the top k.

        Even standardised, the larger language pool wins the extremes (more
        draws), so a Russian article answering an English question can sit
        at rank 7 behind on-topic English book passages. Reserving places
        costs same-language questions at most the last `keep` slots
        (measured: eval/tune.py). The places go to the best passages of the
        other languages together, not `keep` to each: with a dozen languages
        in one index, a place per language would crowd out the question's own.
        """
        langs = self.dense.langs[rows[order]]
        top = list(order[:k])
        for b in [int(i) for i in order[langs != qlang][:keep]]:
            if b in top:
                continue
            if len(top) >= k:
                drop = next((j for j in range(len(top) - 1, -1, -1) if self.dense.langs[rows[top[j]]] == qlang), None)
                if drop is None:
                    break
                top.pop(drop)
            top.append(b)
        rank = {int(i): r for r, i in enumerate(order)}
        return sorted(top, key=rank.__getitem__)

    @staticmethod
    def _share(r: Retriever | None, weight: float, query: Query, depth: int, mask) -> dict[int, float]:
        """BM25 score as a share of the best score any passage could get."""
        if r is None or not weight:
            return {}
        top = r.max_score(query)
        if top <= 0:
            return {}
        return {s.row: s.score / top for s in r.search(query, depth, mask)}

    def best_sentence(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """Best standardised sentence score of each chunk row (0 for a chunk without sentences)."""
        lists = [self.chunk_sents[r] for r in rows]
        best = np.zeros(len(rows))
        flat = np.concatenate(lists) if lists else np.zeros(0, np.int64)
        if len(flat) == 0:
            return best
        s = self.sentences.scores(query.vector_for, flat)
        pos = 0
        for i, lst in enumerate(lists):
            if len(lst):
                best[i] = s[pos : pos + len(lst)].max()
            pos += len(lst)
        return best
