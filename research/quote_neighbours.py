"""Where the answer is when the first quote misses it (issue 27): which sentence of XQuAD's paragraph.

    python -m research.quote_neighbours [--langs en,ru] [--out results/quote_neighbours.json]

Over eval.quotes' monolingual indexes (held-out articles 24-31), every question whose first
quote does not hold a gold answer is counted by where the answer is: another paragraph than
the quote's, the sentence right after the quote, right before it, or further away in the
same paragraph. If most misses sit next to the quote, the sentence choice is the gap (reading),
not retrieval.
"""
from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from eval.quotes import CACHE, paragraphs, xquad_index
from eval.xquad import DEFAULT_DATA, HELD_OUT


def where_missed(data: Path, lang: str) -> dict[str, int]:
    from rag.chunk import sentences

    idx = xquad_index(data, lang, CACHE)
    c: collections.Counter = collections.Counter()
    for i, p in enumerate(paragraphs(data, lang)):
        if p["article"] not in HELD_OUT:
            continue
        for _qid, question, answers in p["qas"]:
            a = idx.ask(question)
            c["questions"] += 1
            if not a.quotes:
                c["no quote"] += 1
                continue
            q = a.quotes[0]
            if any(x in q.text for x in answers):
                c["first quote holds it"] += 1
                continue
            if q.source != f"p{i:03d}.txt":
                c["missed: another paragraph"] += 1
                continue
            ss = sentences(p["context"])
            k = next((j for j, s in enumerate(ss) if s.start <= q.start < s.end), None)
            holds = lambda j: 0 <= j < len(ss) and any(x in p["context"][ss[j].start : ss[j].end] for x in answers)  # noqa: E731
            place = "next sentence" if k is not None and holds(k + 1) else (
                "previous sentence" if k is not None and holds(k - 1) else "further away")
            c[f"missed: {place}"] += 1
    return dict(sorted(c.items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m research.quote_neighbours")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--langs", default="en,ru")
    ap.add_argument("--out", type=Path, default=Path("results/quote_neighbours.json"))
    a = ap.parse_args(argv)
    res = {lang: where_missed(a.data, lang) for lang in a.langs.split(",")}
    print(json.dumps(res, indent=1, ensure_ascii=False))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
