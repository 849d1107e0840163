"""OCR for pages without a text layer and for images (part of stage 1, ingest).

Tesseract (Debian's tesseract-ocr with the rus and eng data; scripts/setup.sh installs
them where apt is there), run as a process per page (pytesseract finds it and its
languages); PDF pages render with pypdfium2. Only
pages whose text layer is empty or garbage are read this way, so PDFs with text pay
nothing. Without Tesseract such pages are skipped with a message saying why and how
to get it. `python -m bench.ocr` measures accuracy and speed (character error rate on
rendered pages of the bundled corpus, clean and noisy).
"""
from __future__ import annotations

import functools
import os
import shutil

DPI = 300  # bench/ocr.py: CER 0.19 % clean / 0.17 % noisy, against 0.14 % / 0.46 % at 200 dpi; ~11 s a page either way
LANGS = "rus+eng"
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
MIN_LETTERS = 10  # a text layer with fewer letters on a page is "empty" (page numbers, stray marks)
MIN_LETTER_SHARE = 0.3  # a longer text layer mostly of other characters is garbage (a broken font encoding)
MAX_PIXELS = 40_000_000  # a page renders at DPI or smaller: an A4 page at 300 dpi is 8.7 M; a 5 m poster is not 2 G
MAX_PAGES = 1000  # pages of one file read by OCR (about 3 hours on 2 cores)
# Pages read at once, each by one single-threaded Tesseract (OMP_THREAD_LIMIT=1, unless set):
# Tesseract's own OpenMP threads spin on a busy machine, where a page took 36-41 s against 8-10 s
# single-threaded, the same text (issue 31; python -m bench.ocr --speed). Two processes keep
# two cores busy on a quiet machine; pdfium renders the next page meanwhile.
WORKERS = max(1, min(2, os.cpu_count() or 1))
INSTALL = "install Tesseract: apt-get install tesseract-ocr tesseract-ocr-rus (scripts/setup.sh does it)"


class OcrUnavailable(RuntimeError):
    pass


@functools.cache
def unavailable() -> str:
    """Why OCR cannot run here ("" when it can): binding, binary and language data checked once."""
    try:
        import pypdfium2  # noqa: F401
        import pytesseract
    except ImportError as e:
        return f"the OCR packages are missing ({e.name}): reinstall the project (scripts/setup.sh)"
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return f"Tesseract is not installed; {INSTALL}"
    try:
        have = set(pytesseract.get_languages(config=""))
    except Exception as e:  # a broken installation: said, not raised
        return f"Tesseract does not run ({e}); {INSTALL}"
    missing = [lang for lang in LANGS.split("+") if lang not in have]
    return f"Tesseract lacks the language data {', '.join(missing)}; {INSTALL}" if missing else ""


def needs_ocr(page_text: str) -> bool:
    """A page whose text layer holds no real text: empty, a few stray characters, or garbage."""
    text = "".join(page_text.split())
    letters = sum(ch.isalpha() for ch in text)
    return letters < MIN_LETTERS or (len(text) >= 50 and letters < MIN_LETTER_SHARE * len(text))


def tesseract(image, *outputs: str) -> str:
    """What Tesseract prints for a PIL image (the text; with "tsv", its words and their boxes).

    Run here rather than through pytesseract, which starts Tesseract with this process's own
    environment: each run gets OMP_THREAD_LIMIT=1 (WORKERS says why) unless the user set it,
    and setting it in os.environ would also reach libraries loaded later in this process
    (faiss' OpenMP reads it when it loads)."""
    import io
    import subprocess

    import pytesseract

    why = unavailable()
    if why:
        raise OcrUnavailable(why)
    png = io.BytesIO()
    image.convert("L").save(png, format="PNG")
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")
    cmd = [pytesseract.pytesseract.tesseract_cmd, "stdin", "stdout", "-l", LANGS, "--psm", "3", *outputs]
    run = subprocess.run(cmd, input=png.getvalue(), capture_output=True, env=env, check=False)  # noqa: S603
    if run.returncode:
        raise RuntimeError(f"Tesseract failed ({run.returncode}): {run.stderr.decode('utf-8', 'replace').strip()}")
    return run.stdout.decode("utf-8", "replace")


def read_image(image) -> str:
    """The text of one page image (a PIL image), lines kept as Tesseract reads them."""
    return tesseract(image).strip()


def words(image) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The words Tesseract reads on a page image, each with its pixel box (left, top, right, bottom)."""
    out = []
    for line in tesseract(image, "tsv").splitlines()[1:]:  # level page block par line word left top width height conf text
        cells = line.split("\t")
        if len(cells) == 12 and cells[11].strip():
            left, top, width, height = map(int, cells[6:10])
            out.append((cells[11], (left, top, left + width, top + height)))
    return out


def pdf_page_images(path, pages: list[int], dpi: int = DPI):
    """(page index, PIL image) of the given 0-based pages, rendered one at a time."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        for i in pages:
            page = pdf[i]
            try:
                w, h = page.get_size()  # points
                # 0.999: pdfium rounds the pixel size up, which would pass the cap by a few pixels
                scale = min(dpi / 72, 0.999 * (MAX_PIXELS / max(w * h, 1.0)) ** 0.5)
                yield i, page.render(scale=scale).to_pil()
            finally:
                page.close()
    finally:
        pdf.close()


def image_frames(path):
    """(frame, frames in the file) of an image file (a TIFF can hold many pages), as PIL images,
    from one opening of the file."""
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        total = getattr(im, "n_frames", 1)
        for frame in ImageSequence.Iterator(im):
            yield frame.copy(), total
