"""Clean decoded text into blocks, keeping a map back to the source (stage 2).

What our corpus needs and generic splitters don't do: PDF extraction breaks
words with a hyphen at line ends, hard-wraps every line, puts footnotes in
the middle of the body text and flattens tables into lines of numbers; a
converted book opens with hundreds of navigation links. Every character of
a cleaned block carries `origin[i]`, the offset in the decoded source text it
came from, so anything cut from a block maps back to `raw[start:end]`.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Block:
    text: str
    origin: np.ndarray  # int64, len(text): source offset of each character
    kind: str  # "body" | "footnote" | "table"

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Source span [s, e) of block characters [start, end)."""
        seg = self.origin[start:end]
        return int(seg.min()), int(seg.max()) + 1


_NAV_LINK = re.compile(r"^\s*(?:[-*+]\s*)?\[[^\]]*\]\([^)]*\)\s*$")
_LIST_ITEM = re.compile(r"^\s*[-*+](?:\s|$)")
_PAGE_NUMBER = re.compile(r"^\s*[-–—]?\s*\d{1,4}\s*[-–—]?\s*$")
_FOOTNOTE = re.compile(
    r"^\s*\d{1,3}\s+(?:Там же|Ibid|См\.|Cм\.|Цит\.|Подсчитано|Составлено|Архив|[А-ЯЁA-Z]{2,}\b|"
    r"[А-ЯЁA-Z][а-яёa-z]+,\s+[А-ЯЁA-Z]\.)"
)
_TABLE_CAPTION = re.compile(r"^\s*(?:Таблица|Табл\.|Table)\s*\d+", re.IGNORECASE)
# The sentence ends of scripts razdel does not know (Chinese and Japanese, Arabic, the Indic
# danda, Ethiopic, Armenian, Myanmar, Khmer, Greek's question mark); rag/chunk.py splits at them.
SENTENCE_MARKS = "。｡！？‼⁇⁈⁉؟۔।॥።፧፨։။។៕\u037e"
# A line ending in one of these, then a blank line or an indent, ends a paragraph; any other
# line runs on into the next (a PDF's line or page break inside a sentence)...
_TERMINAL = ".!?…:;»\"'”)" + SENTENCE_MARKS + "」』）"
# ... and so does a line ending in a letter of a script that writes no sentence marks (Thai,
# Lao): there a blank line is the only sign a paragraph ended
UNMARKED = re.compile("[\u0e00-\u0eff]")  # rag/chunk.py cuts these scripts' text by length
# A heading: a short line in capitals ("1. HISTORIOGRAPHICAL SITUATION", "И. В. ПАВЛОВА",
# "CHAPTER II") or a section's name ("Abstract", "Введение", "Chapter 3"). Set apart by a blank
# line it ends its paragraph though it has no full stop, so its words do not run into the first
# sentence of the text under it (a quote "СОЦИАЛИЗМА Abstract This book is ..."); rag/chunk.py
# ends a sentence at the line break before and after it.
_SECTION = re.compile(
    r"(?i)(?:(?:\d{1,2}\.){0,2}\d{1,2}\.?\s+)?(?:abstract|annotation|аннотация|introduction|введение|conclusions?|заключение|summary|резюме"
    r"|keywords|key words|ключевые слова|references|bibliography|литература|список литературы|notes|примечания"
    r"|(?:table of )?contents|содержание|оглавление|acknowledge?ments|благодарности"
    r"|(?:chapter|part|section|appendix|глава|часть|раздел|приложение)\s+(?:\d+|[ivxlc]+|[а-я]))[.:]?")
_CASED = re.compile(r"[^\W\d_]")
# a numbered section's title, its number of two levels or more ("2.2. The source XML files",
# "1.2. What is this spec?"): one level ("17. The work of the Political") is as often a list's
# item broken by a blank line
_SUBSECTION = re.compile(r"\d{1,2}(?:\.\d{1,2}){1,3}\.?[ \t]+[^\W\d_][^\n]{0,100}")
# ... and one level too where a sibling shows a sequence of sections (_numbered): "2. Related
# work" stands alone as "1. Introduction" and "3. Method" do, in a title's shape; so do "II.
# Related Work" and "B. Sparse retrieval" (a paper's Roman and lettered sections, their dot
# required: "I went" is no section)
_NUMBERED = re.compile(r"(\d{1,2}\.?|[IVXLC]{1,6}\.|[A-ZА-ЯЁ]\.)[ \t]+([^\W\d_][^\n]{0,100})")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
# A figure's caption ("Fig. 2. Architecture of the system", "Рис. 3 – Схема"), set apart by a
# blank line, is a heading too: its words do not run into the text under it
_CAPTION = re.compile(r"(?i)(?:fig\.|figure|рис\.|рисунок|abb\.|abbildung)\s?\d{1,3}[a-z]?\b[^\n]{0,180}")
_CLAUSE_END = ".!?…:;,"  # a title or a caption ends in none of these
# Markdown's heading, which rag/ingest.py also writes for a .docx's heading styles and HTML's
# <h1>-<h6>: a heading whatever its case, and one even without a blank line after it
MARKDOWN_HEADING = re.compile(r"#{1,6}[ \t]+\S")


# A list item's marker at a line's start. A bullet ends the paragraph before it ("Нарушения:
# • подкуп • угрозы" is two items, not one sentence); a hyphen, asterisk or plus only after a line
# ending a sentence or a colon, or inside a list its marker opened, as a Markdown list: a PDF's
# wrapped line may start with a dash inside a sentence.
BULLET = re.compile(r"[•◦▪▫●■□➢✓\uf0b7\uf0a7](?=\s)|[-*+](?=[ \t]+\S)")


def heading(line: str) -> bool:
    """A line that is a heading: a section's name, a Markdown heading, a numbered subsection's
    title, or a short line in capitals (the comments above)."""
    line = line.strip()
    if not 2 <= len(line) <= 200:  # a title of a few lines, joined
        return False
    if _SECTION.fullmatch(line) or MARKDOWN_HEADING.match(line):
        return True
    if _CAPTION.fullmatch(line) and line[-1] not in _CLAUSE_END:
        return True
    if _SUBSECTION.fullmatch(line) and line.split(None, 1)[1][0].isupper():
        return True
    # in capitals, and words more than numbers: a table's row "ЗКО 610 16437 6,4" is no heading
    cased = [c for c in _CASED.findall(line) if c.lower() != c.upper()]
    digits = sum(c.isdigit() for c in line)
    return len(cased) >= 3 and digits < len(cased) and all(c.isupper() for c in cased)


# Hyphenated compounds whose first part is never a word-break fragment.
_COMPOUND_PREFIXES = {
    "северо", "юго", "кое", "военно", "социал", "историко", "научно", "общественно",
    "партийно", "социально", "политико", "административно", "финансово", "торгово",
    "культурно", "северо-западный", "северо-восточный", "государственно", "рабоче",
    "советско", "российско", "англо", "франко", "германо", "русско", "well", "self", "non",
}
_WORD = re.compile(r"\w+", re.UNICODE)
_HYPHENS = "-\u2010\u00ad"
_TOC_RUN = 8  # this many list items in a row, half of them links, is a navigation list, not prose


def _lines(raw: str) -> list[tuple[int, int]]:
    """(start, end) of every line; form feeds (PDF page breaks) end lines too."""
    out, pos = [], 0
    for m in re.finditer(r"[\n\f]", raw):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(raw)))
    return out


def _junk_lines(raw: str, lines: list[tuple[int, int]]) -> set[int]:
    links = {i for i, (s, e) in enumerate(lines) if _NAV_LINK.match(raw[s:e])}
    junk = set(links)
    run: list[int] = []
    for i, (s, e) in enumerate(lines + [(0, 0)]):
        line = raw[s:e]
        if i < len(lines) and not line.strip():
            continue
        if i < len(lines) and (_LIST_ITEM.match(line) or i in links) and len(line) < 160:
            run.append(i)
            continue
        # navigation is links: a list of plain items, however long, is the document's own text
        if len(run) >= _TOC_RUN and 2 * sum(r in links for r in run) >= len(run):
            junk.update(run)
        run = []
    return junk


# A PDF's running head or foot ("Shared MIME-info Database" atop every page, "Chapter 2: ASN.1
# structure handling 3"): a short line, the same but for its numbers, ending no sentence, first
# or last on this many pages after the first (a page number's own line aside). Left in, it ran into the sentence
# a page break cut ("…the information found in Shared MIME-info Database directory is added…").
_RUNNING_PAGES = 3


def _running_lines(raw: str, lines: list[tuple[int, int]]) -> set[int]:
    """The lines of a paged text (form feeds between pages: rag/ingest.py) that are its running
    heads and feet; the first page's are kept (its top line is often the title they repeat)."""
    pages: list[list[int]] = [[]]
    for i, (s, e) in enumerate(lines):
        if raw[s:e].strip() and not _PAGE_NUMBER.match(raw[s:e]):
            pages[-1].append(i)
        if e < len(raw) and raw[e] == "\f":
            pages.append([])
    if len(pages) <= _RUNNING_PAGES:
        return set()
    edges = [{p[0], p[-1]} for p in pages[1:] if p]
    # each short edge line (no head is long) as it is but for its numbers
    key = {i: re.sub(r"\d+", "#", " ".join(raw[lines[i][0] : lines[i][1]].split()).lower())
           for edge in edges for i in edge if len(raw[lines[i][0] : lines[i][1]].strip()) <= 120}
    seen = Counter(k for edge in edges for k in {key[i] for i in edge if i in key})
    # a line that ends a sentence is the text's own, however often a page ends on one alike
    running = {k for k, n in seen.items() if n >= _RUNNING_PAGES and _CASED.search(k) and k[-1] not in ".!?…"}
    return {i for i, k in key.items() if k in running}


# A table of contents' or an index's entry: a dot leader, then a page number ("4.2 ASN.1 field
# functions ........ 8", "Porting . . . . . . 1"). Where a document has this many, they are its
# navigation, not its text: left in, they made passages of section names that matched every
# question about any of them.
_LEADER = re.compile(r"(?:\.\s?){4,}|(?:…\s?){2,}")
# a page number standing alone at the line's end: "… 12", "… iv", never a word's last letters ("… the final")
_PAGE_AT_END = re.compile(r"(?<!\w)(?:\d{1,4}|[ivxlcIVXLC]{1,6})\s*$")
_LEADER_LINES = 3


def _leader_lines(raw: str, lines: list[tuple[int, int]]) -> set[int]:
    """The lines of a table of contents or an index with dot leaders (_LEADER)."""
    found = {i for i, (s, e) in enumerate(lines)
             if e - s <= 300 and _LEADER.search(raw, s, e) and _PAGE_AT_END.search(raw[s:e])}
    return found if len(found) >= _LEADER_LINES else set()


class _Builder:
    def __init__(self, kind: str):
        self.kind = kind
        self.chars: list[str] = []
        self.origin: list[int] = []
        self.item = ""  # the list marker the paragraph being built opened with (BULLET), if any

    def add(self, text: str, start: int) -> None:
        for k, ch in enumerate(text):
            if ch == "\u00ad":  # soft hyphen inside a line: invisible, drop it
                continue
            self.chars.append(ch)
            self.origin.append(start + k)

    def sep(self, ch: str, at: int) -> None:
        if self.chars:
            self.chars.append(ch)
            self.origin.append(at)

    def last_char(self) -> str:
        return self.chars[-1] if self.chars else ""

    def block(self) -> Block | None:
        """The block, without whitespace at either end: a line's content starts and ends on a
        non-space, but a soft hyphen dropped there leaves the space beside it ("\u00ad 1924")."""
        text = "".join(self.chars)
        a, b = len(text) - len(text.lstrip()), len(text.rstrip())
        if a >= b:
            return None
        return Block(text[a:b], np.asarray(self.origin[a:b], dtype=np.int64), self.kind)


def _keep_hyphen(left: str, right: str, vocab: set[str], hyphenated: set[str]) -> bool:
    """Is `left-` + newline + `right` a real hyphenated compound (not a word break)?"""
    if not left or not right:
        return True
    if left[-1].isdigit() or right[0].isdigit() or right[0].isupper():
        return True  # 1920-е, Нью-Йорк
    lw, rw = left.lower(), right.lower()
    if f"{lw}-{rw}" in hyphenated:
        return True
    if lw + rw in vocab:
        return False
    return lw in _COMPOUND_PREFIXES


def _prose(line: str) -> bool:
    """A line of running text, not a table row: long, many words, few of them numbers.
    Without this, a caption ("Таблица 1") followed by prose wrapped at 90 characters kept
    every later line in the table, shown with its line breaks."""
    words = line.split()
    numbers = sum(any(ch.isdigit() for ch in w) for w in words)
    return len(line) >= 60 and len(words) >= 8 and numbers < 0.3 * len(words)


def _add_body_line(body: _Builder, raw: str, line: tuple[int, int, int], prev_end: int, gap: bool,
                   words: tuple[set[str], set[str]], listed: bool = False, titled: bool = False) -> None:
    """Append a line of running text to `body`: joined to the previous line without a space
    where a word was broken across them, else after a space, or after a line break where a
    paragraph ends. `line`: (line start, content start, content end) in `raw`; `prev_end`:
    the previous body line's content end; `gap`: a blank or junk line came between them;
    `words`: the document's words and hyphenated words (_keep_hyphen); `listed`: the line opens
    a list (_listed); `titled`: it or the body line before it is a numbered section's title
    (_numbered)."""
    s, cs, ce = line
    last = body.last_char()
    if body.chars and raw[prev_end - 1] == "\u00ad" and raw[cs].isalnum():
        # a soft hyphen at the line end marks a word break by definition
        # (_Builder.add already dropped it): join with nothing in between
        body.add(raw[cs:ce], cs)
    elif last and last in _HYPHENS and len(body.chars) > 1 and body.chars[-2].isalnum() and raw[cs].isalnum():
        # word broken across lines: find the fragments on both sides
        k = len(body.chars) - 1
        j = k
        while j > 0 and body.chars[j - 1].isalnum():
            j -= 1
        left = "".join(body.chars[j:k])
        m = _WORD.match(raw, cs)
        right = m.group(0) if m else ""
        if not _keep_hyphen(left, right, *words):
            body.chars.pop()
            body.origin.pop()
        body.add(raw[cs:ce], cs)
    else:
        line_start = max(raw.rfind("\n", 0, prev_end), raw.rfind("\f", 0, prev_end)) + 1
        new = _ends_paragraph(raw[line_start:prev_end], raw[cs:ce], gap or cs > s, body.item, listed,
                              titled) if last else True
        if new:
            item = BULLET.match(raw, cs)
            body.item = item.group() if item else ""
        body.sep("\n" if new else " ", prev_end)
        body.add(raw[cs:ce], cs)


def _listed(raw: str, lines: list[tuple[int, int]], junk: set[int], ahead: int = 3) -> set[int]:
    """The lines that open a list with a hyphen, asterisk or plus: the same marker opens one of
    the `ahead` body lines after them (a Markdown list after a line that ends no sentence: "The
    members\n\n- Lenin\n- Trotsky"; a PDF's lone dash at a line's start is no list)."""
    body = [i for i, (s, e) in enumerate(lines) if i not in junk and raw[s:e].strip()]
    marks = [m.group() if (m := BULLET.match(raw[lines[i][0] : lines[i][1]].lstrip())) else "" for i in body]
    return {i for k, i in enumerate(body) if marks[k] in ("-", "*", "+") and marks[k] in marks[k + 1 : k + 1 + ahead]}


def _numbered(raw: str, lines: list[tuple[int, int]], junk: set[int]) -> set[int]:
    """The lines that title a section numbered on one level ("2. Related work", "3 Method", "II.
    Related Work", "B. Sparse retrieval"): a short line in a title's shape (numbered_title) whose
    number's neighbour, of the same kind, titles another such line. A list item broken by a blank line ("17.
    The work of the Political" / "Control.", between "16. Correspondence…" ending in a full
    stop and "18." inside a line) has no such sibling."""
    shaped: dict[tuple[str, int], set[int]] = {}
    for i, (s, e) in enumerate(lines):
        for key in numbered_title(raw[s:e]) if i not in junk else ():
            shaped.setdefault(key, set()).add(i)
    return {i for (kind, n), found in shaped.items() if (kind, n - 1) in shaped or (kind, n + 1) in shaped
            for i in found}


def _roman(text: str) -> int | None:
    values = [_ROMAN[c] for c in text]
    n = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    return n if 0 < n <= 40 else None


def numbered_title(line: str) -> tuple[tuple[str, int], ...]:
    """What numbers a line in the shape of a section's title numbered on one level ("2. Related
    work", "II. Related Work", "B. Sparse retrieval": a capital after the number, at most 12 words,
    no sentence mark at its end), as (kind, ordinal) keys: "I." is a Roman one and a letter;
    empty for any other line. rag/chunk.py ends a sentence at such a line, which the cleaner set
    apart (_numbered)."""
    m = _NUMBERED.fullmatch(line.strip())
    if m is None or not m.group(2)[0].isupper() or m.group(2)[-1] in _CLAUSE_END or len(m.group(2).split()) > 12:
        return ()
    mark = m.group(1).rstrip(".")
    if mark.isdigit():
        return (("arabic", int(mark)),)
    keys = [("roman", n)] if set(mark) <= set(_ROMAN) and (n := _roman(mark)) else []
    if len(mark) == 1:
        keys.append(("cyrillic" if "\u0400" <= mark <= "\u04ff" else "latin", ord(mark)))
    return tuple(keys)


def _ends_paragraph(before: str, line: str, para: bool, item: str = "", listed: bool = False,
                    titled: bool = False) -> bool:
    """Does the body line `before` end its paragraph, `line` coming next? `para`: a blank line
    or an indent between them; `item`: the list marker the paragraph opened with, if any;
    `listed`: `line` opens a list (_listed); `titled`: either line is a numbered section's
    title (_numbered).

    A line ends in a sentence mark (or in a script that writes none) and a blank line or indent
    follows; a heading (before or next) is set apart by one; a Markdown heading's line always
    ends; a list's next item starts a line of its own, as do the items after a colon."""
    last = before[-1]
    if para and (last in _TERMINAL or UNMARKED.match(last)):
        return True
    if MARKDOWN_HEADING.match(before) or MARKDOWN_HEADING.match(line):
        return True
    marker = BULLET.match(line)
    if marker and (marker.group() not in "-*+" or last in ".!?:;" or marker.group() == item or listed):
        return True
    # after a blank line, a capital ends a heading, and a bulleted item not cut at a comma or
    # a bracket (a PDF puts blank lines inside a sentence: "(Канада, Колумбия, Чили, / Камбоджа,
    # Кипр)"; a hyphen's item is too unsure a list to end so)
    return para and not line[0].islower() and (
        titled or heading(before) or heading(line) or (bool(item) and item not in "-*+" and last.isalnum()))


def clean(raw: str) -> list[Block]:
    """`raw` as blocks of body text, footnotes and tables, in order; navigation lists and page
    numbers dropped, lines joined (a word broken by a hyphen made whole again)."""
    lines = _lines(raw)
    junk = _junk_lines(raw, lines) | _running_lines(raw, lines) | _leader_lines(raw, lines)
    vocab = {w.lower() for w in _WORD.findall(raw)}
    # \b: a match may only start where a word starts; unanchored, a 64 KB word without a hyphen
    # was tried from each of its letters (quadratic: 10 s for 64 KB in issue 15; now 1 MiB in 0.3 s,
    # python -m bench.hostile)
    hyphenated = {m.group(0).lower() for m in re.finditer(r"\b\w+-\w+", raw)}
    listed = _listed(raw, lines, junk)
    numbered = _numbered(raw, lines, junk)

    blocks: list[Block] = []
    body = _Builder("body")
    table: _Builder | None = None
    gap = False  # blank or junk line since the last body line
    prev_end = 0  # source offset just after the last body line's content
    prev = -1  # the last body line's index

    def flush(b: _Builder | None) -> None:
        if b is not None and (blk := b.block()) is not None:
            blocks.append(blk)

    for i, (s, e) in enumerate(lines):
        line = raw[s:e]
        stripped = line.strip()
        if i in junk or not stripped or _PAGE_NUMBER.match(line):
            gap = True
            continue
        cs = s + (len(line) - len(line.lstrip()))
        ce = s + len(line.rstrip())

        if table is not None:
            # a table row is short; a long line, or a line of prose, ends the table
            if len(stripped) <= 90 and not _prose(stripped):
                table.sep("\n", s - 1 if s else s)
                table.add(raw[cs:ce], cs)
                continue
            flush(table)
            table = None
        if _TABLE_CAPTION.match(line):
            flush(body)
            body, gap = _Builder("body"), False
            table = _Builder("table")
            table.add(raw[cs:ce], cs)
            continue
        if _FOOTNOTE.match(line) and len(stripped) < 400:
            fb = _Builder("footnote")
            fb.add(raw[cs:ce], cs)
            flush(fb)
            continue

        _add_body_line(body, raw, (s, cs, ce), prev_end, gap, (vocab, hyphenated), i in listed,
                       i in numbered or prev in numbered)
        prev_end, prev = ce, i
        gap = False
    flush(table)
    flush(body)
    return blocks
