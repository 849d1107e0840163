"""The chat app's documents through Streamlit's AppTest, with the real model (slow): files
dropped into the folder, uploads, removals, names shown with escapes.

The `built` and `app` fixtures are in this folder's conftest.py; the drivers in helpers/apptest.py.
"""
from __future__ import annotations

import pytest
from helpers.apptest import MUSEUM, ask, first_start, main_text, plain, sidebar_text

pytestmark = pytest.mark.slow


def test_a_file_dropped_into_the_folder_is_offered_and_indexed(tmp_path, monkeypatch):
    import streamlit as st
    from helpers.docs import EN_DOC

    from rag import background

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "museum.txt").write_text(MUSEUM, encoding="utf-8")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))
    monkeypatch.delenv("RAG_UPLOAD_DIR", raising=False)
    try:
        at = first_start(tmp_path / "index")
        assert not [e for e in at.sidebar.info if "documents folder" in e.value]
        (corpus / "chess.txt").write_text(EN_DOC, encoding="utf-8")
        at.run()
        notes = [plain(e.value) for e in at.sidebar.info if "documents folder" in e.value]
        assert notes == ["New or changed files in the documents folder, not indexed yet (1): chess.txt."]
        at.sidebar.button(key="index_corpus").click().run()
        assert background.last(tmp_path / "index").wait(240).error is None
        at.run()
        assert "chess.txt" in sidebar_text(at) and not [e for e in at.sidebar.info if "documents folder" in e.value]
        ask(at, "Who won the chess tournament?")
        assert "The chess tournament was won" in main_text(at)
    finally:
        st.cache_resource.clear()


def test_upload_then_remove(app, tmp_path):
    files = [
        ("../../Музей часов.txt", MUSEUM.encode(), "text/plain"),  # path parts dropped, name sanitised
        ("en.txt", b"A file named like a bundled document.", "text/plain"),  # refused
        ("empty.md", b"", "text/markdown"),  # refused: nothing to index
        # indexed with a warning: a few invalid UTF-8 bytes become U+FFFD
        ("damaged.txt", "Часовой музей закрыт по понедельникам. ".encode() * 20 + b"\xff\xfe bad", "text/plain"),
    ]
    app.sidebar.file_uploader[0].set_value(files).run()
    app.sidebar.button(key="index_uploads").click().run()
    assert not app.exception, app.exception
    saved = tmp_path / "uploads" / "Музей_часов.txt"
    assert saved.read_text() == MUSEUM
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["damaged.txt", "Музей_часов.txt"]
    warned = plain(" ".join(w.value for w in app.warning))
    assert "Indexed with a warning" in warned and "damaged.txt" in warned
    indexed = [plain(s.value) for s in app.success if "Indexed:" in plain(s.value)]
    assert len(indexed) == 1 and "Музей_часов.txt" in indexed[0] and "damaged.txt" in indexed[0]
    refused = plain(" ".join(e.value for e in app.error))
    assert "en.txt" in refused and "bundled document" in refused and "empty.md: empty file" in refused
    assert "Музей_часов.txt" in sidebar_text(app) and "uploaded" in sidebar_text(app)

    ask(app, "Во сколько открывается музей часов?")
    assert "Музей_часов.txt" in main_text(app) and "nine o'clock" in main_text(app)

    # the same name again: the chat replaces the earlier upload, and says so (issue 31)
    app.sidebar.file_uploader[0].set_value([("damaged.txt", "Часовой музей закрыт по вторникам.".encode(),
                                             "text/plain")]).run()
    app.sidebar.button(key="index_uploads").click().run()
    assert not app.exception, app.exception
    assert any("Replaced the earlier upload" in plain(i.value) and "damaged.txt" in plain(i.value) for i in app.info)
    assert (tmp_path / "uploads" / "damaged.txt").read_text(encoding="utf-8") == "Часовой музей закрыт по вторникам."

    app.sidebar.selectbox(key="remove_source").set_value("Музей_часов.txt").run()
    app.sidebar.button(key="remove").click().run()
    assert not app.exception, app.exception
    assert "Музей_часов.txt" not in sidebar_text(app)
    assert not saved.exists()
    assert any("Removed: Музей_часов.txt" in plain(s.value) for s in app.success)


def test_removing_a_bundled_document_keeps_its_file(app, built):
    root, _ = built
    app.sidebar.selectbox(key="remove_source").set_value("ru.txt").run()
    app.sidebar.button(key="remove").click().run()
    assert not app.exception, app.exception
    assert "ru.txt" not in sidebar_text(app) and "en.txt" in sidebar_text(app)
    assert (root / "corpus" / "ru.txt").is_file()


def test_document_names_are_shown_with_escapes(tmp_path, monkeypatch):
    """An RTL override or a newline in a bundled file's name cannot disguise it in the sidebar."""
    import streamlit as st

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "invoice\u202efdp.txt").write_text(MUSEUM, encoding="utf-8")
    (corpus / "two\nlines.txt").write_text("Grain procurement in Omsk in 1928 was reported.", encoding="utf-8")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))
    monkeypatch.delenv("RAG_UPLOAD_DIR", raising=False)
    at = first_start(tmp_path / "index")
    side = sidebar_text(at)
    assert "invoice\\u202efdp.txt" in side and "two\\nlines.txt" in side
    assert "\u202e" not in side
    ask(at, "When does the museum of clocks open?")
    assert "\u202e" not in main_text(at) and "invoice\\u202efdp.txt" in main_text(at)
    st.cache_resource.clear()
