"""Folder sync (Index.sync, rag sync [--watch]): after any mix of adds, edits, renames and
deletes the index equals a fresh build of the folder, and only what changed is embedded."""
from __future__ import annotations

import random
import shutil
import threading
import time

import pytest
from helpers.checks import same_as_fresh_build
from helpers.docs import SMALL, TEXTS
from helpers.fakes import FakeEmbedder

import rag

class CountingEmbedder(FakeEmbedder):
    def __init__(self):
        super().__init__()
        self.texts = 0

    def embed(self, texts, kind):
        self.texts += len(texts)
        return super().embed(texts, kind)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sync_equals_a_fresh_build(tmp_path, seed):
    rng = random.Random(seed)
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    for i, t in enumerate(TEXTS[:3]):
        (docs / f"d{i}.txt").write_text(t, encoding="utf-8")
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    for step in range(5):
        files = sorted(p for p in docs.rglob("*.txt"))
        op = rng.choice(["add", "edit", "rename", "delete", "mixed"])
        if op in ("add", "mixed"):
            (docs / ("sub" if rng.random() < 0.5 else ".") / f"n{step}.txt").write_text(
                rng.choice(TEXTS) + f" Шаг {step}.", encoding="utf-8")
        if op in ("edit", "mixed") and files:
            f = rng.choice(files)
            f.write_text(f.read_text(encoding="utf-8") + f" Дополнение {step}.", encoding="utf-8")
        if op in ("rename", "mixed") and files:
            f = rng.choice([p for p in files if p.exists()])
            f.rename(docs / "sub" / f"renamed{step}.txt")
        if op == "delete" and len(files) > 1:
            rng.choice(files).unlink()
        report = idx.sync([docs])
        assert not report.skipped, report.skipped
        same_as_fresh_build(idx, docs, tmp_path)


def test_unchanged_files_are_not_embedded_again(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, t in enumerate(TEXTS):
        (docs / f"d{i}.txt").write_text(t, encoding="utf-8")
    emb = CountingEmbedder()
    idx = rag.build([docs], tmp_path / "index", model=emb, settings=SMALL)
    (docs / "d0.txt").unlink()
    (docs / "d1.txt").rename(docs / "moved.txt")
    (docs / "d2.txt").write_text("Новый текст про выборы 1927 года.", encoding="utf-8")
    emb.texts = 0
    r = idx.sync([docs])
    assert sorted(r.indexed) == ["d2.txt", "moved.txt"] and sorted(r.removed) == ["d0.txt", "d1.txt"]
    assert sorted(r.unchanged) == ["d3.txt", "d4.txt"]
    expected = sum(len(p.chunks) + len(p.sentences) for p in (
        rag.chunk.process(rag.ingest.read_document(docs / n), SMALL) for n in ("d2.txt", "moved.txt")))
    assert emb.texts == expected  # only the changed and the renamed files
    gen = idx.payload.manifest.generation
    r = idx.sync([docs])
    assert r.indexed == () and r.removed == () and idx.payload.manifest.generation == gen  # nothing written


def test_a_duplicate_keeps_the_name_a_fresh_build_keeps(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "b.txt").write_text(TEXTS[0], encoding="utf-8")
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    shutil.copy(docs / "b.txt", docs / "a.txt")  # the same bytes under a name that sorts first
    r = idx.sync([docs])
    assert r.indexed == ("a.txt",) and r.removed == ("b.txt",)
    assert ("b.txt", "same content as a.txt (a duplicate)") in r.skipped
    same_as_fresh_build(idx, docs, tmp_path)


def test_a_missing_folder_changes_nothing(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(TEXTS[0], encoding="utf-8")
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    with pytest.raises(rag.IngestError, match="no such file or folder: .*nope; the index is unchanged"):
        idx.sync([tmp_path / "nope"])
    assert [d.source for d in idx.documents()] == ["a.txt"]


def test_cli_sync_builds_then_syncs(tmp_path, monkeypatch, capsys):
    from rag.cli import main

    monkeypatch.setattr("rag.index.load_embedder", lambda model=None, **kw: FakeEmbedder())
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(TEXTS[0], encoding="utf-8")
    (docs / "b.md").write_text(TEXTS[1], encoding="utf-8")
    assert main(["sync", str(docs), "--index", str(tmp_path / "i")]) == 0
    assert "indexed 2 files" in capsys.readouterr().out
    (docs / "b.md").unlink()
    assert main(["sync", str(docs), "--index", str(tmp_path / "i")]) == 0
    assert "indexed 0 files, 1 unchanged, 1 removed" in capsys.readouterr().out
    assert main(["sync", str(tmp_path / "nope"), "--index", str(tmp_path / "i")]) == 2


def test_watch_keeps_the_index_in_step(tmp_path):
    from rag.watch import watch

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(TEXTS[0], encoding="utf-8")
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    stop, reports = threading.Event(), []
    t = threading.Thread(target=watch, args=(idx, [docs], reports.append, stop), kwargs={"debounce_ms": 200})
    t.start()

    def until(pred) -> bool:
        for _ in range(300):
            if pred():
                return True
            time.sleep(0.1)
        return False

    try:
        assert until(lambda: len(reports) >= 1)  # the first sync, at once
        (docs / "new.txt").write_text(TEXTS[3], encoding="utf-8")
        assert until(lambda: "new.txt" in [d.source for d in idx.documents()])
        (docs / "a.txt").unlink()
        assert until(lambda: [d.source for d in idx.documents()] == ["new.txt"])
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive()
    same_as_fresh_build(idx, docs, tmp_path)
