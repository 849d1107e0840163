"""Extractive answers (stage 7): quote the best sentences, or abstain.

No text is generated: a quote is a sentence of a retrieved passage, with its
own source span, shown with the neighbours that score near it and the sentence it
points back to ("It states that…"; `widen`). The sentences of the top passages are
Candidates, ordered by their weighted evidence (rag/evidence.py); `found` is False
when no candidate's
cosine clears the calibrated threshold of its own language pair with the
question (eval/calibrate.py), or when a year or number the question names is
not near the first quote (rag/searcher.py, Settings.decline_missing). `context`
gives the text around a passage or quote, for reading it in place.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .analyze import _TOKEN
from .chunk import cut_by_length
from .evidence import kind_of
from .ingest import page_at
from .store import ChunkRecord, SentenceSpan, source_offset
from .types import Answer, Hit, Span


class Candidate(NamedTuple):
    """A sentence of one of the top passages, as ask() weighs it."""

    passage: Hit
    rank: int  # the passage's place among the hits (0 = the top)
    row: int  # the sentence's vector row
    text: str
    start: int  # source span
    end: int
    page: int | None
    lang: str
    z: float  # standardised similarity (rag/retrieve/hybrid.py SentenceScorer)
    cosine: float
    threshold: float  # the calibrated cosine for this sentence's language pair with the question
    shifts: tuple[tuple[int, int], ...] | None = None  # the sentence's own ChunkRecord.shifts

    @property
    def margin(self) -> float:
        return self.cosine - self.threshold

    @property
    def hit(self) -> Hit:
        """The sentence as a Hit (a quote), with its passage's chunk id."""
        return Hit(text=self.text, source=self.passage.source, start=self.start, end=self.end, page=self.page,
                   lang=self.lang, score=0.0, chunk_id=self.passage.chunk_id)


def quote_rows(cands: list[Candidate], scores: np.ndarray, max_quotes: int, margin: float) -> list[int]:
    """The candidates quoted: the best sentence, then others within `margin` of its score, at
    most one per passage, best first; a quote's score is its weighted evidence (rag/evidence.py)."""
    if not cands:
        return []
    order = sorted(range(len(cands)), key=lambda i: (-scores[i], cands[i].passage.source, cands[i].start))
    best = scores[order[0]]
    out: list[int] = []
    used: set[str] = set()
    spans: set[tuple[str, int, int]] = set()
    for i in order:
        c = cands[i]
        if len(out) >= max_quotes or scores[i] < best - margin:
            break
        if c.passage.chunk_id in used or (c.passage.source, c.start, c.end) in spans:
            continue  # one quote per passage; overlapping passages share sentences
        used.add(c.passage.chunk_id)
        spans.add((c.passage.source, c.start, c.end))
        out.append(i)
    return out


def as_quote(c: Candidate, score: float) -> Hit:
    return Hit(text=c.text, source=c.passage.source, start=c.start, end=c.end, page=c.page,
               lang=c.lang, score=float(score), chunk_id=c.passage.chunk_id)  # the sentence's own


def quotes_from(cands: list[Candidate], scores: np.ndarray, max_quotes: int, margin: float) -> list[Hit]:
    """The quotes of quote_rows, as hits."""
    return [as_quote(cands[i], scores[i]) for i in quote_rows(cands, scores, max_quotes, margin)]


# A sentence that opens by pointing back ("It states that…", "Эти устройства…", "Dazu gehören…")
# means little alone, and the thing it points to is often what was asked ("Which conjecture
# states…?": the name is in the sentence before). Such a quote carries the sentence before it
# (research/quote_widen.py). Third-person pronouns and demonstratives, as the first word or
# after one conjunction or preposition ("К ним относятся", "And this"); Vietnamese puts its
# demonstrative after the noun ("Những phỏng đoán này"), so any of its first four words.
POINTING_BACK = {
    "en": "he she it they his her its their him them this these that those such",
    "ru": "он она оно они его её ее их ему ей им ими нему ней ним них нем этот эта это эти этого этой этих "
          "этим этими этом эту такой такая такое такие таких тот та те того той тех",
    "uk": "він вона воно вони його її їх йому їй їм цей ця це ці цього цієї цих цим цими такий така таке такі",
    "de": "er sie es ihr ihm ihn ihnen sein seine seiner seinem seinen seines ihre ihrer ihrem ihren dies diese "
          "dieser dieses diesem diesen solche solcher solches dazu dabei damit davon darauf darin dadurch dafür "
          "dagegen danach daraus deren dessen",
    "es": "él ella ello ellos ellas su sus este esta esto estos estas ese esa eso esos esas dicho dicha dichos "
          "dichas tal tales",
    "ro": "el ea ei ele acesta aceasta acestea aceștia acest această aceste acești acel acea aceea acela său sa "
          "săi sale lor",
    "tr": "bu bunlar bunu bunun buna bunda bundan o onlar onu onun ona onda ondan şu böyle söz",
    "el": "αυτός αυτή αυτό αυτοί αυτές αυτά αυτού αυτής αυτών αυτήν αυτόν αυτούς τέτοιος τέτοια ίδιος ίδια",
    "vi": "ông bà nó họ này đó ấy",
    "hi": "वह वे यह ये उसने उन्होंने इसने इन्होंने इस उस इन उन इसे उसे इन्हें उन्हें इसका उसका उनका इनका इसकी "
          "उसकी उनकी इनकी इसके उसके उनके इनके ऐसे ऐसा ऐसी",
    "ar": "هو هي هم هن هما هذا هذه ذلك تلك هؤلاء أولئك",
}
POINTING_BACK_AFTER = {  # a conjunction or preposition the pointing word may follow
    "en": "and but also in of to for with by from at on as",
    "ru": "и но а к в во на с со из о об по у от для при также",
    "uk": "і й та але а до в у на з із про по від для при також",
    "de": "und aber auch in zu mit von bei für an auf",
    "es": "y pero también en de a con por para",
    "ro": "și dar de în la cu pe din pentru",
    "tr": "ve ama ancak", "el": "και αλλά σε με από για", "hi": "और लेकिन",
}
_BACK = {k: frozenset(v.split()) for k, v in POINTING_BACK.items()}
_BACK_AFTER = {k: frozenset(v.split()) for k, v in POINTING_BACK_AFTER.items()}
# Chinese and Thai write no spaces: a sentence's first characters. A Thai "sentence" is a piece
# cut by length (rag/chunk.py THAI_MAX), so one opening with a word that continues a clause
# (ซึ่ง which, และ and, โดย by, ที่ that, แต่ but) is the end of the piece before it.
_BACK_PREFIX = {"zh": tuple("他她它这此该其那"),
                "th": ("เขา", "มัน", "พวกเขา", "ซึ่ง", "และ", "โดย", "ที่", "แต่", "ทั้งนี้", "นอกจากนี้")}


def points_back(text: str, lang: str) -> bool:
    """The sentence opens by pointing back to the one before (POINTING_BACK)."""
    text = text.lstrip(" \t\"'«“„(")
    if lang in _BACK_PREFIX:
        return text.startswith(_BACK_PREFIX[lang])
    back = _BACK.get(lang)
    if back is None:
        return False
    words = [w.casefold() for w in _TOKEN.findall(text[:120])[:4]]
    if lang == "ar":  # "وهو", "وهذا": and + the pronoun, written as one word
        words = [w[1:] if w.startswith("و") and w[1:] in back else w for w in words]
    if lang == "vi":
        return any(w in back for w in words)
    return bool(words) and (words[0] in back or (len(words) > 1 and words[0] in _BACK_AFTER.get(lang, ())
                                                  and words[1] in back))


def widen(c: Candidate, chunk: ChunkRecord, near: set[int] | frozenset[int] = frozenset(),
          page_starts=None) -> Candidate:
    """What the user reads of quote `c` (a sentence of `chunk`): the sentence with its neighbours
    whose rows are in `near` (scored within the quote margin of the best: worth quoting
    themselves, and only one quote is made per passage), the piece after the last of them where
    that one was cut by length (Thai), and the sentence before the first of them when that one
    points back (points_back). Only inside one paragraph (rag/clean.py ends a
    paragraph with a line break). The choice of sentence, found-or-not and the answer pointed out
    stay the chosen sentence's."""
    sents, text = chunk.sents, chunk.text
    k = next(i for i, sent in enumerate(sents) if sent.row == c.row)
    joins = lambda a: "\n" not in text[sents[a].text_end : sents[a + 1].text_start]  # noqa: E731
    lo = hi = k
    while lo > 0 and sents[lo - 1].row in near and joins(lo - 1):
        lo -= 1
    while hi + 1 < len(sents) and sents[hi + 1].row in near and joins(hi):
        hi += 1
    # a Thai or Lao piece is cut by length, not at a sentence end (rag/chunk.py THAI_MAX): the
    # question's words open a sentence and its answer follows them, in the piece after
    # (research/quote_widen.py `reads_on`)
    if hi + 1 < len(sents) and joins(hi) and cut_by_length(text, sents[hi].text_start, sents[hi].text_end):
        hi += 1
    if lo > 0 and joins(lo - 1) and points_back(text[sents[lo].text_start : sents[lo].text_end], c.lang):
        lo -= 1
    if lo == hi == k:
        return c
    first, last = sents[lo], sents[hi]
    both = SentenceSpan(first.text_start, last.text_end, first.start, last.end, c.row)
    return c._replace(text=text[first.text_start : last.text_end], start=first.start, end=last.end,
                      page=page_at(page_starts, first.start), shifts=sentence_shifts(chunk, both))


def distinct(quotes: list[Hit]) -> list[Hit]:
    """The quotes in order, less any that overlaps one before it: overlapping passages share
    sentences, and a widened quote (widen) may take in another's."""
    out: list[Hit] = []
    for q in quotes:
        if not any(q.source == o.source and q.start < o.end and o.start < q.end for o in out):
            out.append(q)
    return out


def lead(question, rows: list[int], missing_of, kinds: tuple[str, ...]) -> tuple[list[int], tuple]:
    """The quotes' order and what the first lacks (`missing_of(row)`: the question's constraints
    not near that candidate): the best-scored first, unless it lacks a constraint of one of
    `kinds` (Settings.lead_missing: a date with its month, "9 марта 1922") and a later quote's
    neighbourhood holds all of those; that quote then leads. A bare year or number is not so
    checked: the corpus's passages hold years everywhere, so one near another quote says
    little that the quote is about it (docs/answers.md section 4)."""
    missing = missing_of(rows[0])
    if not any(kind_of(question, m) in kinds for m in missing):
        return rows, missing
    for j in rows[1:]:
        other = missing_of(j)
        if not any(kind_of(question, m) in kinds for m in other):
            return [j, *(i for i in rows if i != j)], other
    return rows, missing


def decide(cands: list[Candidate]) -> Candidate | None:
    """The candidate that decides found-or-not: the one furthest above (or least below)
    its own language pair's threshold. Judging each sentence by its own pair matters:
    the single highest raw cosine may be a same-language sentence just under the
    same-language threshold while another-language sentence clears the lower
    cross-language one (issue 27's question on the XVII congress)."""
    finite = [c for c in cands if np.isfinite(c.cosine)]
    return max(finite, key=lambda c: (c.margin, -c.rank)) if finite else None


def found_by(weights, x) -> bool:
    """The evidence found close enough: `x` (rag/evidence.py FOUND) weighed by `weights`
    (Settings.found_weights, a bias last) clears 0; without weights, the decider's margin
    over its language pair's threshold alone (x[0] >= 0)."""
    if not weights:
        return bool(x[0] >= 0)
    return bool(float(np.dot(weights[:-1], x)) + weights[-1] >= 0)


def make_answer(hits: list[Hit], quotes: list[Hit], decider: Candidate | None, query_lang: str,
                searched_as: str = "", span: Span | None = None, missing: tuple[str, ...] = (),
                declined: bool = False, close: bool | None = None) -> Answer:
    """`decider`: see decide(); `close`: found_by's verdict (None: the decider's margin
    alone); `declined`: the question names something (a year, a number) its best evidence
    lacks, and a measured rule (Settings.decline_missing) says that is no answer. `missing`
    stays on a declined answer: it says what was not found."""
    if close is None:
        close = decider is not None and decider.margin >= 0
    close = close and decider is not None
    found = close and not declined
    return Answer(found=found, quotes=quotes if found else [], hits=hits, query_lang=query_lang,
                  evidence=None if decider is None else decider.cosine,
                  evidence_lang="" if decider is None else decider.lang, searched_as=searched_as,
                  span=span if found else None, missing=missing if close else ())


def source_span(quote: Candidate, start: int, end: int) -> tuple[int, int]:
    """Source offsets of `quote.text[start:end]`: exact by the sentence's shifts (where cleaning
    joined a hyphenated line break or left a footer out inside it). An index written before
    shifts were kept has none: there the offsets are exact where cleaning kept the sentence's
    length, and otherwise stretched by the ratio of the two lengths, inside the sentence."""
    if quote.shifts is not None and end > start:
        return source_offset(quote.shifts, quote.start, start), source_offset(quote.shifts, quote.start, end - 1) + 1
    n, m = len(quote.text), quote.end - quote.start
    if n == m or n == 0:
        return quote.start + start, quote.start + end
    return quote.start + round(start * m / n), quote.start + round(end * m / n)


def sentence_shifts(chunk: ChunkRecord, sent: SentenceSpan) -> tuple[tuple[int, int], ...] | None:
    """The chunk's shifts inside one of its sentences, as offsets into the sentence's text."""
    if chunk.shifts is None:
        return None
    return tuple((i - sent.text_start, o) for i, o in chunk.shifts if sent.text_start <= i < sent.text_end)


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
        units = c.sents or (SentenceSpan(0, len(c.text), c.start, c.end, -1),)
        for i, u in enumerate(units):
            pieces.setdefault((u.start, u.end), c.text[u.text_start : u.text_end])
            if i + 1 < len(units):
                gaps.setdefault((u.start, u.end), c.text[u.text_end : units[i + 1].text_start])
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
