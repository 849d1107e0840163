"""Searching and asking an index built with the fake embedder: filters, odd queries,
quotes and their pages."""
from __future__ import annotations

import pytest
from helpers.docs import QUERIES, SMALL, make_pdf
from helpers.fakes import FakeEmbedder

import rag


# ------------------------------------------------------------ filters and queries
@pytest.fixture
def idx3(files, tmp_path) -> rag.Index:
    return rag.build(list(files.values()), tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)


def test_source_filter_restricts_hits(idx3):
    unfiltered = idx3.search("collective farms famine", k=10)
    assert {h.source for h in unfiltered} >= {"b.md", "a.txt"}
    for retriever in ("hybrid", "dense", "bm25"):
        hits = idx3.search("collective farms famine", k=10, sources=["a.txt"], retriever=retriever)
        assert all(h.source == "a.txt" for h in hits), retriever
    hits = idx3.search("колхозы", k=10, sources="c.txt")  # a single name works too
    assert hits and {h.source for h in hits} == {"c.txt"}
    hits = idx3.search("колхозы", k=10, sources=["c.txt", "b.md"])
    assert {h.source for h in hits} == {"c.txt", "b.md"}


def test_lang_filter_restricts_hits(idx3):
    assert "en" in {h.lang for h in idx3.search("collective farms famine", k=10)}
    hits = idx3.search("collective farms famine", k=10, langs=["ru"])
    assert hits and all(h.lang == "ru" for h in hits)
    hits = idx3.search("выборы", k=10, langs="en")
    assert hits and all(h.lang == "en" for h in hits)
    with pytest.raises(rag.QueryError, match="no passages in language de; the index has en, ru"):
        idx3.search("выборы", k=10, langs=["de"])  # refused like an unknown source (rag/limits.py)


def test_ask_respects_filters(idx3):
    ans = idx3.ask("collective farms", sources=["c.txt"])
    assert all(h.source == "c.txt" for h in ans.hits + ans.quotes)


def test_unknown_source_raises_query_error(idx3):
    with pytest.raises(rag.QueryError, match="missing.txt"):
        idx3.search("выборы", sources=["missing.txt"])
    with pytest.raises(rag.QueryError):
        idx3.ask("выборы", sources=["a.txt", "missing.txt"])


@pytest.mark.parametrize("q", ["", "   ", "\n\t  \n", "\x00\x01\x02", "\x1b\x07\u200b", "\u0085\x7f"])
def test_empty_or_control_query_raises(idx3, q):
    with pytest.raises(rag.QueryError):
        idx3.search(q)
    with pytest.raises(rag.QueryError):
        idx3.ask(q)


def test_non_text_query_raises(idx3):
    with pytest.raises(rag.QueryError):
        idx3.search(None)  # type: ignore[arg-type]
    with pytest.raises(rag.QueryError):
        idx3.search(b"bytes")  # type: ignore[arg-type]


def test_control_characters_are_stripped_not_fatal(idx3):
    assert idx3.search("выборы\x00 в сельсоветы\x07") == idx3.search("выборы в сельсоветы")


def test_very_long_query_is_accepted(idx3):
    from rag.limits import MAX_QUERY_CHARS

    assert idx3.search(("выборы " * 2000)[:MAX_QUERY_CHARS], k=3)  # one character more is refused


# ------------------------------------------------------------ ask
def test_ask_quotes_are_sentences_of_top_hits(idx3, files):
    idx = rag.load(idx3.folder, model=idx3.embedder)
    idx.reconfigure(abstain_below=-1e9)
    raws = {p.name: p.read_text(encoding="cp1251" if key == "c" else "utf-8") for key, p in files.items()}
    for q in QUERIES:
        ans = idx.ask(q, k=5)
        assert ans.found and ans.hits and ans.quotes, q
        assert len(ans.quotes) <= idx.settings.max_quotes
        top = {h.chunk_id: h for h in ans.hits[: idx.settings.max_quotes]}
        assert len({qq.chunk_id for qq in ans.quotes}) == len(ans.quotes), "one quote per passage"
        for quote in ans.quotes:
            hit = top[quote.chunk_id]
            assert quote.source == hit.source
            assert quote.text and quote.text in hit.text
            assert hit.start <= quote.start < quote.end <= hit.end
            raw = raws[quote.source]
            assert raw[quote.start] == quote.text[0] and raw[quote.end - 1] == quote.text[-1]
            chunk = next(c for c in idx.payload.chunks if c.id == quote.chunk_id)
            # a sentence, or a run of them (rag/answer.py widen: a near neighbour, the one pointed back to)
            runs = {chunk.text[a[0]:b[1]] for i, a in enumerate(chunk.sents) for b in chunk.sents[i:]}
            assert quote.text in runs
        assert ans.query_lang in ("ru", "en")


def test_ask_abstains_below_threshold(idx3):
    idx = rag.load(idx3.folder, model=idx3.embedder)
    idx.reconfigure(abstain_below=1e9)
    ans = idx.ask("выборы в сельсоветы")
    assert ans.found is False and ans.quotes == [] and ans.hits


def test_ask_is_found_by_the_weighed_evidence(idx3):
    # Settings.found_weights decide found-or-not: here a bias alone, either way
    idx = rag.load(idx3.folder, model=idx3.embedder)
    idx.reconfigure(abstain_below=-1e9, abstain_below_cross=-1e9, found_weights=[0.0] * 6 + [-1.0])
    assert not idx.ask("выборы в сельсоветы").found
    idx.reconfigure(abstain_below=1e9, abstain_below_cross=1e9, found_weights=[0.0] * 6 + [1.0])
    a = idx.ask("выборы в сельсоветы")
    assert a.found and a.quotes
    idx.reconfigure(found_weights=[])  # the margin over the threshold alone
    assert not idx.ask("выборы в сельсоветы").found


def test_ask_never_repeats_a_quote(tmp_path):
    """Overlapping chunks share sentences; the same sentence is quoted once."""
    f = tmp_path / "doc.txt"
    f.write_text(" ".join(f"Предложение номер {i} о выборах в советы." for i in range(40)), encoding="utf-8")
    idx = rag.build([f], tmp_path / "idx", model=FakeEmbedder(),
                    settings=rag.Settings(chunk_size=200, chunk_overlap=100, abstain_below=-1e9,
                                          abstain_below_cross=-1e9))
    for q in ("Предложение номер 7 о выборах", "выборах в советы"):
        spans = [(h.source, h.start, h.end) for h in idx.ask(q).quotes]
        assert len(spans) == len(set(spans)) and spans


# ------------------------------------------------------------ PDF pages
PDF_PAGES = ["Hello election 1924. The vote was held in spring.", "Second page votes 1925. Turnout was low."]


@pytest.fixture
def pdf_index(tmp_path) -> rag.Index:
    f = tmp_path / "two.pdf"
    f.write_bytes(make_pdf(PDF_PAGES))
    return rag.build([f], tmp_path / "idx", model=FakeEmbedder(), settings=rag.Settings(abstain_below=-1e9))


def test_pdf_chunks_carry_a_page(pdf_index):
    assert all(c.page is not None for c in pdf_index.payload.chunks)
    assert pdf_index.payload.manifest.files["two.pdf"]["encoding"] == "pdf"
    quote = pdf_index.ask("Second page votes 1925").quotes[0]
    assert quote.text == "Second page votes 1925."


def test_pdf_hit_on_first_page_is_page_1(pdf_index):
    hit = pdf_index.search("Hello election 1924", k=1)[0]
    assert hit.start == 0
    assert hit.page == 1


def test_pdf_quote_carries_its_own_page(pdf_index):
    quote = pdf_index.ask("Second page votes 1925").quotes[0]
    assert quote.text == "Second page votes 1925."
    assert quote.page == 2
