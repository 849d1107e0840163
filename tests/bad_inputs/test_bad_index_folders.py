"""Bad index folders: damaged files, wrong manifests, read-only folders and file systems,
a full disk at each step of a write.

The rule of every bad-input test, and the fixtures: this folder's conftest.py.
"""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
from helpers.checks import disk_state, state
from helpers.docs import DOC_A, DOC_B, SMALL, write
from helpers.fakes import FakeEmbedder

import rag
import rag.generation
from rag import store


# ================================================================ index folders
def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_chunk_file_with_a_missing_line(idx):
    folder = idx.folder
    name = _manifest(folder)["data"]["chunks"]["name"]
    lines = (folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / name).write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(folder, model=FakeEmbedder())
    assert name in str(e.value) and "corrupt" in str(e.value) and "rebuild" in str(e.value)
    # the same with the checksum "fixed": the record count no longer matches the vectors
    m = _manifest(folder)
    m["data"]["chunks"]["sha256"] = store.sha256_file(folder / name)
    (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(rag.IndexFormatError, match="chunk records and vectors disagree; rebuild"):
        rag.load(folder, model=FakeEmbedder())


@pytest.mark.parametrize("change, words", [
    ({"data": []}, "data"),
    ({"data": {"chunks": "chunks.000001.jsonl"}}, "data.chunks"),
    ({"model": None}, "model"),
    ({"files": []}, "files"),
    ({"dim": "384"}, "dim"),
    ({"generation": None}, "generation"),
    ({"settings": "default"}, "settings"),
])
def test_manifest_with_fields_of_the_wrong_type(idx, change, words):
    """Bug found here: valid JSON with a wrong-typed field crashed load() with AttributeError or
    TypeError (or loaded, and failed later); now a clear IndexFormatError naming the field."""
    # invalid JSON and a non-object: index/test_index_load.py::test_load_invalid_json, test_load_manifest_not_an_object
    m = _manifest(idx.folder)
    m.update(change)
    (idx.folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(idx.folder, model=FakeEmbedder())
    assert "wrong type" in str(e.value) and words in str(e.value) and "rebuild" in str(e.value)


def test_manifest_missing_a_field(idx):
    m = _manifest(idx.folder)
    del m["dim"]
    (idx.folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(rag.IndexFormatError, match="missing fields.*dim.*rebuild"):
        rag.load(idx.folder, model=FakeEmbedder())


def test_older_format_version(idx):
    # any other version: index/test_index_load.py::test_load_other_format_version
    m = _manifest(idx.folder)
    m["format_version"] = 0
    (idx.folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    with pytest.raises(rag.IndexFormatError, match="index format 0, this version reads format 1; rebuild"):
        rag.load(idx.folder, model=FakeEmbedder())


def test_read_only_index_folder_loads_and_answers(idx):
    before = state(idx)
    mode = idx.folder.stat().st_mode
    idx.folder.chmod(0o555)
    try:
        assert state(rag.load(idx.folder, model=FakeEmbedder())) == before
    finally:
        idx.folder.chmod(mode)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_index_folder_refuses_updates(idx, tmp_path):
    before = disk_state(idx.folder)
    mode = idx.folder.stat().st_mode
    idx.folder.chmod(0o555)
    try:
        with pytest.raises(rag.IndexFormatError, match="read-only"):
            idx.add([write(tmp_path / "new", "d.txt", DOC_B.replace("1928", "1929"))])
    finally:
        idx.folder.chmod(mode)
    assert disk_state(idx.folder) == before and state(idx) == before[2]


def _fail(err: int):
    def raiser(*a, **k):
        raise OSError(err, os.strerror(err))
    return raiser


def _fsync_write_fails_on(prefix: str, err: int):
    real = store._fsync_write

    def fsync_write(path, data):
        if path.name.startswith(prefix):
            with open(path, "wb") as f:  # half written, then the disk refuses the rest
                f.write(data[: len(data) // 2])
            raise OSError(err, os.strerror(err))
        return real(path, data)
    return fsync_write


def _where(monkeypatch, where: str, err: int) -> None:
    """Make one step of store.write fail with `err`, as a full disk or read-only file system does."""
    if where == "chunks":
        monkeypatch.setattr(store, "_fsync_write", _fsync_write_fails_on("chunks.", err))
    elif where == "vectors":
        monkeypatch.setattr(store.np, "save", _fail(err))
    elif where == "faiss":  # the real thing: FAISS writing to /dev/full gets ENOSPC
        real = rag.generation.faiss_write
        monkeypatch.setattr(rag.generation, "faiss_write", lambda index, path: real(index, Path("/dev/full")))
    elif where == "bm25":
        from rag.retrieve.lexical import LexicalRetriever

        real_save = LexicalRetriever.save

        def save(self, shard, path):
            real_save(self, shard, path)
            raise OSError(err, os.strerror(err))
        monkeypatch.setattr(LexicalRetriever, "save", save)
    elif where == "manifest":
        monkeypatch.setattr(store, "_fsync_write", _fsync_write_fails_on(".manifest", err))


@pytest.mark.parametrize("where", ["chunks", "vectors", "faiss", "bm25", "manifest"])
@pytest.mark.parametrize("op", ["add", "remove", "build"])
def test_disk_full_while_writing(idx, docs, tmp_path, monkeypatch, where, op):
    """ENOSPC at each step of writing a new generation: a clear error, the previous index on
    disk and in memory unchanged, this generation's partial files removed, a retry works.
    Bug found here: FAISS reports a failed write as RuntimeError, which escaped store.write
    uncaught, leaving partial files and an unclear error; now handled like OSError."""
    if where == "faiss" and not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    before = disk_state(idx.folder)
    new = write(tmp_path / "new", "d.txt", DOC_B.replace("1928", "1929").replace("farms", "kolkhozes"))
    with monkeypatch.context() as mp:
        _where(mp, where, errno.ENOSPC)
        with pytest.raises(rag.IndexFormatError) as e:
            if op == "add":
                idx.add([new])
            elif op == "remove":
                idx.remove("b.md")
            else:
                rag.build([docs, new], idx.folder, model=FakeEmbedder(), settings=SMALL)
    msg = str(e.value)
    assert "No space left on device" in msg and "previous index is unchanged" in msg, msg
    assert disk_state(idx.folder) == before  # same generation, same files (no partial ones), same results
    assert state(idx) == before[2]  # the loaded index too
    # space again: the retry works
    if op == "add":
        assert idx.add([new]).indexed == ("d.txt",)
    elif op == "remove":
        assert idx.remove("b.md").removed == ("b.md",)
    else:
        assert len(rag.build([docs, new], idx.folder, model=FakeEmbedder(), settings=SMALL).documents()) == 4
    assert _manifest(idx.folder)["generation"] == before[0] + 1


def test_read_only_file_system_while_writing(idx, tmp_path, monkeypatch):
    """EROFS (a read-only mount: what a read-only folder is even for root) while writing."""
    before = disk_state(idx.folder)
    monkeypatch.setattr(store, "_fsync_write", _fsync_write_fails_on("chunks.", errno.EROFS))
    with pytest.raises(rag.IndexFormatError, match="Read-only file system; the previous index is unchanged"):
        idx.add([write(tmp_path / "new", "d.txt", DOC_B.replace("1928", "1929"))])
    assert disk_state(idx.folder) == before and state(idx) == before[2]


def test_index_folder_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    f = write(tmp_path / "docs", "a.txt", DOC_A)
    with pytest.raises(rag.IndexFormatError, match="cannot create the index folder"):
        rag.build([f], blocker / "idx", model=FakeEmbedder())


def test_vectors_file_swapped_for_another_array(idx):
    """A .npy of the right size but other numbers: the checksum catches it."""
    name = _manifest(idx.folder)["data"]["chunk_vectors"]["name"]
    arr = np.load(idx.folder / name)
    np.save(idx.folder / name, arr[::-1].copy())
    with pytest.raises(rag.IndexFormatError, match="corrupt"):
        rag.load(idx.folder, model=FakeEmbedder())
