"""The tutorial baseline: what a LangChain quick-start RAG would retrieve.

RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=150,
add_start_index=True) over the raw file text (no cleaning), the same
embedder as the index, FAISS IndexFlatIP over normalised vectors. Hits are
rag.Hit with spans into the raw text, so eval/run.py scores it like any
retriever. Text files only (.txt, .md): the tutorial reads them with
Path.read_text; other formats would need loaders it does not use.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.embed import Embedder
from rag.ingest import discover
from rag.lang import detect
from rag.types import Hit

TEXT_SUFFIXES = {".txt", ".md"}
CHUNK_SIZE, CHUNK_OVERLAP = 1000, 150


@dataclass(frozen=True)
class Chunk:
    source: str
    start: int
    text: str


def split(files: list[tuple[Path, str]]) -> list[Chunk]:
    """(path, source name) pairs -> chunks with their offsets into the raw text."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP,
                                              add_start_index=True)
    out = []
    for path, source in files:
        raw = path.read_text(encoding="utf-8")
        for d in splitter.create_documents([raw]):
            out.append(Chunk(source, d.metadata["start_index"], d.page_content))
    return out


class Baseline:
    def __init__(self, chunks: list[Chunk], embedder: Embedder):
        import faiss

        self.chunks, self.embedder = chunks, embedder
        vec = np.ascontiguousarray(embedder.embed_passages([c.text for c in chunks]), dtype=np.float32)
        faiss.normalize_L2(vec)
        self.faiss = faiss.IndexFlatIP(embedder.dim)
        self.faiss.add(vec)

    @classmethod
    def build(cls, paths: list[str | os.PathLike], embedder: Embedder) -> Baseline:
        """Files or folders, named as rag names them (relative to the given folder)."""
        found, _ = discover(paths)
        return cls(split([(p, s) for p, s in found if p.suffix.lower() in TEXT_SUFFIXES]), embedder)

    def search(self, query: str, k: int = 10) -> list[Hit]:
        import faiss

        if k <= 0 or not self.chunks:
            return []
        q = np.ascontiguousarray(self.embedder.embed_queries([query]), dtype=np.float32)
        faiss.normalize_L2(q)
        scores, rows = self.faiss.search(q, min(k, len(self.chunks)))
        out = []
        for s, r in zip(scores[0], rows[0]):
            c = self.chunks[r]
            end = c.start + len(c.text)
            out.append(Hit(text=c.text, source=c.source, start=c.start, end=end, page=None,
                           lang=detect(c.text), score=float(s), chunk_id=f"{c.source}:{c.start}-{end}"))
        return out
