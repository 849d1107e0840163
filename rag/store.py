"""Persistence (stage 5): plain files plus manifest.json, written atomically.

Every data file name carries a generation number and manifest.json names the
files of its generation with their sha256. A build writes the new
generation's files first and replaces manifest.json last (os.replace is
atomic), so a build killed at any moment leaves the previous manifest
pointing at complete, unchanged files. Stale generations are removed after
the switch. No pickle anywhere: JSON lines, .npy without pickle, FAISS' own
format, bm25s' JSON + .npy.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .files import sha256_file

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class IndexError_(RuntimeError):
    """An index folder that cannot be used; the message says what to do."""


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
    # sentences: (offset in text, end in text, source start, source end, row in sentence matrix)
    sents: tuple[tuple[int, int, int, int, int], ...]


@dataclass
class Manifest:
    format_version: int
    model: dict
    dim: int
    settings: dict
    files: dict  # source -> {"sha256", "chunks", "langs", "encoding", "bytes"}
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
        raise IndexError_(f"no index at {folder} (no {MANIFEST}); build one with: rag index PATH -o {folder}")
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise IndexError_(f"{p} is not valid JSON ({e}); rebuild the index with: rag index PATH -o {folder}") from e
    if not isinstance(d, dict) or d.get("format_version") != FORMAT_VERSION:
        got = d.get("format_version") if isinstance(d, dict) else None
        raise IndexError_(
            f"{folder} was written in index format {got}, this version reads format {FORMAT_VERSION}; "
            f"rebuild it with: rag index PATH -o {folder}"
        )
    try:
        m = Manifest(**d)
    except TypeError as e:
        raise IndexError_(f"{p} is missing fields ({e}); rebuild the index") from e
    types = {"model": dict, "dim": int, "settings": dict, "files": dict, "data": dict, "generation": int,
             "index_type": str}
    bad = [k for k, t in types.items() if not isinstance(getattr(m, k), t)]
    bad += [f"data.{k}" for k, v in (m.data.items() if isinstance(m.data, dict) else ())
            if not (isinstance(v, dict) and isinstance(v.get("name"), str) and isinstance(v.get("sha256"), str))]
    if bad:
        raise IndexError_(f"{p} has fields of the wrong type ({', '.join(bad)}); rebuild the index")
    return m


# ------------------------------------------------------------------ payload
@dataclass
class Payload:
    """Everything an index holds in memory."""

    manifest: Manifest
    chunks: list[ChunkRecord]
    chunk_vectors: np.ndarray  # float32 [n, dim]
    sent_vectors: np.ndarray  # float32 [m, dim]


def write(folder: Path, p: Payload, extra: dict[str, callable] | None = None) -> Manifest:
    """Write a new generation and switch manifest.json to it.

    `extra`: role -> writer(path) for the search structures (FAISS, BM25)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexError_(f"cannot create the index folder {folder}: {e.strerror or e}") from e
    if not os.access(folder, os.W_OK):
        raise IndexError_(f"cannot write to {folder} (read-only?)")
    gen = _current_generation(folder) + 1
    tag = f"{gen:06d}"
    names = {
        "chunks": f"chunks.{tag}.jsonl",
        "chunk_vectors": f"chunk_vectors.{tag}.npy",
        "sent_vectors": f"sent_vectors.{tag}.npy",
    }
    try:
        lines = "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in p.chunks)
        _fsync_write(folder / names["chunks"], lines.encode("utf-8"))
        for role in ("chunk_vectors", "sent_vectors"):
            arr = np.ascontiguousarray(getattr(p, role), dtype=np.float32)
            with open(folder / names[role], "wb") as f:
                np.save(f, arr, allow_pickle=False)
                f.flush()
                os.fsync(f.fileno())
        for role, writer in (extra or {}).items():  # search structures: FAISS, BM25
            name = f"{role}.{tag}"
            writer(folder / name)
            names[role] = name
        data = {role: {"name": n, "sha256": _tree_sha256(folder / n)} for role, n in names.items()}
        m = Manifest(**{**asdict(p.manifest), "data": data, "generation": gen})
        tmp = folder / f".{MANIFEST}.{tag}.tmp"
        _fsync_write(tmp, m.to_json().encode("utf-8"))
        os.replace(tmp, folder / MANIFEST)  # the commit point: no cleanup after this
    except (OSError, RuntimeError) as e:  # FAISS reports a failed write (e.g. disk full) as RuntimeError
        # this generation's files, also the one being written when it failed (a full disk needs the space)
        for n in {*names.values(), *(f"{role}.{tag}" for role in (extra or {})), f".{MANIFEST}.{tag}.tmp"}:
            w = folder / n
            shutil.rmtree(w, ignore_errors=True) if w.is_dir() else w.unlink(missing_ok=True)
        why = getattr(e, "strerror", None) or str(e).rsplit(": ", 1)[-1]
        raise IndexError_(f"could not write the index to {folder}: {why}; the previous index is unchanged") from e
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
    for f in folder.iterdir():
        if _GEN.search(f.name) and f.name not in keep:
            shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink(missing_ok=True)


def read(folder: Path, verify: bool = True) -> Payload:
    m = read_manifest(folder)
    for role, d in m.data.items():
        path = folder / d["name"]
        if not path.exists():
            raise IndexError_(f"{folder}: data file {d['name']} is missing; rebuild the index")
        if verify and _tree_sha256(path) != d["sha256"]:
            raise IndexError_(f"{folder}: data file {d['name']} is corrupt (checksum mismatch); rebuild the index")
    try:
        chunks = []
        with open(folder / m.data["chunks"]["name"], encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                d["sents"] = tuple(tuple(s) for s in d["sents"])
                chunks.append(ChunkRecord(**d))
        cv = np.load(folder / m.data["chunk_vectors"]["name"], allow_pickle=False)
        sv = np.load(folder / m.data["sent_vectors"]["name"], allow_pickle=False)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexError_(f"{folder}: unreadable index data ({e}); rebuild the index") from e
    if len(chunks) != len(cv) or cv.shape[1:] != (m.dim,):
        raise IndexError_(f"{folder}: chunk records and vectors disagree; rebuild the index")
    return Payload(m, chunks, cv, sv)
