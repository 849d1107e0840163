"""Follow-up questions (rag/followup.py): which ones lean on the previous question, and
what is searched for them; Index.ask(history=...)."""
from __future__ import annotations

import pytest
from helpers.fakes import FakeEmbedder

import rag
from rag.followup import is_elliptic, resolve

ELLIPTIC = [
    "А в 1923 году?", "And in 1925?", "А Бухарин?", "And Trotsky?", "And who opposed him?",
    "Что он писал об этом?", "Why did they do it?", "Где это произошло?", "What about 1926?",
    "А что насчёт Сталина?", "Кто был против этого?",
]
STANDALONE = [
    "Кто возглавлял колхозное движение в Кузнецке?", "What was voter turnout in the 1923 elections?",
    "And what did the Central Committee decide about the 1924 election results?",
    "Когда Президиум ЦИК отменил результаты выборов 1924 года?", "Who was Bukharin?", "1924",
    "Why did peasants resist collectivization in Siberia in 1929 and 1930?",
]


@pytest.mark.parametrize("q", ELLIPTIC)
def test_elliptic_questions_are_recognised(q):
    assert is_elliptic(q)


@pytest.mark.parametrize("q", STANDALONE)
def test_standalone_questions_are_not(q):
    assert not is_elliptic(q)
    assert resolve(q, ["Какая была явка на выборах в сельсоветы в 1922 году?"]) == q


def test_a_new_year_refills_the_previous_question():
    before = "Какая была явка на выборах в сельсоветы в 1922 году?"
    assert resolve("А в 1923 году?", [before]) == "Какая была явка на выборах в сельсоветы в 1923 году?"
    assert resolve("And in 1923?", [before]) == "Какая была явка на выборах в сельсоветы в 1923 году?"


def test_a_new_name_takes_the_old_names_place_not_the_acronyms():
    got = resolve("And Bukharin?", ["What did Stalin write about the NEP in 1925?"])
    assert got.startswith("And Bukharin?")
    assert {"write", "NEP", "1925"} <= set(got.split()) and "Stalin" not in got and "What" not in got.split()


def test_a_pronoun_carries_the_previous_content_over():
    got = resolve("And who opposed him?", ["Who led the collectivization in Kuznetsk?"])
    assert got.startswith("And who opposed him?")
    assert {"led", "collectivization", "Kuznetsk"} <= set(got.split()) and "Who" not in got.split()


def test_follow_ups_chain_through_the_history():
    hist = ["Какая была явка на выборах в сельсоветы в 1922 году?", "А в 1923 году?"]
    assert resolve("А в 1924?", hist) == "Какая была явка на выборах в сельсоветы в 1924 году?"
    assert resolve("А в 1924?", []) == "А в 1924?"  # no history: as typed


def test_ask_with_history(small_corpus, tmp_path):
    idx = rag.build([small_corpus], tmp_path / "i", model=FakeEmbedder())
    before = "Когда прошли выборы в сельсоветы в 1923 году?"
    a = idx.ask("А в 1924?", history=[before])
    assert a.searched_as == "Когда прошли выборы в сельсоветы в 1924 году?"
    same = idx.ask("Когда прошли выборы в сельсоветы в 1924 году?")
    assert [h.chunk_id for h in a.hits] == [h.chunk_id for h in same.hits]
    alone = idx.ask("А в 1924?")
    assert alone.searched_as == "А в 1924?"
    assert idx.ask("Кто такие инструкторы ВЦИК?", history=[before]).searched_as == "Кто такие инструкторы ВЦИК?"


@pytest.mark.parametrize("bad", ["one question", [1], ("ok", None), {"q": 1}])
def test_history_must_be_a_list_of_questions(small_corpus, tmp_path, bad):
    idx = rag.build([small_corpus], tmp_path / "i", model=FakeEmbedder())
    with pytest.raises(rag.QueryError, match="history"):
        idx.ask("А в 1924?", history=bad)


def test_detection_on_the_follow_up_sets():
    # eval/followups*.jsonl: labelled by hand; complete questions must never be rewritten
    import json
    from pathlib import Path

    rows = [json.loads(line) for f in sorted((Path(__file__).parents[1] / "eval").glob("followups*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    elliptic = [r for r in rows if r["elliptic"]]
    complete = [r for r in rows if not r["elliptic"]]
    assert len(elliptic) >= 40 and len(complete) >= 20
    assert [r["question"] for r in complete if is_elliptic(r["question"])] == []
    assert sum(is_elliptic(r["question"]) for r in elliptic) / len(elliptic) >= 0.9
