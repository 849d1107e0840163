"""A paged document's furniture left out of its text: running heads and feet, and the entries
of a table of contents or an index with dot leaders (rag/clean.py `_running_lines`,
`_leader_lines`).

For each PDF: its pages, the lines taken for running heads or feet (a short line, the same but
for its numbers, ending no sentence, first or last on 3 pages or more after the first) and for
dot-leader entries ("4.2 ASN.1 field functions ........ 8", 3 or more in the document), and the
sentences (rag/chunk.py, on the cleaned text) that hold a running head's text beside other
words, or a dot leader, with both rules off and on.

    python -m research.page_furniture FILE.pdf [FILE.pdf ...] [--out results/page_furniture.json]

Debian's manuals are at hand: /usr/share/doc/libtasn1-doc/libtasn1.pdf,
/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from research.common import write_json

_DOTS = re.compile(r"(?:\.\s?){4,}")


def sentences_holding(text: str, heads: set[str]) -> dict:
    """Sentences, those holding one of `heads` beside other words, and those holding a dot leader."""
    from rag.chunk import sentences
    from rag.clean import clean

    n = head = dots = 0
    for b in clean(text):
        for s in sentences(b.text):
            t = " ".join(b.text[s.start : s.end].split())
            n += 1
            head += any(h in t and h != t for h in heads)
            dots += _DOTS.search(t) is not None
    return {"sentences": n, "holding a running head": head, "holding a dot leader": dots}


def measure(path: Path) -> dict:
    import rag.clean as C
    from rag.ingest import read_document

    text = read_document(path).text
    lines = C._lines(text)
    running, leaders = C._running_lines(text, lines), C._leader_lines(text, lines)
    heads = {" ".join(text[lines[i][0] : lines[i][1]].split()) for i in running}
    after = sentences_holding(text, heads)
    kept = C._running_lines, C._leader_lines
    C._running_lines = C._leader_lines = lambda raw, lines: set()
    try:
        before = sentences_holding(text, heads)
    finally:
        C._running_lines, C._leader_lines = kept
    return {"pages": text.count("\f") + 1, "running lines": len(running), "distinct heads": len(heads),
            "examples": sorted(heads)[:5], "dot-leader lines": len(leaders), "before": before, "after": after}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdfs", nargs="+", type=Path)
    ap.add_argument("--out", default="results/page_furniture.json")
    a = ap.parse_args(argv)
    res = {}
    for p in a.pdfs:
        res[p.name] = r = measure(p)
        b, f = r["before"], r["after"]
        print(f"{p.name}: {r['pages']} pages, {r['running lines']} running lines, {r['dot-leader lines']} dot-leader "
              f"lines; sentences {b['sentences']} -> {f['sentences']}, holding a running head "
              f"{b['holding a running head']} -> {f['holding a running head']}, a dot leader "
              f"{b['holding a dot leader']} -> {f['holding a dot leader']}", flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
