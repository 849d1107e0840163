"""The chat's parts; app.py (`streamlit run app.py`) is the entry point that lays them out.

- labels.py: the interface's words in English and Russian
- langnames.py: language names (for the ISO codes rag/lang.py gives) in both interface languages
- folders.py: the index, corpus and upload folders, read from the environment per run
- text.py: pure helpers (clipping, placing and highlighting quotes, citations, the export)
- state.py: the index shared by all sessions, its background fill, the session's language
- answer.py: one answer, quote by quote
- sidebar.py: language, search options, documents, uploads and removals
- chat.py: the conversation and its download

labels, langnames, folders and text import no streamlit (tests/test_ui.py); the rest is tested through
the AppTests (AppTest.from_file on app.py). The logic lives in rag/, which never imports ui/.
Document text is never rendered as HTML: it goes through md_escape / md_inline (rag/export.py)
or st.code, and nothing here uses unsafe_allow_html.
"""
