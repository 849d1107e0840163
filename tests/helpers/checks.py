"""Assertions and views shared by several test files: the chunker's invariants, an index
equal to a fresh build, and what a user gets from an index (in memory and on disk)."""
from __future__ import annotations

import json
import time
from bisect import bisect_right
from pathlib import Path

import numpy as np

import rag
from rag.chunk import SentenceSplitter, sentences

from .docs import QUERIES, SMALL
from .fakes import FakeEmbedder


def check_chunks(text: str, size: int, overlap: int) -> None:
    """The chunker's invariants on `text` (tests/test_chunk.py on examples, test_properties.py on random blocks)."""
    sp = SentenceSplitter(size, overlap)
    chunks = sp.chunks(text)
    units = sorted({u for c in chunks for u in c.sentences}, key=lambda u: u.start)
    if len(text) < 20_000:  # sentence splitting is slow on the 600 KB block; done once there
        assert units == sp.units(text), "a unit is in no chunk"
    unit_starts = {u.start for u in units}
    assert chunks, "a non-empty block must give chunks"
    # exact substrings, in order, each at a sentence (unit) boundary
    for c in chunks:
        assert 0 <= c.start < c.end <= len(text)
        assert c.start in unit_starts
        assert c.end == len(text) or c.end in unit_starts
        # actual behaviour: every unit is cut to <= size, so no chunk exceeds chunk_size
        assert c.end - c.start <= size, (c.end - c.start, size)
        assert c.sentences and c.sentences[0].start == c.start and c.sentences[-1].end == c.end
        assert "".join(text[u.start : u.end] for u in c.sentences) == text[c.start : c.end]
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in zip(chunks, chunks[1:]):
        assert a.start < b.start, "chunks advance"
        assert b.start <= a.end, "no gap between consecutive chunks"
        assert a.end - b.start <= overlap, "overlap is bounded by chunk_overlap"
    # no text lost: every sentence is inside at least one chunk (a sentence longer than
    # chunk_size: each of its pieces is)
    starts = [c.start for c in chunks]

    def inside(a: int, b: int) -> bool:
        c = chunks[bisect_right(starts, a) - 1]  # the chunk starting last at or before a
        return c.start <= a and b <= c.end

    for s in sentences(text):
        if s.end - s.start <= size:
            assert inside(s.start, s.end), text[s.start : s.end]
        else:
            pieces = [u for u in units if s.start <= u.start < s.end]
            assert pieces and all(inside(u.start, u.end) for u in pieces), text[s.start : s.end]


def same_as_fresh_build(idx: rag.Index, folder, tmp_path) -> None:
    """After syncs and background fills: `idx` equals a fresh build of `folder`, in memory and on disk."""
    fresh = rag.build([folder], tmp_path / f"fresh{time.monotonic_ns()}", model=FakeEmbedder(), settings=SMALL)
    a, b = idx.payload, fresh.payload
    assert [(c.id, c.text, c.sents, c.page, c.lang) for c in a.chunks] == \
        [(c.id, c.text, c.sents, c.page, c.lang) for c in b.chunks]
    assert np.allclose(a.chunk_vectors, b.chunk_vectors) and np.allclose(a.sent_vectors, b.sent_vectors)
    assert a.manifest.files == b.manifest.files
    q = "выборы явка 1924"
    assert idx.search(q, k=5) == fresh.search(q, k=5)
    reloaded = rag.load(idx.folder, model=FakeEmbedder())
    assert [c.id for c in reloaded.payload.chunks] == [c.id for c in b.chunks]


def state(idx: rag.Index):
    """What a user gets from an index: its documents, search and ask results."""
    return idx.documents(), [idx.search(q, k=5) for q in QUERIES], [idx.ask(q) for q in QUERIES]


def disk_state(folder: Path):
    """The index on disk: its generation, its files and what it answers once loaded."""
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return m["generation"], sorted(p.name for p in folder.iterdir()), state(rag.load(folder, model=FakeEmbedder()))
