"""The ONNX Runtime backend gives the vectors of the sentence-transformers one (slow: real model)."""
from __future__ import annotations

import numpy as np
import pytest
from helpers.docs import SAMPLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both():
    from rag.embed import OnnxEmbedder, SentenceTransformerEmbedder, load_embedder

    onnx, torch = load_embedder(backend="onnx", docs="fp32"), load_embedder(backend="torch")
    assert isinstance(onnx, OnnxEmbedder) and isinstance(torch, SentenceTransformerEmbedder)
    return onnx, torch


def test_same_identity_so_indexes_move_between_backends(both):
    onnx, torch = both
    assert (onnx.name, onnx.fingerprint, onnx.dim) == (torch.name, torch.fingerprint, torch.dim)


def texts(corpus_dir):
    raw = (corpus_dir / "000_383bcdfe074d5726.txt").read_text(encoding="utf-8")
    # the sample plus a text far over 512 tokens (truncation) in one padded batch
    return [s for s in SAMPLE if s.strip()] + [raw[:6000], "a"]


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_same_vectors(both, corpus_dir, kind):
    onnx, torch = both
    t = texts(corpus_dir)
    a, b = onnx.embed(t, kind), torch.embed(t, kind)
    assert a.shape == b.shape == (len(t), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() >= 0.9999


@pytest.fixture(scope="module")
def int8_docs():
    from rag.embed import load_embedder

    return load_embedder(docs="int8")


def test_int8_documents_questions_in_fp32(both, int8_docs, corpus_dir):
    """RAG_DOCS=int8: the documents through rag/quantize.py's model, within 0.3 % of fp32 (the
    retrieval figures it was judged by: research/README.md, `python -m research.int8`); questions unchanged;
    the index records which, so it never mixes with an fp32 one."""
    onnx, _ = both
    t = texts(corpus_dir)
    assert int8_docs.fingerprint == onnx.fingerprint + "+int8tok1"
    np.testing.assert_array_equal(int8_docs.embed(t, "query"), onnx.embed(t, "query"))
    a, b = int8_docs.embed(t, "passage"), onnx.embed(t, "passage")
    assert 0.997 <= (a * b).sum(axis=1).min() and not np.array_equal(a, b)
    # a document's vector does not depend on the rest of its batch
    np.testing.assert_array_equal(np.vstack([int8_docs.embed([x], "passage") for x in t]), a)


@pytest.fixture(scope="module")
def student_docs():
    from rag.embed import load_embedder

    return load_embedder(docs="student")


def test_student_documents_questions_on_e5(both, student_docs, corpus_dir):
    """The default (RAG_DOCS=student): documents through e5's 10-layer student in int8
    (rag/student.py; judged by the paired rule on 3,779 questions, its corpus cosine 0.989 in
    the model card), questions through e5 fp32 itself, unchanged."""
    onnx, _ = both
    t = texts(corpus_dir)
    assert student_docs.fingerprint == onnx.fingerprint + "+s10int8tok1"
    np.testing.assert_array_equal(student_docs.embed(t, "query"), onnx.embed(t, "query"))
    a, b = student_docs.embed(t, "passage"), onnx.embed(t, "passage")
    cos = (a * b).sum(axis=1)
    assert cos.mean() >= 0.985 and cos.min() >= 0.97, cos
    # still a document's own vector, whatever else is in its batch (per-token int8)
    np.testing.assert_array_equal(np.vstack([student_docs.embed([x], "passage") for x in t]), a)
    # a question finds its passage among the sample as it does with e5's own documents
    q = onnx.embed(["What was the turnout in 1924?", "Кто победил?"], "query")
    np.testing.assert_array_equal((q @ a.T).argmax(1), (q @ b.T).argmax(1))


def test_an_int8_index_loads_and_grows_with_its_own_encoder(int8_docs, tmp_path, monkeypatch):
    """An index built with e5's int8 documents (the default before the student) keeps them."""
    import rag

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Выборы 1924 года прошли в ноябре.", encoding="utf-8")
    idx = rag.build([tmp_path / "docs"], tmp_path / "index", model=int8_docs)
    assert idx.embedder.fingerprint.endswith("+int8tok1")
    monkeypatch.delenv("RAG_DOCS", raising=False)
    loaded = rag.load(tmp_path / "index")  # no RAG_DOCS: the manifest says which encoder
    assert loaded.embedder.fingerprint == int8_docs.fingerprint
    (tmp_path / "docs" / "b.txt").write_text("The turnout in 1924 was low.", encoding="utf-8")
    loaded.add([tmp_path / "docs" / "b.txt"])
    assert loaded.search("turnout 1924", k=1)[0].source.endswith("b.txt")


def test_int8_documents_only_for_the_default_model_on_onnx(monkeypatch):
    """The student is the default where the model has one; torch encodes in fp32 and says so."""
    from rag.embed import e5_fingerprint, load_embedder

    monkeypatch.delenv("RAG_DOCS", raising=False)
    assert load_embedder(backend="torch", docs="int8").fingerprint == e5_fingerprint()
    assert load_embedder(backend="torch", docs="student").fingerprint == e5_fingerprint()
    assert load_embedder().fingerprint == e5_fingerprint("s10int8tok1")
    monkeypatch.setenv("RAG_DOCS", "int8")
    assert load_embedder().fingerprint == e5_fingerprint("int8tok1")
    monkeypatch.setenv("RAG_DOCS", "fp32")
    assert load_embedder().fingerprint == e5_fingerprint()
    with pytest.raises(ValueError, match="RAG_DOCS must be one of 'student', 'int8', 'fp32'"):
        load_embedder(docs="int4")


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


def test_an_fp32_index_keeps_working_and_says_what_it_is(tmp_path, monkeypatch, capsys):
    """Settings(docs="fp32") opts out of the int8 student default: recorded in the settings and the
    fingerprint, loaded and grown with fp32, and `rag info` names it; an index written before
    Settings.docs existed (no "docs" in its manifest) is read as what its fingerprint says."""
    import json

    import rag
    from rag.cli import main
    from rag.embed import e5_fingerprint

    monkeypatch.delenv("RAG_DOCS", raising=False)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Выборы 1924 года прошли в ноябре.", encoding="utf-8")
    rag.build([tmp_path / "docs"], tmp_path / "index", settings=rag.Settings(docs="fp32"))
    manifest = tmp_path / "index" / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    assert m["settings"]["docs"] == "fp32" and m["model"]["fingerprint"] == e5_fingerprint()
    del m["settings"]["docs"]  # as an index of an earlier version wrote it
    manifest.write_text(json.dumps(m), encoding="utf-8")
    loaded = rag.load(tmp_path / "index")
    assert loaded.settings.docs == "fp32" and loaded.embedder.fingerprint == e5_fingerprint()
    (tmp_path / "docs" / "b.txt").write_text("The turnout in 1924 was low.", encoding="utf-8")
    loaded.add([tmp_path / "docs" / "b.txt"])
    assert loaded.search("turnout 1924", k=1)[0].source.endswith("b.txt")
    assert main(["info", "--index", str(tmp_path / "index")]) == 0
    assert "(fp32 documents)" in capsys.readouterr().out


def test_info_names_the_shipped_index_s_document_encoder(capsys):
    from rag import seed
    from rag.cli import main

    assert main(["info", "--index", str(seed.SEED)]) == 0
    assert "(int8 student documents)" in capsys.readouterr().out
