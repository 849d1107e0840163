"""The index keeps each sentence's token codes (rag/tokens.py) through build, add, remove,
shards and a reload, and keeps none where not every sentence can have them."""
from __future__ import annotations

import re

import numpy as np
from helpers.fakes import FakeEmbedder, TokenEmbedder

import rag
from rag.tokens import inside, load_head


def _by_sentence(index) -> dict[tuple[str, int, int], list]:
    """(source, start, end) -> the sentence's codes, from the loaded payload."""
    p = index.searcher.payload
    return {(c.source, s.start, s.end): p.sent_codes.row(s.row).tolist() for c in p.chunks for s in c.sents}


def _expected(index) -> dict[tuple[str, int, int], list]:
    """What the fake's states give: the codes of the words inside each sentence of its first chunk."""
    head, emb, out = load_head(), TokenEmbedder(), {}
    for c in index.searcher.payload.chunks:
        words = list(re.finditer(r"\S+", c.text))
        spans = np.array([m.span() for m in words]).reshape(-1, 2)
        codes = head.codes(np.stack([emb._one(m.group()) for m in words]))
        for s in c.sents:
            out.setdefault((c.source, s.start, s.end), codes[inside(spans, s.text_start, s.text_end)].tolist())
    return out


def test_a_build_keeps_every_sentences_codes_read_in_its_chunk(small_corpus, tmp_path):
    idx = rag.build([small_corpus], tmp_path / "idx", model=TokenEmbedder())
    p = idx.searcher.payload
    assert p.sent_codes is not None and len(p.sent_codes) == len(p.sent_vectors) and p.sent_codes.width == 8
    got = _by_sentence(idx)
    assert got == _expected(idx) and sum(map(len, got.values())) > 50
    assert _by_sentence(rag.load(idx.folder, model=TokenEmbedder())) == got


def test_codes_follow_their_sentences_through_add_remove_and_shards(small_corpus, tmp_path):
    files = sorted(small_corpus.iterdir())
    full = _by_sentence(rag.build([small_corpus], tmp_path / "full", model=TokenEmbedder()))
    inc = rag.build(files[:1], tmp_path / "inc", model=TokenEmbedder())
    inc.add(files[1:])
    assert _by_sentence(inc) == full
    inc.reshard(3)
    assert _by_sentence(rag.load(inc.folder, model=TokenEmbedder())) == full
    inc.remove(files[0].name)
    assert _by_sentence(inc) == {k: v for k, v in full.items() if k[0] != files[0].name}
    inc.reshard(1)
    assert _by_sentence(inc) == {k: v for k, v in full.items() if k[0] != files[0].name}


def test_no_codes_unless_every_sentence_can_have_them(small_corpus, tmp_path):
    files = sorted(small_corpus.iterdir())
    old = TokenEmbedder()
    old.reads_tokens = False  # as an index built before token codes
    plain = rag.build(files[:1], tmp_path / "plain", model=old)
    assert plain.searcher.payload.sent_codes is None
    assert not any("sent_codes" in r for r in plain.searcher.payload.manifest.data)
    grown = rag.load(plain.folder, model=TokenEmbedder())
    grown.add(files[1:])  # new sentences could have codes, the old ones have none
    assert grown.searcher.payload.sent_codes is None
    fake = rag.build([small_corpus], tmp_path / "fake", model=FakeEmbedder())  # a model the head was not trained on
    assert fake.searcher.payload.sent_codes is None
