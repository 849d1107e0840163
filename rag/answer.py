"""Extractive answers (stage 7): quote the best sentences, or abstain.

No text is generated: a quote is a sentence of a retrieved passage, with its
own source span. `found` is False when the evidence is
below the calibrated threshold (see eval/calibrate.py): the cosine between
the question and the best sentence of the top passages.
"""
from __future__ import annotations

import numpy as np

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
                threshold: float, query_lang: str) -> Answer:
    """`evidence`: cosine of the best sentence of the top passages to the question;
    `threshold`: the calibrated one for that sentence's language pair."""
    found = decide(evidence, threshold)
    return Answer(found=found, quotes=quotes if found else [], hits=hits, query_lang=query_lang,
                  evidence=evidence, evidence_lang=evidence_lang)
