"""Split cleaned blocks into sentences and overlapping chunks (stage 3).

Sentences come from razdel (rule-based, built for Russian, fine for English),
with repairs for the citation style of our corpus, where razdel splits inside
"[Гурвич, 1925. С. 11]" or "Nov. 14"; then a second pass splits what razdel
does not know: the sentence ends of CJK, Arabic-script, Indic, Ethiopic and
Armenian text, and a length rule for Thai, which has no sentence punctuation
(see `_split_scripts`). Text in Cyrillic and Latin never matches a rule of the
second pass, so its sentences are razdel's as before. Chunks are runs of whole sentences
packed by langchain's TextSplitter machinery, overlapping by whole sentences.
`process` runs clean + chunk over one document and gives the records the index stores.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter, TextSplitter
from razdel import sentenize

from .clean import BULLET, SENTENCE_MARKS, UNMARKED, clean, heading, numbered_title
from .ingest import Document
from .lang import TITLES, detect
from .settings import Settings
from .store import ChunkRecord, SentenceSpan

_ABBREV = re.compile(
    r"(?:\b(?:[А-ЯЁA-Z]|т\.\s?е|т\.\s?д|т\.\s?п|др|см|ср|г|гг|в|вв|им|ст|стр|рис|табл|С|Л|Ф|Оп|Д|Т|Вып|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|" + TITLES + "|"
    r"cf|vol|Vol|p|pp|No|no|ed|eds|etc|e\.g|i\.e|"
    # a paper's references and cross-references ("In Proc. ACL", "Fig. A1", "Trans. ACM")
    r"Proc|Trans|Fig|Figs|Eq|Eqs|Sec|Ch|Dept|"
    # German "z. B." and "bzw.", Spanish and Italian titles, Spanish "EE. UU." (never sentence ends)
    r"z|bzw|Sr|Sra|Srta|Dra|Dña|Gral|EE|Sig|Dott|"
    r"ibid|Ibid|op|cit)\.)\s*$"
)


@dataclass(frozen=True)
class Sentence:
    start: int  # block offsets
    end: int


@dataclass(frozen=True)
class Chunk:
    start: int  # block offsets
    end: int
    sentences: tuple[Sentence, ...]


def _closes_bracket(prev: str, ahead: str) -> bool:
    """`prev` opened a bracket that closes in the text `ahead`: razdel split inside a citation."""
    return ((prev.count("[") > prev.count("]") and "]" in ahead)
            or (prev.count("(") > prev.count(")") and ")" in ahead))


MAX_MERGED = 600  # a repaired sentence never grows past this (a stray "(" must not swallow a book)

# German writes a day or a century as an ordinal with a dot ("am 6. Oktober 1973", "im
# 19. Jahrhundert"), and razdel, made for Russian, ends the sentence at the dot: the date's
# sentence then starts "Oktober 1973 ..." and neither half holds "6. Oktober 1973". Joined
# only before a German month or century word: "... age 39. The record ..." stays two (en, es,
# ro, vi and el XQuAD paragraphs end sentences on a small number 3-8 times each).
_ORDINAL = re.compile(r"(?:^|[\s(])(?:[1-9]|[12][0-9]|3[01])\.$")
_ORDINAL_NEXT = re.compile(r"(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November"
                           r"|Dezember|Jahrhunderts?|Jh\.)(?!\w)")

# An initial in a script without capitals: razdel ends a sentence at any ". " before a letter it
# cannot see is lowercase, so "जॉन सी. मेसेंजर" (John C. Messenger) and "فريديريك و. موت"
# (Frederick W. Mote) were cut in two. Hindi ends its sentences with the danda (।), and writes a
# Latin initial as the letter's name: the 26 names and "डॉ." (Dr.) join, a closed list, because
# Marathi, also Devanagari, ends sentences with '.' after short words ("आहे."). Arabic writes
# one letter: a single Arabic letter before the dot joins (XQuAD ar: 5 such initials, 1 sentence
# ending on a variable "ن."; two-letter names are left alone: "بي تي." ends a sentence too).
_HINDI_LETTERS = ("ए|बी|सी|डी|ई|एफ|जी|एच|आई|जे|के|एल|एम|एन|ओ|पी|क्यू|आर|एस|टी|यू|वी|डब्ल्यू|एक्स|वाई|ज़ेड|जेड"
                  "|डॉ")
_INITIAL = re.compile(rf"(?:(?<=[\s(])|^)(?:(?:{_HINDI_LETTERS})|[\u0621-\u064a]\u0640?)\.$")


def sentences(text: str) -> list[Sentence]:
    """Sentence spans of `text`: ordered, disjoint, each starting and ending on a non-space
    (none at all for blank text, where razdel gives one empty span)."""
    out: list[Sentence] = []
    for s in _razdel_sentences(text):
        if s.start < s.end:
            for piece in _split_headings(text, s):
                for t in _split_scripts(text, piece):
                    if out and _NUMBERING.fullmatch(text, out[-1].start, out[-1].end) and (
                            "\n" not in text[out[-1].end : t.start]):
                        t = Sentence(out.pop().start, t.end)  # "1." of "1. HISTORIOGRAPHICAL SITUATION"
                    out.append(t)
    return out


# a section's or a list item's number, which razdel leaves as a sentence of its own
_NUMBERING = re.compile(r"(?:\d{1,3}(?:\.\d{1,3}){0,3}|[IVXLC]{1,6})\.")


def _split_headings(text: str, s: Sentence) -> list[Sentence]:
    """`s` cut at its line breaks before and after a heading line (rag/clean.py `heading`: the
    cleaner ends a heading's paragraph, razdel reads on over a line break without a full stop),
    a numbered section's title on a line of its own (rag/clean.py `numbered_title`: the cleaner
    set it apart, or it would be no line of its own), and before and after a list's item
    (rag/clean.py BULLET: the cleaner starts a line there)."""
    out, start = [], s.start
    for m in re.finditer("\n", text[s.start : s.end]):
        at = s.start + m.start()
        after = text.find("\n", at + 1)
        before, line = text[text.rfind("\n", 0, at) + 1 : at], text[at + 1 : after if after >= 0 else len(text)]
        if not (heading(before) or heading(line) or numbered_title(before) or numbered_title(line)
                or BULLET.match(before.lstrip()) or BULLET.match(line.lstrip())):
            continue
        end = at
        while end > start and text[end - 1].isspace():
            end -= 1
        out.append(Sentence(start, end))
        start = at + 1
        while start < s.end and text[start].isspace():
            start += 1
    out.append(Sentence(start, s.end))
    return [x for x in out if x.start < x.end]


def _razdel_sentences(text: str) -> list[Sentence]:
    """razdel's sentences with the corpus's repairs (the whole splitter before issue 30)."""
    out: list[Sentence] = []
    for s in sentenize(text):
        if out and s.stop - out[-1].start <= MAX_MERGED:
            prev = text[out[-1].start : out[-1].end]
            nxt = s.text
            if (nxt[:1].islower() or nxt[:1].isdigit() or _ABBREV.search(prev[-12:])
                    or (_ORDINAL.search(prev[-4:]) and _ORDINAL_NEXT.match(nxt))
                    or _closes_bracket(prev, text[s.start : s.start + 200])):
                out[-1] = Sentence(out[-1].start, s.stop)
                continue
        # razdel's sentence of Hindi text runs over its dandas (split later, _split_marks): an
        # initial joins when the sentence it ends, from its last danda, is short enough
        if out and _INITIAL.search(text, max(out[-1].start, out[-1].end - 12), out[-1].end) and (
                s.stop - _last_end(text, out[-1]) <= MAX_MERGED):
            out[-1] = Sentence(out[-1].start, s.stop)
            continue
        out.append(Sentence(s.start, s.stop))
    return out


def _last_end(text: str, s: Sentence) -> int:
    """Where the last sentence end razdel does not know (a danda, 。…) inside `s` ends, else its start."""
    return max((m.end() for m in _END.finditer(text, s.start, s.end)), default=s.start)



# ------------------------------------------------------------ other scripts
# Sentence ends razdel does not know. Each is a mark of its own script, or an ASCII mark right
# after a letter of one, so Russian and English text never matches (tests/test_chunk.py and
# research/sentences.py check that the bundled corpus and XQuAD's en/ru/de/es paragraphs split
# exactly as before):
#   CJK 。｡！？ and ‼⁇⁈⁉, also with no space after (Chinese and Japanese put none);
#       fullwidth ． except in a number (３．５); ASCII ! and ? right after a CJK character.
#       The fullwidth ；, like ';' in English, joins clauses: no split (razdel splits ';'
#       only before a capital, which CJK text has none of).
#   Arabic script: ؟ (question mark) and ۔ (Urdu full stop); '.' and '!' are razdel's already.
#       The Arabic comma ، (U+060C) and semicolon ؛ (U+061B) are NOT sentence ends: they are a
#       comma and a semicolon and sit mid-sentence ("نعم، هذا صحيح"). issue 30 lists ، among
#       the marks to split at; splitting there would cut every clause of Arabic prose.
#   Devanagari, Bengali and other Indic scripts: danda । and double danda ॥; a verse
#       number between double dandas (॥ १ ॥) stays with its verse.
#   Ethiopic ። ፧ ፨ (full stop, question mark, paragraph separator; ፡ is a word space);
#   Armenian ։ (full stop; ASCII ':' after an Armenian letter stands in for it: Armenian
#       uses '.' as its colon, so the colon is never Armenian's own);
#   Myanmar ။ and Khmer ។ ៕ (full stops);
#   Greek ; (U+037E, the question mark; the ASCII ';' that Greek text mostly types for it
#       razdel already splits at before a capital).
# Ends in cased scripts (Greek, Armenian) split only before a space and a non-lowercase
# letter, as razdel does for '.'.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\uff66-\uff9f"
_ENDS = SENTENCE_MARKS
_CLOSERS = "\"'”’»)]}）］｝」』】〕〗〙〛〉》"
_CASED_ENDS = "\u037e։:"
_END = re.compile(
    r"(?:॥\s*[0-9०-९০-৯]+\s*॥"  # a numbered verse's end
    rf"|[{_ENDS}]|．(?![0-9０-９])|(?<=[{_CJK}])[!?]|(?<=[\u0531-\u0587]):)"
    rf"[{_ENDS}!?．]*[{re.escape(_CLOSERS)}]*"
)
# A sentence end inside a quotation or bracket that closes soon does not end the sentence
# around it: 他说：“我来了。你呢？” is not cut inside the quotes. After the closing quote the
# sentence ends (Chinese puts 。 inside the quotes when the quotation ends the sentence), except
# before Japanese と / って, which quote what was said: 「はい。」と言った。 is one sentence.
_PAIRS = {"）": "（", "」": "「", "』": "『", "】": "【", "〕": "〔", "〗": "〖", "〙": "〘",
          "〛": "〚", "〉": "〈", "》": "《", "”": "“", "’": "‘", ")": "(", "]": "["}
_OPENERS = set(_PAIRS.values())
_BRACKET = re.compile("[" + re.escape("".join(_PAIRS) + "".join(_OPENERS)) + "]")
PAIR_SPAN = 300  # a quotation longer than this is not held together (a stray bracket must not hold a book)
_QUOTATIVE = "とっ"

# Thai and Lao put no mark at a sentence end, only a space, and a space also stands between
# phrases and around names and numbers. A stretch mostly in these scripts longer than
# THAI_MAX characters is cut at spaces into near-equal pieces of at most THAI_MAX, preferring
# a run of spaces (XQuAD's Thai marks many sentence ends with two), then a space between two
# Thai letters, to any other space. THAI_MAX is chosen in research/sentences.py so that Thai
# sentences come out about as long as XQuAD's sentences in the other languages: 155 characters
# on average against 150. pythainlp's CRF sentence splitter was measured too: 72 MB installed,
# 2.6 s to load, 30 ms a paragraph (this rule: under 1 ms), an answer kept inside one sentence
# 0.972 of the time at 7.1 sentences a paragraph (this rule: 0.978 at 4.6, 0.967 at 6.3 with
# THAI_MAX 150), and it cuts mid-clause too ("ถึงแม้ แมนนิง | จะมีปัญหา"): not worth it.
THAI_MAX = 200
_THAI = UNMARKED  # Thai and Lao
_LETTER = re.compile(r"[^\W\d_]")
_SPACES = re.compile(r"\s+")
_PARAGRAPH_END = re.compile(r"\s*\n\s*")
_THAI_CHAR = re.compile("[\u0e01-\u0e5b\u0e81-\u0edf]")


def _holder(text: str, start: int, end: int):
    """held(a, b): text[a:b] lies inside a bracket or quotation pair of text[start:end] that
    closes at or after b, within PAIR_SPAN characters of its opening. Pairs found with a stack
    nest and never cross, so the outermost pair around `a` decides; a bisect finds it."""
    pairs, stack = [], []
    for m in _BRACKET.finditer(text, start, end):
        i, ch = m.start(), m.group()
        if ch in _OPENERS:
            stack.append(i)
            continue
        for k in range(len(stack) - 1, -1, -1):
            if text[stack[k]] == _PAIRS[ch]:
                if i - stack[k] <= PAIR_SPAN:
                    pairs.append((stack[k], i))
                del stack[k:]
                break
    outer: list[tuple[int, int]] = []
    for o, c in sorted(pairs):
        if not outer or o > outer[-1][1]:
            outer.append((o, c))
    opens = [o for o, _ in outer]

    def held(a: int, b: int) -> bool:
        k = bisect_left(opens, a) - 1  # the last pair opening before a
        return k >= 0 and a < outer[k][1] and b <= outer[k][1]
    return held


def _split_marks(text: str, s: Sentence) -> list[Sentence]:
    """`s` split after the sentence ends of scripts razdel does not know."""
    ends = list(_END.finditer(text, s.start, s.end))
    if not ends:
        return [s]
    held = _holder(text, s.start, s.end)
    out, start = [], s.start
    for m in ends:
        a, b = m.span()
        nxt = b
        while nxt < s.end and text[nxt].isspace():
            nxt += 1
        if nxt >= s.end:
            break  # the end of `s` itself
        if m.group()[0] in _CASED_ENDS and (nxt == b or text[nxt].islower()):
            continue
        if held(a, b):
            continue  # inside a quotation that goes on
        if text[b - 1] in _CLOSERS and nxt == b and text[nxt] in _QUOTATIVE:
            continue
        out.append(Sentence(start, b))
        start = nxt
    out.append(Sentence(start, s.end))
    return out


def _thai_gap_penalty(text: str, a: int, b: int, held) -> int:
    """How far (in characters) a cut at the spaces text[a:b] may stray from the ideal one."""
    if b - a > 1:
        penalty = 0
    elif _THAI_CHAR.match(text, a - 1) and _THAI_CHAR.match(text, b):
        penalty = THAI_MAX // 5  # between phrases, or inside a transliterated name
    else:
        penalty = THAI_MAX // 3  # by a number, a Latin word or a bracket
    if held(a, b):
        penalty += THAI_MAX  # inside brackets or quotes: only when nothing else fits
    return penalty


def _mostly_thai(text: str, start: int, end: int) -> bool:
    """text[start:end] is mostly Thai or Lao letters."""
    if not _THAI.search(text, start, end):
        return False
    letters = _LETTER.findall(text, start, end)
    return 2 * sum(1 for ch in letters if "\u0e00" <= ch <= "\u0eff") >= len(letters)


_ENDED = re.compile(rf"[!?๚๛{_ENDS}][{re.escape(_CLOSERS)}]*\s*$")


def cut_by_length(text: str, start: int, end: int) -> bool:
    """text[start:end], a sentence, may stop mid-sentence: a Thai or Lao piece that ends in no
    sentence mark, i.e. one _split_thai cut from a longer run by length (the quote reads on into
    the piece after it: rag/answer.py widen). A full stop is no mark here: Thai writes it only in
    abbreviations ("กม.", "ค.ศ.")."""
    return _mostly_thai(text, start, end) and not _ENDED.search(text, start, end)


def _split_thai(text: str, s: Sentence) -> list[Sentence]:
    """`s`, when it is mostly Thai or Lao, cut at its paragraph ends (razdel's sentence runs over
    them, Thai marking no sentence end; rag/clean.py keeps a line break only where a paragraph
    ends), then each paragraph at spaces into pieces of at most THAI_MAX characters."""
    if not _mostly_thai(text, s.start, s.end):
        return [s]
    out, start = [], s.start
    for m in _PARAGRAPH_END.finditer(text, s.start, s.end):
        out += _cut_thai(text, Sentence(start, m.start()))
        start = m.end()
    return out + _cut_thai(text, Sentence(start, s.end))


def _cut_thai(text: str, s: Sentence) -> list[Sentence]:
    """`s` cut at spaces into near-equal pieces of at most THAI_MAX characters."""
    if s.end - s.start <= THAI_MAX:
        return [s]
    held = _holder(text, s.start, s.end)
    # (gap start, gap end, penalty in characters of distance from the ideal cut)
    gaps = [(m.start(), m.end(), _thai_gap_penalty(text, m.start(), m.end(), held))
            for m in _SPACES.finditer(text, s.start, s.end)]
    out, start, i = [], s.start, 0
    while s.end - start > THAI_MAX:
        k = -(-(s.end - start) // THAI_MAX)  # pieces still to make
        ideal = start + (s.end - start) / k
        while i < len(gaps) and gaps[i][0] <= start:
            i += 1
        if i == len(gaps):
            break  # no space left to cut at: the chunker cuts the long sentence
        j = i + 1  # the gaps within reach (at least one: a run with no space is passed whole)
        while j < len(gaps) and gaps[j][0] - start <= THAI_MAX:
            j += 1
        a, b, _ = min(gaps[i:j], key=lambda g: abs(g[0] - ideal) + g[2])
        out.append(Sentence(start, a))
        start = b
    out.append(Sentence(start, s.end))
    return out


def _split_scripts(text: str, s: Sentence) -> list[Sentence]:
    return [t for piece in _split_marks(text, s) for t in _split_thai(text, piece)]


class SentenceSplitter(TextSplitter):
    """langchain splitter whose units are sentences (long ones cut further).

    Units keep their trailing whitespace and are merged with "" so that every
    chunk is an exact substring of the block text.
    """

    def __init__(self, chunk_size: int, chunk_overlap: int):
        super().__init__(chunk_size=chunk_size, chunk_overlap=chunk_overlap, strip_whitespace=False)
        self._long = RecursiveCharacterTextSplitter(
            chunk_size=chunk_size, chunk_overlap=0, keep_separator="end", strip_whitespace=False,
            separators=["\n", "; ", ", ", " ", ""],
        )

    def units(self, text: str) -> list[Sentence]:
        out: list[Sentence] = []
        bounds = sentences(text)
        for i, s in enumerate(bounds):
            end = bounds[i + 1].start if i + 1 < len(bounds) else len(text)  # take trailing space
            if end - s.start <= self._chunk_size:
                out.append(Sentence(s.start, end))
                continue
            if s.end - s.start <= self._chunk_size and end - s.end <= self._chunk_size:
                # the sentence fits, only with its trailing whitespace it does not: keep it
                # whole and make the whitespace a unit of its own (found by hypothesis)
                out += [Sentence(s.start, s.end), Sentence(s.end, end)]
                continue
            pos = s.start
            for piece in self._long.split_text(text[s.start : end]):
                out.append(Sentence(pos, pos + len(piece)))
                pos += len(piece)
            if pos != end:  # the recursive splitter dropped nothing, but be exact
                out[-1] = Sentence(out[-1].start, end)
        return out

    def split_text(self, text: str) -> list[str]:
        return self._merge_splits([text[u.start : u.end] for u in self.units(text)], "")

    def chunks(self, text: str) -> list[Chunk]:
        units = self.units(text)
        pieces = self._merge_splits([text[u.start : u.end] for u in units], "")
        out: list[Chunk] = []
        first = 0
        for piece in pieces:
            if out:
                # langchain keeps at most chunk_overlap characters of the previous
                # piece: the next one starts no earlier (this also places a piece
                # right when the same sentence repeats)
                while first < len(units) and units[first].start < out[-1].end - self._chunk_overlap:
                    first += 1
            j = first
            while j < len(units) and not text.startswith(piece, units[j].start):
                j += 1
            if j == len(units):
                raise AssertionError("chunk is not a run of whole units")
            start, end = units[j].start, units[j].start + len(piece)
            m = j
            while m < len(units) and units[m].end <= end:
                m += 1
            out.append(Chunk(start, end, tuple(units[j:m])))
            first = j + 1  # overlap: the next piece begins after this one's first unit
        return out


def shifts(origin: np.ndarray) -> tuple[tuple[int, int], ...]:
    """ChunkRecord.shifts of a text whose characters stand at source offsets `origin`: the
    characters that do not follow the one before them in the source (cleaning joined a
    hyphenated line break, left a page's footer out), with their source offsets, so that
    any character's offset, an answer's inside a quote too, is exact (store.source_offset)."""
    at = np.flatnonzero(np.diff(origin) != 1) + 1
    out = tuple((int(i), int(origin[i])) for i in at)
    return ((0, int(origin[0])),) + out if len(origin) and origin[0] != origin.min() else out


# ------------------------------------------------------------ one document
@dataclass
class Processed:
    doc: Document
    chunks: list[ChunkRecord]  # sentence rows are local (into .sentences)
    sentences: list[str] = field(default_factory=list)


def process(doc: Document, settings: Settings) -> Processed:
    """Clean and chunk one document; sentence rows index `sentences`, each sentence once
    however many overlapping chunks hold it. Offsets are mapped back to the source text."""
    splitter = SentenceSplitter(settings.chunk_size, settings.chunk_overlap)
    out = Processed(doc, [])
    for block in clean(doc.text):
        seen: dict[int, int] = {}  # block offset of a sentence -> local row
        for ch in splitter.chunks(block.text):
            text = block.text[ch.start : ch.end].strip()
            if not text:
                continue
            lead = len(block.text[ch.start : ch.end]) - len(block.text[ch.start : ch.end].lstrip())
            s, e = block.span(ch.start + lead, ch.start + lead + len(text))
            origin = block.origin[ch.start + lead : ch.start + lead + len(text)]
            sents = []
            for u in ch.sentences:
                st = block.text[u.start : u.end]
                stext = st.strip()
                if not stext:
                    continue
                us = u.start + (len(st) - len(st.lstrip()))
                if us not in seen:
                    seen[us] = len(out.sentences)
                    out.sentences.append(stext)
                ss, se = block.span(us, us + len(stext))
                rel = us - (ch.start + lead)
                sents.append(SentenceSpan(rel, rel + len(stext), ss, se, seen[us]))
            out.chunks.append(ChunkRecord(
                id=f"{doc.source}:{s}-{e}", source=doc.source, start=s, end=e, page=doc.page_at(s),
                lang=detect(text), kind=block.kind, text=text, sents=tuple(sents), shifts=shifts(origin),
            ))
    return out
