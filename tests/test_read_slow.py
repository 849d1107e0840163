"""The shipped reader (rag/models/reader-cloze.safetensors) with the real model.

The sentences are written for this test (not from the bundled corpus, not from XQuAD):
an answer and two near-misses on the same subject, in each language.
"""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow

EN = ["The Eiffel Tower was completed in 1889 for the World's Fair.", "The Eiffel Tower is about 330 metres tall.",
      "Gustave Eiffel's company designed and built the tower."]
RU = ["Строительство Эйфелевой башни было завершено в 1889 году к Всемирной выставке.",
      "Высота Эйфелевой башни составляет около 330 метров.", "Башню спроектировала и построила компания Гюстава Эйфеля."]
Q = {"en": "In what year was the Eiffel Tower completed?", "ru": "В каком году была завершена Эйфелева башня?"}


@pytest.fixture(scope="module")
def read():
    from rag.embed import load_embedder
    from rag.read import shared_reader

    emb, reader = load_embedder(), shared_reader()

    def score(question: str, sentences: list[str]) -> np.ndarray:
        cos = emb.embed_passages(sentences) @ emb.embed_queries([question])[0]
        return reader.score(question, sentences, cos)

    return score


@pytest.mark.parametrize("direction", ["en->en", "ru->ru", "en->ru", "ru->en"])
def test_the_answer_sentence_ranks_above_its_near_misses(read, direction):
    q, s = direction.split("->")
    logits = read(Q[q], EN if s == "en" else RU)
    assert logits[0] > logits[1:].max() + 1, logits


def test_a_perturbed_question_is_declined(read):
    # the same answer sentence, asked about another place's visitors in its year
    right = read(Q["ru"], RU[:1])[0]
    wrong = read("Сколько посетителей было в Лувре в 1889 году?", RU[:1])[0]
    assert right > 0 > wrong, (right, wrong)  # sigmoid: "answers" above 0.5, "does not" below
    assert read("How many visitors did the Louvre have in 1889?", EN[:1])[0] < read(Q["en"], EN[:1])[0] - 2


def test_the_reader_in_search_and_ask(real_corpus_index):
    idx = real_corpus_index
    q = "How many voters took part in the 1924 elections to the village soviets?"
    plain = idx.search(q, k=10, retriever="hybrid")
    read = idx.search(q, k=10, retriever="hybrid+reader")
    assert sorted(h.chunk_id for h in read) == sorted(h.chunk_id for h in plain)
    for a, b in zip(plain, read):
        if a.lang != "en":  # passages in another language than the question keep their places
            assert a.chunk_id == b.chunk_id
    assert idx.search(q, k=10) == plain  # off by default
    idx.reconfigure(reader=True)
    try:
        assert idx.search(q, k=10) == read
        a = idx.ask(q)
        assert a.hits and a.hits[0].chunk_id == read[0].chunk_id
    finally:
        idx.reconfigure(reader=False)
