"""Our retrieval as another framework's retriever: rag.integrations.langchain and
rag.integrations.llama_index, each an optional extra.

    pip install "rag-offline[langchain]"     # RagRetriever(index=...).invoke("question")
    pip install "rag-offline[llamaindex]"   # RagRetriever(index=...).retrieve("question")

This package imports neither framework: `import rag` stays as fast as before, and a
missing framework is only noticed, with the pip line to fix it, by the module that needs it.
What both share lives here: which index, which search parameters, and a Hit's citation.
"""
from __future__ import annotations

import os
from dataclasses import asdict

from ..index import Index
from ..types import Hit

# Index.search's parameters besides the query; the retrievers pass them through unchanged, so
# a bad value gets the Python API's QueryError and message (rag/searcher.py checks them)
SEARCH_PARAMS = ("k", "sources", "langs", "retriever")


def missing(extra: str, framework: str, cause: ImportError) -> ImportError:
    """The ImportError for a framework that is not installed: it names the pip line."""
    return ImportError(f'{framework} is not installed: pip install "rag-offline[{extra}]" ({cause})')


def open_index(index) -> Index:
    """A loaded rag.Index as it is, or an index folder (str or Path) loaded with rag.load."""
    if isinstance(index, Index):
        return index
    if isinstance(index, (str, os.PathLike)):
        return Index.load(index)
    raise TypeError(f"index must be an index folder (str or Path) or a rag.Index, not {type(index).__name__}")


def search(index: Index, query, params: dict, overrides: dict | None = None) -> list[Hit]:
    """Index.search with the retriever's parameters, some replaced for this call."""
    unknown = sorted(set(overrides or ()) - set(SEARCH_PARAMS))
    if unknown:
        raise TypeError(f"unknown search parameter {', '.join(unknown)}: one of {', '.join(SEARCH_PARAMS)}")
    return index.search(query, **{**params, **(overrides or {})})


def citation(hit: Hit) -> dict:
    """A Hit less its text: source, start, end, page, lang, score and chunk_id, the same
    fields and values as the CLI's --json and HTTP's /search give."""
    out = asdict(hit)
    del out["text"]
    return out
