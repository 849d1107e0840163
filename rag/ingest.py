"""Read files into decoded text (stage 1 of the pipeline).

The decoded text is the coordinate system of every offset the product
reports: for .txt/.md it equals `Path(f).read_text(encoding=...)` (universal
newlines), for PDF the page texts joined by form feeds, for .docx/.html the
extracted text as built here.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import logging
import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from . import ocr

# A .docx is a zip: a 342 KB file held 200 MB of empty paragraphs and took over 8 GB to read.
# Real documents unpack to a few MB (images included); the limit is checked before unpacking.
MAX_UNZIPPED_BYTES = 64 << 20
SUPPORTED = {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm", *ocr.IMAGE_TYPES}
MAX_FILE_BYTES = 200 * 1024 * 1024


class IngestError(ValueError):
    """A file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the folder it was indexed from
    path: str
    text: str
    sha256: str
    encoding: str
    page_starts: tuple[int, ...] | None = None  # paged formats: offsets where pages 2, 3, ... begin
    warnings: tuple[str, ...] = ()  # read, but with a problem the user should know of

    def page_at(self, offset: int) -> int | None:
        return page_at(self.page_starts, offset)


def page_at(page_starts, offset: int) -> int | None:
    """1-based page of a text offset; None for formats without pages."""
    if page_starts is None:
        return None
    return bisect_right(page_starts, offset) + 1


# ---------------------------------------------------------------- text files
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(data: bytes) -> str:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc
    head = data[:4096]
    if b"\x00" in head:
        # UTF-16 without BOM: Cyrillic and ASCII put a 0x00 or 0x04 byte at
        # every other position; it must be checked before UTF-8, which
        # accepts NUL bytes
        even, odd = head[0::2], head[1::2]
        for hi, enc in ((even, "utf-16-be"), (odd, "utf-16-le")):
            if len(hi) and sum(b in (0, 4) for b in hi) > 0.9 * len(hi):
                try:
                    data.decode(enc)
                    return enc
                except UnicodeDecodeError:
                    break
        raise IngestError("binary data, not text (NUL bytes)")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _invalid_utf8(data) * 20 <= sum(c > "\x7f" for c in data.decode("utf-8", "ignore")):
        return "utf-8"  # UTF-8 with a few bad bytes (a damaged copy), not a legacy encoding
    from charset_normalizer import from_bytes

    # Russian files in the wild are cp1251 or koi8-r; let the detector choose
    # among the plausible legacy encodings only, never an exotic one.
    best = from_bytes(data, cp_isolation=["cp1251", "koi8_r", "cp866", "iso8859_5", "cp1252", "latin_1"]).best()
    if best is None:
        raise IngestError("unknown text encoding (not UTF-8/16, cp1251, koi8-r)")
    return best.encoding


def _invalid_utf8(data: bytes) -> int:
    """Number of byte sequences that are not valid UTF-8."""
    return data.decode("utf-8", "replace").count("\ufffd") - data.decode("utf-8", "ignore").count("\ufffd")


def decode_text(data: bytes, encoding: str) -> str:
    # TextIOWrapper with newline=None is what Path.read_text does: the offsets
    # we report must index the same string a user gets from read_text().
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline=None).read()


def _read_text_file(data: bytes) -> tuple[str, str, None]:
    enc = detect_encoding(data)
    text = decode_text(data, enc)
    if text and text.count("\ufffd") > len(text) * 0.1 or _looks_binary(text):
        raise IngestError("binary data, not text")
    return text, enc, None


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    ctrl = sum(1 for c in sample if ord(c) < 32 and c not in "\n\r\t\f\v")
    return ctrl > len(sample) * 0.05


# ---------------------------------------------------------------------- PDF
# pypdf logs what it repairs or gives up on ("invalid pdf header", "EOF marker not found"); with
# no logging set up Python prints that to stderr, in the middle of the build's progress bars,
# and the file's reason is said once in the build's report anyway. A NullHandler keeps it off
# stderr; an application that sets up logging still receives it.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def _read_pdf(path: Path, on_page=None) -> tuple[str, str, tuple[int, ...], tuple[str, ...]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as e:
                raise IngestError(f"encrypted PDF ({e})") from e
            if not ok:
                raise IngestError("encrypted PDF (password required)")
        pages = [_with_gaps(p) for p in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, OSError, KeyError, TypeError) as e:
        raise IngestError(f"unreadable PDF ({type(e).__name__}: {e})") from e
    blank = [i for i, p in enumerate(pages) if ocr.needs_ocr(p)]
    enc, warnings = "pdf", ()
    if blank:
        pages, enc, warnings = _ocr_pdf(path, pages, blank, on_page)
    return _join_pages(pages), enc, _page_starts(pages), warnings


def _with_gaps(page) -> str:
    """A page's text (pypdf's plain extraction, in its reading order), with a blank line after
    each line that stands apart from the next on the page: pypdf's plain text has none, so a
    heading ran into the paragraph under it ("ELECTIONS OF 1924 1. Introduction The turnout…").
    Where the vertical gaps are is read from pypdf's layout mode, and only where its lines are
    the plain text's, word for word (two columns, which it lays side by side, keep the plain
    text as it is); rag/clean.py reads the blank lines as it reads a text file's."""
    plain = page.extract_text() or ""
    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode fails on pages plain mode reads: the plain text stands
        return plain
    words = [" ".join(line.split()) for line in layout.split("\n")]
    last = max((i for i, w in enumerate(words) if w), default=-1)  # a gap only before more text
    out, j = [], 0
    for line in plain.split("\n"):
        if line.strip():
            while j < len(words) and not words[j]:
                j += 1
            if j == len(words) or words[j] != " ".join(line.split()):
                return plain
            j += 1
        out.append(line + ("\n" if line.strip() and j <= last and not words[j] else ""))
    return plain if j <= last else "\n".join(out)


def _ocr_pdf(path: Path, pages: list[str], blank: list[int], on_page=None) -> tuple[list[str], str, tuple[str, ...]]:
    """Read the pages without a text layer by OCR, or say why they could not be read.
    `on_page(done, total)` after each page: a long scan shows its progress."""
    why = ocr.unavailable()
    if why and len(blank) == len(pages):
        raise IngestError(f"PDF has no text layer (scanned?) and OCR is unavailable: {why}")
    if why:
        return pages, "pdf", (f"{_pages(blank)} without a text layer not read: OCR is unavailable: {why}",)
    if len(blank) > ocr.MAX_PAGES:
        raise IngestError(f"{len(blank)} scanned pages, over the limit of {ocr.MAX_PAGES} read by OCR per file")
    pages = list(pages)
    if on_page:
        on_page(0, len(blank))  # said now: the first page alone takes 10-30 s
    try:
        for k, (i, text) in enumerate(_read_pages(ocr.pdf_page_images(path, blank)), 1):
            pages[i] = text
            if on_page:
                on_page(k, len(blank))
    except Exception as e:  # pdfium or Tesseract failing on this file: named, the build goes on
        raise IngestError(f"OCR failed ({type(e).__name__}: {e})") from e
    read = [i for i in blank if not ocr.needs_ocr(pages[i])]  # blank pages stay blank, unremarked
    if not read and len(blank) == len(pages):
        raise IngestError("PDF has no text layer, and OCR found no text on its pages (blank, or not a scan of text?)")
    if not read:
        return pages, "pdf", ()
    return pages, "pdf+ocr", (f"{_pages(read)} read by OCR (Tesseract {ocr.LANGS}): check quotes against the page",)


def _read_pages(images):
    """(page index, text) of (page index, image) pairs, in their order: ocr.WORKERS pages are read
    by Tesseract at once while the next is rendered here (pdfium is not thread-safe), so at most
    WORKERS + 1 page images are held."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(ocr.WORKERS, thread_name_prefix="ocr") as pool:
        reading: deque = deque()
        for i, image in images:
            reading.append((i, pool.submit(ocr.read_image, image)))
            if len(reading) >= ocr.WORKERS:
                i, page = reading.popleft()
                yield i, page.result()
        while reading:
            i, page = reading.popleft()
            yield i, page.result()


def _pages(rows: list[int]) -> str:
    shown = ", ".join(str(i + 1) for i in rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
    return f"page{'s' if len(rows) > 1 else ''} {shown}"


def _join_pages(pages: list[str]) -> str:
    return "\f".join(pages)  # a form feed between pages


def _page_starts(pages: list[str]) -> tuple[int, ...]:
    """Offsets where pages 2, 3, ... begin in _join_pages(pages)."""
    starts, pos = [], 0
    for p in pages[:-1]:
        pos += len(p) + 1
        starts.append(pos)
    return tuple(starts)


# -------------------------------------------------------------------- images
def _read_image(path: Path, on_page=None) -> tuple[str, str, tuple[int, ...], tuple[str, ...]]:
    """A scanned page (or a multi-page TIFF) read by OCR, one page per frame."""
    from PIL import Image, UnidentifiedImageError

    why = ocr.unavailable()
    if why:
        raise IngestError(f"an image is read by OCR, which is unavailable: {why}")
    pages, frames = [], [0]

    def numbered():
        for n, (frame, total) in enumerate(ocr.image_frames(path)):
            if n >= ocr.MAX_PAGES:
                raise IngestError(f"over {ocr.MAX_PAGES} pages in one image file")
            if on_page and n == 0:
                on_page(0, total)  # said before the first page, which alone takes 10-30 s
            frames[0] = total
            yield n, frame

    try:
        for _, text in _read_pages(numbered()):
            pages.append(text)
            if on_page:
                on_page(len(pages), frames[0])
    except IngestError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as e:
        raise IngestError(f"unreadable image ({type(e).__name__}: {e})") from e
    except Exception as e:
        raise IngestError(f"OCR failed ({type(e).__name__}: {e})") from e
    return _join_pages(pages), "image+ocr", _page_starts(pages), (
        f"read by OCR (Tesseract {ocr.LANGS}): check quotes against the image",)


# --------------------------------------------------------------------- DOCX
_CHUNK = 1 << 16  # bytes unpacked at a time: the memory a zip member can take while it is checked


def _unpacked_copy(path: Path) -> io.BytesIO:
    """The .docx's members, unpacked here with a running count, as an uncompressed zip in memory
    for python-docx to open.

    Why not let python-docx open the file: zipfile reads a member in one call that inflates the
    whole stream (up to 2 GB) before it cuts it to the size the header states, so a 1 MB file whose
    headers claim 1,000 bytes took the server from 1.2 to 3.1 GB (issue 31). The header sizes are
    only a first check (_read_docx); here nothing is trusted but the bytes inflated so far."""
    import zipfile

    out, total = io.BytesIO(), 0
    with open(path, "rb") as f, zipfile.ZipFile(f) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for info in z.infolist():
            if info.is_dir():
                continue
            with copy.open(info.filename, "w", force_zip64=True) as dst:
                for piece in _member(f, info, MAX_UNZIPPED_BYTES - total):
                    dst.write(piece)
                    total += len(piece)
    out.seek(0)
    return out


def _member(f, info, budget: int):
    """The unpacked bytes of one zip member, at most _CHUNK at a time, read from its local
    header on; IngestError once they pass `budget` bytes, or when they disagree with the header."""
    import struct
    import zipfile
    import zlib

    name = info.filename
    if info.flag_bits & 0x1:
        raise IngestError(f"encrypted .docx ({name} is encrypted)")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise IngestError(f"corrupt .docx ({name}: unknown compression method {info.compress_type})")
    f.seek(info.header_offset)
    head = f.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise IngestError(f"corrupt .docx ({name}: no local header)")
    f.seek(info.header_offset + 30 + sum(struct.unpack("<HH", head[26:30])))  # past the name and extra field
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, size, crc = info.compress_size, 0, 0
    while left > 0 and not (inflate and inflate.eof):
        data = f.read(min(_CHUNK, left))
        if not data:
            break
        left -= len(data)
        while data and not (inflate and inflate.eof):  # however well it compresses: _CHUNK out per step
            piece = inflate.decompress(data, _CHUNK) if inflate else data
            data = inflate.unconsumed_tail if inflate else b""
            size += len(piece)
            if size > budget:
                raise IngestError(f"corrupt .docx ({name} unpacks to more than "
                                  f"{MAX_UNZIPPED_BYTES / 2**20:.0f} MB; a zip bomb?)")
            crc = zlib.crc32(piece, crc)
            yield piece
    if (not inflate.eof) if inflate else left > 0:  # the stream, or the stored bytes, end early
        raise IngestError(f"corrupt .docx ({name} is cut short)")
    if size != info.file_size:
        raise IngestError(f"corrupt .docx ({name} unpacks to {size:,} bytes, its header says {info.file_size:,})")
    if crc != info.CRC:
        raise IngestError(f"corrupt .docx (bad CRC-32 for {name})")


def _docx_mark(p) -> str:
    """Markdown's "# " for a paragraph in a heading style ("Heading 2": "## ", "Title": "# "),
    and a bullet "• " for a list's item ("List Bullet", "List Number 2": Word numbers them, the
    text holds no number), so that rag/clean.py ends their paragraphs: a heading or an item has
    no full stop, and would run into the text after it (a bullet, unlike "- ", is an item
    wherever it stands: rag/clean.py BULLET)."""
    name = (p.style.name if p.style is not None else "") or ""
    m = re.fullmatch(r"(?:Heading|heading)\s*([1-6])", name)
    if m:
        return "#" * int(m.group(1)) + " "
    return "# " if name == "Title" else "• " if name.startswith("List ") else ""


def _read_docx(path: Path) -> tuple[str, str, None]:
    import zipfile

    import docx

    try:
        with zipfile.ZipFile(path) as z:  # sizes from the zip directory: nothing is unpacked yet
            unpacked = sum(i.file_size for i in z.infolist())
        if unpacked > MAX_UNZIPPED_BYTES:
            raise IngestError(f".docx unpacks to {unpacked / 2**20:.1f} MB, over the {MAX_UNZIPPED_BYTES / 2**20:.1f} MB limit "
                              "(a zip bomb, or a document too large to read)")
        d = docx.Document(_unpacked_copy(path))  # the headers may lie: checked while unpacking
    except IngestError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise IngestError(f"corrupt .docx ({type(e).__name__}: {e})") from e
    except Exception as e:
        raise IngestError(f"corrupt .docx ({type(e).__name__}: {e})") from e
    blocks = [_docx_mark(p) + p.text for p in d.paragraphs]
    for t in d.tables:
        blocks.append("\n".join(" | ".join(c.text.strip() for c in row.cells) for row in t.rows))
    return "\n\n".join(b for b in blocks if b.strip()), "docx", None


# --------------------------------------------------------------------- HTML
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP = {"script", "style", "nav", "header", "footer", "noscript", "template", "svg", "head"}
_BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
          "blockquote", "pre", "table", "ul", "ol", "dd", "dt"}


def html_to_text(html: str) -> str:
    """Visible text, block elements as paragraph breaks; scripts, styles, navigation and comments dropped.

    Parsed by libxml2 (lxml, already required by python-docx): linear on broken markup, where the
    standard library's parser was quadratic (repeated unclosed `<a `: 8/16/32/64 KB took
    1.4/3.8/14.8/66 s in issue 15; 1 MB now 0.03 s, python -m bench.hostile) and showed an
    unclosed `<!--` as text."""
    import lxml.html
    from lxml import etree

    try:  # bytes, so that a document's own encoding declaration cannot clash with the decoded text
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError):
        return ""  # nothing but markup, or nothing at all
    out: list[str] = []
    skip = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):  # iterative: any nesting depth
        tag = el.tag.lower() if isinstance(el.tag, str) else None  # None: a comment or instruction
        if event == "start":
            if tag in _SKIP:
                skip += 1
            elif tag in _BLOCK and not skip:
                # a heading and a list's item marked as a .docx's are (_docx_mark)
                out.append("\n\n" + ("#" * int(tag[1]) + " " if tag in _HEADINGS else "• " if tag == "li" else ""))
            if tag is not None and not skip and el.text:
                out.append(el.text)
        else:
            if tag in _SKIP:
                skip -= 1
            elif tag in _BLOCK and not skip:
                out.append("\n\n")
            if not skip and el.tail:
                out.append(el.tail)
    text = re.sub(r"[ \t]*\n[ \t\n]*\n[ \t\n]*", "\n\n", "".join(out))
    return text.strip()


def _read_html(data: bytes) -> tuple[str, str, None]:
    text, enc, _ = _read_text_file(data)
    return html_to_text(text), enc, None


# ------------------------------------------------------------------- entry
def read_document(path: str | os.PathLike, source: str | None = None, on_page=None) -> Document:
    """Read one file. Raises IngestError naming the problem. `on_page(done, total)`: progress
    of the pages read by OCR (the only slow part of reading)."""
    p = Path(path)
    src = source or p.name
    try:
        if not p.is_file():
            raise IngestError(f"{src}: not a regular file")
        ext = p.suffix.lower()
        if ext not in SUPPORTED:
            raise IngestError(f"{src}: unsupported format {ext or '(none)'}; supported: {', '.join(sorted(SUPPORTED))}")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(f"{src}: file too large ({size >> 20} MB > {MAX_FILE_BYTES >> 20} MB)")
        data = p.read_bytes()
    except OSError as e:
        raise IngestError(f"{src}: cannot read ({e.strerror or e})") from e
    if not data.strip():
        raise IngestError(f"{src}: empty file")
    warnings: tuple[str, ...] = ()
    try:
        if ext == ".pdf":
            text, enc, pages, warnings = _read_pdf(p, on_page)
        elif ext in ocr.IMAGE_TYPES:
            text, enc, pages, warnings = _read_image(p, on_page)
        elif ext == ".docx":
            text, enc, pages = _read_docx(p)
        elif ext in (".html", ".htm"):
            text, enc, pages = _read_html(data)
        else:
            text, enc, pages = _read_text_file(data)
    except IngestError as e:
        raise IngestError(f"{src}: {e}") from None
    if not text.strip():
        raise IngestError(f"{src}: no text")
    if enc == "utf-8" and (bad := _invalid_utf8(data)):
        warnings = (f"{bad} invalid UTF-8 byte sequence{'s' if bad > 1 else ''} replaced by U+FFFD",)
    return Document(src, str(p), text, hashlib.sha256(data).hexdigest(), enc, pages, warnings)


UNDECODABLE = "the file name is not valid UTF-8 (rename the file)"


def _undecodable(name: str) -> bool:
    """os.walk hands bytes that are not UTF-8 back as lone surrogates; such a name cannot be
    stored, hashed or shown (it crashed the build after embedding, good files included)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def discover(paths: list[str | os.PathLike]) -> tuple[list[tuple[Path, str]], list[tuple[str, str]]]:
    """Expand files and folders into (file, source name) pairs.

    A folder's files are named relative to that folder; a single file by its
    name. Links that point outside a given folder, and link loops, are skipped
    with a reason rather than followed; an index folder inside (ours: a
    manifest.json with our fields) is passed over, its files are not documents.
    Two different files that would get the same name from different folders
    are both kept, each named with its folder (`dA/note.txt`, `dB/note.txt`):
    `sync dA dB` must not drop one of them (issue 31).
    """
    found: list[tuple[Path, str, Path]] = []  # (file, name, the folder it is named from)
    skipped: list[tuple[str, str]] = []
    for given in paths:
        root = Path(given)
        if root.is_file():
            if _undecodable(root.name):
                skipped.append((root.name, UNDECODABLE))
            else:
                found.append((root, root.name, root.parent))
            continue
        if not root.is_dir():
            skipped.append((str(given), "no such file or folder"))
            continue
        found += _walk(root, skipped)
    found = _apart(found, skipped)
    found.sort(key=lambda x: x[1])
    return found, skipped


def _walk(root: Path, skipped: list) -> list[tuple[Path, str, Path]]:
    """The supported files below `root`, named relative to it; what is left out goes to `skipped`."""
    found = []
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if _is_index_folder(Path(dirpath), filenames):
            dirnames[:] = []  # an index's files (and its bm25 folders) are no documents
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            f = Path(dirpath) / name
            rel = f.relative_to(root).as_posix()
            if _undecodable(rel):
                skipped.append((rel, UNDECODABLE))
                continue
            if f.is_symlink():  # before the format: a loop named `loop` is a loop, not a format
                try:
                    target = f.resolve(strict=True)
                except (OSError, RuntimeError):
                    skipped.append((rel, "broken link or link loop"))
                    continue
                if real_root not in target.parents:
                    skipped.append((rel, "link points outside the indexed folder"))
                    continue
            if Path(name).suffix.lower() not in SUPPORTED:
                skipped.append((rel, f"unsupported format {Path(name).suffix or '(none)'}"))
                continue
            found.append((f, rel, root))
    return found


def _is_index_folder(folder: Path, filenames: list[str]) -> bool:
    """Whether `folder` holds an index of ours (an index kept inside the folder it indexes)."""
    import json

    from .store import MANIFEST

    if MANIFEST not in filenames:
        return False
    try:
        d = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(d, dict) and {"format_version", "data", "files", "model"} <= d.keys()


def _apart(found: list[tuple[Path, str, Path]], skipped: list) -> list[tuple[Path, str]]:
    """(file, name) pairs in which two different files never share a name: those that would
    are named with as much of their folder's path as tells them apart. The same file given
    twice (a folder and a file in it) keeps one name; the writer indexes it once."""
    by_name: dict[str, list[tuple[Path, str, Path]]] = {}
    for item in found:
        by_name.setdefault(item[1], []).append(item)
    out = []
    for name, items in by_name.items():
        if len({_real(f) for f, _, _ in items}) == 1:
            out += [(f, name) for f, _, _ in items]
            continue
        labels = _labels([r for _, _, r in items])
        out += [(f, f"{labels[r]}/{name}") for f, _, r in items]
    taken: dict[str, Path] = {}
    kept = []
    for f, name in out:  # a prefixed name may meet a real one (dA's own subfolder dB/)
        if _undecodable(name):
            skipped.append((name, UNDECODABLE))
        elif taken.setdefault(name, _real(f)) != _real(f):
            skipped.append((name, f"another file given is also named {name}; rename one"))
        else:
            kept.append((f, name))
    return kept


def _real(f: Path) -> Path:
    try:
        return f.resolve()
    except (OSError, RuntimeError):
        return f


def _labels(roots: list[Path]) -> dict[Path, str]:
    """The shortest ends of the folders' full paths that tell them apart: `dA` and `dB`, or
    `a/docs` and `b/docs`."""
    full = {r: Path(os.path.abspath(r)).parts for r in roots}  # as given: a linked folder keeps its name
    distinct = set(full.values())
    for n in range(1, max(map(len, distinct)) + 1):
        ends = {p[-n:] for p in distinct}
        if len(ends) == len(distinct):
            return {r: "/".join(p[-n:]).lstrip("/") or "/" for r, p in full.items()}
    return {r: "/".join(p).lstrip("/") for r, p in full.items()}
