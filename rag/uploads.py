"""Rules for documents uploaded through the app: names, limits, where they are kept.

Pure functions (apart from `save_upload`/`delete_upload`), so the app stays UI only and
the rules are tested without a browser. An uploaded file is indexed under its file name
(`Index.add` names a single file by its name), so a name equal to a bundled document's
would replace that document in the index: such names are refused, never renamed quietly.
"""
from __future__ import annotations

import dataclasses
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .files import replace_file
from .ingest import SUPPORTED, discover

if TYPE_CHECKING:
    from .index import Index
    from .types import BuildReport

MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_UPLOAD_FILES = 10
UPLOAD_TYPES = tuple(sorted(ext.lstrip(".") for ext in SUPPORTED))  # for st.file_uploader(type=)
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\- ]+")  # \w is Unicode: Cyrillic names stay readable
_SPACES = re.compile(r"[\s_]+")


class UploadError(ValueError):
    pass


@dataclass(frozen=True)
class Upload:
    """One file offered for upload: its name as given and its size in bytes."""

    name: str
    size: int


@dataclass(frozen=True)
class UploadCheck:
    accepted: tuple[tuple[str, str], ...] = ()  # (name as given, safe name to save under)
    refused: tuple[tuple[str, str], ...] = ()  # (name as given, reason)
    replaced: tuple[str, ...] = ()  # safe names of accepted files that replace an earlier upload


def sanitize_upload_name(name: str) -> str:
    """A safe file name for an upload, or UploadError.

    Keeps the base name only (a browser may send "C:\\dir\\a.txt" or "../a.txt"),
    letters of any script, digits, ".", "-", "_"; no leading dot (hidden files, "..").
    """
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    stem, dot, ext = base.rpartition(".")
    if not dot:
        raise UploadError(f"{name!r}: no file extension; supported: {', '.join(UPLOAD_TYPES)}")
    ext = ext.lower()
    if ext not in UPLOAD_TYPES:
        raise UploadError(f"{name!r}: unsupported format .{ext}; supported: {', '.join(UPLOAD_TYPES)}")
    stem = _SPACES.sub("_", _UNSAFE.sub("_", stem)).strip("._- ")
    if not stem:
        raise UploadError(f"{name!r}: no usable characters in the file name")
    return f"{stem[: MAX_NAME_CHARS - len(ext) - 1]}.{ext}"


def megabytes(size: int, limit: int = MAX_UPLOAD_BYTES) -> str:
    """`size` in MB with as many decimals as it takes to differ from `limit` (20 MB and one
    byte is "20.000001 MB", never "20.0 MB", which would read as within the limit)."""
    mb, cap = size / 2**20, limit / 2**20
    for decimals in range(1, 8):
        shown = f"{mb:.{decimals}f}"
        if (float(shown) > cap) == (size > limit) and float(shown) != cap:
            return f"{shown} MB"
    return f"{size:,} bytes"


def too_large(size: int, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    return f"file too large ({megabytes(size, max_bytes)} > {max_bytes / 2**20:g} MB)"


def too_many(n: int, max_files: int = MAX_UPLOAD_FILES) -> str:
    return f"too many files at once ({n} > {max_files}); upload at most {max_files}"


def check_upload(files: list[Upload], protected: set[str], max_files: int = MAX_UPLOAD_FILES,
                 max_bytes: int = MAX_UPLOAD_BYTES, existing: set[str] = frozenset(),
                 replace: bool = True) -> UploadCheck:
    """Which offered files may be saved and indexed, and why the others may not.

    `protected`: names of indexed documents that are not uploads (the bundled corpus);
    an upload under such a name is refused. Too many files refuses the whole upload.
    `existing`: names already uploaded; with `replace` False an upload under one of them
    is refused (HTTP asks for ?replace=true), else it is accepted and listed in `replaced`.
    """
    if len(files) > max_files:
        why = too_many(len(files), max_files)
        return UploadCheck(refused=tuple((f.name, why) for f in files))
    accepted: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    replaced: list[str] = []
    taken: set[str] = set()
    kept = {e.casefold(): e for e in existing}
    for f in files:
        try:
            safe = sanitize_upload_name(f.name)
        except UploadError as e:
            refused.append((f.name, str(e).split(": ", 1)[-1]))
            continue
        if f.size > max_bytes:
            refused.append((f.name, too_large(f.size, max_bytes)))
        elif f.size == 0:
            refused.append((f.name, "empty file"))
        elif safe.casefold() in {p.casefold() for p in protected}:
            refused.append((f.name, f"a bundled document is named {safe}; rename the file"))
        elif safe.casefold() in taken:
            refused.append((f.name, f"given twice (as {safe})"))
        elif safe.casefold() in kept and not replace:
            refused.append((f.name, f"{safe} is already uploaded; replace it on purpose (HTTP: ?replace=true) "
                                    f"or rename the file"))
        else:
            if safe.casefold() in kept:  # under the earlier upload's spelling: one document, not two
                safe = kept[safe.casefold()]
                replaced.append(safe)
            taken.add(safe.casefold())
            accepted.append((f.name, safe))
    return UploadCheck(tuple(accepted), tuple(refused), tuple(replaced))


def protected_names(indexed: list[str], uploaded: list[str], bundled: list[str]) -> set[str]:
    """Names an upload may not take: indexed documents that are not uploads, and
    the bundled corpus' files (even one removed from the index comes back on a rebuild)."""
    return (set(indexed) - set(uploaded)) | set(bundled)


def upload_dir(index_dir: str | os.PathLike, corpus_dir: str | os.PathLike | None = None,
               env: dict[str, str] | None = None) -> Path:
    """Where uploads are kept: $RAG_UPLOAD_DIR, else "uploads" next to the index folder.

    Never inside the bundled corpus (a rebuild would index uploads as corpus files,
    and removing an upload deletes its file).
    """
    env = os.environ if env is None else env
    folder = Path(env.get("RAG_UPLOAD_DIR") or Path(index_dir).resolve().parent / "uploads").resolve()
    if corpus_dir is None:  # rag serve: an index without a bundled corpus
        return folder
    corpus = Path(corpus_dir).resolve()
    if folder == corpus or corpus in folder.parents:
        raise UploadError(f"the upload folder {folder} is inside the corpus folder {corpus}; set RAG_UPLOAD_DIR")
    return folder


def save_upload(folder: Path, safe_name: str, data: bytes) -> Path:
    """Write an upload under its sanitised name; a partial write never replaces an older file."""
    if sanitize_upload_name(safe_name) != safe_name:
        raise UploadError(f"{safe_name!r} is not a sanitised name")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name
    replace_file(target, data)
    return target


def delete_upload(folder: Path, source: str) -> bool:
    """Delete the saved file of an uploaded document; False when `source` is not an upload."""
    try:
        safe = sanitize_upload_name(source)
    except UploadError:
        return False
    path = folder / safe
    if safe != source or not path.is_file():
        return False
    path.unlink()
    return True


def list_uploads(folder: Path) -> list[str]:
    """Names of the uploaded files kept in `folder` (partial writes excluded)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def bundled_names(corpus_dir: Path) -> list[str]:
    """Source names of the bundled corpus' files, as the index names them."""
    return [source for _path, source in discover([corpus_dir])[0]]


def add_uploads(index: Index, folder: Path, files: list[tuple[str, bytes]], protected: set[str],
                progress: Callable[[str, int, int], None] | None = None,
                replace: bool = True) -> tuple[UploadCheck, BuildReport | None]:
    """Check, save and index uploaded files: (UploadCheck, BuildReport or None when none passed).

    `files`: (name as given, content). Saved first, then indexed incrementally with
    `index.add`; a file the index then skips (unreadable, no text) is deleted again so
    the upload folder holds only indexed documents. `replace`: whether a file may take the
    name of an earlier upload (check_upload). The report's reasons name files, never the
    server's folders (a reply may go to another machine).
    """
    data = dict(files)
    check = check_upload([Upload(name, len(content)) for name, content in files], protected,
                         existing=set(list_uploads(folder)), replace=replace)
    if not check.accepted:
        return check, None
    paths = [save_upload(folder, safe, data[name]) for name, safe in check.accepted]
    report = index.add(paths, progress=progress)
    indexed = {d.source for d in index.documents()}
    for source, _reason in report.skipped:
        if source not in indexed:  # an older, readable version stays with its file
            delete_upload(folder, source)
    return check, dataclasses.replace(report, skipped=tuple((s, names_only(r)) for s, r in report.skipped),
                                      warnings=tuple((s, names_only(r)) for s, r in report.warnings))


# a folder part of an absolute path: "/srv/rag/uploads/", "C:\\data\\" (a relative "1/2" is left alone)
_FOLDERS = re.compile(r"(?<![\w.~:/])(?:[A-Za-z]:)?[/\\](?:[^/\\\s'\"`]+[/\\])+")


def names_only(text: str) -> str:
    """`text` with the folders of absolute paths dropped: a reader's message such as "cannot
    identify image file '/srv/uploads/x.png'" names the file, not where the server keeps it."""
    return _FOLDERS.sub("", text)


def remove_document(index: Index, folder: Path, source: str) -> BuildReport:
    """Remove a document from the index; an uploaded one's saved file goes too, a bundled
    corpus file is never touched. Returns the BuildReport."""
    report = index.remove(source)
    if source in list_uploads(folder):
        delete_upload(folder, source)
    return report
