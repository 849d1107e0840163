"""Split cleaned blocks into sentences and overlapping chunks (stage 3).

Sentences come from razdel (rule-based, built for Russian, fine for English),
with repairs for the citation style of our corpus, where razdel splits inside
"[Гурвич, 1925. С. 11]" or "Nov. 14". Chunks are runs of whole sentences
packed by langchain's TextSplitter machinery, overlapping by whole sentences.
`process` runs clean + chunk over one document and gives the records the index stores.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_text_splitters import RecursiveCharacterTextSplitter, TextSplitter
from razdel import sentenize

from .clean import clean
from .ingest import Document
from .lang import detect
from .settings import Settings
from .store import ChunkRecord, SentenceSpan

_ABBREV = re.compile(
    r"(?:\b(?:[А-ЯЁA-Z]|т\.\s?е|т\.\s?д|т\.\s?п|др|см|ср|г|гг|в|вв|им|ст|стр|рис|табл|С|Л|Ф|Оп|Д|Т|Вып|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Mrs|Dr|St|cf|vol|Vol|p|pp|No|no|ed|eds|etc|e\.g|i\.e|"
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


def sentences(text: str) -> list[Sentence]:
    out: list[Sentence] = []
    for s in sentenize(text):
        if out and s.stop - out[-1].start <= MAX_MERGED:
            prev = text[out[-1].start : out[-1].end]
            nxt = s.text
            if (nxt[:1].islower() or nxt[:1].isdigit() or _ABBREV.search(prev[-12:])
                    or _closes_bracket(prev, text[s.start : s.start + 200])):
                out[-1] = Sentence(out[-1].start, s.stop)
                continue
        out.append(Sentence(s.start, s.stop))
    return out


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
                lang=detect(text), kind=block.kind, text=text, sents=tuple(sents),
            ))
    return out
