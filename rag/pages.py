"""A quote shown on its page: the PDF page (or scanned image) rendered, the quoted
sentence's area highlighted where it stands.

Boxes come from the PDF's text layer (pypdfium2: the quote's words searched on the
page, from its first words to its last, as the layer breaks lines and hyphenates
differently from the cleaned text) or, for a scanned page, from Tesseract's word
boxes. Rendering happens on request; callers cache the result (the app does).
Nothing here reads or shows anything but the file's own page.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from . import ocr

DPI = 110  # on screen: an A4 page about 900 pixels wide
PAGED = {".pdf", *ocr.IMAGE_TYPES}
EDGE_WORDS = 5  # words searched at each end of the quote
_WORD = re.compile(r"\w+")


def find_file(source: str, folders: list[Path], sha256: str) -> Path | None:
    """The file `source` was indexed from: the first of `folders` holding it with the same
    sha256 (a changed file would be highlighted in the wrong place), or None."""
    from .files import sha256_file

    for folder in folders:
        for path in _places(Path(folder), source):
            if path.is_file() and Path(folder).resolve() in path.resolve().parents and sha256_file(path) == sha256:
                return path
    return None


def _places(folder: Path, source: str) -> list[Path]:
    """Where `source` may lie in `folder`: below it, or, for a name that starts with the folder's
    own name (two folders indexed together that each held the name, rag/ingest.py discover:
    `docs/x.pdf`, `a/docs/x.pdf`), below it without that start."""
    parts, own = Path(source).parts, Path(os.path.abspath(folder)).parts
    out = [folder / source]
    for n in range(1, len(parts)):
        if own[-n:] == parts[:n]:
            out.append(folder.joinpath(*parts[n:]))
    return out


def _pdf_boxes(tp, quote: str) -> list[tuple[float, float, float, float]]:
    """Rectangles (PDF points, origin bottom-left) of a text page `tp`, from the quote's
    first words to its last."""
    words = _WORD.findall(quote)

    def find(edge) -> tuple[int, int] | None:
        """(char index, count) of the longest run of edge words the layer holds as a phrase."""
        for n in range(min(EDGE_WORDS, len(words)), 0, -1):  # shorter where the layer breaks it
            s = tp.search(" ".join(edge(n)), match_case=False)
            try:
                if found := s.get_next():
                    return found
            finally:
                s.close()
        return None

    head = find(lambda n: words[:n]) if words else None
    if head is None:
        return []
    tail = find(lambda n: words[-n:])
    start = head[0]
    end = tail[0] + tail[1] if tail and tail[0] >= start else head[0] + head[1]
    return [tp.get_rect(i) for i in range(tp.count_rects(start, end - start))]


def _ocr_boxes(image, quote: str) -> list[tuple[int, int, int, int]]:
    """Pixel boxes of the OCR words that spell the quote (the best-matching run of words)."""
    words = [(w.lower(), box) for w, box in ocr.words(image)]
    want = [w.lower() for w in _WORD.findall(quote)]
    if not want or not words:
        return []
    flat = [("".join(_WORD.findall(w)), box) for w, box in words]
    best, best_at = 0, 0
    for i in range(len(flat)):  # the run of len(want) OCR words sharing the most words with the quote
        score = sum(a == b for (a, _), b in zip(flat[i : i + len(want)], want))
        if score > best:
            best, best_at = score, i
    if best < max(1, len(want) // 2):
        return []
    return [box for _, box in flat[best_at : best_at + len(want)]]


def highlighted_page(path: str | Path, page: int, quote: str, dpi: int = DPI):
    """The 1-based `page` of a PDF or image file as a PIL image with `quote` highlighted,
    and whether it was found there. ValueError for a page the file does not have."""
    from PIL import Image, ImageDraw

    path = Path(path)
    if path.suffix.lower() in ocr.IMAGE_TYPES:
        frames = [frame for frame, _total in ocr.image_frames(path)]
        if not 1 <= page <= len(frames):
            raise ValueError(f"{path.name} has no page {page}")
        image = frames[page - 1].convert("RGB")
        boxes = _ocr_boxes(image, quote) if not ocr.unavailable() else []
    else:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            if not 1 <= page <= len(pdf):
                raise ValueError(f"{path.name} has no page {page}")
            p = pdf[page - 1]
            scale = dpi / 72
            image = p.render(scale=scale).to_pil().convert("RGB")
            _w, h = p.get_size()
            tp = p.get_textpage()
            try:
                rects, scanned = _pdf_boxes(tp, quote), ocr.needs_ocr(tp.get_text_range())
            finally:
                tp.close()
            boxes = [(x0 * scale, (h - y1) * scale, x1 * scale, (h - y0) * scale) for x0, y0, x1, y1 in rects]
            if scanned and not ocr.unavailable():  # no text layer: the index read it by OCR, so do we
                hi = p.render(scale=ocr.DPI / 72).to_pil()
                k = dpi / ocr.DPI
                boxes = [(a * k, b * k, c * k, d * k) for a, b, c, d in _ocr_boxes(hi, quote)]
            p.close()
        finally:
            pdf.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1 in boxes:
        draw.rectangle((x0 - 2, y0 - 2, x1 + 2, y1 + 2), fill=(255, 170, 0, 90), outline=(230, 120, 0, 255))
    return Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB"), bool(boxes)
