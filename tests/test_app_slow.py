"""The chat app end to end through Streamlit's AppTest, with the real model (slow)."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
APP = str(Path(__file__).parent.parent / "app.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from test_model_slow import EN_DOC, RU_DOC

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ru.txt").write_text(RU_DOC, encoding="utf-8")
    (corpus / "en.txt").write_text(EN_DOC + "\n\n<script>alert(1)</script> The **bridge** cost [a lot](#).", encoding="utf-8")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))
    at = AppTest.from_file(APP, default_timeout=240)
    return at.run()


def test_first_start_builds_index_and_answers_cross_lingual(app):
    assert not app.exception
    assert "en.txt" in " ".join(c.value for c in app.sidebar.caption)
    app.chat_input[0].set_value("Кто победил в шахматном турнире?").run()
    assert not app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "chess tournament" in text
    assert any("en.txt" in c.value and "cross-lingual" in c.value for c in app.caption)


def test_not_found_is_said_plainly(app):
    app.chat_input[0].set_value("Как испечь ржаной хлеб на закваске?").run()
    assert not app.exception
    assert any("Not in the documents" in m.value for m in app.markdown)


def test_document_markup_is_escaped(app):
    app.chat_input[0].set_value("How much did the bridge cost?").run()
    shown = " ".join(m.value for m in app.markdown)
    # the passage holding the markup is shown, with every markup character escaped
    assert "\\<script\\>" in shown
    assert "<script>" not in shown.replace("\\<script\\>", "")
    assert "\\*\\*bridge\\*\\*" in shown and "\\[a lot\\]\\(\\#\\)" in shown
