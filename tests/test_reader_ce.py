"""research/recipes/reader_ce.py (issue 13, stage 3): the pieces that do not need the real model."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from research.recipes import reader_ce  # noqa: E402


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


def test_cloze_blanks_a_number_or_name_and_a_word():
    rng = np.random.default_rng(0)
    text = "In 1922 the Politburo discussed the grain procurement plan."
    spans = reader_ce.blanks(text, rng)
    assert [(text[a:b], kind) for a, b, kind in spans][0] == ("1922", 0)  # a year: "which year"
    word = text[spans[1][0]:spans[1][1]]
    assert spans[1][2] == 3 and len(word) >= 5 and word.islower()
    named = reader_ce.blanks("The treaty was signed by Molotov and Ribbentrop.", rng)
    assert named[0][2] == 2 and "The treaty was signed by Molotov and Ribbentrop."[named[0][0]:named[0][1]] in (
        "Molotov", "Ribbentrop")


def test_cloze_pairs_only_mutual_nearest_sentences():
    sv = np.eye(4, dtype=np.float32)
    sv[3] = sv[0] * 0.95 + sv[1] * 0.31  # ru row 3 is closest to en row 0, but en row 0's closest is row 2
    sv[2] = sv[0]
    sents = {("en", 0): [(0, 1, 0), (1, 2, 1)], ("ru", 0): [(0, 1, 2), (1, 2, 3)]}
    assert reader_ce.aligned(sents, sv, 0) == [(0, 2)]  # en row 1's closest (row 3) prefers row 0
    assert reader_ce.aligned(sents, sv, 1) == []
