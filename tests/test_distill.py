"""research/distill.py: the shallower document encoder's pieces, on a tiny random BERT."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from helpers.tiny_bert import tiny_bert as tiny  # noqa: E402
from research import distill  # noqa: E402
from eval.xquad import DEFAULT_DATA, HELD_OUT  # noqa: E402


def vectors(model, ids, mask):
    with torch.no_grad():
        return distill.pooled(model, ids, mask).numpy()


IDS = torch.tensor([[5, 6, 7, 8, 9], [10, 11, 12, 0, 0]])
MASK = (IDS != 0).long()


def test_lora_starts_as_the_base_model_and_trains_only_its_own_parameters():
    model = tiny()
    before = vectors(model, IDS, MASK)
    params = distill.add_lora(model)
    np.testing.assert_allclose(vectors(model, IDS, MASK), before, atol=1e-6)  # B starts at zero
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert trainable == {id(p) for p in params}
    assert not model.embeddings.word_embeddings.weight.requires_grad
    # per layer: A, B and bias of six matrices, two LayerNorms' weight and bias
    assert len(params) == 4 * (6 * 3 + 4)


def test_kept_layers_run_in_order_and_only_they_run():
    model, ref = tiny(), tiny()
    distill.keep_layers(model, [0, 3])
    two = tiny(2)  # a 2-layer BERT given the 4-layer one's embeddings, then its layers 0 and 3
    two.embeddings.load_state_dict(ref.embeddings.state_dict())
    two.encoder.layer[0].load_state_dict(ref.encoder.layer[0].state_dict())
    two.encoder.layer[1].load_state_dict(ref.encoder.layer[3].state_dict())
    np.testing.assert_allclose(vectors(model, IDS, MASK), vectors(two, IDS, MASK), atol=1e-6)
    assert not np.allclose(vectors(model, IDS, MASK), vectors(ref, IDS, MASK), atol=1e-3)
    assert model.config.num_hidden_layers == 2


def test_adapter_state_round_trips_a_trained_student():
    model = tiny()
    distill.keep_layers(model, [0, 2])
    params = distill.add_lora(model)
    with torch.no_grad():
        for p in params:
            p.add_(torch.randn_like(p) * 0.1)
    trained = vectors(model, IDS, MASK)
    state = distill.adapter_state(model, [0, 2])
    assert state["keep"].tolist() == [0, 2]
    fresh = tiny()
    distill.keep_layers(fresh, [0, 2])
    distill.add_lora(fresh)
    assert not np.allclose(vectors(fresh, IDS, MASK), trained, atol=1e-4)
    distill.load_adapter(fresh, state)
    np.testing.assert_allclose(vectors(fresh, IDS, MASK), trained, atol=1e-6)


class _Tok:
    pad_token_id = 0

    def __call__(self, text, truncation=True, max_length=512):
        return {"input_ids": [1] + [2 + len(w) for w in text.split()][: max_length - 2] + [3]}


def test_batches_cover_every_text_once_within_the_token_budget():
    texts = [" ".join(["w"] * n) for n in (3, 40, 7, 1, 25, 12, 60, 2)]
    seen = []
    for idx, (ids, mask) in distill.batches(_Tok(), texts, budget=128):
        seen += idx
        assert ids.shape == mask.shape and ids.numel() <= 128
        assert mask.sum(1).tolist() == [len(_Tok()("passage: " + texts[i])["input_ids"]) for i in idx]
    assert sorted(seen) == list(range(len(texts)))


@pytest.mark.skipif(not (DEFAULT_DATA / "xquad.en.dev.json").exists(), reason="../shared/xquad absent")
def test_training_texts_never_hold_a_held_out_article():
    train_p, train_s = distill.xquad_texts(DEFAULT_DATA, held_out=False, langs=("en",))
    held_p, held_s = distill.xquad_texts(DEFAULT_DATA, held_out=True, langs=("en",))
    assert train_p and held_p and train_s and held_s
    assert not set(train_p) & set(held_p) and not set(train_s) & set(held_s)
    import json
    d = json.loads((DEFAULT_DATA / "xquad.en.dev.json").read_text(encoding="utf-8"))
    held_paras = [p["context"] for i, a in enumerate(d["data"]) if i in HELD_OUT for p in a["paragraphs"]]
    assert all(any(s in p for p in held_paras) for s in held_s)
