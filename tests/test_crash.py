"""Crash safety: a build, add or remove killed with SIGKILL leaves the previous index intact.

The work runs in a child interpreter (`sys.executable -c CHILD`) with the FakeEmbedder
slowed down a little (a few ms per batch), so that it takes long enough to be killed in the
middle. The child prints `MARK <label>` at each stage of its run (reading, chunking, half
the embedding, writing, after each data file, with the new manifest written but not yet
switched, right after the switch); told to, it pauses at one label, and the test kills it
there with SIGKILL. Other tests kill it at seeded random moments of its run instead, placed
by those marks, so that no test depends on how fast the machine is.

After every kill: the index folder loads, with the manifest generation, documents, search
and ask results it had before (or, when the kill came after the commit point, the complete
new index); and running the same job again completes and leaves only one generation.
"""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.docs import DOC_A, DOC_B, DOC_C, QUERIES, SMALL, write
from helpers.fakes import FakeEmbedder

import rag
from rag import store

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

CHILD = r"""
import json, os, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from helpers.fakes import FakeEmbedder
import rag, rag.generation, rag.store

mode, folder, pause_at, args = sys.argv[3], sys.argv[4], sys.argv[5], json.loads(sys.argv[6])
settings = rag.Settings(chunk_size=200, chunk_overlap=60)


def mark(label):
    print("MARK", label, flush=True)
    if label == pause_at:
        time.sleep(120)  # the test kills us here


class Slow(FakeEmbedder):
    def embed(self, texts, kind):
        time.sleep(0.004)
        return super().embed(texts, kind)


seen = set()


def progress(stage, done, total):
    if stage not in seen:
        seen.add(stage)
        mark(stage)
    if stage == "embed" and done * 2 >= total and "embed-half" not in seen:
        seen.add("embed-half")
        mark("embed-half")


_fsync_write = rag.store._fsync_write
def fsync_write(path, data):
    _fsync_write(path, data)
    mark("manifest-tmp-written" if path.name.startswith(".manifest") else "chunks-written")
rag.store._fsync_write = fsync_write

_faiss_write = rag.generation.faiss_write
def faiss_write(index, path):
    _faiss_write(index, path)
    mark("faiss-written")
rag.generation.faiss_write = faiss_write

_replace = os.replace
def replace(src, dst):
    _replace(src, dst)
    if str(dst).endswith("manifest.json"):
        mark("committed")  # after the commit point, before stale files are removed
rag.store.os.replace = replace

mark("start")
if mode == "build":
    rag.build(args, folder, model=Slow(), settings=settings, progress=progress)
elif mode == "add":
    rag.load(folder, model=Slow()).add(args, progress=progress)
elif mode == "remove":
    rag.load(folder, model=Slow()).remove(args)
mark("done")
"""

BUILD_POINTS = ["start", "read", "chunk", "embed", "embed-half", "write", "chunks-written",
                "faiss-written", "manifest-tmp-written"]
ADD_POINTS = ["read", "embed-half", "write", "chunks-written", "faiss-written", "manifest-tmp-written"]
REMOVE_POINTS = ["chunks-written", "faiss-written", "manifest-tmp-written"]

WORDS_RU = ("выборы совет волость крестьяне колхоз округ инструктор явка комиссия отчет партия "
            "хлеб налог школа завод рабочие газета съезд губерния уезд").split()
WORDS_EN = ("election council district peasants farm report turnout committee party grain tax "
            "school factory workers newspaper congress province harvest famine plan").split()


def synthetic(i: int) -> str:
    """A document of a few paragraphs, different for every i."""
    r = random.Random(i)
    words = WORDS_RU if i % 2 else WORDS_EN
    paras = []
    for _p in range(4):
        sents = []
        for _s in range(5):
            w = [r.choice(words) for _ in range(r.randint(6, 12))]
            sents.append(" ".join(w).capitalize() + f" {1900 + r.randint(0, 60)}.")
        paras.append(" ".join(sents))
    return "\n\n".join(paras) + "\n"


@pytest.fixture
def setup(tmp_path):
    """The previous index (3 documents) and a bigger folder of new documents to index."""
    old = tmp_path / "old"
    files = [write(old, "a.txt", DOC_A), write(old, "b.md", DOC_B), write(old, "c.txt", DOC_C, "cp1251")]
    new = tmp_path / "new"
    for i in range(30):
        write(new, f"doc{i:02d}.txt", synthetic(i))
    folder = tmp_path / "idx"
    rag.build(files, folder, model=FakeEmbedder(), settings=SMALL)
    return folder, files, new


def state(folder: Path):
    """What a user sees of an index: generation, documents, search and ask results."""
    idx = rag.load(folder, model=FakeEmbedder())
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return (m["generation"], idx.documents(), [idx.search(q, k=5) for q in QUERIES],
            [idx.ask(q) for q in QUERIES])


def run_child(mode: str, folder: Path, args: list, pause_at: str = "", kill_at: str | None = None,
              kill_delay: float = 0.0, tmp: Path | None = None) -> tuple[int, list[str]]:
    """Run the child; SIGKILL it `kill_delay` seconds after it prints MARK kill_at.
    Returns (returncode, marks seen); `run_child.marks` / `.gaps` keep the marks of the
    last run and the seconds from each to the next."""
    err = open((tmp or folder.parent) / "child.err", "w+b")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(TESTS), str(ROOT), mode, str(folder), pause_at,
                             json.dumps([str(a) for a in args])], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=err, text=True)
    marks: list[str] = []
    times: list[float] = []
    try:
        for line in proc.stdout:
            parts = line.split()
            if len(parts) < 2 or parts[0] != "MARK" or not line.endswith("\n"):
                continue  # a line cut short by the kill is no mark
            label = parts[1]
            marks.append(label)
            times.append(time.perf_counter())
            if label == kill_at:
                if not kill_delay:
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(kill_delay)
                proc.send_signal(signal.SIGKILL)
                kill_at = None
                # keep reading: the marks printed before the kill tell where it landed
        rc = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    err.seek(0)
    stderr = err.read().decode("utf-8", "replace")
    err.close()
    if rc not in (0, -signal.SIGKILL):
        pytest.fail(f"child failed ({rc}):\n{stderr[-3000:]}")
    run_child.marks, run_child.gaps = marks, [b - a for a, b in zip(times, times[1:])] + [0.0]
    return rc, marks


def only_current_generation(folder: Path) -> None:
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    # the writer lock's file stays: removing it would let two writers lock two different files
    assert sorted(p.name for p in folder.iterdir()) == sorted(["manifest.json", store.LOCK_FILE]
                                                             + [d["name"] for d in m["data"].values()])


def check_killed_then_retry(folder: Path, before, mode: str, args: list, expect_sources: set[str]) -> None:
    rc, marks = run_child(mode, folder, args)  # the retry, not killed
    assert rc == 0 and marks[-1] == "done", marks
    after = rag.load(folder, model=FakeEmbedder())
    assert {d.source for d in after.documents()} == expect_sources
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["generation"] > before[0]
    only_current_generation(folder)


@pytest.mark.parametrize("point", BUILD_POINTS)
def test_build_killed_at_a_stage_keeps_previous_index(setup, point):
    folder, files, new = setup
    before = state(folder)
    rc, marks = run_child("build", folder, [new], pause_at=point, kill_at=point)
    assert rc == -signal.SIGKILL and marks[-1] == point, marks
    assert state(folder) == before  # same generation, documents, search and ask results
    check_killed_then_retry(folder, before, "build", [new], {f"doc{i:02d}.txt" for i in range(30)})


def test_build_killed_after_the_commit_point_has_the_new_index(setup):
    """Killed between the manifest switch and the removal of the old files: the new index is
    complete; the old generation's files are left over and the next write removes them."""
    folder, files, new = setup
    before = state(folder)
    rc, marks = run_child("build", folder, [new], pause_at="committed", kill_at="committed")
    assert rc == -signal.SIGKILL
    gen, docs, hits, _ = state(folder)
    assert gen == before[0] + 1 and {d.source for d in docs} == {f"doc{i:02d}.txt" for i in range(30)}
    assert any(p.name.startswith("chunks.") and str(before[0]).zfill(6) in p.name for p in folder.iterdir())
    check_killed_then_retry(folder, before, "add", [files[0]], {f"doc{i:02d}.txt" for i in range(30)} | {"a.txt"})


@pytest.mark.parametrize("point", ADD_POINTS)
def test_add_killed_midway_keeps_previous_index(setup, point):
    folder, files, new = setup
    before = state(folder)
    rc, marks = run_child("add", folder, [new], pause_at=point, kill_at=point)
    assert rc == -signal.SIGKILL and marks[-1] == point, marks
    assert state(folder) == before
    check_killed_then_retry(folder, before, "add", [new],
                            {"a.txt", "b.md", "c.txt"} | {f"doc{i:02d}.txt" for i in range(30)})


@pytest.mark.parametrize("point", REMOVE_POINTS)
def test_remove_killed_midway_keeps_previous_index(setup, point):
    folder, files, new = setup
    before = state(folder)
    rc, marks = run_child("remove", folder, ["b.md"], pause_at=point, kill_at=point)
    assert rc == -signal.SIGKILL and marks[-1] == point, marks
    assert state(folder) == before
    check_killed_then_retry(folder, before, "remove", ["b.md"], {"a.txt", "c.txt"})


@pytest.mark.parametrize("mode", ["build", "add"])
def test_killed_at_random_moments(setup, tmp_path, mode):
    """SIGKILL at 5 seeded random moments spread over the child's run: each time the folder
    holds either the previous index, unchanged, or the complete new one; never a broken one.

    The moments are placed by the child's own progress marks, not by fractions of a timed
    run (on a loaded machine a timed run's fifths all fell in its start-up): a random mark
    from each fifth of the marks an unkilled run prints, then a random share of the time
    that run spent until its next mark. However slow the machine, each kill lands at or
    after its mark."""
    folder, files, new = setup
    before = state(folder)
    import shutil

    probe = tmp_path / "probe"
    shutil.copytree(folder, probe)
    run_child(mode, probe, [new], tmp=tmp_path)
    marks, gaps = run_child.marks, run_child.gaps  # the unkilled run: its marks and the time after each
    r = random.Random(1924)
    new_sources = {f"doc{i:02d}.txt" for i in range(30)} | ({"a.txt", "b.md", "c.txt"} if mode == "add" else set())
    n = len(marks) - 1  # every mark but "done"
    outcomes, landed = [], []
    for k in range(5):
        j = min(n - 1, int(n * (k + r.random()) / 5))  # a mark in the k-th fifth of the run
        rc, seen = run_child(mode, folder, [new], kill_at=marks[j], kill_delay=gaps[j] * r.random())
        landed.append(seen[-1])  # the last stage the child reached
        now = state(folder)
        if now[0] == before[0]:
            assert now == before, (marks[j], seen)
            outcomes.append("old")
        else:
            # later than before (a kill during a write leaves that generation's files, and the
            # next write numbers past them), complete, and the new documents
            assert now[0] > before[0] and {d.source for d in now[1]} == new_sources, (marks[j], seen)
            outcomes.append("new")
            break  # committed: later kills would start from the new index
    assert "old" in outcomes
    assert len(set(landed)) >= 2, landed  # the kills landed in different stages of the run
    rc, marks = run_child(mode, folder, [new])
    assert rc == 0
    assert {d.source for d in rag.load(folder, model=FakeEmbedder()).documents()} == new_sources
    if outcomes[-1] == "old" or mode == "build":  # an add with nothing new writes nothing
        only_current_generation(folder)
