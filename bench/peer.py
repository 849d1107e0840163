"""Section 3: LangChain's FAISS vector store over the same chunk texts and the same embedder.

The peer gets our chunks (text plus source/start/end in the Document
metadata, so eval.run's overlap rule judges it exactly as it judges us) and
our embedder behind LangChain's Embeddings interface; what differs is only
the store and its query path. Falls back to langchain_core's
InMemoryVectorStore when langchain-community is not installed.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.types import Hit

from .stats import hit_rate, latency_ms, ratio


class RagEmbeddings(Embeddings):
    """Our Embedder as a LangChain Embeddings (e5 needs its query/passage prompts kept apart)."""

    def __init__(self, embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()


def make_store(chunks: list, vectors: np.ndarray, embedder):
    """(store, name, seconds to fill it). The chunk vectors are the ones our build computed with
    the same embedder: re-encoding them through embed_documents would give the same numbers
    for minutes of shared CPU, so only the store's own work is timed (imports excluded)."""
    from langchain_core.documents import Document

    emb = RagEmbeddings(embedder)
    metas = [{"source": c.source, "start": c.start, "end": c.end} for c in chunks]
    texts = [c.text for c in chunks]
    try:
        with warnings.catch_warnings():  # langchain-community's sunset notice
            warnings.simplefilter("ignore")
            from langchain_community.vectorstores import FAISS
            from langchain_community.vectorstores.utils import DistanceStrategy
    except ImportError:
        from langchain_core.vectorstores import InMemoryVectorStore

        t = time.perf_counter()
        store = InMemoryVectorStore(emb)
        store.add_documents([Document(page_content=x, metadata=m) for x, m in zip(texts, metas)])
        return store, "langchain_core.vectorstores.InMemoryVectorStore (re-embeds the chunks)", time.perf_counter() - t
    t = time.perf_counter()
    # inner product = cosine on e5's normalised vectors, the same scores as our IndexFlatIP
    store = FAISS.from_embeddings(list(zip(texts, vectors.tolist())), emb, metadatas=metas,
                                  distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT)
    return store, "langchain_community.vectorstores.FAISS", time.perf_counter() - t


def as_hits(docs) -> list[Hit]:
    return [Hit(text=d.page_content, source=d.metadata["source"], start=d.metadata["start"],
                end=d.metadata["end"], page=None, lang="", score=0.0) for d in docs]


def peer_section(idx, items: list, ours: dict, k: int = 10) -> dict:
    """Latency p50 and recall@5 of the peer vs ours (from warm_section's `ours`)."""
    from eval.run import judge

    store, name, build_s = make_store(idx.payload.chunks, idx.payload.chunk_vectors, idx.embedder)
    qs = [it.question for it in items]
    store.similarity_search(qs[0], k=k)  # warm-up, untimed
    found, secs = [], []
    for q in qs:
        t = time.perf_counter()
        found.append(as_hits(store.similarity_search(q, k=k)))
        secs.append(time.perf_counter() - t)
    ans = [i for i, it in enumerate(items) if it.answerable]
    lat = latency_ms(secs)
    res = {"peer": name, "chunks": len(idx.payload.chunks), "build_seconds": round(build_s, 3),
           "search": lat, "recall@5": hit_rate([judge(found[i], items[i]) for i in ans], 5),
           "ours_recall@5": ours["recall@5"]}
    res["ratios"] = {"ours_hybrid_p50_over_peer": ratio(ours["search"]["p50_ms"], lat["p50_ms"], 2),
                     "ours_dense_p50_over_peer": ratio(ours["search_dense"]["p50_ms"], lat["p50_ms"], 2)}
    res["versions"] = {p: _version(p) for p in ("langchain-community", "langchain-core")}
    return res


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None
