"""A PDF's running heads and feet left out of its text (rag/clean.py `_running_lines`).

For each PDF: its pages, the lines taken for running heads or feet (a short line, the same
but for its numbers, first or last on 3 pages or more after the first), and the sentences
(rag/chunk.py, on the cleaned text) that hold one of those lines' text inside them: with the
rule off, each such sentence is a head run into the text a page break cut.

    python -m research.running_heads FILE.pdf [FILE.pdf ...] [--out results/running_heads.json]

Debian's manuals are at hand: /usr/share/doc/libtasn1-doc/libtasn1.pdf,
/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from research.common import write_json


def sentences_holding(text: str, heads: set[str]) -> tuple[int, int]:
    """(sentences, of them those holding one of `heads` with other words beside it)."""
    from rag.chunk import sentences
    from rag.clean import clean

    n = held = 0
    for b in clean(text):
        for s in sentences(b.text):
            t = " ".join(b.text[s.start : s.end].split())
            n += 1
            held += any(h in t and h != t for h in heads)
    return n, held


def measure(path: Path) -> dict:
    import rag.clean as C
    from rag.ingest import read_document

    text = read_document(path).text
    lines = C._lines(text)
    found = C._running_lines(text, lines)
    heads = {" ".join(text[lines[i][0] : lines[i][1]].split()) for i in found}
    after = sentences_holding(text, heads)
    kept = C._running_lines
    C._running_lines = lambda raw, lines: set()
    try:
        before = sentences_holding(text, heads)
    finally:
        C._running_lines = kept
    return {"pages": text.count("\f") + 1, "running lines": len(found), "distinct": len(heads),
            "examples": sorted(heads)[:5], "sentences before": before[0], "holding a head before": before[1],
            "sentences after": after[0], "holding a head after": after[1]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="+", type=Path)
    ap.add_argument("--out", default="results/running_heads.json")
    a = ap.parse_args(argv)
    res = {}
    for p in a.pdfs:
        res[p.name] = r = measure(p)
        print(f"{p.name}: {r['pages']} pages, {r['running lines']} running lines ({r['distinct']} distinct); sentences "
              f"holding one {r['holding a head before']} of {r['sentences before']} -> {r['holding a head after']} of "
              f"{r['sentences after']}", flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
