"""The chat app's first start through Streamlit's AppTest, with the real model (slow): the
index built in the background while the chat already answers, the shipped index installed,
an unusable index rebuilt only on request.

The `built` and `app` fixtures are in this folder's conftest.py; the drivers in helpers/apptest.py.
"""
from __future__ import annotations

import pytest
from helpers.apptest import APP, MUSEUM, ask, main_text, sidebar_text

pytestmark = pytest.mark.slow


def test_first_start_builds_index_then_loads_it(built, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    root, first = built
    assert not first.exception
    manifest = root / "index" / "manifest.json"
    assert "en.txt" in sidebar_text(first) and "ru.txt" in sidebar_text(first)
    stamp = manifest.stat().st_mtime_ns
    monkeypatch.setenv("RAG_INDEX_DIR", str(root / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(root / "corpus"))
    st.cache_resource.clear()  # a new server process: nothing in memory
    again = AppTest.from_file(APP, default_timeout=240).run()
    assert not again.exception and "en.txt" in sidebar_text(again)
    assert manifest.stat().st_mtime_ns == stamp  # loaded, not rebuilt


def test_chat_answers_while_the_first_start_indexes(tmp_path, monkeypatch):
    """The first start indexes in the background, smallest file first: the chat opens with
    the first document, says that the rest is not searched yet, and catches up at the end."""
    import threading
    import time

    import streamlit as st
    from streamlit.testing.v1 import AppTest
    from helpers.docs import EN_DOC

    from rag import background, writer

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "museum.txt").write_text(MUSEUM, encoding="utf-8")  # the smaller: indexed first
    (corpus / "en.txt").write_text(EN_DOC, encoding="utf-8")
    gate, real = threading.Event(), writer.read_document

    def held(path, source, **kw):  # en.txt waits until the test has asked its questions
        if source == "en.txt":
            assert gate.wait(300)
        return real(path, source, **kw)

    monkeypatch.setattr(writer, "read_document", held)
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))
    monkeypatch.delenv("RAG_UPLOAD_DIR", raising=False)
    try:
        at = AppTest.from_file(APP, default_timeout=240).run()
        assert not at.exception, at.exception
        fill = background.running(tmp_path / "index")
        assert fill is not None
        for _ in range(2400):
            if fill.state().documents == 1:
                break
            time.sleep(0.1)
        at.run()
        assert "museum.txt" in sidebar_text(at) and "en.txt" not in sidebar_text(at)
        assert "Not indexed yet: 1 of 2 files (indexing)." in sidebar_text(at)
        assert "Adding and removing documents opens when indexing finishes." in sidebar_text(at)
        ask(at, "When does the museum of clocks open?")
        assert "nine o'clock" in main_text(at)
        assert "1 of 2 files are still being indexed" in main_text(at)
        ask(at, "Who won the chess tournament?")
        assert any("Not in the documents indexed so far" in m.value for m in at.markdown)
        gate.set()
        assert fill.wait(240).error is None
        at.run()
        assert "en.txt" in sidebar_text(at) and "Not indexed yet" not in sidebar_text(at)
        at.session_state["messages"] = []
        ask(at, "Who won the chess tournament?")
        assert "The chess tournament was won" in main_text(at) and "still being indexed" not in main_text(at)
    finally:
        gate.set()
        if f := background.last(tmp_path / "index"):
            f.wait(240)
        st.cache_resource.clear()


def test_first_start_on_the_bundled_corpus_installs_the_shipped_index(tmp_path, monkeypatch):
    """No build on a newcomer's first start: rag/seed.py's index is current, so it is copied in."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import rag
    from rag import seed

    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(seed.CORPUS))
    monkeypatch.delenv("RAG_UPLOAD_DIR", raising=False)

    def no_build(*a, **k):
        raise AssertionError("built although the shipped index is current")

    monkeypatch.setattr(rag, "build", no_build)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    assert (tmp_path / "index" / "manifest.json").read_bytes() == (seed.SEED / "manifest.json").read_bytes()
    ask(at, "Who proposed holding alternative elections under the new constitution?")
    shown = main_text(at)
    assert any(name in shown for name in sorted(p.name for p in seed.CORPUS.iterdir()))
    st.cache_resource.clear()


def test_an_unusable_index_is_rebuilt_only_on_request(tmp_path, monkeypatch):
    """The app never rebuilds over an index that exists on its own: documents added with the
    CLI would be dropped. It says why and offers the rebuild."""
    import json

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import rag

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "museum.txt").write_text(MUSEUM, encoding="utf-8")
    index = tmp_path / "index"
    index.mkdir()
    (index / "manifest.json").write_text(json.dumps({"format_version": 99}), encoding="utf-8")
    monkeypatch.setenv("RAG_INDEX_DIR", str(index))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))
    monkeypatch.delenv("RAG_UPLOAD_DIR", raising=False)
    from rag import background

    real_fill = background.fill

    def no_fill(*a, **k):
        raise AssertionError("rebuilt without being asked")

    monkeypatch.setattr(background, "fill", no_fill)
    at = AppTest.from_file(APP, default_timeout=240).run()
    assert not at.exception, at.exception
    assert "format 99" in " ".join(e.value for e in at.error)
    assert json.loads((index / "manifest.json").read_text(encoding="utf-8")) == {"format_version": 99}
    monkeypatch.setattr(background, "fill", real_fill)
    at.button(key="rebuild").click().run()
    assert not at.exception, at.exception
    assert background.last(index).wait(240).error is None
    assert [d.source for d in rag.load(index).documents()] == ["museum.txt"]
    st.cache_resource.clear()
