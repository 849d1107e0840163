"""A quote shown on its page (rag/pages.py): the highlight lands on the quote's characters
in a PDF's text layer, and on its words in a scan (Tesseract's boxes)."""
from __future__ import annotations

import numpy as np
import pytest
from helpers.docs import make_pdf

from rag import ocr
from rag.files import sha256_file
from rag.pages import find_file, highlighted_page

LINE = "Hello election 1924 in the village soviets"


def orange(image) -> np.ndarray:
    """Mask of the highlight's pixels (orange over white or over black text)."""
    a = np.asarray(image).astype(int)
    r, b = a[..., 0], a[..., 2]
    return (r - b > 60) & (r > 120)


def test_the_highlight_covers_the_quote_and_nothing_else(tmp_path):
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(make_pdf([LINE]))
    plain, _ = highlighted_page(pdf, 1, "nothing of the kind")
    img, found = highlighted_page(pdf, 1, "election 1924 in the village")
    assert found and img.size == plain.size
    ys, xs = np.nonzero(orange(img))
    text = np.asarray(plain.convert("L")) < 128  # the glyphs
    tys, txs = np.nonzero(text)
    # the line of text, at y = 792 - 700 points from the top; "Hello " stays outside the box
    assert tys.min() - 6 <= ys.min() and ys.max() <= tys.max() + 6
    hello = txs.min() + (txs.max() - txs.min()) * len("Hello ") / len(LINE)
    assert xs.min() >= hello - 8 and xs.min() > txs.min() + 20
    assert xs.max() < txs.max() - 20  # "soviets" stays outside too
    inside = text[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    assert inside.sum() > 0.5 * text[:, txs.min() + 1 :].sum() * len("election 1924 in the village") / len(LINE)


def test_a_quote_not_on_the_page_is_said(tmp_path):
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(make_pdf([LINE]))
    img, found = highlighted_page(pdf, 1, "Stalin's letter to the Politburo")
    assert not found and not orange(img).any()
    with pytest.raises(ValueError, match="no page 2"):
        highlighted_page(pdf, 2, "election")


def test_find_file_checks_the_content_and_the_folder(tmp_path):
    (tmp_path / "a").mkdir()
    f = tmp_path / "a" / "doc.pdf"
    f.write_bytes(make_pdf([LINE]))
    sha = sha256_file(f)
    assert find_file("doc.pdf", [tmp_path / "none", tmp_path / "a"], sha) == f
    assert find_file("doc.pdf", [tmp_path / "a"], "0" * 64) is None  # changed since it was indexed
    assert find_file("../a/doc.pdf", [tmp_path / "b"], sha) is None


@pytest.mark.skipif(bool(ocr.unavailable()), reason="needs Tesseract (scripts/setup.sh)")
def test_on_a_scan_the_words_are_found_by_ocr(tmp_path):
    from bench.ocr import typeset

    text = ("The chess tournament was won by a young player from Leningrad, who defeated the "
            "reigning champion in the final round of 1925.")
    typeset(text, 150)[0].save(tmp_path / "scan.png")
    img, found = highlighted_page(tmp_path / "scan.png", 1, "won by a young player from Leningrad")
    assert found
    ys, xs = np.nonzero(orange(img))
    assert len(xs) and xs.max() - xs.min() > 100  # a run of words, on the first line of text
