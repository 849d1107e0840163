"""The bridge's translation tables kept on disk, read a word at a time.

A question looks up a handful of words, but German's FreeDict table holds 337K of them: read
whole from JSON it took about 2.5 s on the first German question of a process (and about 100 MB
held for the rest of it). An SQLite file (the standard library's) answers each lookup from
the file instead: `python -m bench.first_question` measures the first question per language.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

_SEP = "\x1f"  # between a word's translations (no stem or word holds it)


class StoredTable(Mapping):
    """One side of a table file: word -> frozenset of translations, or, with `first`, word ->
    its first translation (a glossary). Read-only; safe to share between threads (the chat's
    and the HTTP server's)."""

    def __init__(self, path: str | Path, side: str, first: bool = False):
        self._con = sqlite3.connect(f"file:{Path(path).as_posix()}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self._side, self._first = side, first
        with self._lock:  # a file without this side is unreadable: the caller builds it again
            if self._con.execute("SELECT 1 FROM words WHERE side = ? LIMIT 1", (side,)).fetchone() is None:
                raise sqlite3.DatabaseError(f"{path}: no table {side!r}")

    def _value(self, text: str):
        if self._first:
            return text.split(_SEP, 1)[0]
        return frozenset(text.split(_SEP)) if text else frozenset()  # a word with no translation kept

    def __getitem__(self, key: str):
        with self._lock:
            row = self._con.execute("SELECT v FROM words WHERE side = ? AND k = ?", (self._side, key)).fetchone()
        if row is None:
            raise KeyError(key)
        return self._value(row[0])

    def __len__(self) -> int:
        with self._lock:
            return self._con.execute("SELECT count(*) FROM words WHERE side = ?", (self._side,)).fetchone()[0]

    def __bool__(self) -> bool:
        return True  # never empty: __init__ found a row (counting them reads the whole table)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            keys = [k for (k,) in self._con.execute("SELECT k FROM words WHERE side = ? ORDER BY k", (self._side,))]
        return iter(keys)


def write_tables(path: str | Path, tables: dict[str, Mapping[str, frozenset[str]]]) -> None:
    """Each side's table into one SQLite file at `path`, whole or not at all (written beside it,
    then renamed over it), so that a concurrent reader sees the old file or the new one."""
    path = Path(path)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE words (side TEXT, k TEXT, v TEXT NOT NULL, PRIMARY KEY (side, k)) WITHOUT ROWID")
        for side, table in tables.items():
            con.executemany("INSERT INTO words VALUES (?, ?, ?)",
                            ((side, k, _SEP.join(sorted(v))) for k, v in table.items()))
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)
