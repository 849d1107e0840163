"""The index this server shares between sessions, its background fill (rag/background.py),
and the label language this session chose."""
from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

import rag
from rag import background, seed, uploads
from rag.export import md_escape
from rag.files import shown_name

from .folders import Folders
from .labels import LABELS, label
from .text import fill_left


def lang() -> str:
    """The interface language chosen in the sidebar (English until one is chosen)."""
    return st.session_state.get("ui_lang", "en")


def t(key: str, **kw) -> str:
    """A UI label in the language chosen in the sidebar."""
    return label(lang(), key, **kw)


@st.cache_resource(show_spinner=False)
def load_index(folder: str, _built: rag.Index | None = None) -> rag.Index:
    """One Index per server process, shared by all sessions (it locks its own updates).
    `_built` (not part of the cache key) hands over an index just built, so the model
    is not loaded twice on the first start."""
    return _built if _built is not None else rag.load(folder)


@st.cache_resource(show_spinner=False)
def build_lock() -> threading.Lock:
    return threading.Lock()  # two sessions opened at first start must not both build


def upload_folder(folders: Folders) -> Path | None:
    """The uploads folder, or None (uploads off) when it is misconfigured into the corpus."""
    try:
        return uploads.upload_dir(folders.index, folders.corpus, folders.upload_env())
    except uploads.UploadError as e:
        st.sidebar.error(md_escape(str(e)))
        return None


def progress_callback(bar):
    """An Index progress callback that shows the stage in words on a st.progress bar."""
    def report(stage: str, done: int, total: int) -> None:
        text = t(stage) if stage in LABELS["en"] else stage
        bar.progress(min(1.0, done / max(total, 1)), text=f"{text}: {done}/{total}")
    return report


def get_index(folders: Folders) -> rag.Index:
    """The saved index. When there is none (or it is unusable), an empty one filled in the
    background (rag/background.py): the chat answers from the documents done while the
    rest are read. A fill cut short by a stopped server is taken up again here."""
    index_dir, corpus = folders.index, folders.corpus
    try:
        with st.spinner(t("loading")):
            idx = load_index(str(index_dir))
    except rag.IndexFormatError as e:
        why = e
    else:
        if background.running(index_dir) is None and (paths := background.pending(index_dir)):
            background.fill(idx, paths)  # the files done are unchanged and skipped by their hash
        return idx
    with build_lock():
        try:
            return load_index(str(index_dir))  # built meanwhile by another session
        except rag.IndexFormatError:
            pass
        first = not (index_dir / "manifest.json").exists()
        saved = upload_folder(folders)
        has_uploads = bool(saved and uploads.list_uploads(saved))
        if first and not has_uploads and corpus.resolve() == seed.CORPUS and seed.why_stale() is None:
            # the shipped index of the bundled corpus, proven current (rag/seed.py): seconds, not minutes
            seed.install(seed.SEED, index_dir)
            return load_index(str(index_dir))
        if not first:
            # An index exists (rag.load already retried past other processes' commits): rebuilding
            # it from the corpus and uploads would drop documents added with the CLI, so only on request.
            st.error(t("unusable", why=md_escape(str(why))))
            if not st.button(t("rebuild_button"), key="rebuild"):
                st.stop()
        with st.spinner(t("loading")):
            idx = rag.Index.create(index_dir)
        paths = [corpus] + ([saved] if has_uploads else [])  # uploads survive a rebuild
        background.fill(idx, paths, replace_all=True)
        return load_index(str(index_dir), _built=idx)


@st.fragment(run_every=1.0)
def fill_status(index_dir: Path) -> None:
    """Progress of the background fill, redrawn every second; the whole page is rerun when a
    part is committed or the fill ends, so the document list, filters and chat catch up."""
    s = background.last(index_dir).state()  # called only once a fill exists; it stays the last one
    now = (s.documents, s.finished)
    if st.session_state.setdefault("fill_seen", now) != now:
        st.session_state.fill_seen = now
        st.rerun(scope="app")
    if s.finished:
        return
    total = max(s.files_total, 1)
    st.progress(s.files_done / total,
                text=t("filling", done=s.files_done, total=s.files_total, docs=s.documents) if s.documents
                else t("filling_first"))
    if s.stage in LABELS["en"]:
        st.caption(f"{t(s.stage)}: {s.done}/{s.total}")


def fill_outcome(index_dir: Path) -> None:
    """What the last fill of this server left to say: an error, or files it could not index."""
    f = background.last(index_dir)
    s = f.state() if f else None
    if s is None or not s.finished:
        return
    if s.error:
        st.error(t("fill_failed", why=md_escape(s.error)))
    elif s.report and s.report.skipped:
        with st.expander(t("fill_skipped", n=len(s.report.skipped))):
            for name, why in s.report.skipped:
                st.caption(md_escape(f"{shown_name(name)}: {why}"))


def partial(index_dir: Path) -> dict | None:
    """While a fill runs: how much of the corpus the index holds so far (said with each answer)."""
    f = background.running(index_dir)
    if f is None:
        return None
    s = f.state()
    return fill_left(s.documents, s.files_done, s.files_total)
