"""Screenshot of a quote highlighted on its PDF page, in Debian's Chromium.

    python scripts/screenshot_page.py [--out docs/quote-on-page.png]

The first pages of a bundled Russian article are typeset into an image-only PDF (a
scan, as bench/ocr.py makes them); the app indexes it on its first start (the pages
read by OCR), a question is asked, and "Show on the page" opens the page with the
quoted sentence highlighted where it stands (its words found by OCR).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers.app_server import ask, chromium, serve  # noqa: E402
from screenshot import small_png  # noqa: E402

from bench.ocr import scanned_pdf  # noqa: E402

SOURCE = ROOT / "data" / "corpus" / "000_383bcdfe074d5726.txt"
QUESTION = "Когда Президиум ЦИК СССР постановил отменить результаты выборов?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "quote-on-page.png")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        text = SOURCE.read_text(encoding="utf-8")
        scanned_pdf(text[: text.index("\n", 4000)], corpus / "elections-1924-scan.pdf", dpi=200)
        env = {"RAG_INDEX_DIR": str(Path(tmp) / "index"), "RAG_CORPUS_DIR": str(corpus),
               "RAG_UPLOAD_DIR": str(Path(tmp) / "uploads")}
        page = browser.new_page(viewport={"width": 1000, "height": 1900})
        with serve(env, Path(tmp) / "streamlit.log") as url:
            page.goto(url)
            page.locator('[data-testid="stChatInput"] textarea').wait_for(timeout=600_000)
            ask(page, QUESTION)
            page.get_by_text("Show on the page").first.wait_for(timeout=120_000)
            page.get_by_text("Show on the page").first.click()
            page.locator('[data-testid="stImage"] img').first.wait_for(timeout=300_000)
            page.wait_for_timeout(1000)
            page.locator('[data-testid="stImage"]').first.scroll_into_view_if_needed()
            page.mouse.move(500, 10)
            page.wait_for_timeout(500)
            png = small_png(page.screenshot())
    args.out.write_bytes(png)
    print(f"{args.out} ({len(png) // 1024} KB)")


if __name__ == "__main__":
    main()
