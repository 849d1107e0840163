"""The sidebar: the interface language, the search options, the indexed documents, new files
in the documents folder, and the forms that add and remove documents (rag/uploads.py)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

import rag
from rag import background, uploads
from rag.export import md_escape
from rag.files import shown_name
from rag.ingest import discover

from .folders import Folders
from .langnames import with_code
from .state import lang, partial, progress_callback, t
from .text import doc_line, listed, stamps


def language_switch() -> None:
    st.radio("Language / Язык", ["en", "ru"], key="ui_lang", horizontal=True,
             format_func={"en": "English", "ru": "Русский"}.get)


def panel(index: rag.Index, folders: Folders, folder: Path | None, uploaded: list[str], filling: bool) -> dict:
    """Everything below the language switch; returns the search options (search_filters)."""
    for note in index.notices:  # e.g. the cross-lingual bridge is off: no dictionary installed
        st.info(md_escape(note))
    opts = search_filters(index)
    document_list(index, uploaded, folders)
    if not filling:
        corpus_changes(index, folders)
    if folder and filling:
        st.caption(t("forms_wait"))
    elif folder:
        upload_form(index, folders, folder, uploaded)
        remove_form(index, folder)
    return opts


def search_filters(index: rag.Index) -> dict:
    """Documents, languages, number of passages, scores: the options of index.ask."""
    docs = index.documents()
    sources = [d.source for d in docs]
    langs = sorted({x for d in docs for x in d.langs})
    # a document removed since it was selected must leave the selection, or the widget fails
    for key, options in (("f_sources", sources), ("f_langs", langs)):
        if key in st.session_state:
            st.session_state[key] = [v for v in st.session_state[key] if v in options]
    st.subheader(t("filters"))
    chosen = st.multiselect(t("sources"), sources, key="f_sources", placeholder=t("sources_all"))
    ui = lang()  # the values stay codes (index.ask's langs); the list shows "Ukrainian (uk)"
    chosen_langs = st.multiselect(t("langs"), langs, key="f_langs", placeholder=t("langs_all"),
                                  format_func=lambda code: with_code(code, ui))
    k = st.slider(t("k"), 1, 10, 5, key="k")
    scores = st.toggle(t("scores"), key="scores")
    return {"sources": chosen or None, "langs": chosen_langs or None, "k": k, "scores": scores}


def document_list(index: rag.Index, uploaded: list[str], folders: Folders) -> None:
    st.subheader(t("documents"))
    for d in index.documents():
        tag = f" · :blue-badge[{t('uploaded')}]" if d.source in uploaded else ""
        st.caption(doc_line(d, lang()) + tag)
    if p := partial(folders.index):
        st.caption(t("pending_docs", n=p["left"], total=p["total"]))


def corpus_stamp(corpus: Path) -> tuple:
    """Name, size and modification time of every file of the documents folder: a new stamp
    means look again (hashing every file on every rerun would cost seconds on a large folder)."""
    return tuple((source, stamps(source, (str(corpus),))) for _, source in discover([corpus])[0])


@st.cache_data(max_entries=4, show_spinner=False)
def outdated(_index: rag.Index, corpus: str, generation: int, stamp: tuple) -> tuple[str, ...]:
    """index.outdated of the documents folder, once per index generation and folder stamp."""
    return _index.outdated([Path(corpus)])


def corpus_changes(index: rag.Index, folders: Folders) -> None:
    """Files dropped into (or changed in) the documents folder after it was indexed: said, and
    indexed in the background on request (files the last fill could not index are not nagged about)."""
    last = background.last(folders.index)
    refused = {name for name, _ in last.state().report.skipped} if last and last.state().report else set()
    stamp = corpus_stamp(folders.corpus)
    new = [s for s in outdated(index, str(folders.corpus), index.payload.manifest.generation, stamp)
           if s not in refused]
    if not new:
        return
    st.info(t("corpus_new", n=len(new), names=listed(new)))
    if st.button(t("corpus_index"), key="index_corpus"):
        background.fill(index, [folders.corpus])  # new and changed files; the unchanged are skipped by their hash
        st.rerun()


def upload_form(index: rag.Index, folders: Folders, folder: Path, uploaded: list[str]) -> None:
    st.subheader(t("upload"))
    n = st.session_state.setdefault("uploader_n", 0)  # a new key empties the uploader after indexing
    files = st.file_uploader(
        t("upload_label"), type=list(uploads.UPLOAD_TYPES), accept_multiple_files=True, key=f"uploader_{n}",
        max_upload_size=uploads.MAX_UPLOAD_MB,
    )
    st.caption(t("upload_help", types=", ".join(uploads.UPLOAD_TYPES), n=uploads.MAX_UPLOAD_FILES,
                 mb=uploads.MAX_UPLOAD_MB))
    if not st.button(t("upload_button"), key="index_uploads"):
        return
    if not files:
        st.warning(t("upload_none"))
        return
    protected = uploads.protected_names([d.source for d in index.documents()], uploaded,
                                        uploads.bundled_names(folders.corpus))
    bar = st.progress(0.0, text=t("read"))
    check, report = uploads.add_uploads(index, folder, [(f.name, f.getvalue()) for f in files], protected,
                                        progress=progress_callback(bar))
    bar.empty()
    notes = [("error", t("refused", name=shown_name(name), reason=why)) for name, why in check.refused]
    if report is not None:
        notes += [("error", t("refused", name=shown_name(name), reason=why)) for name, why in report.skipped]
        notes += [("warning", t("indexed_with_warning", name=name, reason=why)) for name, why in report.warnings]
        if report.indexed:
            notes.append(("success", t("indexed", names=", ".join(map(shown_name, report.indexed)))))
        if report.unchanged:
            notes.append(("info", t("unchanged", names=", ".join(map(shown_name, report.unchanged)))))
        if check.replaced:  # the chat replaces a re-upload (HTTP asks for ?replace=true), and says so
            notes.append(("info", t("replaced", names=", ".join(map(shown_name, check.replaced)))))
    st.session_state.notes = notes
    st.session_state.uploader_n = n + 1
    st.rerun()  # the document list and the filters now include the new files


def remove_form(index: rag.Index, folder: Path) -> None:
    st.subheader(t("remove"))
    sources = [d.source for d in index.documents()]
    source = st.selectbox(t("remove"), sources, index=None, key="remove_source",
                          label_visibility="collapsed", placeholder=t("remove_choose"))
    if st.button(t("remove_button"), key="remove", disabled=source is None, help=t("remove_help")):
        uploads.remove_document(index, folder, source)
        st.session_state.notes = [("success", t("removed", name=source))]
        del st.session_state["remove_source"]
        st.rerun()


def show_notes() -> None:
    """Messages of the last upload or removal, kept across the rerun that refreshes the lists."""
    for kind, text in st.session_state.pop("notes", []):
        {"error": st.error, "warning": st.warning, "success": st.success, "info": st.info}[kind](md_escape(text))
