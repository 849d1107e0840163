"""Export of a conversation (rag/export.py): JSON that reads back to the same answers,
Markdown in which document text stays literal; `rag ask --json` / `rag search --json`."""
from __future__ import annotations

import json
import re

import pytest
from helpers.fakes import FakeEmbedder

import rag
from rag.export import Turn, from_json, md_escape, to_json, to_markdown
from rag.types import Answer, Hit


@pytest.fixture
def idx(small_corpus, tmp_path):
    return rag.build([small_corpus], tmp_path / "i", model=FakeEmbedder())


def conversation(idx) -> list[Turn]:
    idx.reconfigure(abstain_below=-1.0)  # the fake model's cosines are low: quote whatever is found
    q1, q2 = "Когда прошли выборы в сельсоветы?", "А в 1925?"
    return [Turn(q1, idx.ask(q1)), Turn(q2, idx.ask(q2, history=[q1])), Turn("", None, "empty query: type a question")]


def test_json_round_trip(idx):
    turns = conversation(idx)
    assert turns[0].answer.found and turns[0].answer.quotes
    back = from_json(to_json(turns))
    assert back == turns
    assert isinstance(back[0].answer.quotes[0], Hit)


@pytest.mark.parametrize("text", ["{", "[]", '{"format": "other"}', '{"format": "rag-conversation/1", "turns": [{}]}'])
def test_not_an_export_is_refused_with_a_reason(text):
    with pytest.raises(ValueError, match="conversation export"):
        from_json(text)


def test_markdown_cites_every_quote(idx):
    turns = conversation(idx)
    md = to_markdown(turns)
    for t in turns[:2]:
        for q in t.answer.quotes:
            assert f"chars {q.start}–{q.end}" in md
            assert md_escape(" ".join(q.text.split())) in md
    assert "Searched as: " in md  # the follow-up says how it was understood
    assert "empty query" in md


def test_markdown_keeps_document_text_literal():
    h = Hit(text='<script>alert(1)</script> [link](http://x) **bold** # head', source="a<b>.txt", start=3,
            end=60, page=2, lang="en", score=1.0, chunk_id="a:0-60")
    md = to_markdown([Turn("<img src=x>", Answer(True, [h], [h], "en", 0.9, "en", "<img src=x>"))])
    # every markup character of the document's text and name comes escaped
    for raw in ("<script", "<img", "<b", "[link", "](", "**bold", "# head"):
        assert not re.search(r"(?<!\\)" + re.escape(raw), md), raw
    assert md_escape("a<b>.txt, p. 2, chars 3–60") in md


def test_cli_ask_and_search_json(idx, monkeypatch, capsys):
    from rag.cli import main

    monkeypatch.setattr("rag.index.load_embedder", lambda model=None, **kw: FakeEmbedder())
    assert main(["ask", "А в 1925?", "--index", str(idx.folder), "--json",
                 "--history", "Когда прошли выборы в сельсоветы?"]) == 0
    (turn,) = from_json(capsys.readouterr().out)
    assert turn.question == "А в 1925?" and turn.answer == idx.ask("А в 1925?", history=["Когда прошли выборы в сельсоветы?"])
    assert main(["search", "выборы", "--index", str(idx.folder), "--json", "-k", "3"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert [Hit(**h) for h in hits] == idx.search("выборы", k=3)


def test_nothing_to_search_offers_no_nearest_passages(idx, monkeypatch, capsys):
    """"???" asks nothing (no words): "Not in the documents.", with no "nearest passages" after
    it that never come, in the CLI and the export; an unanswered question still offers them."""
    from rag.cli import main

    monkeypatch.setattr("rag.index.load_embedder", lambda model=None, **kw: FakeEmbedder())
    blank, far = idx.ask("???"), idx.ask("Как испечь ржаной хлеб на закваске?")
    assert not blank.found and not blank.hits and not far.found and far.hits
    assert main(["ask", "???", "--index", str(idx.folder)]) == 0
    assert capsys.readouterr().out == "Not in the documents.\n"
    md = to_markdown([Turn("???", blank), Turn("Как испечь хлеб?", far)])
    assert md.count("**Not in the documents.**") == 2 and md.count("nearest passages") == 1
