"""Writers in several processes at once: every change that reports success is on disk.

N processes (CLI and API mixed; adds of new files, a changed file, removes) start
together on one index folder while this process keeps loading and searching it and
holds an Index loaded before they ran (as the app does). Afterwards: every change
that reported success is on disk, the index equals a fresh build of the final file
set, no load or search failed during the writes, and the long-lived Index's own next
add keeps the other processes' changes. With the FakeEmbedder.

Repeatable outside pytest: python tests/test_writers.py N
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from helpers.fakes import FakeEmbedder

import rag
from rag import store

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CHILD = r"""
import sys, time, json
sys.path.insert(0, sys.argv[1])
from helpers.fakes import FakeEmbedder
import rag, rag.index
start, folder, op, arg, how = float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
rag.index.load_embedder = lambda model=None, **kw: FakeEmbedder()  # the CLI loads the index's model by name
while time.time() < start:
    time.sleep(0.001)
if how == "cli":
    from rag.cli import main
    code = main([op, arg, "--index", folder])
else:
    idx = rag.load(folder, model=FakeEmbedder())
    idx.add([arg]) if op == "add" else idx.remove(arg)
    code = 0
print(json.dumps({"code": code}))
"""


def text(i: int, version: int = 0) -> str:
    return (f"Document {i}, version {version}: the grain procurement campaign of 19{20 + i} in district {i} "
            f"was reported by the committee; livestock numbers fell by {10 + i + version} per cent.")


def scenario(tmp: Path, n: int) -> tuple[Path, list[tuple[str, str, str]], set[str], Path]:
    """An index of n files; n operations: adds of new files, removes, one changed file."""
    docs, extra = tmp / "docs", tmp / "extra"
    docs.mkdir()
    extra.mkdir()
    for i in range(n):
        (docs / f"d{i}.txt").write_text(text(i), encoding="utf-8")
    folder = tmp / "index"
    rag.build([docs], folder, model=FakeEmbedder())
    ops, final = [], {f"d{i}.txt" for i in range(n)}
    for j in range(n):
        how = "cli" if j % 2 else "api"
        if j % 3 == 1:  # remove an original document
            ops.append(("remove", f"d{j}.txt", how))
            final.discard(f"d{j}.txt")
            (docs / f"d{j}.txt").unlink()
        elif j % 3 == 2:  # a changed version of an original document
            (docs / f"d{j}.txt").write_text(text(j, version=1), encoding="utf-8")
            ops.append(("add", str(docs / f"d{j}.txt"), how))
        else:  # a new document
            (extra / f"z{j}.txt").write_text(text(100 + j), encoding="utf-8")
            ops.append(("add", str(extra / f"z{j}.txt"), how))
            final.add(f"z{j}.txt")
    return folder, ops, final, docs


def run_writers(tmp: Path, n: int) -> dict:
    folder, ops, final, docs = scenario(tmp, n)
    long_lived = rag.load(folder, model=FakeEmbedder())
    stop, failures, loads = threading.Event(), [], [0]

    def read_loop():
        while not stop.is_set():
            try:
                rag.load(folder, model=FakeEmbedder()).search("grain procurement committee", k=3)
                loads[0] += 1
            except Exception as e:  # noqa: BLE001 (any failure of a reader is the finding)
                failures.append(repr(e))

    reader = threading.Thread(target=read_loop)
    reader.start()
    start = time.time() + 2.0  # every child imported and waiting: they start together
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, str(TESTS), str(start), str(folder), op, arg, how],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for op, arg, how in ops]
    results = [p.communicate(timeout=300) for p in procs]
    stop.set()
    reader.join()
    codes = [(p.returncode, json.loads(out.strip().splitlines()[-1])["code"] if out.strip() else None, err[-500:])
             for p, (out, err) in zip(procs, results)]
    on_disk = rag.load(folder, model=FakeEmbedder())
    fresh = rag.build([docs, *{Path(a).parent for op, a, _ in ops if op == "add"} - {docs}], tmp / "fresh",
                      model=FakeEmbedder())
    # the long-lived index (loaded before the writers) adds one more file: nothing of theirs is undone
    (tmp / "late").mkdir()
    (tmp / "late" / "late.txt").write_text(text(999), encoding="utf-8")
    long_lived.add([tmp / "late" / "late.txt"])
    after = {d.source for d in rag.load(folder, model=FakeEmbedder()).documents()}
    return {"codes": codes, "final": final, "on_disk": on_disk, "fresh": fresh, "after_late_add": after,
            "reader_failures": failures, "loads": loads[0]}


def state(idx: rag.Index) -> tuple:
    return ({d.source: d.sha256 for d in idx.documents()}, sorted(c.text for c in idx.payload.chunks),
            [h.text for h in idx.search("livestock numbers fell", k=5)])


@pytest.mark.parametrize("n", [2, 4, 8])
def test_concurrent_writers_lose_nothing(tmp_path, n):
    r = run_writers(tmp_path, n)
    assert all(rc == 0 and code == 0 for rc, code, _ in r["codes"]), r["codes"]
    assert {d.source for d in r["on_disk"].documents()} == r["final"]
    assert state(r["on_disk"]) == state(r["fresh"])  # the same as a fresh build of the final files
    assert r["reader_failures"] == [] and r["loads"] > 0
    assert r["after_late_add"] == r["final"] | {"late.txt"}


def test_a_writer_that_cannot_get_the_lock_says_who_holds_it(tmp_path):
    folder = tmp_path / "index"
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); from pathlib import Path; from rag import store\n"
            "with store.writer_lock(Path(sys.argv[2])):\n    print('held', flush=True); time.sleep(30)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(folder)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t = time.monotonic()
        with pytest.raises(rag.IndexFormatError, match=rf"being updated by another process \(pid {holder.pid}\)"):
            with store.writer_lock(folder, wait=0.5):
                pass
        assert time.monotonic() - t < 5
    finally:
        holder.kill()
        holder.wait()
    with store.writer_lock(folder, wait=5):  # a killed holder leaves no stale lock
        pass


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    with tempfile.TemporaryDirectory() as d:
        r = run_writers(Path(d), n)
        ok = ({d.source for d in r["on_disk"].documents()} == r["final"] and state(r["on_disk"]) == state(r["fresh"])
              and not r["reader_failures"] and r["after_late_add"] == r["final"] | {"late.txt"})
        print(json.dumps({"writers": n, "exit codes": [c[:2] for c in r["codes"]], "loads during writes": r["loads"],
                          "reader failures": r["reader_failures"][:3], "all changes on disk": ok}, indent=1))
        sys.exit(0 if ok else 1)
