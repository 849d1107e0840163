"""The ONNX embedder's batching by rows and padded tokens (pure; no model)."""
from __future__ import annotations

from types import SimpleNamespace

from rag.embed import OnnxEmbedder


def batches(lengths, batch=32, budget=512):
    return OnnxEmbedder._batches(SimpleNamespace(batch=batch, token_budget=budget), lengths)


def test_every_row_once_in_order():
    lengths = [5, 40, 40, 300, 510, 512, 3, 3]
    got = batches(lengths)
    assert [i for b in got for i in b] == list(range(len(lengths)))


def test_padded_tokens_stay_within_budget_unless_one_row_alone_exceeds_it():
    lengths = [40] * 30 + [300, 300, 512, 512]
    for b in batches(lengths):
        assert len(b) == 1 or max(lengths[i] for i in b) * len(b) <= 512
    assert [len(b) for b in batches([512, 512, 512])] == [1, 1, 1]
    assert batches([600]) == [[0]]  # a row longer than the budget still goes alone


def test_short_rows_are_capped_by_batch():
    assert [len(b) for b in batches([10] * 70, batch=32)] == [32, 32, 6]
