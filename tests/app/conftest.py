"""The AppTests' index: a small corpus indexed once per run by the app's own first start, and
the app opened on a private copy of it for each test."""
from __future__ import annotations

import shutil

import pytest
from helpers.apptest import APP, first_start
from helpers.docs import EN_DOC, RU_DOC


# Session-scoped: the three test_app_*_slow.py files share one first start with the real
# model instead of making one each (nothing writes to it: each test works on its own copy).
@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """A small corpus indexed once, by the app's own first start."""
    root = tmp_path_factory.mktemp("app")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "ru.txt").write_text(RU_DOC, encoding="utf-8")
    (corpus / "en.txt").write_text(EN_DOC + "\n\n<script>alert(1)</script> The **bridge** cost [a lot](#).",
                                   encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_INDEX_DIR", str(root / "index"))
        mp.setenv("RAG_CORPUS_DIR", str(corpus))
        first = first_start(root / "index", 300)
    return root, first


@pytest.fixture
def app(built, tmp_path, monkeypatch):
    """The app on a private copy of the built index, so uploads and removals stay in this test."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    root, _ = built
    shutil.copytree(root / "index", tmp_path / "index")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(root / "corpus"))
    monkeypatch.delenv("RAG_UPLOAD_DIR", raising=False)
    yield AppTest.from_file(APP, default_timeout=240).run()
    st.cache_resource.clear()  # one loaded model per test, not one per test kept for the session
