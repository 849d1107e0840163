"""Persistence (stage 5): plain files plus manifest.json, written atomically.

Shards: an index may be split by document into `shards` (a setting). Each
shard has its own files (chunk records, chunk and sentence vectors, FAISS,
BM25), so one shard can be loaded and searched on its own; shard 0 keeps the
file names a one-shard index always had. In memory the shards are read back
into one payload in canonical order, the same arrays an unsharded index
holds, so the local index is simply the one-shard case.

Every data file name carries a generation number and manifest.json names the
files of its generation with their sha256. A build writes the new
generation's files first and replaces manifest.json last (os.replace is
atomic), so a build killed at any moment leaves the previous manifest
pointing at complete, unchanged files. Stale generations are removed after
the switch. No pickle anywhere: JSON lines, .npy without pickle, FAISS' own
format, bm25s' JSON + .npy.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from bisect import bisect_right
from typing import NamedTuple, TypedDict

import numpy as np

from .files import sha256_file
from .tokens import Ragged

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class IndexFormatError(RuntimeError):
    """An index folder that cannot be used; the message says what to do."""


class SentenceSpan(NamedTuple):
    """One sentence of a chunk. A NamedTuple, so chunks.jsonl keeps storing it as the plain
    list [text_start, text_end, start, end, row] (json writes a tuple as a list)."""

    text_start: int  # offset in the chunk's text
    text_end: int
    start: int  # offsets in the source file's decoded text, as Hit.start/end
    end: int
    row: int  # row of the sentence's vector in the sentence matrix (Payload.sent_vectors)


class FileEntry(TypedDict):
    """A document's entry in Manifest.files (rag/writer.py: file_entry writes it)."""

    sha256: str  # of the file's bytes: what `outdated`, `add` and the seed compare
    chunks: int
    langs: list[str]  # sorted
    encoding: str  # as read: a text encoding, "pdf", "image+ocr", ...
    chars: int  # length of the decoded text
    page_starts: list[int] | None  # paged formats: offsets where pages 2, 3, ... begin


def source_offset(shifts: tuple[tuple[int, int], ...], start: int, pos: int) -> int:
    """The source offset of character `pos` of a text whose first character is at source offset
    `start` and which leaves the source's offsets at `shifts` (ChunkRecord.shifts)."""
    i = bisect_right(shifts, (pos, float("inf"))) - 1
    return start + pos if i < 0 else shifts[i][1] + pos - shifts[i][0]


@dataclass(frozen=True)
class ChunkRecord:
    id: str
    source: str
    start: int
    end: int
    page: int | None
    lang: str
    kind: str
    text: str
    sents: tuple[SentenceSpan, ...]
    # where `text` leaves the source's offsets: (offset in text, its source offset) at each
    # character whose source offset is not the one before it plus one (a hyphenated line
    # break joined, a page's footer left out); () when the text is the source's characters
    # one for one; None in an index written before they were kept (answer.source_span stretches)
    shifts: tuple[tuple[int, int], ...] | None = None


@dataclass
class Manifest:
    format_version: int
    model: dict
    dim: int
    settings: dict
    files: dict[str, FileEntry]  # source -> its entry
    data: dict = field(default_factory=dict)  # role -> {"name", "sha256"}
    generation: int = 0
    index_type: str = "flat"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True)




def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def read_manifest(folder: Path) -> Manifest:
    p = folder / MANIFEST
    if not p.exists():
        raise IndexFormatError(f"no index at {folder} (no {MANIFEST}); build one with: rag index PATH -o {folder}")
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise IndexFormatError(f"{p} is not valid JSON ({e}); rebuild the index with: rag index PATH -o {folder}") from e
    if not isinstance(d, dict) or d.get("format_version") != FORMAT_VERSION:
        got = d.get("format_version") if isinstance(d, dict) else None
        raise IndexFormatError(
            f"{folder} was written in index format {got}, this version reads format {FORMAT_VERSION}; "
            f"rebuild it with: rag index PATH -o {folder}"
        )
    try:
        m = Manifest(**d)
    except TypeError as e:
        raise IndexFormatError(f"{p} is missing fields ({e}); rebuild the index") from e
    types = {"model": dict, "dim": int, "settings": dict, "files": dict, "data": dict, "generation": int,
             "index_type": str}
    bad = [k for k, t in types.items() if not isinstance(getattr(m, k), t)]
    bad += [f"data.{k}" for k, v in (m.data.items() if isinstance(m.data, dict) else ())
            if not (isinstance(v, dict) and isinstance(v.get("name"), str) and isinstance(v.get("sha256"), str))]
    if bad:
        raise IndexFormatError(f"{p} has fields of the wrong type ({', '.join(bad)}); rebuild the index")
    return m


# ------------------------------------------------------------------ payload
@dataclass
class Payload:
    """Everything an index holds in memory."""

    manifest: Manifest
    chunks: list[ChunkRecord]
    chunk_vectors: np.ndarray  # float32 [n, dim]
    sent_vectors: np.ndarray  # float32 [m, dim]
    # each sentence's token codes in its passage (rag/tokens.py), rows as sent_vectors'; None:
    # the index keeps none (built before them, or by an encoder the token head was not trained on)
    sent_codes: Ragged | None = None

    @property
    def shards(self) -> int:
        return int(self.manifest.settings.get("shards", 1))


def canonical(chunks: list[ChunkRecord], cvec: np.ndarray, svec: np.ndarray, codes: Ragged | None = None):
    """Order chunks and sentences by (source, span): any sequence of add/remove,
    and any number of shards, then gives exactly the arrays a full one-shard
    build gives (row order also breaks score ties, so results agree too).
    Returns (chunks, chunk vectors, sentence vectors, sentence codes or None)."""
    order = sorted(range(len(chunks)), key=lambda i: (chunks[i].source, chunks[i].start, chunks[i].end, chunks[i].id))
    chunks = [chunks[i] for i in order]
    cvec = cvec[order] if len(order) else cvec
    key: dict[int, tuple] = {}
    for c in chunks:
        for s in c.sents:
            key.setdefault(s.row, (c.source, s.start, s.end))
    rows = sorted(key, key=lambda r: (key[r], r))
    remap = {old: new for new, old in enumerate(rows)}
    chunks = [replace(c, sents=tuple(s._replace(row=remap[s.row]) for s in c.sents)) for c in chunks]
    svec = svec[rows] if len(rows) else np.zeros((0, svec.shape[1] if svec.ndim == 2 else 0), np.float32)
    return chunks, cvec, svec, None if codes is None else codes.take(rows)


# ------------------------------------------------------------------ shards
def shard_of(source: str, shards: int) -> int:
    """A document's shard: a stable hash of its name (not Python's salted hash),
    so a file stays in its shard across builds, adds and machines."""
    return int.from_bytes(hashlib.sha256(source.encode("utf-8")).digest()[:8], "big") % shards


def shard_rows(chunks: list[ChunkRecord], shards: int) -> list[np.ndarray]:
    """Chunk rows of each shard (ascending); a shard may be empty."""
    ids = np.asarray([shard_of(c.source, shards) for c in chunks], dtype=np.int64)
    return [np.flatnonzero(ids == s) for s in range(shards)]


def role(name: str, shard: int) -> str:
    """Manifest role (and file stem) of one shard's file: shard 0 keeps the plain name."""
    return name if shard == 0 else f"{name}.s{shard:03d}"


def _shard_part(p: Payload, rows: np.ndarray) -> tuple[list[ChunkRecord], np.ndarray, np.ndarray, Ragged | None]:
    """One shard's chunks (sentence rows renumbered within the shard), vectors and codes.
    A sentence belongs to one document, so shards never share sentences."""
    chunks = [p.chunks[i] for i in rows]
    srows = sorted({s.row for c in chunks for s in c.sents})
    local = {r: i for i, r in enumerate(srows)}
    chunks = [replace(c, sents=tuple(s._replace(row=local[s.row]) for s in c.sents)) for c in chunks]
    dim = p.chunk_vectors.shape[1] if p.chunk_vectors.ndim == 2 else p.manifest.dim
    sv = p.sent_vectors[srows] if srows else np.zeros((0, dim), np.float32)
    return chunks, p.chunk_vectors[rows].reshape(-1, dim), sv, None if p.sent_codes is None else p.sent_codes.take(srows)


LOCK_FILE = ".write.lock"
LOCK_WAIT = 600.0  # seconds a writer waits for another process's update (an add can embed for minutes)


@contextmanager
def writer_lock(folder: Path, wait: float | None = None):
    """One writer at a time per index folder, across processes: an exclusive flock on
    FOLDER/.write.lock held for the whole load -> change -> write cycle. The holder writes
    its pid into the file, so a writer that gives up after `wait` seconds can say who holds it.
    The kernel drops the lock when its holder exits, however it exits (no stale locks)."""
    wait = LOCK_WAIT if wait is None else wait
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexFormatError(f"cannot create the index folder {folder}: {e.strerror or e}") from e
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise IndexFormatError(f"cannot write to {folder} (read-only?): {e.strerror or e}") from e
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                    raise IndexFormatError(f"{folder} is being updated by another process (pid {holder}); "
                                      f"waited {wait:.0f} s: try again when it has finished") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def chunk_lines(chunks: list[ChunkRecord]) -> bytes:
    """A chunks file's bytes: one JSON object a record (rag/seed.py rewrites the seed's so too)."""
    return "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in chunks).encode("utf-8")


def write(folder: Path, p: Payload, extra: dict[str, callable] | None = None) -> Manifest:
    """Write a new generation and switch manifest.json to it.

    `extra`: role -> writer(path) for the search structures (FAISS, BM25)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexFormatError(f"cannot create the index folder {folder}: {e.strerror or e}") from e
    if not os.access(folder, os.W_OK):
        raise IndexFormatError(f"cannot write to {folder} (read-only?)")
    gen = _current_generation(folder) + 1
    tag = f"{gen:06d}"
    names: dict[str, str] = {}
    try:
        for s, rows in enumerate(shard_rows(p.chunks, p.shards)):
            chunks, cv, sv, codes = _shard_part(p, rows)
            names[role("chunks", s)] = f"{role('chunks', s)}.{tag}.jsonl"
            _fsync_write(folder / names[role("chunks", s)], chunk_lines(chunks))
            arrays = [(role("chunk_vectors", s), cv.astype(np.float32)), (role("sent_vectors", s), sv.astype(np.float32))]
            if codes is not None:
                arrays += [(role("sent_codes", s), codes.data), (role("sent_code_rows", s), codes.offsets)]
            for r, arr in arrays:
                names[r] = f"{r}.{tag}.npy"
                with open(folder / names[r], "wb") as f:
                    np.save(f, np.ascontiguousarray(arr), allow_pickle=False)
                    f.flush()
                    os.fsync(f.fileno())
        for r, writer in (extra or {}).items():  # search structures: FAISS, BM25 (roles per shard)
            name = f"{r}.{tag}"
            writer(folder / name)
            names[r] = name
        data = {r: {"name": n, "sha256": _tree_sha256(folder / n)} for r, n in names.items()}
        m = Manifest(**{**asdict(p.manifest), "data": data, "generation": gen})
        tmp = folder / f".{MANIFEST}.{tag}.tmp"
        _fsync_write(tmp, m.to_json().encode("utf-8"))
        os.replace(tmp, folder / MANIFEST)  # the commit point: no cleanup after this
    except (OSError, RuntimeError) as e:  # FAISS reports a failed write (e.g. disk full) as RuntimeError
        # this generation's files, also the one being written when it failed (a full disk needs the space)
        for n in {*names.values(), *(f"{r}.{tag}" for r in (extra or {})), f".{MANIFEST}.{tag}.tmp"}:
            w = folder / n
            shutil.rmtree(w, ignore_errors=True) if w.is_dir() else w.unlink(missing_ok=True)
        why = getattr(e, "strerror", None) or str(e).rsplit(": ", 1)[-1]
        raise IndexFormatError(f"could not write the index to {folder}: {why}; the previous index is unchanged") from e
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    _remove_stale(folder, keep={d["name"] for d in data.values()})
    return m


def _tree_sha256(path: Path) -> str:
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(path).as_posix().encode() + b"\0" + sha256_file(f).encode())
    return h.hexdigest()


_GEN = re.compile(r"\.(\d{6})(?:\.|$)")


def _current_generation(folder: Path) -> int:
    gens = [int(m.group(1)) for f in folder.iterdir() if (m := _GEN.search(f.name))]
    return max(gens, default=0)


def _remove_stale(folder: Path, keep: set[str]) -> None:
    """Files of generations older than the one just committed (never a newer one: under the
    writer lock none can exist, and a writer without it must not lose its files to us)."""
    committed = max((int(m.group(1)) for n in keep if (m := _GEN.search(n))), default=0)
    for f in folder.iterdir():
        m = _GEN.search(f.name)
        if m and f.name not in keep and int(m.group(1)) <= committed:
            shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink(missing_ok=True)


def read(folder: Path, verify: bool = True, manifest: Manifest | None = None) -> Payload:
    """The payload of `manifest` (default: the folder's current one)."""
    m = manifest or read_manifest(folder)
    for r, d in m.data.items():
        path = folder / d["name"]
        missing = IndexFormatError(f"{folder}: data file {d['name']} is missing; rebuild the index")
        if not path.exists():
            raise missing
        try:
            ok = not verify or _tree_sha256(path) == d["sha256"]
        except OSError:  # removed while being read, by a writer's cleanup (Index.load reads again)
            raise missing from None
        if not ok:
            raise IndexFormatError(f"{folder}: data file {d['name']} is corrupt (checksum mismatch); rebuild the index")
    shards = m.settings.get("shards", 1)
    if not isinstance(shards, int) or shards < 1:
        raise IndexFormatError(f"{folder}: manifest names {shards!r} shards; rebuild the index")
    chunks: list[ChunkRecord] = []
    cvs, svs, codes, base = [], [], [], 0
    with_codes = role("sent_codes", 0) in m.data
    for s in range(shards):  # each shard's sentence rows are its own: offset them
        try:
            part = []
            with open(folder / m.data[role("chunks", s)]["name"], encoding="utf-8") as f:
                for line in f:
                    d = json.loads(line)
                    d["sents"] = tuple(SentenceSpan(a, b, x, y, r + base) for a, b, x, y, r in d["sents"])
                    if d.get("shifts") is not None:
                        d["shifts"] = tuple((int(i), int(o)) for i, o in d["shifts"])
                    part.append(ChunkRecord(**d))
            cv = np.load(folder / m.data[role("chunk_vectors", s)]["name"], allow_pickle=False)
            sv = np.load(folder / m.data[role("sent_vectors", s)]["name"], allow_pickle=False)
            if with_codes:
                codes.append(Ragged(np.load(folder / m.data[role("sent_codes", s)]["name"], allow_pickle=False),
                                    np.load(folder / m.data[role("sent_code_rows", s)]["name"], allow_pickle=False)))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise IndexFormatError(f"{folder}: unreadable index data ({e}); rebuild the index") from e
        if len(part) != len(cv) or cv.shape[1:] != (m.dim,) or sv.shape[1:] != (m.dim,):
            raise IndexFormatError(f"{folder}: chunk records and vectors disagree; rebuild the index")
        if with_codes and (bad := codes[-1].check(len(sv))):
            raise IndexFormatError(f"{folder}: {bad}; rebuild the index")
        chunks += part
        cvs.append(cv)
        svs.append(sv)
        base += len(sv)
    if shards == 1:  # written in canonical order already
        return Payload(m, chunks, cvs[0], svs[0], codes[0] if with_codes else None)
    both = Ragged.concat(codes, codes[0].width) if with_codes else None
    return Payload(m, *canonical(chunks, np.concatenate(cvs), np.concatenate(svs), both))
