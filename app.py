"""Streamlit chat over the bundled corpus: `streamlit run app.py` (scripts/app.sh).

This file only lays the page out; its parts are in ui/ (ui/__init__.py lists them) and the
logic is in rag/. Document text is never rendered as HTML (see ui/__init__.py).
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from rag import background, uploads
from ui import chat, sidebar, state
from ui.folders import Folders

ROOT = Path(__file__).parent


def main() -> None:
    # read on every run, not at import: a test (or a second server) sets its own folders
    folders = Folders.from_env(os.environ, ROOT)
    st.set_page_config(page_title="Ask the documents", page_icon="📚")
    with st.sidebar:
        sidebar.language_switch()
    st.title(state.t("title"))
    index = state.get_index(folders)
    filling = background.running(folders.index) is not None
    if filling:
        state.fill_status(folders.index)
    state.fill_outcome(folders.index)
    folder = state.upload_folder(folders)
    saved = uploads.list_uploads(folder) if folder else []
    with st.sidebar:
        opts = sidebar.panel(index, folders, folder, saved, filling)
    sidebar.show_notes()
    chat.conversation(index, folders, opts)
    with st.sidebar:
        chat.export_buttons()


main()
