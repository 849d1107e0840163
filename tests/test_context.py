"""Index.context: the document text around a hit, rebuilt from overlapping chunks (fake embedder)."""
from __future__ import annotations

import itertools
import re

import pytest
from helpers.fakes import FakeEmbedder

import rag

SMALL = rag.Settings(chunk_size=200, chunk_overlap=60)
WORDS = ["river", "harvest", "mill", "bridge", "school", "market", "church", "railway"]


def sentence(i: int) -> str:
    return f"Record {i:02d} says the {WORDS[i % len(WORDS)]} was rebuilt in {1900 + i}."


def document() -> str:
    """Three paragraphs of numbered sentences, so any text can be traced to its sentences."""
    paras = [" ".join(sentence(i) for i in range(p * 10, p * 10 + 10)) for p in range(3)]
    return "\n\n".join(paras) + "\n"


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"Record (\d\d)", text)]


@pytest.fixture
def index(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "records.txt").write_text(document(), encoding="utf-8")
    (docs / "other.txt").write_text("Record 99 says the harbour was rebuilt in 1999. " * 3, encoding="utf-8")
    return rag.build([docs], tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)


def passages(index) -> list[rag.Hit]:
    """Every passage of records.txt as a Hit, in document order."""
    rows = [i for i, c in enumerate(index.payload.chunks) if c.source == "records.txt"]
    return sorted((index.searcher.hit(i, 0.0) for i in rows), key=lambda h: h.start)


def test_small_chunks_overlap(index):
    ps = passages(index)
    assert len(ps) >= 6
    assert any(b.start < a.end for a, b in itertools.pairwise(ps)), "the test needs overlapping chunks"


def test_context_plus_passage_is_the_whole_document_once(index):
    for hit in passages(index):
        before, after = index.context(hit, chars=100_000)
        # every sentence exactly once, in order: the overlap between chunks is cut
        assert numbers(before) + numbers(hit.text) + numbers(after) == list(range(30))


def test_context_is_next_to_the_passage(index):
    ps = passages(index)
    middle = ps[len(ps) // 2]
    before, after = index.context(middle, chars=300)
    first, last = numbers(middle.text)[0], numbers(middle.text)[-1]
    assert before.endswith(sentence(first - 1))
    assert after.startswith(sentence(last + 1))


def test_chars_limit_cuts_at_word_boundaries(index):
    ps = passages(index)
    middle = ps[len(ps) // 2]
    whole = set(document().split())
    for chars in (1, 15, 37, 80, 333):
        before, after = index.context(middle, chars=chars)
        assert len(before) <= chars and len(after) <= chars
        assert set(before.split()) <= whole and set(after.split()) <= whole  # no broken words
    assert index.context(middle, chars=0) == ("", "")


def test_document_edges(index):
    ps = passages(index)
    assert index.context(ps[0])[0] == ""
    assert index.context(ps[-1])[1] == ""


def test_paragraph_break_kept_between_chunks(index):
    hit = next(h for h in passages(index) if numbers(h.text)[0] >= 12)
    before, _ = index.context(hit, chars=100_000)
    assert sentence(9) + "\n" in before  # end of the first paragraph


def test_quote_context_excludes_the_quote_and_other_sources(index):
    q = rag.Hit(sentence(15), "records.txt", *_span(index, 15), None, "en", 1.0)  # a one-sentence quote
    before, after = index.context(q, chars=100_000)
    assert numbers(before) == list(range(15)) and numbers(after) == list(range(16, 30))
    assert "99" not in before + after


def _span(index, i: int) -> tuple[int, int]:
    """Source span of sentence i of records.txt, from the chunk records."""
    for c in index.payload.chunks:
        for a, b, s, e, _r in c.sents:
            if c.source == "records.txt" and c.text[a:b] == sentence(i):
                return s, e
    raise AssertionError(f"sentence {i} not indexed")


def test_removed_source_has_no_context(index):
    hit = passages(index)[2]
    index.remove("records.txt")
    assert index.context(hit) == ("", "")
