"""One answer in the chat: each quote in a bordered box (where it is from, the quote highlighted
in its passage, the surrounding text, the citation, the quote on its page), or, when the
documents do not answer, the nearest passages.

show_quote draws one quote and is the one place to change what a quote shows. Document text is
never rendered as HTML: it goes through ui/text.py's markdown helpers or st.code.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

import rag
from rag.export import md_escape, md_inline
from rag.pages import PAGED, find_file, highlighted_page

from .folders import Folders
from .state import lang, t, upload_folder
from .text import (CONTEXT, WINDOW, citation, clip_words, highlighted, meta_line, passage_line, quote_in_passage,
                   span_in_quote, stamps)


@st.cache_data(max_entries=64, show_spinner=False)
def page_png(path: str, page: int, quote: str, sha256: str) -> tuple[bytes, bool]:
    """The quote's page as PNG, highlighted (sha256: a changed file is a new cache entry)."""
    import io

    image, found = highlighted_page(path, page, quote)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue(), found


@st.cache_data(max_entries=256, show_spinner=False)
def located(source: str, folders: tuple[str, ...], sha256: str, version: tuple) -> str | None:
    """find_file, hashed once per file version (`version`: stamps(), part of the cache key only)
    rather than on every rerun of the chat."""
    path = find_file(source, [Path(f) for f in folders], sha256)
    return str(path) if path else None


def show_on_page(index: rag.Index, folders: Folders, q: rag.Hit, key: str) -> None:
    """A toggle under a quote from a PDF or image: its page, the quote highlighted."""
    meta = index.payload.manifest.files.get(q.source, {})
    if q.page is None or Path(q.source).suffix.lower() not in PAGED:
        return
    if not st.toggle(t("on_page"), key=f"page_{key}"):
        return
    folder = upload_folder(folders)
    candidates = tuple(str(f) for f in (folders.corpus, folder) if f)
    path = located(q.source, candidates, meta.get("sha256", ""), stamps(q.source, candidates))
    if path is None:
        st.caption(t("page_gone"))
        return
    png, found = page_png(str(path), q.page, q.text, meta["sha256"])
    st.image(png, caption=t("page", n=q.page) + ("" if found else " · " + t("page_not_found")))


def show_context(index: rag.Index, q: rag.Hit, passage: rag.Hit, before: str, after: str) -> None:
    """The whole passage, the quote highlighted, between the document text around it."""
    with st.expander(t("more")):
        doc_before, doc_after = index.context(passage, chars=CONTEXT)
        if doc_before:
            st.caption(md_escape("… " + doc_before))
        st.markdown(highlighted(before, q.text, after) if before or after else md_escape(passage.text))
        if doc_after:
            st.caption(md_escape(doc_after + " …"))


def show_quote(index: rag.Index, folders: Folders, ans: rag.Answer, q: rag.Hit, passage: rag.Hit | None,
               show_scores: bool, key: str = "") -> None:
    """One quote of `ans`: where it is from, the quote highlighted in a window of its passage,
    the surrounding text, the citation and (for a PDF or image) its page."""
    before, after = quote_in_passage(q, passage)
    with st.container(border=True):
        st.caption(meta_line(q, ans.query_lang, show_scores, lang()))
        st.markdown(highlighted(clip_words(before, WINDOW, True), q.text, clip_words(after, WINDOW, False),
                                span_in_quote(q, ans.span)))
        if passage is not None:
            show_context(index, q, passage, before, after)
        with st.expander(t("cite")):
            st.code(citation(q, lang()), language=None, wrap_lines=True)
        show_on_page(index, folders, q, key)


def show_nearest(ans: rag.Answer, show_scores: bool, part: bool) -> None:
    """No answer in the documents: said plainly, the nearest passages folded away (none are
    offered for a question with nothing to search, "???")."""
    if ans.missing:  # declined: the question names what the best passage lacks
        said = t("not_found_missing", items=md_inline(", ".join(ans.missing)))
    else:
        said = t("not_found_partial") if part else t("not_found")
    if not ans.hits:
        st.markdown(said)
        return
    st.markdown(f"{said} {t('nearest_intro')}")
    with st.expander(t("nearest"), expanded=False):
        for h in ans.hits[:3]:
            st.caption(passage_line(h, show_scores, lang()))
            st.markdown(md_escape(h.text))


def show_answer(index: rag.Index, folders: Folders, ans: rag.Answer, show_scores: bool, key: str = "",
                part: bool = False) -> None:
    """An answer's quotes, each placed in the passage it was taken from (`part`: the index
    holds only part of the corpus yet, said when nothing is found)."""
    if not ans.found:
        show_nearest(ans, show_scores, part)
        return
    if ans.missing:
        st.markdown(t("partial_match", items=md_inline(", ".join(ans.missing))))
    by_id = {h.chunk_id: h for h in ans.hits}
    for j, q in enumerate(ans.quotes):
        show_quote(index, folders, ans, q, by_id.get(q.chunk_id), show_scores, key=f"{key}_{j}")
