"""Concurrent use of one loaded index, and of the chat app by several sessions.

- 8 threads x 200 queries (search with every retriever and filters, and ask) against one
  Index give exactly the results of the same queries run one after another; no exceptions.
- Queries running while another thread adds and removes documents see either the state
  before or the state after an update, never a mix, and never fail.
- Two Streamlit sessions (AppTest) over the same app and the same cached index keep their
  chat histories apart.
All with the FakeEmbedder.
"""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.docs import DOC_A, DOC_B, DOC_C, QUERIES, SMALL, write
from helpers.fakes import FakeEmbedder

import rag

THREADS, PER_THREAD = 8, 200
ANSWERING = SMALL.replace(abstain_below=-1e9, abstain_below_cross=-1e9)  # ask() always quotes
APP = str(Path(__file__).resolve().parents[1] / "app.py")

EXTRA_QUERIES = QUERIES + [
    "Кассация выборов в волостях", "явка избирателей ниже трети", "grain procurement famine regions",
    "livestock slaughtered collective farms", "партийные работники агрономы тракторы",
    "головокружение от успехов 1930", "Kuznetsk district peasants", "кто проверял ход выборов?",
    "when did the five-year plan end", "колхозы распались весной",
]


def operations() -> list[tuple]:
    """Distinct operations: (kind, query, options)."""
    ops = []
    for q in EXTRA_QUERIES:
        ops.append(("search", q, {"k": 5}))
        ops.append(("search", q, {"k": 3, "retriever": "dense"}))
        ops.append(("search", q, {"k": 3, "retriever": "bm25"}))
        ops.append(("search", q, {"k": 4, "sources": ["a.txt", "c.txt"]}))
        ops.append(("search", q, {"k": 4, "langs": ["en"]}))
        ops.append(("ask", q, {"k": 5}))
    return ops


def run(idx: rag.Index, op: tuple):
    kind, q, opts = op
    return getattr(idx, kind)(q, **opts)


def outcome(idx: rag.Index, op: tuple):
    """The result, or the QueryError (a source filter naming a document not in the index)."""
    try:
        return run(idx, op)
    except rag.QueryError as e:
        return ("QueryError", str(e))


@pytest.fixture(scope="module")
def idx(tmp_path_factory) -> rag.Index:
    d = tmp_path_factory.mktemp("conc") / "docs"
    files = [write(d, "a.txt", DOC_A), write(d, "b.md", DOC_B), write(d, "c.txt", DOC_C, "cp1251")]
    return rag.build(files, d.parent / "idx", model=FakeEmbedder(), settings=ANSWERING)


def test_8_threads_x_200_queries_equal_sequential(idx):
    ops = operations()
    expected = {i: run(idx, op) for i, op in enumerate(ops)}  # sequentially, one after another
    assert any(a.found for (kind, _q, _o), a in zip(ops, expected.values()) if kind == "ask")
    # each thread its own order of 200 operations, so different queries overlap in time
    plans = [[(t * 37 + j * 11) % len(ops) for j in range(PER_THREAD)] for t in range(THREADS)]
    start = threading.Barrier(THREADS)

    def worker(plan):
        start.wait()
        return [(i, run(idx, ops[i])) for i in plan]

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, plans))  # re-raises any exception of a thread
    assert sum(len(r) for r in results) == THREADS * PER_THREAD
    mismatches = [(ops[i], got) for r in results for i, got in r if got != expected[i]]
    assert not mismatches, mismatches[:3]
    # and sequentially again after the concurrent run: nothing changed
    assert all(run(idx, op) == expected[i] for i, op in enumerate(ops))


def test_queries_during_add_and_remove_see_a_whole_state(tmp_path):
    """A reader never sees a half-swapped index (new chunks with the old search structures)."""
    d = tmp_path / "docs"
    a, b = write(d, "a.txt", DOC_A), write(d, "b.md", DOC_B)
    c = write(tmp_path / "more", "c.txt", DOC_C, "cp1251")
    idx = rag.build([a, b], tmp_path / "idx", model=FakeEmbedder(), settings=ANSWERING)
    with_c = rag.build([a, b, c], tmp_path / "idx2", model=FakeEmbedder(), settings=ANSWERING)
    ops = operations()[:60]
    valid = {i: (outcome(idx, op), outcome(with_c, op)) for i, op in enumerate(ops)}
    stop = threading.Event()
    updates = [0]

    def writer():
        while not stop.is_set() and updates[0] < 12:
            idx.add([c])
            idx.remove("c.txt")
            updates[0] += 1

    def reader(t):
        bad = []
        while not stop.is_set():
            for i in range(t, len(ops), 3):
                got = outcome(idx, ops[i])
                if got not in valid[i]:
                    bad.append((ops[i], got))
            if updates[0] >= 12:
                break
        return bad

    with ThreadPoolExecutor(4) as pool:
        w = pool.submit(writer)
        readers = [pool.submit(reader, t) for t in range(3)]
        try:
            w.result(timeout=300)
        finally:
            stop.set()
        bad = [x for r in readers for x in r.result(timeout=300)]
    assert updates[0] == 12
    assert not bad, bad[:3]


# ------------------------------------------------------------------ the app
def plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def history(at) -> list[tuple[str, str]]:
    """(role, text) of every chat message this session shows."""
    out = []
    for m in at.chat_message:
        text = " ".join(plain(e.value) for e in [*m.markdown, *m.warning, *m.caption])
        out.append((m.name, text))
    return out


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    """An index built with the FakeEmbedder, and the app made to load it with the FakeEmbedder."""
    import streamlit as st

    corpus = tmp_path / "corpus"
    for name, text, enc in (("a.txt", DOC_A, "utf-8"), ("b.md", DOC_B, "utf-8"), ("c.txt", DOC_C, "cp1251")):
        write(corpus, name, text, enc)
    rag.build(corpus, tmp_path / "index", model=FakeEmbedder(), settings=ANSWERING)
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("RAG_UPLOAD_DIR", str(tmp_path / "uploads"))
    loads = []

    def fake_load_embedder(model=None, backend=None, **kw):
        loads.append(model)
        assert model in (None, "fake-hash"), model  # never the real model
        return FakeEmbedder()

    monkeypatch.setattr(rag.index, "load_embedder", fake_load_embedder)
    monkeypatch.setattr(rag.embed, "load_embedder", fake_load_embedder)
    st.cache_resource.clear()
    yield loads
    st.cache_resource.clear()


def test_two_app_sessions_keep_separate_histories(app_env):
    from streamlit.testing.v1 import AppTest

    one = AppTest.from_file(APP, default_timeout=60).run()
    two = AppTest.from_file(APP, default_timeout=60).run()
    assert not one.exception and not two.exception
    one.chat_input[0].set_value("выборы в сельсоветы 1924").run()
    two.chat_input[0].set_value("collective farms famine").run()
    one.chat_input[0].set_value("Кузнецкий округ колхозы").run()
    two.chat_input[0].set_value("   ").run()  # an empty question: a warning in this session only
    assert not one.exception and not two.exception
    h1, h2 = history(one), history(two)
    assert [r for r, _ in h1] == ["user", "assistant", "user", "assistant"]
    assert [t.strip() for r, t in h1 if r == "user"] == ["выборы в сельсоветы 1924", "Кузнецкий округ колхозы"]
    assert [r for r, _ in h2] == ["user", "assistant", "user", "assistant"]
    assert [t.strip() for r, t in h2 if r == "user"] == ["collective farms famine", ""]
    assert "empty query" in h2[3][1] and not any("empty query" in t for _, t in h1)
    assert "collective" not in " ".join(t for r, t in h1 if r == "user")
    # the answers are each session's own: one quotes the Russian elections text, two the farms
    assert "a.txt" in h1[1][1] and "b.md" in h2[1][1] and "c.txt" in h1[3][1]
    assert app_env == ["fake-hash"]  # one index (and embedder) loaded, shared by both sessions
    one.run()
    assert history(one) == h1  # a rerun shows the same history


def test_four_app_sessions_interleaved(app_env):
    """Four sessions open at once, asking in turn (AppTest itself is not thread-safe, so the
    parallel part is tested on the shared Index above): each keeps exactly its own questions."""
    from streamlit.testing.v1 import AppTest

    questions = [("выборы 1924", "инструкторы ВЦИК"), ("collective farms", "five-year plan"),
                 ("Кузнецкий округ", "колхозы распались"), ("grain procurement", "livestock")]
    sessions = [AppTest.from_file(APP, default_timeout=60).run() for _ in questions]
    for turn in range(2):
        for at, qs in zip(sessions, questions):
            at.chat_input[0].set_value(qs[turn]).run()
            assert not at.exception, at.exception
    for at, qs in zip(sessions, questions):
        assert [t.strip() for r, t in history(at) if r == "user"] == list(qs)
    assert app_env == ["fake-hash"]  # one shared index for all four
