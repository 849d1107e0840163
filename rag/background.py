"""Indexing in the background: a chat answers from the documents done while the rest are read.

Index.fill commits a few files at a time, each commit a complete generation that
searches see at once (rag/writer.py: in_parts). A Filling runs it in a thread and
keeps what a UI shows: files done of all, the stage now, and at the end the report
or the error. One Filling per index folder in a process: a second fill of the same
folder is the first one.

A marker file in the index folder names the paths and the generation last committed
until the fill ends, so a fill cut short (the server stopped, the machine rebooted)
is taken up again on the next start: the files already done are unchanged and skipped
by their hash, the rest indexed (pending() tells the app). Once anything else has
written to the folder (`rag index`, `rag add`), its generation differs and the marker
is void: a fill is never taken up over an index that someone rebuilt since. What was
committed before the cut is a complete index all along: a cut never leaves a broken one.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from . import store
from .files import replace_file
from .index import Index
from .store import IndexFormatError
from .types import BuildReport

MARKER = "filling.json"
_running: dict[Path, Filling] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class FillState:
    files_done: int = 0
    files_total: int = 0  # 0 until the files are listed
    stage: str = "start"  # the writer's progress stage now: read, ocr, chunk, embed, write
    done: int = 0
    total: int = 0
    documents: int = 0  # documents searchable now
    finished: bool = False
    report: BuildReport | None = None  # when finished without an error
    error: str | None = None  # when finished with one


class Filling:
    def __init__(self, index: Index, paths: list[str | os.PathLike], replace_all: bool = False):
        self.index, self.paths, self.replace_all = index, [str(p) for p in paths], replace_all
        self._state = FillState()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fill {index.folder}", daemon=True)

    def state(self) -> FillState:
        return self._state

    def wait(self, timeout: float | None = None) -> FillState:
        self._done.wait(timeout)
        return self._state

    def _progress(self, stage: str, done: int, total: int) -> None:
        s, docs = self._state, len(self.index.payload.manifest.files)
        if stage == "files":
            self._state = FillState(done, total, s.stage, s.done, s.total, docs)
            if done:  # a part was committed: a cut from now on is taken up from here
                _write_marker(self.index.folder, self.paths, self.index.payload.manifest.generation)
        else:
            self._state = FillState(s.files_done, s.files_total, stage, done, total, docs)

    def _run(self) -> None:
        try:
            # an add is taken up from the index as it is; a replacement only once a part replaced it
            _write_marker(self.index.folder, self.paths,
                          None if self.replace_all else self.index.payload.manifest.generation)
            report = self.index.fill(self.paths, progress=self._progress, replace_all=self.replace_all)
            (Path(self.index.folder) / MARKER).unlink(missing_ok=True)  # done: nothing to take up again
            s = self._state
            self._state = FillState(s.files_total, s.files_total, "done", 0, 0, len(self.index.documents()),
                                    finished=True, report=report)
        except Exception as e:  # noqa: BLE001 - shown to the user; the marker stays for a retry
            s = self._state
            self._state = FillState(s.files_done, s.files_total, s.stage, s.done, s.total,
                                    len(self.index.documents()), finished=True, error=str(e) or type(e).__name__)
        finally:
            self._done.set()


def fill(index: Index, paths: list[str | os.PathLike], replace_all: bool = False) -> Filling:
    """Start filling `index` from `paths` in a thread; the Filling already running for its
    folder, if any, instead (two fills of one folder would only take turns on its lock)."""
    key = Path(index.folder).resolve()
    with _lock:
        f = _running.get(key)
        if f is None or f.state().finished:
            f = _running[key] = Filling(index, paths, replace_all)
            f._thread.start()
        return f


def running(folder: str | os.PathLike) -> Filling | None:
    """The fill of `folder` in this process, while it runs; None otherwise."""
    f = last(folder)
    return f if f is not None and not f.state().finished else None


def last(folder: str | os.PathLike) -> Filling | None:
    """The latest fill of `folder` in this process, running or finished."""
    return _running.get(Path(folder).resolve())


def pending(folder: str | os.PathLike) -> list[str] | None:
    """The paths of a fill of `folder` that was cut short, while the index is the one it
    last committed (or, for an add, started from); None otherwise."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
        paths, gen = marker["paths"], marker["generation"]
        current = store.read_manifest(Path(folder)).generation
    except (OSError, ValueError, KeyError, TypeError, IndexFormatError):
        return None  # no marker, not one of ours, or no index to add to
    if not isinstance(paths, list) or gen != current:
        return None
    return [str(p) for p in paths]


def _write_marker(folder: str | os.PathLike, paths: list[str], generation: int | None) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    replace_file(folder / MARKER, json.dumps({"paths": paths, "generation": generation}).encode("utf-8"))
