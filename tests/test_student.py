"""rag/student.py: the document student's shipped deltas, read and added to a model (a tiny
random BERT here; the real one in tests/test_onnx_slow.py), and which encoder an index asks for."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rag import student
from rag.embed import check_docs, docs_encoder, docs_fingerprint, e5_fingerprint
from rag.settings import Settings

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from helpers.tiny_bert import tiny_bert  # noqa: E402


def tiny():
    return tiny_bert(3)


def write_packed(path, keep, tensors):
    from safetensors.numpy import save_file

    save_file(tensors, str(path), metadata={"student": json.dumps({"keep": keep})})
    return path


def test_apply_cuts_the_layers_and_adds_the_unpacked_deltas(tmp_path):
    base, model = tiny(), tiny()
    q = np.arange(-8, 8, dtype=np.int8).reshape(1, 16).repeat(16, 0)  # row r: q * scale[r]
    scale = np.linspace(0.001, 0.016, 16, dtype=np.float32)
    bias = np.full(16, 0.5, np.float32)
    path = write_packed(tmp_path / "s.safetensors", [0, 2],
                        {"layer1.q.w.int8": q, "layer1.q.w.scale": scale, "layer0.oln.b": bias})
    student.apply(model, path)
    assert len(model.encoder.layer) == 2 and model.config.num_hidden_layers == 2
    want = base.encoder.layer[2].attention.self.query.weight.detach().numpy() + q * scale[:, None]
    np.testing.assert_allclose(model.encoder.layer[1].attention.self.query.weight.detach().numpy(), want, atol=1e-6)
    np.testing.assert_allclose(model.encoder.layer[0].output.LayerNorm.bias.detach().numpy(),
                               base.encoder.layer[0].output.LayerNorm.bias.detach().numpy() + 0.5, atol=1e-6)
    # untouched weights stay e5's own
    np.testing.assert_array_equal(model.encoder.layer[1].attention.self.key.weight.detach().numpy(),
                                  base.encoder.layer[2].attention.self.key.weight.detach().numpy())


@pytest.mark.parametrize("tensors, error", [
    ({"layer2.q.b": np.zeros(16, np.float32)}, "'layer2.q.b' names no weight of a 2-layer student"),
    ({"layer0.qq.b": np.zeros(16, np.float32)}, "'layer0.qq.b' names no weight"),
    ({"layer0.fi.b": np.zeros(16, np.float32)}, "'layer0.fi.b' has 16 values, the model's weight 32"),
])
def test_deltas_of_another_model_are_refused_by_name(tmp_path, tensors, error):
    path = write_packed(tmp_path / "s.safetensors", [0, 1], tensors)
    with pytest.raises(ValueError, match=error):
        student.apply(tiny(), path)


def test_research_pack_is_what_the_product_reads(tmp_path):
    """research.distill_gpu pack (int8 rows) read back by rag/student.deltas within a row's step."""
    from safetensors.torch import save_file

    from research.distill_gpu import cmd_pack

    trained = tmp_path / "student-A"
    trained.mkdir()
    (trained / "student.json").write_text(json.dumps({"keep": [0, 2]}))
    torch.manual_seed(1)
    d = {"layer0.fi.w": torch.randn(32, 16) * 0.01, "layer1.aln.w": torch.randn(16) * 0.01}
    save_file({k: v.half() for k, v in d.items()}, str(trained / "delta0.safetensors"))
    cmd_pack(trained, tmp_path / "packed.safetensors")
    back = student.deltas(tmp_path / "packed.safetensors")
    assert student.info(tmp_path / "packed.safetensors")["keep"] == [0, 2]
    assert set(back) == set(d)
    w = d["layer0.fi.w"].half().float().numpy()
    step = np.abs(w).max(1, keepdims=True) / 127
    assert np.all(np.abs(back["layer0.fi.w"] - w) <= step / 2 + 1e-7)
    np.testing.assert_allclose(back["layer1.aln.w"], d["layer1.aln.w"].half().float().numpy())


def test_the_shipped_student_is_whole():
    """Every matrix, bias and LayerNorm of each of its 10 layers, in e5-small's shapes."""
    keep = student.info()["keep"]
    assert keep == [0, 1, 2, 4, 6, 7, 8, 9, 10, 11]
    d = student.deltas()
    shapes = {"q": (384, 384), "k": (384, 384), "v": (384, 384), "ao": (384, 384), "fi": (1536, 384),
              "fo": (384, 1536), "aln": (384,), "oln": (384,)}
    want = {f"layer{i}.{p}.{k}" for i in range(len(keep)) for p in shapes for k in "wb"}
    assert set(d) == want
    for key, v in d.items():
        _, part, kind = key.split(".")
        assert v.shape == (shapes[part] if kind == "w" else shapes[part][:1]), key
        assert v.dtype == np.float32 and np.isfinite(v).all() and np.abs(v).max() < 1.0, key


def test_an_index_asks_for_the_encoder_its_fingerprint_names():
    assert docs_fingerprint("student") == e5_fingerprint("s10int8tok1")
    assert docs_fingerprint("int8") == e5_fingerprint("int8tok1")
    assert docs_fingerprint("fp32") == e5_fingerprint()
    for docs in ("student", "int8", "fp32"):
        assert docs_encoder(docs_fingerprint(docs)) == docs
    assert docs_encoder(None) == docs_encoder("some-other-model") == "fp32"


def test_the_student_is_the_default_and_a_wrong_name_is_refused():
    assert Settings().docs == "student"
    with pytest.raises(ValueError, match="docs must be one of 'student', 'int8', 'fp32', not 'int4'"):
        Settings(docs="int4")
    with pytest.raises(ValueError, match="RAG_DOCS must be one of"):
        check_docs("fp16")
