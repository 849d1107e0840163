"""The chat's pure helpers: what a quote, its place and its citation read like, and how the
conversation is read back. No streamlit here, so tests/test_ui.py tests them in milliseconds.

Document text leaves these functions only as escaped markdown (md_escape / md_inline,
rag/export.py) or as plain text for st.code: nothing here is HTML.
"""
from __future__ import annotations

from pathlib import Path

import rag
from rag.export import Turn, md_escape, md_inline
from rag.files import shown_name
from rag.lang import detect

from .labels import label
from .langnames import determined, name

WINDOW = 300  # characters of the passage shown on each side of a quote before expanding
CONTEXT = 800  # characters of the document shown on each side of the passage when expanded


def clip_words(text: str, n: int, from_end: bool) -> str:
    """At most `n` characters of `text` (its end or its start), cut between words: the word the
    cut falls in is dropped, unless the window is one word (then it is cut inside it)."""
    if len(text) <= n:
        return text
    window = text[-n:] if from_end else text[:n]
    if not window.strip():  # no word within reach (split would find none): only the ellipsis
        return "…"
    if from_end:
        return "… " + window.split(None, 1)[-1]
    return window.rsplit(None, 1)[0] + " …"


def highlighted(before: str, quote: str, after: str, span: tuple[int, int] | None = None) -> str:
    """Markdown of a quote highlighted between escaped text: nothing in it is markup.
    `span`: the answer's offsets inside the quote, shown in bold."""
    if span is None:
        inner = md_inline(quote)
    else:
        a, b = span

        def piece(text: str) -> str:  # md_inline, keeping a space at either edge
            return (" " if text[:1].isspace() else "") + md_inline(text) + (" " if text[-1:].isspace() else "")

        inner = f"{piece(quote[:a])}**{md_inline(quote[a:b])}**{piece(quote[b:])}".strip()
    return f"{md_escape(before)} :orange-background[{inner}] {md_escape(after)}".strip()


def span_in_quote(q: rag.Hit, span: rag.Span | None) -> tuple[int, int] | None:
    """Where the answer stands in the quote's text: its occurrence nearest the offset its
    source span gives (a cleaned quote can be shorter than its source); None when absent."""
    if span is None or span.source != q.source or not span.text or not q.start <= span.start < q.end:
        return None  # the answer stands in another quote
    want, best, i = span.start - q.start, None, q.text.find(span.text)
    while i >= 0:
        if best is None or abs(i - want) < abs(best - want):
            best = i
        i = q.text.find(span.text, i + 1)
    return None if best is None else (best, best + len(span.text))


def quote_in_passage(q: rag.Hit, passage: rag.Hit | None) -> tuple[str, str]:
    """The passage text before and after the quote ("", "" when it cannot be placed)."""
    i = passage.text.find(q.text) if passage is not None else -1
    if i < 0:
        return "", ""
    return passage.text[:i], passage.text[i + len(q.text):]


def where(h: rag.Hit, lang: str) -> str:
    """File, page (when it has pages) and character span, in plain text (escape before markdown)."""
    page = f" · {label(lang, 'page', n=h.page)}" if h.page is not None else ""
    return f"{shown_name(h.source)}{page} · {label(lang, 'chars', s=h.start, e=h.end)}"


def citation(q: rag.Hit, lang: str) -> str:
    """The quote on one line with where it is from: plain text, shown with st.code."""
    return f"«{' '.join(q.text.split())}» — {where(q, lang)}"


def quote_lang(q: rag.Hit) -> str:
    """The quote's language: rag gives each quote its sentence's (its passage's, unless the
    sentence is written in another script: rag/lang.py `parts`); detected here only when that
    says nothing."""
    return q.lang if determined(q.lang) else detect(q.text)


def meta_line(q: rag.Hit, query_lang: str, show_scores: bool, lang: str) -> str:
    """Source, page, span, the quote's language by name, a cross-lingual badge when it is not
    the question's, and (optionally) the score."""
    ql = quote_lang(q)
    parts = [md_escape(where(q, lang)), f":gray-badge[{md_escape(name(ql, lang))}]"]
    if determined(query_lang) and determined(ql) and ql != query_lang:
        parts.append(f":violet-badge[{label(lang, 'cross', q=md_escape(query_lang), d=md_escape(ql))}]")
    if show_scores:
        parts.append(label(lang, "score", v=q.score))
    return " · ".join(parts)


def passage_line(h: rag.Hit, show_scores: bool, lang: str) -> str:
    """A nearest passage's place and language by name (and optionally its score), as markdown."""
    line = f"{md_escape(where(h, lang))} · {md_escape(name(h.lang, lang))}"
    return line + (f" · {label(lang, 'score', v=h.score)}" if show_scores else "")


def question_line(query_lang: str, lang: str) -> str:
    """The question's language, said only when it is not the interface language ("" otherwise,
    and for a question without letters)."""
    if not determined(query_lang) or query_lang == lang:
        return ""
    return label(lang, "question_lang", name=md_escape(name(query_lang, lang)))


def searched_in(sources: list[str] | None, langs: list[str] | None, lang: str) -> str:
    """What the sidebar's filters restricted the search to ("" when nothing), languages by name."""
    what = [md_escape(s) for s in sources or []] + [md_escape(name(x, lang)) for x in langs or []]
    return label(lang, "searched", what=", ".join(what)) if what else ""


def rewritten(question: str, searched_as: str) -> bool:
    """The question was searched with what it carried over from the one before."""
    return " ".join(searched_as.split()) != " ".join(question.split())


def turns(messages: list[dict]) -> list[Turn]:
    """The conversation as exported: each question with its answer or its error."""
    out = []
    for i, m in enumerate(messages):
        if m["role"] == "user":
            reply = messages[i + 1] if i + 1 < len(messages) and messages[i + 1]["role"] == "assistant" else {}
            out.append(Turn(m["text"], reply.get("answer"), reply.get("error", "")))
    return out


def doc_line(d: rag.DocumentInfo, lang: str) -> str:
    """A document in the sidebar's list: its name (escaped), passages and languages by name."""
    langs = ", ".join(md_escape(name(x, lang)) for x in d.langs)
    return f"{md_escape(shown_name(d.source))} — {label(lang, 'doc_line', chunks=d.chunks, langs=langs)}"


def listed(names: list[str], n: int = 5) -> str:
    """The first `n` file names, escaped, and "…" for the rest."""
    return ", ".join(md_escape(shown_name(x)) for x in names[:n]) + (", …" if len(names) > n else "")


def stamps(source: str, folders: tuple[str, ...]) -> tuple:
    """Size and modification time of each candidate file: a new stamp means hash it again."""
    out = []
    for f in folders:
        try:
            s = (Path(f) / source).stat()
            out.append((s.st_size, s.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


def fill_left(documents: int, files_done: int, files_total: int) -> dict:
    """How much of the corpus a running fill has indexed, as said with each answer."""
    return {"docs": documents, "left": max(files_total - files_done, 0), "total": files_total}
