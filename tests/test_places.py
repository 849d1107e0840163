"""rag/places.py: the CLDR's countries and cities, each name as BM25 analyses its language."""
from __future__ import annotations

from rag.analyze import analyze
from rag.places import places


def test_a_place_is_one_in_every_language_and_every_case():
    warsaw = places(["warsaw"])
    assert warsaw == places(analyze("Варшаве", "ru")) == places(analyze("Варшавы", "ru")) != frozenset()
    assert warsaw <= places(analyze("Warschau", "de")) and warsaw <= places(analyze("Βαρσοβία", "el"))
    assert places(analyze("Польше", "ru")) == places(["poland"]) and places(["poland"]).isdisjoint(warsaw)


def test_common_words_and_two_word_names_name_no_place():
    assert places(analyze("выборы история партии", "ru")) == frozenset()
    assert places(analyze("the election of the party", "en")) == frozenset()
    assert places(["los"]) == places(["angeles"]) == frozenset()  # "Los Angeles" is two tokens: left out
