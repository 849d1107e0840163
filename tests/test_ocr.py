"""OCR of scanned pages (rag/ocr.py through rag/ingest.py): scans made here by typesetting
text onto images; pages with a text layer never go to OCR; without Tesseract, a clear
reason and the rest of the document still indexed. Tesseract comes from scripts/setup.sh
(CI installs it; elsewhere these tests skip without it)."""
from __future__ import annotations

import os

import pytest
from helpers.docs import make_pdf

import rag
from bench.ocr import cer, noisy, scanned_pdf, typeset
from rag import ocr
from rag.ingest import IngestError, read_document

RU = ("Президиум ЦИК СССР постановил отменить результаты выборов и провести перевыборы там, "
      "где проголосовали менее 35 % избирателей. Явка на выборах в сельсоветы составила 37,2 %.")
EN = ("The chess tournament was won by a young player from Leningrad, who defeated the reigning "
      "champion in the final round of 1925.")


@pytest.fixture(autouse=True)
def tesseract():
    if ocr.unavailable():
        if os.environ.get("CI"):
            pytest.fail(f"CI must install Tesseract (scripts/setup.sh): {ocr.unavailable()}")
        pytest.skip(ocr.unavailable())


def test_a_scanned_pdf_is_read_by_ocr(tmp_path):
    pdf = tmp_path / "scan.pdf"
    scanned_pdf(f"{RU}\n\n{EN}", pdf, dpi=300)
    doc = read_document(pdf)
    assert doc.encoding == "pdf+ocr" and doc.page_starts == ()  # one page
    assert cer(doc.text, f"{RU} {EN}") <= 0.03
    assert any("read by OCR" in w for w in doc.warnings)


def test_a_noisy_scan_is_still_read(tmp_path):
    import numpy as np

    page = noisy(typeset(RU, 300)[0], np.random.default_rng(1))
    page.save(tmp_path / "noisy.png")
    doc = read_document(tmp_path / "noisy.png")
    assert doc.encoding == "image+ocr" and cer(doc.text, RU) <= 0.08


def test_only_pages_without_text_go_to_ocr(tmp_path, monkeypatch):
    # page 1 has a text layer, page 2 is a scan: OCR reads page 2 only, offsets and pages as for text
    from pypdf import PdfReader, PdfWriter

    text = tmp_path / "text.pdf"
    text.write_bytes(make_pdf(["Elections of 1924 in the village soviets and their turnout figures"]))
    scan = tmp_path / "scan.pdf"
    scanned_pdf(EN, scan, dpi=300)
    w = PdfWriter()
    for f in (text, scan):
        w.add_page(PdfReader(str(f)).pages[0])
    mixed = tmp_path / "mixed.pdf"
    with open(mixed, "wb") as fh:
        w.write(fh)
    seen = []
    real = ocr.read_image
    monkeypatch.setattr(ocr, "read_image", lambda img: seen.append(img.size) or real(img))
    doc = read_document(mixed)
    assert len(seen) == 1 and doc.encoding == "pdf+ocr"
    assert doc.text.startswith("Elections of 1924") and doc.page_at(doc.text.index("chess")) == 2
    assert cer(doc.text[doc.page_starts[0]:], EN) <= 0.03
    assert "page 2 read by OCR" in doc.warnings[0]


@pytest.mark.parametrize("text, needs", [("", True), ("12", True), ("– 3 –\n", True), ("Глава 1. Выборы", False),
                                         ("Second page votes", False), ("\u25a1\u25a0\u2022 " * 30 + "ab", True)])
def test_what_counts_as_no_text_layer(text, needs):
    assert ocr.needs_ocr(text) is needs


def test_a_text_pdf_never_goes_to_ocr(tmp_path, monkeypatch):
    monkeypatch.setattr(ocr, "read_image", lambda img: pytest.fail("OCR on a page with text"))
    (tmp_path / "t.pdf").write_bytes(make_pdf(["Hello election 1924 with enough letters here", "Second page votes"]))
    doc = read_document(tmp_path / "t.pdf")
    assert doc.encoding == "pdf" and doc.warnings == ()


def test_without_tesseract_the_reason_is_given(tmp_path, monkeypatch):
    why = "Tesseract is not installed; install it"
    monkeypatch.setattr(ocr, "unavailable", lambda: why)
    scanned_pdf(EN, tmp_path / "scan.pdf", dpi=200)
    with pytest.raises(IngestError, match="no text layer .* OCR is unavailable: Tesseract is not installed"):
        read_document(tmp_path / "scan.pdf")
    typeset(EN, 200)[0].save(tmp_path / "page.png")
    with pytest.raises(IngestError, match="OCR, which is unavailable"):
        read_document(tmp_path / "page.png")


def test_an_unreadable_image_is_skipped_with_a_reason(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(IngestError, match="unreadable image"):
        read_document(tmp_path / "broken.jpg")


def test_a_scan_is_indexed_and_found(tmp_path, small_corpus):
    from helpers.fakes import FakeEmbedder

    typeset(EN, 300)[0].save(small_corpus / "chess.png")
    idx = rag.build([small_corpus], tmp_path / "i", model=FakeEmbedder())
    assert "chess.png" in idx.last_report.indexed
    assert ("chess.png", f"read by OCR (Tesseract {ocr.LANGS}): check quotes against the image") in \
        idx.last_report.warnings
    hit = idx.search("chess tournament Leningrad", k=1, retriever="bm25")[0]
    assert hit.source == "chess.png" and hit.page == 1


def test_a_long_scan_reports_each_page_and_holds_no_search(tmp_path, small_corpus, monkeypatch):
    # OCR runs inside the writer; a search meanwhile reads the last generation and does not wait
    import threading

    from PIL import Image

    from helpers.fakes import FakeEmbedder

    idx = rag.build([small_corpus], tmp_path / "i", model=FakeEmbedder())
    pages = [Image.new("L", (300, 400), 255) for _ in range(3)]
    pages[0].save(tmp_path / "scan.pdf", save_all=True, append_images=pages[1:])
    inside, go = threading.Event(), threading.Event()

    def slow_ocr(image):
        inside.set()
        assert go.wait(60)
        return EN

    monkeypatch.setattr(ocr, "read_image", slow_ocr)
    seen: list[tuple] = []
    t = threading.Thread(target=lambda: seen.append(idx.add([tmp_path / "scan.pdf"], progress=lambda *a: seen.append(a))))
    t.start()
    try:
        assert inside.wait(60)
        assert idx.search("выборы в сельсоветы", k=2) and t.is_alive()  # answered while the scan is read
    finally:
        go.set()
        t.join(60)
    assert [a for a in seen if isinstance(a, tuple) and a[0] == "ocr"] == [("ocr", k, 3) for k in range(4)]
    assert seen[-1].indexed == ("scan.pdf",)


@pytest.mark.parametrize("name", ["scan.pdf", "scan.tif"])
def test_the_ocr_stage_is_said_before_its_first_page_is_read(tmp_path, monkeypatch, name):
    """Issue 31, 16: the progress stood at "read 0/1" for ~30 s, the first page's OCR, before
    the OCR stage showed at all."""
    from PIL import Image

    pages = [Image.new("L", (300, 400), 255) for _ in range(2)]
    pages[0].save(tmp_path / name, save_all=True, append_images=pages[1:])
    said: list[tuple] = []

    def ocr_page(image):
        said.append("page")
        return EN

    monkeypatch.setattr(ocr, "read_image", ocr_page)
    read_document(tmp_path / name, on_page=lambda done, total: said.append((done, total)))
    assert said[0] == (0, 2) and said.count("page") == 2  # pages are read two at a time: "page"s may meet
    assert [x for x in said if x != "page"] == [(0, 2), (1, 2), (2, 2)]


@pytest.mark.parametrize("name", ["scan.pdf", "scan.tif"])
def test_two_pages_are_read_at_once_and_kept_in_order(tmp_path, monkeypatch, name):
    import threading
    import time

    from PIL import Image

    pages = [Image.new("L", (300 + 20 * i, 400), 255) for i in range(5)]  # told apart by their width
    pages[0].save(tmp_path / name, save_all=True, append_images=pages[1:])
    lock, running, most, calls = threading.Lock(), [0], [0], []

    def ocr_page(image):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            first = most[0] == 1 and running[0] == 1 and not calls
            calls.append(image.width)
        time.sleep(0.3 if first else 0.05)  # the first page slowest: a later one ends before it
        with lock:
            running[0] -= 1
        return f"Page of width {image.width:05d} read"

    monkeypatch.setattr(ocr, "WORKERS", 2)
    monkeypatch.setattr(ocr, "read_image", ocr_page)
    texts = read_document(tmp_path / name).text.split("\f")
    assert len(texts) == 5 and texts == sorted(texts) and most[0] == 2


def test_an_image_bomb_is_refused_before_decoding(tmp_path):
    # a PNG whose header claims 40000 x 40000 pixels (1.6 G): PIL refuses it on open
    import struct
    import zlib

    from PIL import Image

    Image.new("L", (1, 1), 255).save(tmp_path / "small.png")
    data = bytearray((tmp_path / "small.png").read_bytes())
    ihdr = data.index(b"IHDR")
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", 40000, 40000)
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr : ihdr + 17])))
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(IngestError, match="unreadable image .*DecompressionBomb"):
        read_document(tmp_path / "bomb.png")


def test_a_huge_page_renders_within_the_pixel_cap(tmp_path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(14400, 14400)  # 200 x 200 inches: 3.7 G pixels at 300 dpi
    with open(tmp_path / "poster.pdf", "wb") as f:
        w.write(f)
    ((_, image),) = list(ocr.pdf_page_images(tmp_path / "poster.pdf", [0]))
    assert image.width * image.height <= ocr.MAX_PIXELS
