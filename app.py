"""Streamlit chat over the bundled corpus: UI only, all logic is in rag/."""
from __future__ import annotations

import os
import re
from pathlib import Path

import streamlit as st

import rag

ROOT = Path(__file__).parent
INDEX = Path(os.environ.get("RAG_INDEX_DIR", ROOT / "index"))
CORPUS = Path(os.environ.get("RAG_CORPUS_DIR", ROOT / "data" / "corpus"))
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def md_escape(text: str) -> str:
    """Document text shown as literal text: no markdown, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


@st.cache_resource(show_spinner=False)
def get_index() -> rag.Index:
    try:
        return rag.load(INDEX)
    except rag.IndexFormatError:
        bar = st.progress(0.0, text="Building the index of the bundled corpus (first start only)…")

        def progress(stage: str, done: int, total: int) -> None:
            bar.progress(min(1.0, done / max(total, 1)), text=f"Indexing: {stage} {done}/{total}")

        idx = rag.build([CORPUS], INDEX, progress=progress)
        bar.empty()
        return idx


def where(h: rag.Hit) -> str:
    page = f", p. {h.page}" if h.page is not None else ""
    return f"{h.source}{page}, chars {h.start}–{h.end}"


def show_answer(ans: rag.Answer, show_scores: bool) -> None:
    if not ans.found:
        st.markdown("**Not in the documents.** The nearest passages:")
        with st.expander("Nearest passages", expanded=False):
            for h in ans.hits[:3]:
                st.caption(where(h))
                st.markdown(md_escape(h.text))
        return
    by_id = {h.chunk_id: h for h in ans.hits}
    for q in ans.quotes:
        cross = " · cross-lingual" if ans.query_lang not in ("und", q.lang) else ""
        score = f" · score {q.score:.2f}" if show_scores else ""
        st.markdown(f"> {md_escape(q.text)}")
        st.caption(f"{where(q)} · {q.lang}{cross}{score}")
        passage = by_id.get(q.chunk_id)
        if passage is not None:
            with st.expander("Passage in context"):
                i = passage.text.find(q.text)
                if i >= 0:
                    st.markdown(md_escape(passage.text[:i]) + " :orange-background[" + md_escape(q.text) + "] "
                                + md_escape(passage.text[i + len(q.text):]))
                else:
                    st.markdown(md_escape(passage.text))


def main() -> None:
    st.set_page_config(page_title="Ask the documents", page_icon="📚")
    st.title("Ask the documents")
    index = get_index()
    with st.sidebar:
        k = st.slider("Passages", 1, 10, 5)
        show_scores = st.checkbox("Show scores", value=False)
        st.subheader("Documents")
        for d in index.documents():
            st.caption(f"{d.source} — {d.chunks} chunks, {', '.join(d.langs)}")
    if "messages" not in st.session_state:
        st.session_state.messages = []
    for m in st.session_state.messages:
        with st.chat_message(m["role"]):
            if m["role"] == "user":
                st.markdown(md_escape(m["text"]))
            else:
                show_answer(m["answer"], show_scores)
    if question := st.chat_input("Ask in Russian or English"):
        st.session_state.messages.append({"role": "user", "text": question})
        with st.chat_message("user"):
            st.markdown(md_escape(question))
        with st.chat_message("assistant"):
            try:
                ans = index.ask(question, k=k)
            except rag.QueryError as e:
                st.warning(str(e))
                return
            show_answer(ans, show_scores)
        st.session_state.messages.append({"role": "assistant", "answer": ans})


main()
