"""The index keeps each sentence's token codes (rag/tokens.py) through build, add, remove,
shards and a reload, and keeps none where not every sentence can have them."""
from __future__ import annotations

import re

import numpy as np
import pytest
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


def test_the_manifest_names_the_head_and_codes_of_another_head_are_not_kept(small_corpus, tmp_path, monkeypatch):
    import rag.tokens
    from rag.tokens import TokenHead

    files = sorted(small_corpus.iterdir())
    idx = rag.build(files[:1], tmp_path / "idx", model=TokenEmbedder())
    assert idx.searcher.payload.manifest.model["quote_head"] == load_head().digest and idx.searcher.head is not None
    h = load_head()
    monkeypatch.setattr(rag.tokens, "load_head", lambda: TokenHead(h.W, h.mu, h.v, h.scale, "retrained"))
    idx.add(files[1:])  # new codes would come from another head than the kept ones
    m = idx.searcher.payload.manifest
    assert idx.searcher.payload.sent_codes is None and "quote_head" not in m.model
    assert not any("sent_codes" in r for r in m.data)
    fresh = rag.build(files, tmp_path / "fresh", model=TokenEmbedder())
    assert fresh.searcher.payload.manifest.model["quote_head"] == "retrained"
    monkeypatch.undo()
    again = rag.load(fresh.folder, model=TokenEmbedder())  # read with the shipped head: its codes mean nothing
    assert again.searcher.head is None and any("another token head" in n for n in again.notices)


def _first_quote_alone(idx, question):
    """ask()'s candidates for `question` and the token head's column over them."""
    from rag.tokens import token_column

    s = idx.searcher
    q = s.query(question)
    scored = s.default().search(q, 5, None)
    cands = s.candidates(q, scored, [s.hit(x.row, x.score) for x in scored])
    return cands, token_column(s.head, q.cache.get(("tokens", q.text)), s.payload.sent_codes, [c.row for c in cands])


def test_ask_weighs_the_token_heads_column_where_the_index_keeps_codes(small_corpus, tmp_path):
    idx = rag.build([small_corpus], tmp_path / "idx", model=TokenEmbedder())
    idx.reconfigure(abstain_below=-1.0, abstain_below_cross=-1.0)  # the fake's cosines are not e5's: always found
    question = "Что такое коллективизация сельского хозяйства?"
    cands, col = _first_quote_alone(idx, question)
    assert col is not None and len(col) == len(cands) > 3 and len(set(np.round(col, 6))) > 1
    picked = {}
    for sign in (1.0, -1.0):
        # quote_margin 0: no near neighbour joins the quote shown (rag/answer.py widen)
        idx.reconfigure(token_quote_weights=(0.0,) * 7 + (sign,), quote_margin=0.0)
        picked[sign] = idx.ask(question).quotes[0]
        want = cands[int(np.argmax(sign * col))]
        got = picked[sign]  # the chosen sentence, widened perhaps (rag/answer.py widen)
        assert got.source == want.passage.source and got.start <= want.start < want.end <= got.end
    assert (picked[1.0].start, picked[1.0].end) != (picked[-1.0].start, picked[-1.0].end)


def test_an_index_without_codes_keeps_the_plain_weights(small_corpus, tmp_path):
    idx = rag.build([small_corpus], tmp_path / "idx", model=FakeEmbedder())
    idx.reconfigure(abstain_below=-1.0, abstain_below_cross=-1.0)
    question = "Что такое коллективизация сельского хозяйства?"
    before = idx.ask(question).quotes
    idx.reconfigure(token_quote_weights=(0.0,) * 7 + (5.0,))
    assert idx.ask(question).quotes == before and idx.searcher.head is None
    idx.reconfigure(quote_weights=(0.0,) * 6 + (1.0,))
    assert idx.ask(question).quotes != before


def test_the_found_rules_calibration_weighs_the_quote_as_ask_does(small_corpus, tmp_path, monkeypatch):
    # eval.calibrate --found fits Settings.found_weights on the evidence ask() weighs: the quote's
    # score with the token head's column where the index keeps codes, not the plain weights'
    import rag.searcher
    from eval.calibrate import found_evidence

    idx = rag.build([small_corpus], tmp_path / "idx", model=TokenEmbedder())
    idx.reconfigure(abstain_below=-1.0, abstain_below_cross=-1.0, found_weights=(1.0,) + (0.0,) * 6,
                    token_quote_weights=(0.0,) * 7 + (3.0,))
    seen = []
    real = rag.searcher.found_by
    monkeypatch.setattr(rag.searcher, "found_by", lambda w, x: seen.append(np.asarray(x)) or real(w, x))
    question = "Что такое коллективизация сельского хозяйства?"
    idx.ask(question)
    _cands, x = found_evidence(idx.searcher, question)
    assert len(seen) == 1 and np.allclose(seen[0], x)
    # the quote's score among them is the head-weighed one: 3 x the column of the top quote
    _cands, col = _first_quote_alone(idx, question)
    assert x[1] == pytest.approx(3.0 * col.max())
