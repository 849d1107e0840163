"""Keep an index in step with folders as files change: `rag sync --watch`.

Each batch of file-system events (watchfiles, debounced) runs Index.sync over the
same paths: only what changed is read and embedded, and every sync is one write
under the folder's writer lock, so the chat or another process may use the index
meanwhile. The first sync catches up with what changed while nobody watched.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable

from .index import Index
from .types import BuildReport

DEBOUNCE_MS = 1600  # a copy of many files arrives as one batch, not as one sync per file


def watch(index: Index, paths: Iterable[str | os.PathLike], report: Callable[[BuildReport], None],
          stop: threading.Event | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
    """Sync now, then after every batch of changes below `paths`, until `stop` is set
    (or Ctrl-C). `report` gets each sync's BuildReport."""
    import watchfiles

    paths = [os.fspath(p) for p in paths]
    report(index.sync(paths))
    for _changes in watchfiles.watch(*paths, debounce=debounce_ms, stop_event=stop, raise_interrupt=False):
        report(index.sync(paths))
