"""Offline multilingual question answering over a document folder.

    import rag
    index = rag.build(["data/corpus"], "index/")
    index = rag.load("index/")
    hits = index.search("question", k=10, sources=None, langs=None)
    answer = index.ask("question", k=5)
    index.add(["new.pdf"]); index.remove("old.txt")
"""
from __future__ import annotations

from .index import Index
from .ingest import IngestError
from .settings import Settings
from .store import IndexFormatError
from .types import Answer, BuildReport, DocumentInfo, Hit, QueryError, Span

__all__ = [
    "Answer",
    "BuildReport",
    "DocumentInfo",
    "Hit",
    "Index",
    "IndexFormatError",
    "IngestError",
    "QueryError",
    "Settings",
    "Span",
    "build",
    "load",
]


def build(paths, folder="index", model=None, settings=None, progress=None, ray=None) -> Index:
    """Index files or folders into `folder`; returns the loaded Index.

    `ray`: True or a cluster address to read, chunk and embed on Ray (rag/distributed.py;
    pip install "ray[data]==2.60.0"); the index is the same as without it."""
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        paths = [paths]
    return Index.build(paths, folder, model=model, settings=settings, progress=progress, ray=ray)


def load(folder="index", model=None) -> Index:
    """Load an index; checks manifest.json (format, model) and the data checksums."""
    return Index.load(folder, model=model)
