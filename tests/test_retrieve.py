"""Retriever internals: BM25 share bounds, language reserve, name keys across scripts."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import FakeEmbedder

import rag
from rag.retrieve.base import Query
from rag.retrieve.lexical import LexicalRetriever, name_tokens, tokenize
from rag.translit import name_key

TEXTS = ["выборы 1924 года прошли плохо", "the politburo met in 1923", "избирательная кампания 1924 выборы",
         "выборы выборы", "Stalin and Trotsky argued about the Politburo"]


def test_document_frequency_and_score_bound():
    lex = LexicalRetriever.build(TEXTS)
    for t, col in lex.vocab.items():
        if t:
            assert lex.df[col] == sum(t in tokenize(x) for x in TEXTS), t
    for q in ("выборы 1924", "politburo 1923", "Сталин"):
        query = Query(q)
        top = lex.max_score(query)
        hits = lex.search(query, 5)
        assert all(0 < h.score <= top for h in hits)


@pytest.mark.parametrize("ru, en", [("Кузнецкого", "Kuznetsk"), ("Беловского", "Belovsky"), ("Троцкий", "Trotsky"),
                                    ("Зиновьев", "Zinoviev"), ("Вышинский", "Vyshinsky"), ("Павлодарской", "Pavlodar")])
def test_names_meet_across_scripts(ru, en):
    assert name_tokens(f"В районе {ru} было") and set(name_tokens(ru)) == set(name_tokens(en))


def test_name_keys_keep_different_names_apart():
    assert len({name_key(w) for w in ("kamenev", "kalinin", "kirov", "kuibyshev", "molotov")}) == 5


def _docs(tmp_path, n_en=12):
    d = tmp_path / "docs"
    d.mkdir()
    for i in range(n_en):
        (d / f"en{i:02d}.txt").write_text(f"The grain procurement campaign number {i} in the district of Omsk "
                                          f"was reported by the party committee in detail, part {i}.", encoding="utf-8")
    (d / "ru.txt").write_text("Хлебозаготовительная кампания в округе сопровождалась перегибами.", encoding="utf-8")
    return d


@pytest.mark.parametrize("reserve, expect_ru", [(2, True), (0, False)])
def test_minority_language_keeps_a_place(tmp_path, reserve, expect_ru):
    idx = rag.build([_docs(tmp_path)], tmp_path / "idx", model=FakeEmbedder(),
                    settings=rag.Settings(reserve=reserve))
    hits = idx.search("grain procurement campaign in the district", k=3)
    assert len(hits) == 3
    assert ("ru.txt" in [h.source for h in hits]) is expect_ru
    # the reserved passage never displaces the best same-language one
    assert hits[0].source.startswith("en")


def test_scores_are_best_first_and_deterministic(tmp_path):
    idx = rag.build([_docs(tmp_path)], tmp_path / "idx", model=FakeEmbedder())
    a = idx.search("party committee report", k=8)
    b = idx.search("party committee report", k=8)
    assert a == b
    scores = [h.score for h in a]
    assert all(np.isfinite(scores)) and scores == sorted(scores, reverse=True)
