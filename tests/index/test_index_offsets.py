"""Every chunk's and sentence's span points at its own characters in the source file
(the bundled corpus, indexed with the fake embedder)."""
from __future__ import annotations

import numpy as np

from rag.clean import clean


# ------------------------------------------------------------ offsets into the source
def _kept_alnum(raw: str):
    """Per block: kind, first/last origin, sorted source offsets of its letters/digits."""
    out = []
    for b in clean(raw):
        keep = np.array([ch.isalnum() for ch in b.text], bool)
        out.append((b.kind, int(b.origin.min()), int(b.origin.max()), b.origin[keep]))
    return out


def _check_span(raw: str, blocks, kind: str, text: str, start: int, end: int, where: str) -> None:
    assert 0 <= start < end <= len(raw), where
    # exact ends: a shift by one character breaks these
    assert raw[start] == text[0] and raw[end - 1] == text[-1], (where, raw[start:end][:40], text[:40])
    # the block this text came from: same kind, its source range holds `start`
    owners = [blk for blk in blocks if blk[0] == kind and blk[1] <= start <= blk[2]]
    assert len(owners) == 1, where
    pos = owners[0][3]
    inside = pos[(pos >= start) & (pos < end)]
    got = "".join(raw[i] for i in inside)
    want = "".join(ch for ch in text if ch.isalnum())
    # the letters and digits of raw[start:end] that cleaning kept are exactly the text's
    assert got == want, (where, got[:60], want[:60])
    # and independent of clean(): the text's letters appear in order within raw[start:end]
    region = iter(ch for ch in raw[start:end] if ch.isalnum())
    assert all(ch in region for ch in want), where


def test_every_chunk_and_sentence_maps_to_its_raw_span(corpus_index, corpus_dir):
    by_source: dict[str, list] = {}
    for c in corpus_index.payload.chunks:
        by_source.setdefault(c.source, []).append(c)
    assert sorted(by_source) == sorted(p.name for p in corpus_dir.glob("*.txt"))
    n = 0
    for source, chunks in by_source.items():
        raw = (corpus_dir / source).read_text(encoding="utf-8")
        blocks = _kept_alnum(raw)
        for c in chunks:
            assert c.text == c.text.strip() and c.text
            assert c.id == f"{source}:{c.start}-{c.end}"
            _check_span(raw, blocks, c.kind, c.text, c.start, c.end, c.id)
            for a, b, s, e, _row in c.sents:
                assert c.start <= s < e <= c.end
                _check_span(raw, blocks, c.kind, c.text[a:b], s, e, f"{c.id} sentence {a}-{b}")
            n += 1
    assert n == len(corpus_index.payload.chunks) > 500


def test_corpus_index_has_no_navigation_junk(corpus_index):
    for c in corpus_index.payload.chunks:
        assert "- [12](#)" not in c.text and "[1369](#)" not in c.text
    hits = corpus_index.search("Stalinism formation of the mechanism of power", k=5)
    assert hits and all(h.text.strip() for h in hits)


def test_ids_unique_and_canonical_order(corpus_index):
    chunks = corpus_index.payload.chunks
    assert len({c.id for c in chunks}) == len(chunks)
    keys = [(c.source, c.start, c.end) for c in chunks]
    assert keys == sorted(keys)
    rows = sorted({s[4] for c in chunks for s in c.sents})
    assert rows == list(range(len(corpus_index.payload.sent_vectors)))
