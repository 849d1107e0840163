"""Extractive answers (stage 7): quote the best sentences, or abstain.

No text is generated: a quote is a sentence of a retrieved passage, with its
own source span. `found` is False when the evidence is
below the calibrated threshold (see eval/calibrate.py): the cosine between
the question and the best sentence of the top passages. `context` gives the
text around a passage or quote, for reading it in place.
"""
from __future__ import annotations

import numpy as np

from .store import ChunkRecord
from .types import Answer, Hit


def quotes_from(candidates: list[tuple[Hit, int, float, str, tuple[int, int], int | None]],
                max_quotes: int, margin: float = 1.0) -> list[Hit]:
    """Pick quotes from scored sentences.

    `candidates`: (passage hit, sentence row, sentence score, sentence text,
    source span, page). The best sentence always; others within `margin` of it
    (standardised units), at most one per passage, best first.
    """
    if not candidates:
        return []
    order = sorted(candidates, key=lambda c: (-c[2], c[0].source, c[4][0]))
    best = order[0][2]
    out: list[Hit] = []
    used: set[str] = set()
    spans: set[tuple[str, int, int]] = set()
    for hit, _row, score, text, (s, e), page in order:
        if len(out) >= max_quotes or score < best - margin:
            break
        if hit.chunk_id in used or (hit.source, s, e) in spans:
            continue  # one quote per passage; overlapping passages share sentences
        used.add(hit.chunk_id)
        spans.add((hit.source, s, e))
        out.append(Hit(text=text, source=hit.source, start=s, end=e, page=page, lang=hit.lang,
                       score=float(score), chunk_id=hit.chunk_id))
    return out


def decide(top_score: float | None, threshold: float) -> bool:
    return top_score is not None and bool(np.isfinite(top_score)) and top_score >= threshold


def make_answer(hits: list[Hit], quotes: list[Hit], evidence: float | None, evidence_lang: str,
                threshold: float, query_lang: str, searched_as: str = "") -> Answer:
    """`evidence`: cosine of the best sentence of the top passages to the question;
    `threshold`: the calibrated one for that sentence's language pair."""
    found = decide(evidence, threshold)
    return Answer(found=found, quotes=quotes if found else [], hits=hits, query_lang=query_lang,
                  evidence=evidence, evidence_lang=evidence_lang, searched_as=searched_as)


def context(chunks: list[ChunkRecord], hit: Hit, chars: int = 800) -> tuple[str, str]:
    """The cleaned document text just before and just after `hit` (a passage or
    a quote), at most `chars` characters each; ("", "") once its source is gone.

    Neighbouring chunks overlap, so the text is rebuilt from their sentences,
    each taken once by its source span, rather than by gluing chunk texts.
    """
    pieces: dict[tuple[int, int], str] = {}  # source span -> cleaned sentence
    gaps: dict[tuple[int, int], str] = {}  # source span -> the text between it and the next one
    for c in chunks:
        if c.source != hit.source:
            continue
        units = c.sents or ((0, len(c.text), c.start, c.end, -1),)
        for i, (a, b, s, e, _row) in enumerate(units):
            pieces.setdefault((s, e), c.text[a:b])
            if i + 1 < len(units):
                gaps.setdefault((s, e), c.text[b : units[i + 1][0]])
    # a gap no chunk holds is a chunk or block boundary: a line break keeps them apart
    text = {sp: pieces[sp] + gaps.get(sp, "\n") for sp in pieces}
    before = "".join(text[sp] for sp in sorted(pieces) if sp[1] <= hit.start)
    after = "".join(text[sp] for sp in sorted(pieces) if sp[0] >= hit.end)
    if chars <= 0:
        return "", ""
    head, tail = before[-chars:], after[:chars]
    # cut at word boundaries: the context never starts or ends with a broken word
    if len(before) > chars and not before[-chars - 1].isspace() and not head[0].isspace():
        head = head[len(head.split(None, 1)[0]):]
    if len(after) > chars and not after[chars].isspace() and not tail[-1].isspace():
        tail = tail[: len(tail) - len(tail.rsplit(None, 1)[-1])]
    return head.strip(), tail.strip()
