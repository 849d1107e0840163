"""Screenshot of a cross-lingual answer on the bundled corpus, and the app's start-to-answer time.

    python scripts/screenshot.py [--index index] [--out docs/chat-crosslingual.png]

The built index is copied to a temporary folder first: the app may write into its
index (uploads, removals) and the original stays untouched. Times are measured from
`streamlit run` to the chat being ready and to the first answer being on screen,
in Debian's Chromium (the same setup as tests/test_browser_slow.py).
"""
from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers.app_server import CHAT_INPUT, ask, chromium, serve

QUESTION = "Кто предложил проводить альтернативные выборы по новой конституции?"
MAX_BYTES = 300_000


def small_png(png: bytes) -> bytes:
    """The screenshot as a palette PNG when the full-colour one is over MAX_BYTES."""
    if len(png) <= MAX_BYTES:
        return png
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, default=ROOT / "index")
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "chat-crosslingual.png")
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--wait-for", default="cross-lingual", help="text on the page that says the answer is shown")
    args = ap.parse_args()
    if not (args.index / "manifest.json").is_file():
        sys.exit(f"no index at {args.index}: build it first (rag index {args.corpus} -o {args.index})")
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        index = Path(tmp) / "index"
        shutil.copytree(args.index, index)
        env = {"RAG_INDEX_DIR": str(index), "RAG_CORPUS_DIR": str(args.corpus.resolve()),
               "RAG_UPLOAD_DIR": str(Path(tmp) / "uploads")}
        page = browser.new_page(viewport={"width": 1100, "height": 1700})
        t0 = time.perf_counter()
        with serve(env, Path(tmp) / "streamlit.log") as url:
            page.goto(url)
            page.locator(CHAT_INPUT).wait_for(timeout=300_000)
            ready = time.perf_counter() - t0
            ask(page, args.question)
            page.get_by_text(args.wait_for, exact=False).first.wait_for(timeout=120_000)
            answered = time.perf_counter() - t0
            page.wait_for_timeout(500)  # let the last elements settle before the picture
            # the chat sticks to its end; scroll it back up as a reader would, to show the question
            page.mouse.move(700, 600)
            page.mouse.wheel(0, -5000)
            page.mouse.move(700, 20)  # onto the empty header: no hover shading in the picture
            page.wait_for_timeout(500)
            png = small_png(page.screenshot())
    args.out.write_bytes(png)
    print(f"chat ready {ready:.1f} s, first answer {answered:.1f} s after `streamlit run`; "
          f"{args.out} ({len(png) // 1024} KB)")


if __name__ == "__main__":
    main()
