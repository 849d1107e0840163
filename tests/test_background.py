"""Indexing in parts and in the background (Index.fill, rag/background.py): every part is a
complete, searchable index; the end equals a one-shot build; a fill cut short is taken up
again; unchanged files are recognised by their hash without being read."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from helpers.checks import same_as_fresh_build
from helpers.docs import SMALL, TEXTS
from helpers.fakes import FakeEmbedder

import rag
from rag import background, writer
from rag.writer import in_parts, once


def write_docs(folder: Path, n: int = 5) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):  # d0 is the largest, d4 the smallest
        (folder / f"d{i}.txt").write_text(TEXTS[i % len(TEXTS)] + " Дополнение." * (40 - 8 * i), encoding="utf-8")
    return folder


def test_parts_go_smallest_first_doubling(tmp_path):
    files = []
    for i, size in enumerate([50, 10, 40, 30, 20, 60, 70]):
        (tmp_path / f"f{i}").write_bytes(b"x" * size)
        files.append((tmp_path / f"f{i}", f"f{i}"))
    parts = in_parts(files)
    assert [[s for _, s in p] for p in parts] == [["f1"], ["f4"], ["f3", "f2"], ["f0", "f5", "f6"]]
    assert in_parts([]) == []
    assert [len(p) for p in in_parts(files * 3)] == [1, 1, 2, 4, 8, 5]


def test_once_reports_repeats():
    skipped = []
    assert once([("a", "x"), ("b", "y"), ("c", "x")], skipped) == [("a", "x"), ("b", "y")]
    assert skipped == [("x", "given twice")]


def test_fill_is_searchable_after_each_part_and_ends_as_a_build(tmp_path):
    docs = write_docs(tmp_path / "docs")
    idx = rag.Index.create(tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    assert idx.search("выборы", k=3) == [] and not idx.ask("выборы").found  # empty, before the first part
    seen = []

    def progress(stage, done, total):
        if stage == "files":  # a part was committed: it is on disk and in the searcher already
            on_disk = rag.load(tmp_path / "index", model=FakeEmbedder()) if done else None
            seen.append((done, total, sorted(d.source for d in idx.documents()),
                         sorted(on_disk.payload.manifest.files) if on_disk else []))

    report = idx.fill([docs], progress=progress, replace_all=True)
    assert [(d, t) for d, t, *_ in seen] == [(0, 5), (1, 5), (2, 5), (4, 5), (5, 5)]
    assert [s[2] for s in seen][1:3] == [["d4.txt"], ["d3.txt", "d4.txt"]]  # smallest first
    assert all(mem == disk for *_, mem, disk in seen[1:])
    assert sorted(report.indexed) == [f"d{i}.txt" for i in range(5)] and not report.skipped
    same_as_fresh_build(idx, docs, tmp_path)


def test_fill_replaces_an_old_index_only_when_a_part_is_done(tmp_path):
    docs = write_docs(tmp_path / "docs", 2)
    old = tmp_path / "old"
    old.mkdir()
    (old / "x.txt").write_text("Совсем другой документ о погоде.", encoding="utf-8")
    idx = rag.build([old], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.txt").write_bytes(b"")  # the first part indexes nothing ...
    idx.fill([tmp_path / "bad" / "a.txt", docs], replace_all=True)
    # ... so the second one still replaces the old index rather than adding to it
    assert sorted(d.source for d in idx.documents()) == ["d0.txt", "d1.txt"]


def test_fill_of_nothing_says_why(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_bytes(b"")
    idx = rag.Index.create(tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    with pytest.raises(rag.IndexFormatError, match="nothing to index.*a.txt: empty file"):
        idx.fill([tmp_path / "docs"], replace_all=True)


def test_sync_is_not_done_in_parts(tmp_path):
    w = rag.Index.create(tmp_path / "index", model=FakeEmbedder(), settings=SMALL)._writer
    with pytest.raises(ValueError, match="sync runs in one part"):
        w.update([tmp_path], sync=True, on_commit=lambda: None)


def test_unchanged_files_are_not_read_again(tmp_path, monkeypatch):
    docs = write_docs(tmp_path / "docs", 3)
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    (docs / "d1.txt").write_text("Изменённый документ о выборах 1927 года.", encoding="utf-8")
    read = []
    real = writer.read_document
    monkeypatch.setattr(writer, "read_document", lambda p, s, **kw: (read.append(s), real(p, s, **kw))[1])
    report = idx.add([docs])
    assert read == ["d1.txt"] and report.indexed == ("d1.txt",)
    assert sorted(report.unchanged) == ["d0.txt", "d2.txt"]


class GatedEmbedder(FakeEmbedder):
    """Waits at every passage batch after the first part until the gate opens."""

    def __init__(self):
        super().__init__()
        self.gate, self.batches = threading.Event(), 0

    def embed(self, texts, kind):
        if kind == "passage":
            self.batches += 1
            if self.batches > 1:
                assert self.gate.wait(60), "the test never opened the gate"
        return super().embed(texts, kind)


def test_background_fill_answers_from_what_is_done(tmp_path):
    docs = write_docs(tmp_path / "docs", 3)
    emb = GatedEmbedder()
    idx = rag.Index.create(tmp_path / "index", model=emb, settings=SMALL)
    f = background.fill(idx, [docs], replace_all=True)
    assert background.fill(idx, [docs]) is f  # one fill per folder
    try:
        for _ in range(600):
            if f.state().documents == 1:
                break
            threading.Event().wait(0.05)
        s = f.state()
        assert (s.documents, s.files_done, s.files_total, s.finished) == (1, 1, 3, False)
        assert background.running(tmp_path / "index") is f
        assert background.pending(tmp_path / "index") == [str(docs)]  # the marker names the paths
        assert {h.source for h in idx.search("Дополнение", k=10)} == {"d2.txt"}  # the smallest, done
    finally:
        emb.gate.set()
    s = f.wait(60)
    assert s.finished and s.error is None and s.files_done == 3 and s.documents == 3
    assert sorted(s.report.indexed) == ["d0.txt", "d1.txt", "d2.txt"]
    assert background.running(tmp_path / "index") is None and background.last(tmp_path / "index") is f
    assert background.pending(tmp_path / "index") is None  # finished: nothing to take up


def test_a_fill_cut_short_is_taken_up_again(tmp_path):
    docs = write_docs(tmp_path / "docs", 4)

    class Failing(FakeEmbedder):
        calls = 0

        def embed(self, texts, kind):
            if kind == "passage":
                Failing.calls += 1
                if Failing.calls == 3:
                    raise RuntimeError("out of memory (simulated)")
            return super().embed(texts, kind)

    idx = rag.Index.create(tmp_path / "index", model=Failing(), settings=SMALL)
    s = background.fill(idx, [docs], replace_all=True).wait(60)
    assert s.finished and "out of memory" in s.error and s.report is None
    done = sorted(d.source for d in idx.documents())
    assert done == ["d2.txt", "d3.txt"]  # the first two parts, committed before the failure
    assert background.pending(tmp_path / "index") == [str(docs)]
    # the next start: the saved (partial) index loads, and the marker says what to take up
    again = rag.load(tmp_path / "index", model=FakeEmbedder())
    assert sorted(d.source for d in again.documents()) == done
    s = background.fill(again, background.pending(tmp_path / "index")).wait(60)
    assert s.error is None and sorted(s.report.unchanged) == done
    assert sorted(s.report.indexed) == ["d0.txt", "d1.txt"]
    same_as_fresh_build(again, docs, tmp_path)


def test_a_marker_is_void_once_something_else_wrote(tmp_path):
    """A fill cut short, then the folder rebuilt with the CLI: the next start must not add
    the old fill's files to the new index."""
    docs = write_docs(tmp_path / "docs", 2)
    idx = rag.Index.create(tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    idx.fill([docs], replace_all=True)
    gen = idx.payload.manifest.generation
    background._write_marker(tmp_path / "index", [str(docs)], gen)  # as a fill cut after this commit
    assert background.pending(tmp_path / "index") == [str(docs)]
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("Совсем другой документ о погоде.", encoding="utf-8")
    rag.build([other], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    assert background.pending(tmp_path / "index") is None
    background._write_marker(tmp_path / "index", [str(docs)], None)  # cut before its first commit
    assert background.pending(tmp_path / "index") is None


def test_a_foreign_marker_is_ignored(tmp_path):
    docs = write_docs(tmp_path / "docs", 1)
    folder = tmp_path / "index"
    gen = rag.build([docs], folder, model=FakeEmbedder(), settings=SMALL).payload.manifest.generation
    for text in ["", "not json", json.dumps([1]), json.dumps({"paths": ["x"]}),
                 json.dumps({"paths": "x", "generation": gen})]:
        (folder / background.MARKER).write_text(text, encoding="utf-8")
        assert background.pending(folder) is None, text
    (folder / background.MARKER).write_text(json.dumps({"paths": ["x"], "generation": gen}), encoding="utf-8")
    assert background.pending(folder) == ["x"]  # the same shape, ours: taken up


def test_outdated_lists_what_add_would_index(tmp_path):
    import shutil

    docs = write_docs(tmp_path / "docs", 3)
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    assert idx.outdated([docs]) == ()
    (docs / "d1.txt").write_text("Изменённый документ о выборах 1927 года.", encoding="utf-8")
    (docs / "new.txt").write_text("Новый документ о хлебозаготовках 1928 года.", encoding="utf-8")
    shutil.copy(docs / "d0.txt", docs / "copy.txt")  # the bytes of an indexed file: add() skips it
    (docs / "d2.txt").unlink()  # gone from the folder: not add()'s business
    assert sorted(idx.outdated([docs])) == ["d1.txt", "new.txt"]
    idx.add([docs])
    assert idx.outdated([docs]) == ()


def test_an_add_cut_before_its_first_part_is_taken_up(tmp_path):
    docs = write_docs(tmp_path / "docs", 2)
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    (docs / "new.txt").write_text("Новый документ о хлебозаготовках 1928 года.", encoding="utf-8")

    class Broken(FakeEmbedder):
        def embed(self, texts, kind):
            raise RuntimeError("killed (simulated)")

    idx.embedder = idx._writer.embedder = Broken()
    s = background.fill(idx, [docs]).wait(60)
    assert "killed" in s.error and "new.txt" not in [d.source for d in idx.documents()]
    assert background.pending(tmp_path / "index") == [str(docs)]  # nothing committed, still to do
    again = rag.load(tmp_path / "index", model=FakeEmbedder())
    assert background.fill(again, background.pending(tmp_path / "index")).wait(60).report.indexed == ("new.txt",)
