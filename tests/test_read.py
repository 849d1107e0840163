"""The reader (rag/read.py) and its rerank (rag/retrieve/reader.py), with tiny random weights."""
from __future__ import annotations


import numpy as np
import pytest
from helpers.tiny_bert import FF, H, tiny_model

import rag
from rag.read import LORA_ALPHA, LOWER, MATS, NORMS, RANK, Reader, merged_state, read_adapter
from rag.retrieve import Query
from rag.retrieve.reader import ReaderRerank, passage_logits, within_language
from rag.types import QueryError

def random_adapter(rng, layers: int = 1) -> dict[str, np.ndarray]:
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    t = {}
    for li in range(layers):
        for m, (o, i) in shapes.items():
            t[f"A{li}_{m}"] = rng.normal(size=(RANK, i)).astype(np.float32)
            t[f"B{li}_{m}"] = rng.normal(size=(o, RANK)).astype(np.float32) * 0.01
            t[f"b{li}_{m}"] = rng.normal(size=o).astype(np.float32)
        for ln in NORMS:
            t[f"{ln}w{li}"] = rng.normal(1, 0.1, size=H).astype(np.float32)
            t[f"{ln}b{li}"] = rng.normal(size=H).astype(np.float32)
    t.update(head_w=rng.normal(size=H).astype(np.float32), head_b=np.array(0.3, np.float32),
             cos_a=np.array(30.0, np.float32), cos_c=np.array(0.85, np.float32))
    return t


def test_merged_state_folds_lora_into_the_top_layers_only():
    rng = np.random.default_rng(0)
    ad = random_adapter(rng, layers=2)
    state = {}
    for layer in range(LOWER + 2):
        for m, name in MATS.items():
            o, i = ad[f"B0_{m}"].shape[0], ad[f"A0_{m}"].shape[1]
            state[f"encoder.layer.{layer}.{name}.weight"] = rng.normal(size=(o, i)).astype(np.float32)
            state[f"encoder.layer.{layer}.{name}.bias"] = np.zeros(o, np.float32)
        for name in NORMS.values():
            state[f"encoder.layer.{layer}.{name}.weight"] = np.ones(H, np.float32)
            state[f"encoder.layer.{layer}.{name}.bias"] = np.zeros(H, np.float32)
    out = merged_state(state, ad)
    x = rng.normal(size=H).astype(np.float32)
    for li in range(2):
        pre = f"encoder.layer.{LOWER + li}.attention.self.query"
        w = state[pre + ".weight"]
        # the training's LoRA forward: x W^T + b + (x A^T) B^T * alpha / rank
        want = x @ w.T + ad[f"b{li}_q"] + (x @ ad[f"A{li}_q"].T) @ ad[f"B{li}_q"].T * (LORA_ALPHA / RANK)
        np.testing.assert_allclose(x @ out[pre + ".weight"].T + out[pre + ".bias"], want, rtol=1e-4, atol=1e-4)
        ln = f"encoder.layer.{LOWER + li}.output.LayerNorm.weight"
        np.testing.assert_array_equal(out[ln], ad[f"ln2w{li}"])
    for layer in range(LOWER):  # the frozen layers are the base's, untouched
        k = f"encoder.layer.{layer}.intermediate.dense.weight"
        assert out[k] is state[k]


def test_read_adapter_names_the_file_and_what_is_missing(tmp_path):
    from safetensors.numpy import save_file

    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="junk.safetensors"):
        read_adapter(junk)
    other = tmp_path / "other.safetensors"
    save_file({"weight": np.zeros(3, np.float32)}, str(other))
    with pytest.raises(ValueError, match="not a reader adapter.*head_w"):
        read_adapter(other)


def test_within_language_reorders_only_the_question_language_places():
    base = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    same = np.array([True, False, True, True, False])
    read = np.array([0.0, 9.0, 0.0, 10.0, 9.0])  # the reader loves position 3 (and the others)
    order = within_language(base, read, same)
    assert order[1] == 1 and order[4] == 4  # other-language passages keep their places
    assert sorted(order[[0, 2, 3]]) == [0, 2, 3]
    assert list(order[[0, 2, 3]]) == [3, 0, 2]  # z sums: position 3 0.25, position 0 0.19, position 2 -1.22
    key = (base - base.mean()) / base.std() + (read - read.mean()) / read.std()
    assert list(order[[0, 2, 3]]) == sorted([0, 2, 3], key=lambda i: -key[i])


def test_within_language_with_a_flat_reader_changes_nothing():
    base = np.array([3.0, 2.5, 2.0, 1.0])
    assert list(within_language(base, np.zeros(4), np.ones(4, bool))) == [0, 1, 2, 3]


def test_passage_logits_best_sentence_and_a_floor_for_unread_passages():
    out = passage_logits([0, 0, 2], np.array([1.0, 3.0, -2.0]), 4)
    assert out[0] == 3.0 and out[2] == -2.0
    assert out[1] == out[3] == -3.0  # one below the lowest read
    assert list(passage_logits([], np.zeros(0), 2)) == [0.0, 0.0]


class Recorder:
    """A fake reader: a high logit for sentences holding `word`; records what it was asked."""

    def __init__(self, word: str | None = None):
        self.word, self.calls = word, []

    def __call__(self, question, sentences, cos):
        self.calls.append((question, list(sentences), np.asarray(cos)))
        return np.array([50.0 if self.word and self.word in s.lower() else 0.0 for s in sentences])


def rerank(idx, score, sentences=5):
    s = idx.searcher
    p = s.payload
    return ReaderRerank(s.hybrid, score, p.sent_vectors, [c.sents for c in p.chunks], [c.text for c in p.chunks],
                        s.langs, depth=10, sentences=sentences)


def test_reader_rerank_reads_the_closest_sentences_and_keeps_other_languages_in_place(corpus_index):
    idx = corpus_index
    q = Query("election turnout of voters in the village soviets", embed=lambda t: idx.embedder.embed_queries([t])[0])
    plain = idx.searcher.hybrid.search(q, 10)
    flat = Recorder()
    assert [s.row for s in rerank(idx, flat).search(q, 10)] == [s.row for s in plain]
    question, sents, cos = flat.calls[0]
    assert question == q.text and len(sents) == 5
    assert list(cos) == sorted(cos, reverse=True)  # the 5 closest of all the top passages' sentences
    # a reader that loves one sentence of the second passage in the question's language lifts it
    langs = idx.searcher.langs
    same = [i for i, s in enumerate(plain) if langs[s.row] == q.lang]
    target = plain[same[1]].row
    c = idx.payload.chunks[target]
    a, b = c.sents[0][:2]
    word = max(c.text[a:b].lower().split(), key=len)
    got = rerank(idx, Recorder(word), sentences=200).search(q, 10)
    assert sorted(s.row for s in got) == sorted(s.row for s in plain)
    for i, s in enumerate(plain):
        if langs[s.row] != q.lang:
            assert got[i].row == s.row  # other languages keep their places
    assert [s.row for s in got].index(target) <= same[1]
    assert [s.score for s in got] == sorted((s.score for s in got), reverse=True)
    assert len(rerank(idx, flat).search(q, 3)) == 3


def test_reader_is_off_by_default_and_needs_the_default_model(corpus_index):
    assert rag.Settings().reader is False
    assert corpus_index.searcher.default() is corpus_index.searcher.hybrid
    with pytest.raises(QueryError, match="multilingual-e5-small"):
        corpus_index.search("выборы", retriever="hybrid+reader")


def test_reader_on_a_tiny_model_scores_each_pair_by_the_trained_formula(tmp_path):
    from safetensors.numpy import save_file

    tiny_model(tmp_path)
    ad = random_adapter(np.random.default_rng(1))
    save_file(ad, str(tmp_path / "adapter.safetensors"))
    r = Reader(tmp_path, tmp_path / "adapter.safetensors", threads=1)
    assert any(p.name.startswith("reader-") and p.name.endswith("-int8.onnx") for p in (tmp_path / "onnx").iterdir())
    q, sents = "in what year was the tower built ?", ["it is 1889", "the tower is tall", "в каком году"]
    cos = np.array([0.9, 0.8, 0.7])
    v = r.score(q, sents, cos)
    assert v.shape == (3,) and np.isfinite(v).all()
    np.testing.assert_array_equal(v, r.score(q, sents, cos))  # deterministic
    # one pair per run: a sentence's score does not depend on the others asked with it
    np.testing.assert_allclose(r.score(q, sents[:1], cos[:1]), v[:1], rtol=1e-5, atol=1e-5)
    # the cosine term is a * (cos - c0): the same pairs 0.1 higher score a * 0.1 more
    np.testing.assert_allclose(r.score(q, sents, cos + 0.1) - v, 30.0 * 0.1, rtol=1e-4)
    assert len(r.score(q, [], np.zeros(0))) == 0
    assert all(len(ids) <= 96 for ids in r.pairs(q, [" ".join(["tower"] * 300)]))
