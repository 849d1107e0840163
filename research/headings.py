"""Headings in the quotes (docs/answers.md section 5, 2026-12-06).

A PDF's title or section heading has no full stop: before rag/clean.py `heading`, the cleaner
ran it into the first sentence under it ("И. В. ПАВЛОВА МЕХАНИЗМ ВЛАСТИ … Abstract This book is
…"). This counts, for the bundled corpus, the sentences that are headings under today's
cleaner and splitter, and, for each index given, the questions of the corpus set and both
follow-up sets (asked alone, as typed) whose quotes hold one of those headings: the first
quote, and any quote.

    python -m research.headings --index data/corpus-index [--index /tmp/old-corpus-index]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.chunk import sentences
from rag.clean import clean, heading

ROOT = Path(__file__).resolve().parents[1]
SETS = sorted((ROOT / "eval" / "questions").glob("*.jsonl")) + [
    ROOT / "eval" / "followups.jsonl", ROOT / "eval" / "followups_heldout.jsonl"]


def corpus_headings(corpus: Path, min_chars: int = 8) -> set[str]:
    """The heading sentences of the corpus (of `min_chars` or more: "1." alone is no heading's text)."""
    out = set()
    for f in sorted(corpus.glob("*.txt")):
        for b in clean(f.read_text(encoding="utf-8")):
            out |= {t for s in sentences(b.text) if heading(t := b.text[s.start : s.end]) and len(t) >= min_chars}
    return out


def quoted(index: str, heads: set[str]) -> dict:
    import rag

    idx = rag.load(index)
    n = first = any_quote = 0
    examples = []
    for path in SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)["question"]
            a = idx.ask(q)
            n += 1
            held = [any(h in x.text for h in heads) for x in a.quotes]
            first += bool(held) and held[0]
            any_quote += any(held)
            if held and held[0]:
                examples.append(f"{q[:70]} | {a.quotes[0].text[:100]}")
    return {"questions": n, "first_quote_holds_a_heading": first, "any_quote_holds_one": any_quote,
            "examples": examples}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", action="append", required=True)
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    a = ap.parse_args(argv)
    heads = corpus_headings(a.corpus)
    print(f"heading sentences in {a.corpus}: {len(heads)}")
    for index in a.index:
        print(index, json.dumps(quoted(index, heads), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
