"""The ONNX Runtime backend gives the vectors of the sentence-transformers one (slow: real model)."""
from __future__ import annotations

import numpy as np
import pytest
from test_model_slow import SAMPLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both():
    from rag.embed import OnnxEmbedder, SentenceTransformerEmbedder, load_embedder

    onnx, torch = load_embedder(backend="onnx"), load_embedder(backend="torch")
    assert isinstance(onnx, OnnxEmbedder) and isinstance(torch, SentenceTransformerEmbedder)
    return onnx, torch


def test_same_identity_so_indexes_move_between_backends(both):
    onnx, torch = both
    assert (onnx.name, onnx.fingerprint, onnx.dim) == (torch.name, torch.fingerprint, torch.dim)


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_same_vectors(both, corpus_dir, kind):
    onnx, torch = both
    raw = (corpus_dir / "000_383bcdfe074d5726.txt").read_text(encoding="utf-8")
    # the sample plus a text far over 512 tokens (truncation) in one padded batch
    texts = [s for s in SAMPLE if s.strip()] + [raw[:6000], "a"]
    a, b = onnx.embed(texts, kind), torch.embed(texts, kind)
    assert a.shape == b.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() >= 0.9999


def test_prompts_matter(both):
    onnx, _ = both
    q, p = onnx.embed(["Кто победил?"], "query"), onnx.embed(["Кто победил?"], "passage")
    assert (q @ p.T).item() < 0.999  # "query: " and "passage: " prefixes were applied


def test_unknown_backend_is_a_clear_error():
    from rag.embed import load_embedder

    with pytest.raises(ValueError, match="RAG_BACKEND"):
        load_embedder(backend="tensorflow")


def test_setup_converts_and_exports_the_model_once(tmp_path, monkeypatch, capsys):
    """scripts/setup.sh runs `python -m rag.convert`, so no first question waits for it."""
    from rag import convert

    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path))
    assert convert.main() == 0
    folder = tmp_path / f"{convert.MODEL_NAME}-q4-v{convert._CONVERTER_VERSION}"
    assert (folder / convert.ONNX_FILE).exists() and (folder / "model.safetensors").exists()
    assert "model: ready" in capsys.readouterr().err
    assert convert.main() == 0  # second time: nothing to do, nothing said
    assert capsys.readouterr().err == ""
