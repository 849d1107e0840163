"""Bad queries: huge, empty of letters, in other scripts or languages, odd values of k.

The rule of every bad-input test, and the fixtures: this folder's conftest.py.
"""
from __future__ import annotations

import time

import pytest
from helpers.docs import GOOD

import rag
from rag.limits import MAX_K, MAX_QUERY_CHARS


# ================================================================ queries
def test_query_of_1_mb_is_refused_at_once(idx):
    q = ("выборы в сельсоветы 1924 " * 50_000)[:1_000_000]
    t = time.perf_counter()
    for call in (idx.search, idx.ask):
        with pytest.raises(rag.QueryError, match=f"query too long: 1,000,000 characters, at most {MAX_QUERY_CHARS:,}"):
            call(q)
    assert time.perf_counter() - t < 2
    # at the bound it is searched whole (rag/limits.py: refused beyond, never cut in silence)
    assert idx.search(q[:MAX_QUERY_CHARS], k=5)


@pytest.mark.parametrize("noisy, plain", [
    ("выборы\x00 в сельсоветы\x07", "выборы в сельсоветы"),
    ("\x00collective\x1b farms\x7f famine\x00", "collective farms famine"),
])
def test_nul_and_control_characters_are_dropped_in_ask(idx, noisy, plain):
    # search is tested in index/test_index_query.py::test_control_characters_are_stripped_not_fatal
    assert idx.ask(noisy) == idx.ask(plain)


@pytest.mark.parametrize("q", ["🙂🙂🙂", "🗳️ выборы election 1924 🙂", "Выборы 選挙 εκλογές انتخابات 1924",
                               "колхоз\u0301ы c\u0327ollective ﬁve-year", "\U0001F1F7\U0001F1FA \u200d\u2063"])
def test_emoji_and_mixed_scripts_query(idx, q):
    hits = idx.search(q, k=5)
    ans = idx.ask(q)
    assert all(h.source in GOOD for h in hits) and len(hits) <= 5
    assert isinstance(ans, rag.Answer) and all(qq.source in GOOD for qq in ans.quotes)


@pytest.mark.parametrize("q", ["选举委员会在哪里举行会议", "Wo fand die Wahl im Jahr 1924 statt?", "أين جرت الانتخابات؟"])
def test_query_in_a_language_not_in_the_corpus_abstains(idx, q):
    ans = idx.ask(q)
    assert ans.found is False and ans.quotes == []  # says it has no answer ...
    assert ans.hits and all(h.source in GOOD for h in ans.hits)  # ... and offers the nearest passages


def test_zero_k_gives_no_passages(idx):
    assert idx.search("выборы 1924", k=0) == []
    ans = idx.ask("выборы 1924", k=0)
    assert ans.hits == [] and ans.quotes == [] and ans.found is False


@pytest.mark.parametrize("k", [-1, -100, "5", None, 5.5, float("nan"), float("inf"), True])
def test_k_that_is_not_a_whole_number_from_zero_is_a_query_error(idx, k):
    """Once ask(k=-1) sliced from the end and returned 7 passages; k="5" or None raised a bare TypeError."""
    with pytest.raises(rag.QueryError, match="k must be a whole number"):
        idx.search("выборы 1924", k=k)
    with pytest.raises(rag.QueryError, match="k must be a whole number"):
        idx.ask("выборы 1924", k=k)


def test_numpy_integer_k_is_a_number(idx):
    import numpy as np

    assert len(idx.search("выборы 1924", k=np.int64(2))) == 2


def test_unknown_retriever_is_a_query_error(idx):
    with pytest.raises(rag.QueryError, match="unknown retriever 'nope'.*hybrid"):
        idx.search("выборы 1924", retriever="nope")


@pytest.mark.parametrize("q", ["?!.,;:", "🙂🙂", "— … «»"])
def test_a_question_without_letters_or_digits_is_not_in_the_documents(idx, q):
    """Bug found here: '?!.,;:' was answered with a quote of «Оп. 99. Д. 267;»."""
    ans = idx.ask(q)
    assert ans.found is False and ans.quotes == [] and ans.hits == []
    assert idx.search(q) == []


def test_huge_k_is_refused_and_the_largest_k_returns_each_passage_once(idx):
    with pytest.raises(rag.QueryError, match=f"k must be a whole number from 0 to {MAX_K}, not 1000000000"):
        idx.search("выборы 1924", k=10**9)
    hits = idx.search("выборы 1924", k=MAX_K)
    assert len(hits) == len({h.chunk_id for h in hits}) == min(MAX_K, len(idx.payload.chunks))
