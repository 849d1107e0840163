"""Loading an index folder that is missing, of another format or model, or damaged: a clear
IndexFormatError that says to rebuild; and what a rewrite leaves on disk."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.docs import SMALL
from helpers.fakes import FakeEmbedder

import rag
from rag import store


# ------------------------------------------------------------ bad index folders
@pytest.fixture
def built(files, tmp_path) -> Path:
    folder = tmp_path / "idx"
    rag.build([files["a"], files["b"]], folder, model=FakeEmbedder(), settings=SMALL)
    return folder


def _edit_manifest(folder: Path, **changes) -> None:
    p = folder / "manifest.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d.update(changes)
    p.write_text(json.dumps(d), encoding="utf-8")


def test_load_missing_folder(tmp_path):
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(tmp_path / "nowhere", model=FakeEmbedder())
    assert "rag index" in str(e.value) and "nowhere" in str(e.value)


def test_load_other_format_version(built):
    _edit_manifest(built, format_version=99)
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=FakeEmbedder())
    assert "format 99" in str(e.value) and "rebuild" in str(e.value)


def test_load_other_model_name(built):
    m = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    _edit_manifest(built, model={**m["model"], "name": "other-model"})
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=FakeEmbedder())
    msg = str(e.value)
    assert "other-model" in msg and "fake-hash" in msg and "rag index" in msg


def test_load_other_weights(built):
    class Other(FakeEmbedder):
        fingerprint = "fake-hash-v2"

    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=Other())
    assert "different weights" in str(e.value) and "fake-hash-v1" in str(e.value)


def test_load_other_dimension(built):
    class Narrow(FakeEmbedder):
        dim = 128

    with pytest.raises(rag.IndexFormatError, match="dim 256"):
        rag.load(built, model=Narrow())


def test_load_invalid_json(built):
    (built / "manifest.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=FakeEmbedder())
    assert "not valid JSON" in str(e.value) and "rebuild" in str(e.value)


def test_load_manifest_not_an_object(built):
    (built / "manifest.json").write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(rag.IndexFormatError, match="format"):
        rag.load(built, model=FakeEmbedder())


@pytest.mark.parametrize("role", ["chunks", "chunk_vectors", "sent_vectors", "faiss"])
def test_load_truncated_data_file(built, role):
    name = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["data"][role]["name"]
    p = built / name
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=FakeEmbedder())
    assert name in str(e.value) and "corrupt" in str(e.value) and "rebuild" in str(e.value)


def test_load_missing_data_file(built):
    name = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["data"]["chunks"]["name"]
    (built / name).unlink()
    with pytest.raises(rag.IndexFormatError, match="missing"):
        rag.load(built, model=FakeEmbedder())


def test_rebuild_leaves_only_current_generation(built, files):
    idx = rag.load(built, model=FakeEmbedder())
    idx.add([files["c"]])
    names = sorted(p.name for p in built.iterdir())
    m = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    assert names == sorted(["manifest.json", store.LOCK_FILE] + [d["name"] for d in m["data"].values()])
    assert rag.load(built, model=FakeEmbedder()).documents() == idx.documents()


@pytest.mark.parametrize("field", ["words", "names"])
def test_load_corrupt_bm25_index(built, field):
    name = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["data"][f"bm25_{field}"]["name"]
    f = sorted((built / name).glob("*.npy"))[0]
    f.write_bytes(f.read_bytes()[:10])
    with pytest.raises(rag.IndexFormatError, match="corrupt"):
        rag.load(built, model=FakeEmbedder())


def test_bm25_is_loaded_from_disk_not_rebuilt(built, monkeypatch):
    from rag.retrieve.lexical import LexicalRetriever

    def refuse(*a, **k):
        raise AssertionError("BM25 rebuilt at load time")

    monkeypatch.setattr(LexicalRetriever, "build", refuse)
    idx = rag.load(built, model=FakeEmbedder())
    assert idx.search("выборы 1924", k=3, retriever="bm25")
