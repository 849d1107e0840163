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
        pages = [p.extract_text() or "" for p in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, OSError, KeyError, TypeError) as e:
        raise IngestError(f"unreadable PDF ({type(e).__name__}: {e})") from e
    blank = [i for i, p in enumerate(pages) if ocr.needs_ocr(p)]
    enc, warnings = "pdf", ()
    if blank:
        pages, enc, warnings = _ocr_pdf(path, pages, blank, on_page)
    return _join_pages(pages), enc, _page_starts(pages), warnings


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
    try:
        for k, (i, image) in enumerate(ocr.pdf_page_images(path, blank), 1):
            pages[i] = ocr.read_image(image)
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
    pages = []
    try:
        for frame, total in ocr.image_frames(path):
            if len(pages) >= ocr.MAX_PAGES:
                raise IngestError(f"over {ocr.MAX_PAGES} pages in one image file")
            pages.append(ocr.read_image(frame))
            if on_page:
                on_page(len(pages), total)
    except IngestError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as e:
        raise IngestError(f"unreadable image ({type(e).__name__}: {e})") from e
    except Exception as e:
        raise IngestError(f"OCR failed ({type(e).__name__}: {e})") from e
    return _join_pages(pages), "image+ocr", _page_starts(pages), (
        f"read by OCR (Tesseract {ocr.LANGS}): check quotes against the image",)


# --------------------------------------------------------------------- DOCX
def _read_docx(path: Path) -> tuple[str, str, None]:
    import zipfile

    import docx

    try:
        with zipfile.ZipFile(path) as z:  # sizes from the zip directory: nothing is unpacked yet
            unpacked = sum(i.file_size for i in z.infolist())
        if unpacked > MAX_UNZIPPED_BYTES:
            raise IngestError(f".docx unpacks to {unpacked / 2**20:.1f} MB, over the {MAX_UNZIPPED_BYTES / 2**20:.1f} MB limit "
                              "(a zip bomb, or a document too large to read)")
        d = docx.Document(str(path))
    except IngestError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise IngestError(f"corrupt .docx ({type(e).__name__}: {e})") from e
    except Exception as e:
        raise IngestError(f"corrupt .docx ({type(e).__name__}: {e})") from e
    blocks = [p.text for p in d.paragraphs]
    for t in d.tables:
        blocks.append("\n".join(" | ".join(c.text.strip() for c in row.cells) for row in t.rows))
    return "\n\n".join(b for b in blocks if b.strip()), "docx", None


# --------------------------------------------------------------------- HTML
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
                out.append("\n\n")
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
    with a reason rather than followed.
    """
    found: list[tuple[Path, str]] = []
    skipped: list[tuple[str, str]] = []
    for given in paths:
        root = Path(given)
        if root.is_file():
            if _undecodable(root.name):
                skipped.append((root.name, UNDECODABLE))
            else:
                found.append((root, root.name))
            continue
        if not root.is_dir():
            skipped.append((str(given), "no such file or folder"))
            continue
        real_root = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                f = Path(dirpath) / name
                rel = f.relative_to(root).as_posix()
                if _undecodable(rel):
                    skipped.append((rel, UNDECODABLE))
                    continue
                if Path(name).suffix.lower() not in SUPPORTED:
                    skipped.append((rel, f"unsupported format {Path(name).suffix or '(none)'}"))
                    continue
                if f.is_symlink():
                    try:
                        target = f.resolve(strict=True)
                    except (OSError, RuntimeError):
                        skipped.append((rel, "broken link or link loop"))
                        continue
                    if real_root not in target.parents:
                        skipped.append((rel, "link points outside the indexed folder"))
                        continue
                found.append((f, rel))
    found.sort(key=lambda x: x[1])
    return found, skipped
