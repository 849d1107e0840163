"""The chat app end to end through Streamlit's AppTest, with the real model (slow): answers,
quotes and how they are shown, filters, the interface language, follow-ups, the export.

The `built` and `app` fixtures are in this folder's conftest.py; the drivers in helpers/apptest.py.
"""
from __future__ import annotations

import shutil

import pytest
from helpers.apptest import APP, ask, first_start, main_text, plain, sidebar_text

pytestmark = pytest.mark.slow


def test_cross_lingual_answer_is_quoted_with_its_source(app):
    ask(app, "Кто победил в шахматном турнире?")
    text = main_text(app)
    assert ":orange-background[The chess tournament was won" in text  # highlighted inside its passage
    meta = [plain(c.value) for c in app.caption if "en\\.txt" in c.value]
    assert meta and "chars" in meta[0] and ":gray-badge[English]" in meta[0]
    assert ":violet-badge[cross-lingual: ru → en]" in meta[0]
    assert "score" not in meta[0]  # scores are off by default


def test_copy_citation_and_scores(app):
    app.sidebar.toggle(key="scores").set_value(True).run()
    ask(app, "Who won the chess tournament?")
    cites = [c.value for c in app.code]
    assert any(c.startswith("«The chess tournament was won") and "en.txt" in c and "chars" in c for c in cites)
    meta = [plain(c.value) for c in app.caption if "en\\.txt" in c.value]
    assert "score" in meta[0] and "cross-lingual" not in meta[0]
    assert any(e.label == "Surrounding text" for e in app.expander)


def test_history_is_kept(app):
    ask(app, "Who won the chess tournament?")
    ask(app, "Кто открыл новый мост?")
    assert [m.name for m in app.chat_message] == ["user", "assistant", "user", "assistant"]
    assert "chess" in main_text(app) and "bridge" in main_text(app)


def test_not_found_is_said_plainly(app):
    ask(app, "Как испечь ржаной хлеб на закваске?")
    assert any("Not in the documents" in m.value for m in app.markdown)
    nearest = [e for e in app.expander if e.label == "Nearest passages"]
    assert nearest and not nearest[0].proto.expanded


def test_nothing_to_search_is_said_without_nearest_passages(app):
    ask(app, "???")
    said = [m.value for m in app.markdown if "Not in the documents" in m.value]
    assert said and "nearest" not in said[-1]
    assert not [e for e in app.expander if e.label == "Nearest passages"]


def test_document_markup_is_escaped(app):
    ask(app, "How much did the bridge cost?")
    shown = " ".join(m.value for m in app.markdown)
    # the passage holding the markup is shown, with every markup character escaped
    assert "\\<script\\>" in shown
    assert "<script>" not in shown.replace("\\<script\\>", "")
    assert "\\*\\*bridge\\*\\*" in shown and "\\[a lot\\]\\(\\#\\)" in shown


def test_document_filter_restricts_quotes(app):
    ask(app, "Who won the chess tournament?")
    assert "en.txt" in main_text(app)
    app.sidebar.multiselect(key="f_sources").set_value(["ru.txt"]).run()
    app.session_state["messages"] = []
    ask(app, "Who won the chess tournament?")
    shown = main_text(app)
    assert "Searched in: ru.txt" in shown and "en.txt" not in shown
    assert "tournament was won" not in shown


def test_language_filter_restricts_quotes(app):
    app.sidebar.multiselect(key="f_langs").set_value(["ru"]).run()
    ask(app, "Why were the 1924 election results cancelled?")
    shown = main_text(app)
    assert "ru.txt" in shown and "en.txt" not in shown
    assert "35" in shown


def test_language_switch_changes_labels(app):
    assert app.title[0].value == "Ask the documents"
    app.sidebar.radio(key="ui_lang").set_value("ru").run()
    assert app.title[0].value == "Вопросы к документам"
    assert app.chat_input[0].placeholder == "Спросите на любом языке"
    assert app.sidebar.toggle(key="scores").label == "Показывать оценки релевантности"
    ask(app, "Как испечь ржаной хлеб на закваске?")
    assert any("В документах ответа нет" in m.value for m in app.markdown)
    assert any(e.label == "Ближайшие фрагменты" for e in app.expander)


def test_sidebar_says_once_when_the_bridge_is_off(built, tmp_path, monkeypatch):
    """An index whose dictionary setting points nowhere: the app answers and the sidebar says why
    questions across languages get no dictionary help."""
    import json

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    root, _ = built
    shutil.copytree(root / "index", tmp_path / "index")
    manifest = tmp_path / "index" / "manifest.json"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    m["settings"]["dictionary"] = str(tmp_path / "no-dictionary")
    manifest.write_text(json.dumps(m), encoding="utf-8")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(root / "corpus"))
    try:
        at = AppTest.from_file(APP, default_timeout=240).run()
        notes = [e.value for e in at.sidebar.info]
        assert len(notes) == 1 and "mueller7-dict" in plain(notes[0])
        at.chat_input[0].set_value("Who won the chess tournament?").run()
        assert "Leningrad" in main_text(at)
        assert len(at.sidebar.info) == 1  # said once, not again with every answer
    finally:
        st.cache_resource.clear()


def test_a_follow_up_is_searched_with_the_question_before_it(app):
    ask(app, "Who won the chess tournament?")
    ask(app, "Where was he from?")
    said = [plain(c.value) for c in app.caption if "searched as" in c.value]
    assert said and "Where was he from? won the chess tournament" in said[0]
    assert main_text(app).count("young player from Leningrad") >= 2  # quoted again for the follow-up
    alone = [b for b in app.button if b.label == "Ask it on its own"]
    assert len(alone) == 1
    alone[0].click().run()
    assert not app.exception, app.exception
    assert [m.name for m in app.chat_message] == ["user", "assistant"] * 3
    assert len([c for c in app.caption if "searched as" in c.value]) == 1  # the last one searched as typed


def test_the_conversation_can_be_downloaded(app):
    assert not [b for b in app.sidebar.get("download_button")]  # nothing to export yet
    ask(app, "Who won the chess tournament?")
    labels = [b.proto.label for b in app.sidebar.get("download_button")]
    assert labels == ["Download as Markdown", "Download as JSON"]


def test_a_pdf_quote_is_shown_on_its_page(tmp_path, monkeypatch):
    import streamlit as st
    from helpers.docs import make_pdf

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "chess.pdf").write_bytes(make_pdf(["The chess tournament was won by a young player from Leningrad."]))
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))
    at = first_start(tmp_path / "index", 300)
    try:
        ask(at, "Who won the chess tournament?")
        toggles = [t for t in at.toggle if t.label == "Show on the page"]
        assert len(toggles) == 1 and not at.get("image")  # rendered only on request
        toggles[0].set_value(True).run()
        assert not at.exception, at.exception
        assert len(at.get("image")) == 1
        assert "p. 1" in str(at.get("image")[0].proto) and "could not be placed" not in str(at.get("image")[0].proto)
    finally:
        st.cache_resource.clear()


def test_languages_are_named_in_the_interface_language(app):
    """Issue 30: the language filter, the document list and the question's language by name;
    the filter's values stay codes."""
    assert app.sidebar.multiselect(key="f_langs").options == ["English (en)", "Russian (ru)"]
    assert "· English" in sidebar_text(app) and "· Russian" in sidebar_text(app)
    ask(app, "Кто победил в шахматном турнире?")
    assert "Question in Russian" in main_text(app)
    app.sidebar.radio(key="ui_lang").set_value("ru").run()
    assert app.sidebar.multiselect(key="f_langs").options == ["английский (en)", "русский (ru)"]
    assert "· русский" in sidebar_text(app)
    assert "Язык вопроса" not in main_text(app)  # a Russian question in the Russian interface: nothing to say
    app.session_state["messages"] = []
    app.sidebar.multiselect(key="f_langs").set_value(["en"]).run()
    ask(app, "Who won the chess tournament?")
    shown = main_text(app)
    assert "Язык вопроса: английский" in shown and "Поиск в: английский" in shown
    assert ":gray-badge[английский]" in shown
