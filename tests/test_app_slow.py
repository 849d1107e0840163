"""The chat app end to end through Streamlit's AppTest, with the real model (slow)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
APP = str(Path(__file__).parent.parent / "app.py")
MUSEUM = (
    "The city museum of clocks opens at nine o'clock every morning except Monday. "
    "Its oldest exhibit is a water clock brought from Bukhara in 1870."
)


def first_start(index: Path, timeout: int = 240):
    """The app's first start on a corpus without an index, once its background fill is done."""
    from streamlit.testing.v1 import AppTest

    from rag import background

    at = AppTest.from_file(APP, default_timeout=timeout).run()
    assert not at.exception, at.exception
    if f := background.last(index):
        state = f.wait(timeout)
        assert state.finished and state.error is None, state
    return at.run()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A small corpus indexed once, by the app's own first start."""
    from test_model_slow import EN_DOC, RU_DOC

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


def plain(markdown: str) -> str:
    """Markdown as read: escapes dropped (the app escapes file names and document text)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def main_text(at) -> str:
    """Everything the chat area shows (markdown and captions, not the sidebar)."""
    side = {id(e) for e in at.sidebar.markdown} | {id(e) for e in at.sidebar.caption}
    return plain(" ".join(e.value for e in list(at.markdown) + list(at.caption) if id(e) not in side))


def sidebar_text(at) -> str:
    return plain(" ".join(c.value for c in at.sidebar.caption))


def ask(at, question: str):
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


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
    from test_model_slow import EN_DOC

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


def test_a_file_dropped_into_the_folder_is_offered_and_indexed(tmp_path, monkeypatch):
    import streamlit as st
    from test_model_slow import EN_DOC

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


def test_cross_lingual_answer_is_quoted_with_its_source(app):
    ask(app, "Кто победил в шахматном турнире?")
    text = main_text(app)
    assert ":orange-background[The chess tournament was won" in text  # highlighted inside its passage
    meta = [plain(c.value) for c in app.caption if "en\\.txt" in c.value]
    assert meta and "chars" in meta[0] and ":gray-badge[EN]" in meta[0]
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


def test_language_switch_changes_labels(app):
    assert app.title[0].value == "Ask the documents"
    app.sidebar.radio(key="ui_lang").set_value("ru").run()
    assert app.title[0].value == "Вопросы к документам"
    assert app.chat_input[0].placeholder == "Спросите по-русски или по-английски"
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
    from test_ingest import make_pdf

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
