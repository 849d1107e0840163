"""The conversation: this session's questions and answers, the chat input, follow-ups asked
on their own, and the conversation's download (rag/export.py)."""
from __future__ import annotations

import streamlit as st

import rag
from rag.export import md_escape, to_json, to_markdown
from rag.limits import MAX_HISTORY

from .answer import show_answer
from .folders import Folders
from .state import lang, partial, t
from .text import question_line, rewritten, searched_in, turns


def conversation(index: rag.Index, folders: Folders, opts: dict) -> None:
    """The questions so far with their answers, then the chat input; a question is answered
    where it is asked and kept in the session's history."""
    st.session_state.setdefault("messages", [])
    history(index, folders, opts["scores"])
    if alone := st.session_state.pop("ask_alone", None):  # "Ask it on its own" was pressed
        ask(index, folders, alone, opts, alone=True)
    if question := st.chat_input(t("placeholder"), disabled=not index.documents()):
        ask(index, folders, question, opts)


def ask(index: rag.Index, folders: Folders, question: str, opts: dict, alone: bool = False) -> None:
    """Answer one question in the chat and keep it in this session's history. The earlier
    questions go with it (a follow-up such as "А в 1923 году?" is searched with the one
    before it) unless `alone`."""
    earlier = [] if alone else [m["text"] for m in st.session_state.messages if m["role"] == "user"]
    earlier = earlier[-MAX_HISTORY:]  # the latest: ask refuses a longer history (rag/limits.py)
    st.session_state.messages.append({"role": "user", "text": question})
    with st.chat_message("user"):
        st.markdown(md_escape(question))
    with st.chat_message("assistant"):
        try:
            ans = index.ask(question, k=opts["k"], sources=opts["sources"], langs=opts["langs"], history=earlier)
        except rag.QueryError as e:  # e.g. an empty question: said in the chat, kept in its history
            st.session_state.messages.append({"role": "assistant", "error": str(e)})
            st.warning(md_escape(str(e)))
            return
        m = {"role": "assistant", "answer": ans, "scope": searched_in(opts["sources"], opts["langs"], lang()),
             "question": question, "partial": partial(folders.index)}
        st.session_state.messages.append(m)
        show_message(index, folders, m, len(st.session_state.messages) - 1, opts["scores"])


def show_message(index: rag.Index, folders: Folders, m: dict, i: int, show_scores: bool) -> None:
    """One answer with what it was searched in and as; a rewritten follow-up can be asked alone.
    The question's language is said when it is not the interface's (labels follow the switch)."""
    if said := question_line(m["answer"].query_lang, lang()):
        st.caption(said)
    if m.get("scope"):
        st.caption(m["scope"])
    if m.get("partial"):
        st.caption(t("partial", **m["partial"]))
    if rewritten(m["question"], m["answer"].searched_as):
        st.caption(md_escape(t("searched_as", q=m["answer"].searched_as)))
        if st.button(t("ask_alone"), key=f"alone_{i}"):
            st.session_state.ask_alone = m["question"]
    show_answer(index, folders, m["answer"], show_scores, key=str(i), part=bool(m.get("partial")))


def history(index: rag.Index, folders: Folders, show_scores: bool) -> None:
    for i, m in enumerate(st.session_state.messages):
        with st.chat_message(m["role"]):
            if m["role"] == "user":
                st.markdown(md_escape(m["text"]))
            elif "error" in m:
                st.warning(md_escape(m["error"]))
            else:
                show_message(index, folders, m, i, show_scores)


def export_buttons() -> None:
    if not st.session_state.get("messages"):
        return
    st.subheader(t("conversation"))
    done = turns(st.session_state.messages)
    st.download_button(t("export_md"), to_markdown(done), file_name="conversation.md", mime="text/markdown",
                       key="export_md")
    st.download_button(t("export_json"), to_json(done), file_name="conversation.json", mime="application/json",
                       key="export_json")
