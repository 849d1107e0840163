"""A PDF's vertical gaps as blank lines (rag/ingest.py `_with_gaps`, docs/answers.md section 5).

pypdf's plain extraction gives a page's lines with no blank line anywhere, so a heading runs into
the paragraph under it. The product reads each page a second time in pypdf's layout mode, and
puts a blank line after each plain line that layout mode shows standing apart from the next,
where the two agree line by line. This measures, for the PDFs given: pages, pages that got gaps
and pages left as they were (no gap on the page, or the two modes disagree: columns, layout
mode failing), blank lines added, and pypdf's time for the plain text alone against both.

    python -m research.pdf_gaps FILE.pdf [FILE.pdf ...] [--pages 30]
"""
from __future__ import annotations

import argparse
import time

from rag.ingest import _with_gaps


def measure(path: str, pages: int) -> dict:
    from pypdf import PdfReader

    reader = PdfReader(path)
    chosen = reader.pages[:pages]
    t = time.perf_counter()
    plain = [p.extract_text() or "" for p in chosen]
    t_plain = time.perf_counter() - t
    t = time.perf_counter()
    gapped = [_with_gaps(p) for p in chosen]
    t_both = time.perf_counter() - t
    changed = sum(g != p for g, p in zip(gapped, plain))
    return {"pages": len(chosen), "with_gaps": changed, "unchanged": len(chosen) - changed,
            "blank_lines_added": sum(g.count("\n\n") - p.count("\n\n") for g, p in zip(gapped, plain)),
            "plain_s": round(t_plain, 3), "plain_and_layout_s": round(t_both, 3),
            "ratio": round(t_both / max(t_plain, 1e-9), 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pdfs", nargs="+")
    ap.add_argument("--pages", type=int, default=30)
    a = ap.parse_args(argv)
    for path in a.pdfs:
        print(path, measure(path, a.pages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
