"""Dense retrieval: FAISS inner product over L2-normalised vectors.

Language balance: e5's cosine scores are systematically lower across
languages than within one, so with 14x more English text an English question
rarely reaches the Russian passage that answers it. With `balance`, scores are
standardised per passage language (z-score against that language's score
distribution for this query, estimated on a fixed sample of its passages), so
each language competes on how far its best passage stands out.

Even standardised, the larger pool wins the extremes: the best of n draws
sits near sqrt(2 ln n) standard deviations, ~3.5 for 517 English passages
against ~2.8 for 56 Russian ones. `pool_correction` subtracts that share of
the expected maximum per language (0.6, from `python -m eval --config
'{"pool_correction": x}'` over 0-1: r@5 on the corpus set .838 at 0 -> .868 at
0.6, flat from 0.45 to 0.9; English questions on Russian passages .643 -> .714).
"""
from __future__ import annotations

import numpy as np

from .base import Query, Retriever, Scored, cosines, top

SAMPLE = 1024  # passages per language used to estimate the score distribution
HUB_SAMPLE = 4096  # other-language rows a row's hubness is measured against (beyond: an even sample)


PRIOR = 1  # rows' worth of weight given to the all-language distribution (tiny pools only)


class LanguageNorm:
    """Standardise similarity scores per passage language.

    The mean and spread of a language's scores for this query are estimated
    on a fixed, evenly spaced sample of its rows and shrunk towards the
    all-language figures when the language has few rows: with a handful of
    passages the per-language estimate is noise (one passage gives sd 0).
    """

    def __init__(self, vectors: np.ndarray, langs: list[str] | np.ndarray, pool_correction: float = 0.0,
                 hub_correction: float = 0.0, hub_k: int = 10):
        self.vectors = vectors
        self.langs = np.asarray(langs)
        # per row, subtracted from its cosine before standardising (see hubness)
        self.hub = hub_correction * hubness(vectors, self.langs, hub_k) if hub_correction else None
        self.sample: dict[str, np.ndarray] = {}
        self.offset: dict[str, float] = {}  # pool_correction * expected max z of the language's pool
        for lang in sorted(set(self.langs.tolist())):
            rows = np.flatnonzero(self.langs == lang)
            self.offset[lang] = pool_correction * float(np.sqrt(2 * np.log(max(len(rows), 2))))
            self.sample[lang] = rows[np.linspace(0, len(rows) - 1, SAMPLE).astype(int)] if len(rows) > SAMPLE else rows
        allrows = np.arange(len(self.langs))
        self.all = allrows[np.linspace(0, len(allrows) - 1, SAMPLE).astype(int)] if len(allrows) > SAMPLE else allrows

    def _raw(self, qv: np.ndarray, rows: np.ndarray, scores: np.ndarray | None = None) -> np.ndarray:
        s = np.asarray(cosines(self.vectors, rows, qv) if scores is None else scores, dtype=np.float64)
        return s - self.hub[rows] if self.hub is not None else s

    def cosines(self, qv, rows: np.ndarray) -> np.ndarray:
        """Each row's cosine with the question's vector for its language (`qv`: a vector, or
        Query.vector_for)."""
        if not callable(qv):
            return cosines(self.vectors, rows, qv)
        out = np.zeros(len(rows), dtype=np.float32)
        langs = self.langs[rows]
        for lang in set(langs.tolist()):
            sel = langs == lang
            out[sel] = cosines(self.vectors, rows[sel], qv(lang))
        return out

    def __call__(self, qv, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """`scores` standardised per language; `qv`: the question's vector, or Query.vector_for
        (a vector for each passage language)."""
        vector_for = qv if callable(qv) else (lambda _lang: qv)
        out = self._raw(None, rows, scores).copy()
        if len(self.all) == 0:
            return out
        g = self._raw(None, self.all, self.cosines(vector_for, self.all))
        g_mu, g_sd = float(g.mean()), float(g.std())
        for lang, sample in self.sample.items():
            sel = self.langs[rows] == lang
            if not sel.any():
                continue
            s = self._raw(vector_for(lang), sample)
            w = len(s) / (len(s) + PRIOR)
            mu = w * float(s.mean()) + (1 - w) * g_mu
            sd = w * float(s.std()) + (1 - w) * g_sd
            out[sel] = (out[sel] - mu) / max(sd, 1e-3) - self.offset[lang]
        return out


def hubness(vectors: np.ndarray, langs: np.ndarray, k: int = 10) -> np.ndarray:
    """Per row: the mean cosine to its k nearest rows in the other languages.

    Some passages (an article's abstract, a summary paragraph) sit close to
    everything on their topic and come up for every question about it, in
    particular across languages. Subtracting this from a row's cosine is the
    hubness correction of cross-lingual retrieval (CSLS, Conneau et al. 2018;
    the margin scoring of bitext mining): the question side of CSLS is the same
    for every row of one query, so only the row side is needed. Measured against
    `hub_correction: 0` on the same index: corpus set (python -m eval) MRR@10 0.728
    -> 0.765, r@1 0.625 -> 0.684, r@5 0.868 either way, gains alike for
    shares 0.25-0.75 and k 5-50; XQuAD (python -m eval.xquad) en->ru r@1 0.874
    -> 0.896, ru->en 0.874 -> 0.911, same-language within 0.005. k = 10 is the
    usual CSLS choice and did better on XQuAD than 5 (k = 5 did better on the
    corpus set).
    Neighbours within a language are left out: overlapping chunks of one
    document would make every chunk look like a hub.
    """
    out = np.zeros(len(vectors))
    for lang in sorted(set(langs.tolist())):
        rows, other = np.flatnonzero(langs == lang), np.flatnonzero(langs != lang)
        if not len(other):
            continue
        if len(other) > HUB_SAMPLE:  # an even sample keeps the cost O(n * HUB_SAMPLE)
            other = other[np.linspace(0, len(other) - 1, HUB_SAMPLE).astype(int)]
        kk = min(k, len(other))
        ov = vectors[other]
        for b in range(0, len(rows), 2048):
            sims = vectors[rows[b : b + 2048]] @ ov.T
            out[rows[b : b + 2048]] = np.partition(sims, len(other) - kk, axis=1)[:, -kk:].mean(1)
    return out


# ---------------------------------------------------------------- FAISS
# Index type by size, from bench/scale.py on this 2-core machine
# (bench/REPORT.md): exact search while its p50 stays under 5 ms (measured
# 0.5 ms at 10K, 5.7 ms at 100K -> 88K), then IVF-flat, which reached
# recall@10 >= 0.95 at ~1 ms up to 1M vectors and built 2-4x faster than
# HNSW (HNSW at 1M stayed at recall 0.83 even with efSearch 512). HNSW stays
# available (make_faiss) but no size band picks it.
FLAT_MAX = 88_000
HNSW_MAX = FLAT_MAX
HNSW_M, HNSW_EF_CONSTRUCTION, EF_SEARCH = 32, 80, 64
EXACT_SUBSET = 50_000  # a filtered subset this small is scored exactly (no ANN recall loss)


def ivf_nprobe(n: int) -> int:
    """Lists probed: measured recall@10 >= 0.95 needed 64 at 100K, 24 at 1M (nlist = 4 sqrt(N))."""
    return 64 if n < 500_000 else 32


def choose_index_type(n: int, flat_max: int | None = None, hnsw_max: int | None = None) -> str:
    """FAISS index type for n chunk vectors (sentences are scored with numpy, not FAISS);
    the thresholds default to FLAT_MAX and HNSW_MAX."""
    flat_max = FLAT_MAX if flat_max is None else flat_max
    hnsw_max = HNSW_MAX if hnsw_max is None else hnsw_max
    return "flat" if n <= flat_max else ("hnsw" if n <= hnsw_max else "ivf")


def make_faiss(vectors: np.ndarray, index_type: str):
    """An inner-product FAISS index over (normalised) vectors."""
    import faiss

    dim = vectors.shape[1]
    if index_type == "flat":
        index = faiss.IndexFlatIP(dim)
    elif index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = EF_SEARCH
    elif index_type == "ivf":
        nlist = max(1, int(4 * np.sqrt(len(vectors))))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(np.ascontiguousarray(vectors[:: max(1, len(vectors) // (nlist * 64))]))
        index.nprobe = ivf_nprobe(len(vectors))
    else:
        raise ValueError(f"unknown FAISS index type {index_type!r}")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def index_type_of(index) -> str:
    import faiss

    if isinstance(index, faiss.IndexHNSW):
        return "hnsw"
    return "ivf" if isinstance(index, faiss.IndexIVF) else "flat"


class DenseRetriever(Retriever):
    """Dense search over one FAISS index per shard (`rows`: each shard's global
    chunk rows). Each shard returns its own best per language; the merge
    standardises them together against the whole index's per-language figures
    (LanguageNorm), so the merged top k is the one an unsharded index gives."""

    def __init__(self, indexes: list, rows: list[np.ndarray], vectors: np.ndarray, langs: list[str],
                 balance: bool = True, pool_correction: float = 0.0, hub_correction: float = 0.0, hub_k: int = 10):
        self.indexes = indexes  # faiss index per shard, over vectors[rows[s]]
        self.rows = rows
        self.kinds = [index_type_of(i) for i in indexes]
        self.vectors = vectors
        self.langs = np.asarray(langs)
        self.balance = balance
        self.standardise = LanguageNorm(vectors, self.langs, pool_correction, hub_correction, hub_k)
        self.hub = self.standardise.hub if balance else None  # per-row discount (see hubness)

    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        if len(self.vectors) == 0 or k <= 0:
            return []
        # each passage language is read with the question's vector for it (Query.vector_for: its
        # English gloss mixed in for passages in other languages); unbalanced, one vector for all
        langs = sorted(self.standardise.sample) if self.balance else [None]
        found = [self._shard(index, kind, rows, query.vector_for, k, mask, langs)  # fan out
                 for index, kind, rows in zip(self.indexes, self.kinds, self.rows) if len(rows)]
        found = [f for f in found if len(f[0])]
        if not found:
            return []
        rows = np.concatenate([f[0] for f in found])
        scores = np.concatenate([f[1] for f in found])
        if self.balance:
            scores = self.standardise(query.vector_for, rows, scores)
        order = np.lexsort((rows, -scores))[:k]  # ties broken by row: deterministic, and as in one index
        return [Scored(int(rows[i]), float(scores[i])) for i in order]

    def raw(self, query: Query, rows: np.ndarray) -> np.ndarray:
        """The rows' cosines as search() scores them before standardising."""
        return self.standardise.cosines(query.vector_for if self.balance else query.vector, rows)

    def _shard(self, index, kind: str, grows: np.ndarray, vector_for, k: int, mask, langs) -> tuple:
        """One shard's best k per language: (global rows, raw cosines)."""
        import faiss

        n = len(grows)
        shard_langs = self.langs[grows]
        rows_all, scores_all = [], []
        for lang in langs:
            qv = vector_for(lang).astype(np.float32)
            allowed = np.ones(n, bool) if mask is None else mask[grows]
            if lang is not None:
                allowed &= shard_langs == lang
            ids = np.flatnonzero(allowed)
            if len(ids) == 0:
                continue
            kk = min(k, len(ids))
            if kind == "flat" or len(ids) <= EXACT_SUBSET:
                # exact: as cheap as FAISS' flat scan or a selector scan, an ANN
                # graph walk would lose recall on a small subset, and the best kk
                # are chosen by the hub-corrected score the merge ranks by, so
                # every shard keeps what one index keeps (identical results)
                sc = cosines(self.vectors, grows[ids], qv)
                key = sc - self.hub[grows[ids]] if self.hub is not None else sc
                best = top(key, kk, grows[ids])
                rows_all.append(grows[ids[best]])
                scores_all.append(sc[best])
                continue
            # ANN (IVF/HNSW over a large shard): FAISS ranks by the raw cosine, so
            # with the hub correction fetch twice as many and keep the best kk of those
            fetch = min(len(ids), 2 * kk) if self.hub is not None else kk
            params = None
            if len(ids) < n:
                sel = faiss.IDSelectorBatch(ids.astype(np.int64))
                params = (faiss.SearchParametersHNSW(sel=sel, efSearch=max(EF_SEARCH, fetch)) if kind == "hnsw"
                          else faiss.SearchParametersIVF(sel=sel, nprobe=index.nprobe))
            D, I = index.search(qv[None, :], fetch, params=params)
            keep = I[0] >= 0
            rows, sc = grows[I[0][keep]], D[0][keep]
            if self.hub is not None and len(rows) > kk:
                keep = np.argsort(-(sc - self.hub[rows]), kind="stable")[:kk]
                rows, sc = rows[keep], sc[keep]
            rows_all.append(rows)
            scores_all.append(sc)
        if not rows_all:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(rows_all), np.concatenate(scores_all)
