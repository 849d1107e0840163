"""eval/reader_ce.py (issue 13, stage 3): the pieces that do not need the real model."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from eval import reader_ce  # noqa: E402


def tiny_state(seed=0):
    g = torch.Generator().manual_seed(seed)
    shapes = {"attention.self.query": (384, 384), "attention.self.key": (384, 384),
              "attention.self.value": (384, 384), "attention.output.dense": (384, 384),
              "intermediate.dense": (1536, 384), "output.dense": (384, 1536)}
    state = {}
    for layer in range(reader_ce.LOWER, 12):
        pre = f"encoder.layer.{layer}."
        for name, shape in shapes.items():
            state[pre + name + ".weight"] = torch.randn(shape, generator=g) * 0.02
            state[pre + name + ".bias"] = torch.zeros(shape[0])
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            state[pre + ln + ".weight"] = torch.ones(384)
            state[pre + ln + ".bias"] = torch.zeros(384)
    return state


def test_untrained_reader_is_the_cosine_term():
    top = reader_ce.make_top(tiny_state())
    h = torch.randn(3, 7, 384)
    mask = torch.tensor([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5])
    cos = torch.tensor([0.9, 0.8, 0.7])
    out = top(h, mask, cos)
    assert torch.allclose(out, top.cos_a * (cos - top.cos_c))
    assert out[0] > out[1] > out[2]


def test_padding_does_not_change_a_score():
    top = reader_ce.make_top(tiny_state())
    top.head_w.data = torch.randn(384)
    h = torch.randn(1, 5, 384)
    short = top(h, torch.ones(1, 5, dtype=torch.long), torch.tensor([0.5]))
    padded = top(torch.cat([h, torch.randn(1, 3, 384)], 1), torch.tensor([[1] * 5 + [0] * 3]), torch.tensor([0.5]))
    assert torch.allclose(short, padded, atol=1e-5)


def test_adapter_round_trip(tmp_path):
    a = reader_ce.make_top(tiny_state())
    for p in a.parameters():
        p.data += 0.01 * torch.randn_like(p)
    reader_ce.save_adapter(a, tmp_path / "a.safetensors", {"step": 7, "epoch": 1, "log": []})
    b = reader_ce.make_top(tiny_state())
    meta = reader_ce.load_adapter(b, tmp_path / "a.safetensors")
    assert meta["step"] == 7
    h, m, c = torch.randn(2, 4, 384), torch.ones(2, 4, dtype=torch.long), torch.tensor([0.3, 0.6])
    assert torch.allclose(a(h, m, c), b(h, m, c))
    # only the trained tensors travel, never the frozen base weights
    from safetensors.numpy import load_file

    assert not any(k.startswith("w") for k in load_file(str(tmp_path / "a.safetensors")))


def test_swap_name_uses_a_name_the_paragraph_lacks():
    rng = np.random.default_rng(0)
    q = "When did Tesla move to Paris?"
    out = reader_ce.swap_name(q, {"Tesla", "Paris", "Budapest"}, "Tesla moved to Paris in 1882.", rng)
    assert out in ("When did Tesla move to Budapest?", "When did Budapest move to Paris?")
    assert reader_ce.swap_name("when did it happen?", {"Budapest"}, "", rng) is None


def test_length_batches_cover_every_pair_once_within_budget():
    lengths = [5, 90, 12, 40, 40, 7, 96, 3]
    batches = reader_ce.batches_by_length(lengths, budget=120, most=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 3 and max(lengths[i] for i in b) * len(b) <= 120 or len(b) == 1 for b in batches)
