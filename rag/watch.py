"""Keep an index in step with folders as files change: `rag sync --watch`.

Each batch of file-system events (watchfiles, debounced) runs Index.sync over the
same paths: only what changed is read and embedded, and every sync is one write
under the folder's writer lock, so the chat or another process may use the index
meanwhile. The first sync catches up with what changed while nobody watched.

A watched folder that is deleted or moved away leaves the index as it is (a sync
of a missing folder changes nothing) and is waited for: once it is back, the watch
syncs and goes on. The file system's watch dies with the folder it was set on (a
new folder at the same path is not seen), so the paths are also looked at every
POLL_MS; issue 31 found a traceback here.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable

from .files import shown_name
from .index import Index
from .ingest import IngestError
from .types import BuildReport

DEBOUNCE_MS = 1600  # a copy of many files arrives as one batch, not as one sync per file
POLL_MS = 2000  # how soon a folder that went away, or came back, is noticed


def watch(index: Index, paths: Iterable[str | os.PathLike], report: Callable[[BuildReport], None],
          stop: threading.Event | None = None, debounce_ms: int = DEBOUNCE_MS,
          notice: Callable[[str], None] = lambda message: None, poll_ms: int = POLL_MS) -> None:
    """Sync now, then after every batch of changes below `paths`, until `stop` is set
    (or Ctrl-C). `report` gets each sync's BuildReport; `notice` a line when a path
    goes away and when it is back."""
    import watchfiles

    paths, stop = [os.fspath(p) for p in paths], stop or threading.Event()
    roots = {os.path.abspath(p) for p in paths}
    ours, default = os.path.realpath(index.folder), watchfiles.DefaultFilter()

    def wanted(change, path: str) -> bool:  # not the index's own commits, when it lies inside a watched folder
        return default(change, path) and os.path.commonpath([ours, os.path.realpath(path)]) != ours

    try:
        while _present(paths, stop, notice, poll_ms):
            seen = _identity(paths)
            try:
                report(index.sync(paths))
                for changes in watchfiles.watch(*paths, watch_filter=wanted, debounce=debounce_ms, stop_event=stop,
                                                raise_interrupt=False, rust_timeout=poll_ms, yield_on_timeout=True):
                    if _identity(paths) != seen or any(c == watchfiles.Change.deleted and os.path.abspath(p) in roots
                                                        for c, p in changes):
                        break  # gone, or another folder now at the path (its inode may be reused): wait, sync
                    if changes:
                        report(index.sync(paths))
                else:
                    return  # stopped
            except (IngestError, FileNotFoundError):
                if all(os.path.exists(p) for p in paths):
                    raise  # not a path gone meanwhile
    except KeyboardInterrupt:
        return


def _identity(paths: list[str]) -> tuple:
    """Which file-system object each path is now (None: gone)."""
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((st.st_dev, st.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


def _present(paths: list[str], stop: threading.Event, notice: Callable[[str], None], poll_ms: int) -> bool:
    """Wait until every path exists; False when stopped first."""
    gone = [p for p in paths if not os.path.exists(p)]
    if gone and not stop.is_set():
        shown = ", ".join(map(shown_name, gone))
        notice(f"{shown}: gone (deleted or moved); the index is unchanged; "
               "waiting for it to come back (Ctrl-C stops)")
        while any(not os.path.exists(p) for p in paths):
            if stop.wait(poll_ms / 1000):
                return False
        notice(f"{shown}: back; syncing")
    return not stop.is_set()
