"""rag/quantize.py: int8 with one activation scale per token, checked against numpy's
arithmetic on a one-matrix model; the embedder's routing of passages to the document model."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from rag.quantize import exact_int8_kernels, per_token, quantize, smooth

C, N = 48, 40


def linear_model(path, w, b):
    """x [batch, tokens, C] -> x @ w + b, as the exporter writes a feed-forward Linear."""
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"], "/model/encoder/layer.0/intermediate/dense/MatMul"),
         helper.make_node("Add", ["b", "xw"], ["y"], "/model/encoder/layer.0/intermediate/dense/Add")],
        "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", C])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "tokens", N])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def run(path, x):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["y"], {"x": x})[0]


def reference(x, w, b):
    """int8 weights per output column, int8 activations per row (token), exact integer sums."""
    ws = np.abs(w).max(0) / 127
    wq = np.round(w / ws)
    xs = np.abs(x).max(-1, keepdims=True) / 127
    xq = np.round(x / xs)
    return (xq @ wq) * xs * ws + b


@pytest.fixture
def linear(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(C, N)).astype(np.float32)
    b = rng.normal(size=N).astype(np.float32)
    linear_model(tmp_path / "fp32.onnx", w, b)
    quantize(tmp_path / "fp32.onnx", tmp_path / "tok.onnx", per_token_scales=True)
    quantize(tmp_path / "fp32.onnx", tmp_path / "tensor.onnx", per_token_scales=False)
    x = rng.normal(size=(2, 5, C)).astype(np.float32)
    x[1, 3] *= 1000  # one outlier token in the batch
    return tmp_path, x, w, b


# Exact integer sums need VNNI; on an AVX2-only x86 CPU ONNX Runtime's int8 products saturate
# (rag/quantize.py exact_int8_kernels), so the comparison with exact int8 arithmetic cannot hold.
needs_vnni = pytest.mark.skipif(not exact_int8_kernels(), reason="this CPU has no VNNI: ONNX Runtime's int8 "
                                "products saturate (rag/quantize.py exact_int8_kernels)")


@needs_vnni
def test_per_token_is_numpys_per_row_int8(linear):
    folder, x, w, b = linear
    y = run(folder / "tok.onnx", x)
    assert y.shape == (2, 5, N)
    np.testing.assert_allclose(y, reference(x, w, b), rtol=1e-4, atol=1e-3)
    exact = x @ w + b
    err = np.abs(y - exact).max(-1)
    # every token is as exact as its own range allows; per tensor, the outlier's scale
    # flattens the other tokens
    assert err[0].max() < 0.2
    per_tensor = np.abs(run(folder / "tensor.onnx", x) - exact).max(-1)
    assert per_tensor[0].max() > 5 * err[0].max()


def test_per_token_rows_do_not_depend_on_their_batch(linear):
    folder, x, _, _ = linear
    together = run(folder / "tok.onnx", x)
    np.testing.assert_array_equal(run(folder / "tok.onnx", x[:1]), together[:1])
    np.testing.assert_array_equal(run(folder / "tok.onnx", x[:1, :2]), together[:1, :2])
    assert not np.array_equal(run(folder / "tensor.onnx", x[:1]), run(folder / "tensor.onnx", x)[:1])


def test_per_token_rejects_a_graph_it_does_not_know(tmp_path):
    g = helper.make_graph([helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"])], "odd",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                          [helper.make_tensor_value_info("q", TensorProto.UINT8, [2])])
    onnx.save(helper.make_model(g, ir_version=8), str(tmp_path / "odd.onnx"))
    with pytest.raises((ValueError, StopIteration)):
        per_token(tmp_path / "odd.onnx", tmp_path / "out.onnx")
    assert not (tmp_path / "out.onnx").exists()


def test_quantize_leaves_no_file_when_it_fails(tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(Exception):  # noqa: B017 (onnx's own error type for a damaged file)
        quantize(tmp_path / "bad.onnx", tmp_path / "out" / "int8.onnx", per_token_scales=True)
    assert list((tmp_path / "out").iterdir()) == []


@needs_vnni
def test_smoothing_keeps_the_function_and_helps_per_token_int8_with_an_outlier_channel(tmp_path):
    rng = np.random.default_rng(2)
    w = rng.normal(size=(C, N)).astype(np.float32)
    b = np.zeros(N, np.float32)
    x = rng.normal(size=(1, 64, C)).astype(np.float32)
    x[..., 5] *= 60  # one channel far larger than the rest, in every token (as after a LayerNorm)
    linear_model(tmp_path / "fp32.onnx", w, b)
    smooth(tmp_path / "fp32.onnx", tmp_path / "smooth.onnx", {"layer.0.fi": np.abs(x).max((0, 1))})
    exact = x @ w
    np.testing.assert_allclose(run(tmp_path / "smooth.onnx", x), exact, rtol=1e-4, atol=1e-3)
    quantize(tmp_path / "fp32.onnx", tmp_path / "tok.onnx", per_token_scales=True)
    quantize(tmp_path / "smooth.onnx", tmp_path / "smooth-tok.onnx", per_token_scales=True)
    plain = np.abs(run(tmp_path / "tok.onnx", x) - exact).mean()
    smoothed = np.abs(run(tmp_path / "smooth-tok.onnx", x) - exact).mean()
    assert smoothed < plain / 2


def test_smoothing_needs_statistics_for_every_weight_input(tmp_path):
    linear_model(tmp_path / "fp32.onnx", np.ones((C, N), np.float32), np.zeros(N, np.float32))
    with pytest.raises(ValueError, match="fp32.onnx: 1 weight inputs, but the statistics have 2"):
        smooth(tmp_path / "fp32.onnx", tmp_path / "s.onnx", {"layer.0.fi": np.ones(C), "layer.0.fo": np.ones(C)})
    assert not (tmp_path / "s.onnx").exists()


def test_the_shipped_statistics_cover_e5s_48_weight_inputs():
    from rag.quantize import smooth_stats

    stats = smooth_stats()
    assert sorted(stats) == sorted(f"layer.{i}.{g}" for i in range(12) for g in ("qkv", "ao", "fi", "fo"))
    assert all(v.shape == ((1536,) if k.endswith("fo") else (384,)) and (v > 0).all() for k, v in stats.items())


def test_unreadable_statistics_are_a_clear_error(tmp_path):
    from rag.quantize import smooth_stats

    (tmp_path / "s.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(ValueError, match="s.safetensors: cannot read the int8 encoder's calibration"):
        smooth_stats(tmp_path / "s.safetensors")


def embedder_folder(folder):
    """The tiny BERT of test_read as a sentence-transformers folder that OnnxEmbedder reads."""
    from helpers.tiny_bert import tiny_model

    from rag.convert import export_onnx

    tiny_model(folder)
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64}))
    (folder / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": {"query": "query: ", "passage": "passage: "}}))
    from transformers import BertModel

    export_onnx(BertModel.from_pretrained(str(folder)).eval(), folder / "fp32.onnx")
    return folder / "fp32.onnx"


def test_passages_go_through_the_document_model_made_on_first_use(tmp_path):
    from rag.embed import OnnxEmbedder

    fp32 = embedder_folder(tmp_path)
    made = []

    def doc_onnx():
        made.append(1)
        quantize(fp32, tmp_path / "docs.onnx", per_token_scales=True)
        return tmp_path / "docs.onnx"

    emb = OnnxEmbedder(tmp_path, fp32, "tiny", "tiny+docs", threads=1, doc_onnx=doc_onnx)
    plain = OnnxEmbedder(tmp_path, fp32, "tiny", "tiny", threads=1)
    texts = ["in what year was the tower built", "it is 1889 tall"]
    np.testing.assert_array_equal(emb.embed_queries(texts), plain.embed_queries(texts))
    assert made == []  # loading and querying never make the document model
    p = emb.embed_passages(texts)
    assert made == [1]
    assert not np.array_equal(p, plain.embed_passages(texts))  # int8, not the fp32 model
    assert (p * plain.embed_passages(texts)).sum(1).min() > 0.95  # ... of the same function
    np.testing.assert_array_equal(emb.embed_passages(texts[::-1])[::-1], p)  # the batch does not matter
    assert made == [1]  # made once
