"""Our search as a LangChain retriever (pip install "rag-offline[langchain]").

    from rag.integrations.langchain import RagRetriever
    retriever = RagRetriever(index="index/", k=4, langs=["en"])
    docs = retriever.invoke("Кто предложил альтернативные выборы?")
    docs[0].metadata  # {"source": …, "start": …, "end": …, "page": …, "lang": …, "score": …, "chunk_id": …}

A Document per Hit of Index.search (hybrid + cross-lingual bridge), best first; its metadata
is the Hit's citation, its id the chunk's. k, sources, langs and retriever are Index.search's
and may also be given per call: retriever.invoke(q, k=3). docs/frameworks.md has a RAG chain.
"""
from __future__ import annotations

from typing import Any

from . import SEARCH_PARAMS, citation, missing, open_index, search
from ..index import Index
from ..types import Hit

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables.config import run_in_executor
    from pydantic import SkipValidation, field_validator
except ImportError as e:
    raise missing("langchain", "LangChain", e) from e


def to_document(hit: Hit) -> Document:
    return Document(page_content=hit.text, metadata=citation(hit), id=hit.chunk_id or None)


class RagRetriever(BaseRetriever):
    """Index.search as a LangChain retriever: `invoke`, `ainvoke`, `batch`, and `|` in a chain."""

    index: Index
    """The index: a loaded rag.Index, or its folder (loaded with rag.load)."""
    # Not validated here (SkipValidation): Index.search checks them, so a bad k, source or
    # retriever name gets the Python API's QueryError and message, not a pydantic one, and
    # k=True is refused rather than coerced to 1.
    k: SkipValidation[int] = 10
    """How many passages."""
    sources: SkipValidation[list[str] | None] = None
    """Only these documents (their names as `rag.Index.documents()` lists them); None: all."""
    langs: SkipValidation[list[str] | None] = None
    """Only passages in these languages ("ru", "en"); None: all."""
    retriever: SkipValidation[str | None] = None
    """One of rag.searcher.RETRIEVERS ("hybrid", "dense", "bm25", …); None: the index's default."""

    @field_validator("index", mode="before")
    @classmethod
    def _open(cls, index: Any) -> Index:
        return open_index(index)

    def _params(self) -> dict:
        return {p: getattr(self, p) for p in SEARCH_PARAMS}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **overrides: Any) -> list[Document]:
        return [to_document(h) for h in search(self.index, query, self._params(), overrides)]

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
                                       **overrides: Any) -> list[Document]:
        # search is CPU work: run it off the event loop (the base class's default would also,
        # but it drops the per-call parameters)
        return await run_in_executor(None, self._get_relevant_documents, query,
                                     run_manager=run_manager.get_sync(), **overrides)
