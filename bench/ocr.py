"""OCR accuracy and speed on scans made from the bundled corpus: python -m bench.ocr [--recall]

Pages of Russian and English text from data/corpus are typeset onto A4 images
(DejaVu Serif 11 pt) at 200 and 300 dpi, clean and noisy (grey-level noise, specks,
a slight blur and a rotation of up to 1.5 degrees), and read back through rag/ocr.py.
The character error rate is the edit distance between what OCR read and the typeset
text (whitespace folded) over the typeset text's length; seconds per page alongside.

--recall: documents 000 (ru) and 004 (en) typeset as image-only PDFs (scans without a
text layer) and indexed with documents 001 and 003 as text; the corpus questions on
000 and 004 asked of that index and of the same four documents as text: recall@5 of
each, a passage counting when it holds the question's evidence (fuzzy match, as OCR
and the text file break lines differently). Writes results/ocr.json.

--speed N: an image-only PDF of N typeset pages read by rag.ingest.read_document as before
issue 31 (one page at a time, Tesseract's own OpenMP threads) and as now (rag/ocr.py WORKERS
pages at once, each Tesseract single-threaded), alternating, REPEATS times: seconds a page
and the load average beside each (the figures move with what else the machine runs).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from .children import ROOT

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
CORPUS = ROOT / "data" / "corpus"
SAMPLES = [("ru", "000_383bcdfe074d5726.txt", 2000), ("ru", "001_beb6170ce5aff926.txt", 9000),
           ("en", "002_cc85b1e9376323c6.txt", 40000), ("en", "004_64a8e76e9b4471a2.txt", 500)]
PAGE_CHARS = 2400  # about one A4 page at 11 pt


def typeset(text: str, dpi: int) -> list:
    """A4 page images of `text` (folded to one paragraph per blank-line block), black on white."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, round(11 * dpi / 72))
    lines = [ln for block in text.split("\n\n") for ln in (textwrap.wrap(" ".join(block.split()), 80) + [""])]
    step, top = round(15 * dpi / 72), round(0.8 * dpi)
    per_page = (round(11.69 * dpi) - 2 * top) // step
    pages = []
    for i in range(0, len(lines), per_page):
        img = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
        d = ImageDraw.Draw(img)
        for j, ln in enumerate(lines[i : i + per_page]):
            d.text((top, top + j * step), ln, font=font, fill=0)
        pages.append(img)
    return pages


def noisy(img, rng):
    """A poor scan: rotated up to 1.5 degrees, blurred a little, grey noise and dark specks."""
    from PIL import Image, ImageFilter

    img = img.rotate(float(rng.uniform(-1.5, 1.5)), resample=Image.BICUBIC, expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    a = np.asarray(img, dtype=np.float32) + rng.normal(0, 18, (img.height, img.width))
    specks = rng.random((img.height, img.width)) < 0.002
    a[specks] = 40
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def fold(text: str) -> str:
    return " ".join(text.split())


def cer(read: str, truth: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(fold(read), fold(truth)) / max(1, len(fold(truth)))


def accuracy(dpis=(200, 300), seed: int = 0) -> dict:
    from rag import ocr

    rng = np.random.default_rng(seed)
    rows = []
    for lang, name, start in SAMPLES:
        text = (CORPUS / name).read_text(encoding="utf-8")[start : start + PAGE_CHARS]
        text = text[: text.rfind(" ")]  # whole words
        for dpi in dpis:
            page = typeset(text, dpi)[0]
            for kind, img in (("clean", page), ("noisy", noisy(page, rng))):
                t = time.perf_counter()
                got = ocr.read_image(img)
                rows.append({"lang": lang, "doc": name[:3], "dpi": dpi, "kind": kind,
                             "cer": round(cer(got, text), 4), "seconds": round(time.perf_counter() - t, 2)})
                print(json.dumps(rows[-1]), flush=True)
    summary = {}
    for dpi in dpis:
        for kind in ("clean", "noisy"):
            sel = [r for r in rows if r["dpi"] == dpi and r["kind"] == kind]
            summary[f"{dpi}dpi {kind}"] = {"cer_mean": round(float(np.mean([r["cer"] for r in sel])), 4),
                                           "cer_max": max(r["cer"] for r in sel),
                                           "seconds_per_page": round(float(np.mean([r["seconds"] for r in sel])), 2)}
    return {"pages": rows, "summary": summary}


def scanned_pdf(text: str, path: Path, dpi: int = 300) -> int:
    pages = typeset(text, dpi)
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=dpi)
    return len(pages)


def recall() -> dict:
    import rag
    from eval.run import load_questions
    from rapidfuzz import fuzz

    scanned = ("000_383bcdfe074d5726.txt", "004_64a8e76e9b4471a2.txt")
    texts = ("001_beb6170ce5aff926.txt", "003_98b11808eddf6934.txt")
    items = [it for it in load_questions() if it.source in scanned]

    def found(hits, it) -> bool:  # the evidence inside the passage, whatever the line breaks
        ev = fold(it.evidence).replace("- ", "").replace("-", "")
        return any(fuzz.partial_ratio(ev, fold(h.text).replace("-", "")) >= 90 for h in hits)

    out = {"questions": len(items)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "text").mkdir()
        (tmp / "scan").mkdir()
        for name in scanned + texts:
            (tmp / "text" / name).write_bytes((CORPUS / name).read_bytes())
        for name in texts:
            (tmp / "scan" / name).write_bytes((CORPUS / name).read_bytes())
        pages = 0
        for name in scanned:
            pages += scanned_pdf((CORPUS / name).read_text(encoding="utf-8"), tmp / "scan" / f"{name[:-4]}.pdf")
        for kind in ("text", "scan"):
            t = time.perf_counter()
            idx = rag.build([tmp / kind], tmp / f"{kind}-index")
            secs = time.perf_counter() - t
            hits = [idx.search(it.question, k=5) for it in items]
            out[kind] = {"recall@5": round(sum(found(h, it) for h, it in zip(hits, items)) / len(items), 3),
                         "build_seconds": round(secs, 1),
                         "warnings": [list(w) for w in idx.last_report.warnings]}
        out["scanned_pages"] = pages
        out["ocr_seconds_per_page"] = round((out["scan"]["build_seconds"] - out["text"]["build_seconds"]) / pages, 2)
    return out


SPEED_RUNS = {"before: 1 page at a time, Tesseract's threads": (1, "1024"),
              "1 page at a time, single-threaded": (1, "1"),
              "now: 2 pages at once, single-threaded": (2, "1")}


def speed(pages: int, repeats: int = 2) -> dict:
    from rag import ocr
    from rag.ingest import read_document

    text = (CORPUS / "001_beb6170ce5aff926.txt").read_text(encoding="utf-8")[9000 : 9000 + PAGE_CHARS * pages]
    rows, saved = [], (ocr.WORKERS, os.environ.get("OMP_THREAD_LIMIT"))
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "scan.pdf"
        n = scanned_pdf(text, pdf)
        try:
            for _ in range(repeats):
                for label, (workers, threads) in SPEED_RUNS.items():
                    ocr.WORKERS, os.environ["OMP_THREAD_LIMIT"] = workers, threads
                    t = time.perf_counter()
                    chars = len(read_document(pdf).text)
                    rows.append({"run": label, "pages": n, "seconds_per_page": round((time.perf_counter() - t) / n, 2),
                                 "chars": chars, "load1": round(os.getloadavg()[0], 1)})
                    print(json.dumps(rows[-1]), flush=True)
        finally:
            ocr.WORKERS = saved[0]
            if saved[1] is None:
                os.environ.pop("OMP_THREAD_LIMIT", None)
            else:
                os.environ["OMP_THREAD_LIMIT"] = saved[1]
    return {"runs": rows, "median_seconds_per_page": {
        label: round(float(np.median([r["seconds_per_page"] for r in rows if r["run"] == label])), 2) for label in SPEED_RUNS}}


def main(argv: list[str] | None = None) -> int:
    from rag import ocr

    ap = argparse.ArgumentParser(prog="python -m bench.ocr", description=__doc__.split("\n\n")[0])
    ap.add_argument("--recall", action="store_true", help="also index scanned versions of two documents")
    ap.add_argument("--speed", type=int, metavar="PAGES", help="only the speed of reading a scan of PAGES pages")
    ap.add_argument("--out", default=str(ROOT / "results" / "ocr.json"))
    a = ap.parse_args(argv)
    if ocr.unavailable():
        raise SystemExit(f"bench.ocr: {ocr.unavailable()}")
    if a.speed:
        res = {"cpus": os.cpu_count(), "speed": speed(a.speed)}
        print(json.dumps(res["speed"]["median_seconds_per_page"], indent=1))
        out = Path(a.out).with_name("ocr-speed.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    res = {"cpus": os.cpu_count(), "loadavg": os.getloadavg(), "accuracy": accuracy()}
    if a.recall:
        res["recall"] = recall()
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(res["accuracy"]["summary"], indent=1))
    if a.recall:
        print(json.dumps({k: v for k, v in res["recall"].items()}, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
