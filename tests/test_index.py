"""The Index end to end with the fake embedder: build, load, search, ask, add, remove, errors."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbedder

import rag
from rag import store
from rag.clean import clean

SMALL = rag.Settings(chunk_size=200, chunk_overlap=60)

DOC_A = (
    "Избирательная кампания 1924 г. стала важным этапом формирования советской электораль-\n"
    "ной системы. Инструкторы ВЦИК объезжали волости и проверяли ход выборов.\n"
    "\n"
    "В отчетах инструкторов отмечались многочисленные нарушения. Кассация выборов проводилась "
    "в тех волостях, где явка была ниже трети избирателей.\n"
    "\n"
    "Выборы в сельсоветы прошли в декабре 1924 г. при низкой явке избирателей. Избирательные "
    "комиссии не справлялись с подсчетом голосов.\n"
)
DOC_B = (
    "The first five-year plan began in 1928 and ended in 1932. Peasants were pressed to join "
    "collective farms across the Kuznetsk district.\n"
    "\n"
    "Grain procurement caused famine in several regions of the country. Livestock was slaughtered "
    "rather than handed over to the collective farms.\n"
)
DOC_C = (
    "Кузнецкий округ был создан в 1925 году. Коллективизация в округе шла медленно, крестьяне "
    "не хотели отдавать скот и инвентарь в колхозы.\n"
    "\n"
    "Партийные работники жаловались на нехватку агрономов и тракторов. Многие колхозы распались "
    "весной 1930 г. после статьи о головокружении от успехов.\n"
)

QUERIES = ["выборы в сельсоветы 1924", "collective farms famine", "колхозы Кузнецкий округ",
           "инструкторы ВЦИК нарушения", "five-year plan 1928"]


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    d = tmp_path / "docs"
    return {"a": write(d, "a.txt", DOC_A), "b": write(d, "b.md", DOC_B), "c": write(d, "c.txt", DOC_C, "cp1251")}


def snapshot(idx: rag.Index):
    p = idx.payload
    return ([(c.id, c.source, c.start, c.end, c.text, c.sents, c.lang, c.kind, c.page) for c in p.chunks],
            p.chunk_vectors, p.sent_vectors)


def assert_same_index(x: rag.Index, y: rag.Index) -> None:
    cx, vx, sx = snapshot(x)
    cy, vy, sy = snapshot(y)
    assert cx == cy
    assert vx.dtype == vy.dtype == np.float32
    assert np.array_equal(vx, vy)
    assert np.array_equal(sx, sy)
    assert x.payload.manifest.files == y.payload.manifest.files
    for q in QUERIES:
        assert x.search(q, k=5) == y.search(q, k=5), q
        for r in ("dense", "bm25"):
            assert x.search(q, k=5, retriever=r) == y.search(q, k=5, retriever=r), (q, r)


# ------------------------------------------------------------ build / load
def test_build_indexes_all_files(files, tmp_path, fake_embedder):
    idx = rag.build([files["a"].parent], tmp_path / "idx", model=fake_embedder, settings=SMALL)
    r = idx.last_report
    assert r.indexed == ("a.txt", "b.md", "c.txt")
    assert r.skipped == () and r.unchanged == ()
    assert r.chunks == len(idx.payload.chunks) > 3
    docs = {d.source: d for d in idx.documents()}
    assert set(docs) == {"a.txt", "b.md", "c.txt"}
    assert docs["a.txt"].langs == ("ru",) and docs["b.md"].langs == ("en",)
    assert idx.payload.manifest.files["c.txt"]["encoding"] == "cp1251"
    assert sum(d.chunks for d in docs.values()) == len(idx.payload.chunks)
    assert (tmp_path / "idx" / "manifest.json").is_file()
    assert all(np.isclose(np.linalg.norm(v), 1.0, atol=1e-5) for v in idx.payload.chunk_vectors)


def test_small_corpus_fixture_builds(small_corpus, tmp_path, fake_embedder):
    idx = rag.build(small_corpus, tmp_path / "idx", model=fake_embedder)
    assert idx.last_report.indexed == ("en_farms.md", "ru_cp1251.txt", "ru_elections.txt")
    texts = " ".join(c.text for c in idx.payload.chunks)
    assert "электоральной политики" in texts  # broken word joined
    assert "Кузнецкий округ" in texts  # cp1251 decoded


def test_build_load_round_trip(files, tmp_path):
    built = rag.build(list(files.values()), tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    loaded = rag.load(tmp_path / "idx", model=FakeEmbedder())
    assert loaded.settings == SMALL
    assert loaded.payload.manifest.model == {"name": "fake-hash", "fingerprint": "fake-hash-v1"}
    assert_same_index(built, loaded)
    for q in QUERIES:
        assert built.ask(q) == loaded.ask(q)


def test_search_returns_ranked_hits_with_spans(files, tmp_path, fake_embedder):
    idx = rag.build(list(files.values()), tmp_path / "idx", model=fake_embedder, settings=SMALL)
    hits = idx.search("выборы в сельсоветы прошли в декабре", k=3)
    assert 1 <= len(hits) <= 3
    assert hits[0].source == "a.txt" and "сельсоветы" in hits[0].text
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    raw = files["a"].read_text(encoding="utf-8")
    h = hits[0]
    assert raw[h.start] == h.text[0] and raw[h.end - 1] == h.text[-1]
    assert h.chunk_id == f"{h.source}:{h.start}-{h.end}"
    assert idx.search("выборы", k=0) == []
    assert len(idx.search("выборы", k=100)) == len(idx.payload.chunks)


# ------------------------------------------------------------ offsets into the source
def _kept_alnum(raw: str):
    """Per block: kind, first/last origin, sorted source offsets of its letters/digits."""
    out = []
    for b in clean(raw):
        keep = np.array([ch.isalnum() for ch in b.text], bool)
        out.append((b.kind, int(b.origin.min()), int(b.origin.max()), b.origin[keep]))
    return out


def _check_span(raw: str, blocks, kind: str, text: str, start: int, end: int, where: str) -> None:
    assert 0 <= start < end <= len(raw), where
    # exact ends: a shift by one character breaks these
    assert raw[start] == text[0] and raw[end - 1] == text[-1], (where, raw[start:end][:40], text[:40])
    # the block this text came from: same kind, its source range holds `start`
    owners = [blk for blk in blocks if blk[0] == kind and blk[1] <= start <= blk[2]]
    assert len(owners) == 1, where
    pos = owners[0][3]
    inside = pos[(pos >= start) & (pos < end)]
    got = "".join(raw[i] for i in inside)
    want = "".join(ch for ch in text if ch.isalnum())
    # the letters and digits of raw[start:end] that cleaning kept are exactly the text's
    assert got == want, (where, got[:60], want[:60])
    # and independent of clean(): the text's letters appear in order within raw[start:end]
    region = iter(ch for ch in raw[start:end] if ch.isalnum())
    assert all(ch in region for ch in want), where


def test_every_chunk_and_sentence_maps_to_its_raw_span(corpus_index, corpus_dir):
    by_source: dict[str, list] = {}
    for c in corpus_index.payload.chunks:
        by_source.setdefault(c.source, []).append(c)
    assert sorted(by_source) == sorted(p.name for p in corpus_dir.glob("*.txt"))
    n = 0
    for source, chunks in by_source.items():
        raw = (corpus_dir / source).read_text(encoding="utf-8")
        blocks = _kept_alnum(raw)
        for c in chunks:
            assert c.text == c.text.strip() and c.text
            assert c.id == f"{source}:{c.start}-{c.end}"
            _check_span(raw, blocks, c.kind, c.text, c.start, c.end, c.id)
            for a, b, s, e, _row in c.sents:
                assert c.start <= s < e <= c.end
                _check_span(raw, blocks, c.kind, c.text[a:b], s, e, f"{c.id} sentence {a}-{b}")
            n += 1
    assert n == len(corpus_index.payload.chunks) > 500


def test_corpus_index_has_no_navigation_junk(corpus_index):
    for c in corpus_index.payload.chunks:
        assert "- [12](#)" not in c.text and "[1369](#)" not in c.text
    hits = corpus_index.search("Stalinism formation of the mechanism of power", k=5)
    assert hits and all(h.text.strip() for h in hits)


def test_ids_unique_and_canonical_order(corpus_index):
    chunks = corpus_index.payload.chunks
    assert len({c.id for c in chunks}) == len(chunks)
    keys = [(c.source, c.start, c.end) for c in chunks]
    assert keys == sorted(keys)
    rows = sorted({s[4] for c in chunks for s in c.sents})
    assert rows == list(range(len(corpus_index.payload.sent_vectors)))


# ------------------------------------------------------------ incremental updates
def test_add_then_remove_equals_fresh_build(files, tmp_path):
    inc = rag.build([files["a"], files["b"]], tmp_path / "inc", model=FakeEmbedder(), settings=SMALL)
    r = inc.add([files["c"]])
    assert r.indexed == ("c.txt",) and r.unchanged == ()
    r = inc.remove("b.md")
    assert r.removed == ("b.md",)
    assert {d.source for d in inc.documents()} == {"a.txt", "c.txt"}
    fresh = rag.build([files["a"], files["c"]], tmp_path / "fresh", model=FakeEmbedder(), settings=SMALL)
    assert_same_index(inc, fresh)
    # and what was written is the same too
    assert_same_index(rag.load(tmp_path / "inc", model=FakeEmbedder()), fresh)


def test_changed_file_is_reindexed(files, tmp_path):
    idx = rag.build([files["a"], files["b"]], tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    files["b"].write_text(DOC_B + "\nA new paragraph about tractors and the machine-tractor stations.\n",
                          encoding="utf-8")
    r = idx.add([files["a"], files["b"]])
    assert r.indexed == ("b.md",) and r.unchanged == ("a.txt",)
    assert any("tractor stations" in c.text for c in idx.payload.chunks)
    fresh = rag.build([files["a"], files["b"]], tmp_path / "fresh", model=FakeEmbedder(), settings=SMALL)
    assert_same_index(idx, fresh)


def test_readding_unchanged_file_embeds_nothing(files, tmp_path):
    emb = FakeEmbedder()
    idx = rag.build([files["a"], files["b"]], tmp_path / "idx", model=emb, settings=SMALL)
    before = snapshot(idx)
    gen = idx.payload.manifest.generation
    calls = emb.calls
    assert calls > 0
    r = idx.add([files["a"]])
    assert r.unchanged == ("a.txt",) and r.indexed == ()
    assert emb.calls == calls, "nothing may be re-embedded"
    assert idx.payload.manifest.generation == gen, "nothing may be rewritten"
    after = snapshot(idx)
    assert after[0] == before[0] and np.array_equal(after[1], before[1])


def test_remove_unknown_source_raises(files, tmp_path, fake_embedder):
    idx = rag.build([files["a"]], tmp_path / "idx", model=fake_embedder, settings=SMALL)
    with pytest.raises(rag.QueryError, match="nope.txt"):
        idx.remove("nope.txt")
    assert [d.source for d in idx.documents()] == ["a.txt"]


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
    assert idx3.search("выборы", k=10, langs=["de"]) == []


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
    assert idx3.search("выборы " * 2000, k=3)


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
            assert quote.text in {chunk.text[a:b] for a, b, *_ in chunk.sents}
        assert ans.query_lang in ("ru", "en")


def test_ask_abstains_below_threshold(idx3):
    idx = rag.load(idx3.folder, model=idx3.embedder)
    idx.reconfigure(abstain_below=1e9)
    ans = idx.ask("выборы в сельсоветы")
    assert ans.found is False and ans.quotes == [] and ans.hits


# ------------------------------------------------------------ PDF pages
PDF_PAGES = ["Hello election 1924. The vote was held in spring.", "Second page votes 1925. Turnout was low."]


@pytest.fixture
def pdf_index(tmp_path) -> rag.Index:
    from test_ingest import make_pdf

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


# ------------------------------------------------------------ bad builds
def test_unreadable_file_is_skipped_others_indexed(tmp_path, fake_embedder):
    d = tmp_path / "docs"
    write(d, "a.txt", DOC_A)
    (d / "bad.txt").write_bytes(bytes(range(256)) * 8)
    (d / "empty.md").write_bytes(b"")
    idx = rag.build(d, tmp_path / "idx", model=fake_embedder, settings=SMALL)
    r = idx.last_report
    assert r.indexed == ("a.txt",)
    reasons = dict(r.skipped)
    assert set(reasons) == {"bad.txt", "empty.md"}
    assert "binary" in reasons["bad.txt"] and "empty" in reasons["empty.md"]
    assert not reasons["bad.txt"].startswith("bad.txt")  # the name is not repeated in the reason
    assert {c.source for c in idx.payload.chunks} == {"a.txt"}


def test_folder_without_supported_files_raises(tmp_path, fake_embedder):
    d = tmp_path / "docs"
    write(d, "notes.xyz", "text")
    write(d, "image.png", "png")
    with pytest.raises(rag.IndexFormatError, match="nothing to index"):
        rag.build(d, tmp_path / "idx", model=fake_embedder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(rag.IndexFormatError, match="nothing to index"):
        rag.build(tmp_path / "empty", tmp_path / "idx2", model=fake_embedder)


def test_failed_build_keeps_previous_index(files, tmp_path):
    rag.build([files["a"]], tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(rag.IndexFormatError):
        rag.build(empty, tmp_path / "idx", model=FakeEmbedder())
    again = rag.load(tmp_path / "idx", model=FakeEmbedder())
    assert [d.source for d in again.documents()] == ["a.txt"]


# ------------------------------------------------------------ bad index folders
@pytest.fixture
def built(files, tmp_path) -> Path:
    folder = tmp_path / "idx"
    rag.build([files["a"], files["b"]], folder, model=FakeEmbedder(), settings=SMALL)
    return folder


def _edit_manifest(folder: Path, **changes) -> None:
    p = folder / "manifest.json"
    d = json.loads(p.read_text(encoding="utf-8"))
    d.update(changes)
    p.write_text(json.dumps(d), encoding="utf-8")


def test_load_missing_folder(tmp_path):
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(tmp_path / "nowhere", model=FakeEmbedder())
    assert "rag index" in str(e.value) and "nowhere" in str(e.value)


def test_load_other_format_version(built):
    _edit_manifest(built, format_version=99)
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=FakeEmbedder())
    assert "format 99" in str(e.value) and "rebuild" in str(e.value)


def test_load_other_model_name(built):
    m = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    _edit_manifest(built, model={**m["model"], "name": "other-model"})
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=FakeEmbedder())
    msg = str(e.value)
    assert "other-model" in msg and "fake-hash" in msg and "rag index" in msg


def test_load_other_weights(built):
    class Other(FakeEmbedder):
        fingerprint = "fake-hash-v2"

    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=Other())
    assert "different weights" in str(e.value) and "fake-hash-v1" in str(e.value)


def test_load_other_dimension(built):
    class Narrow(FakeEmbedder):
        dim = 128

    with pytest.raises(rag.IndexFormatError, match="dim 256"):
        rag.load(built, model=Narrow())


def test_load_invalid_json(built):
    (built / "manifest.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=FakeEmbedder())
    assert "not valid JSON" in str(e.value) and "rebuild" in str(e.value)


def test_load_manifest_not_an_object(built):
    (built / "manifest.json").write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(rag.IndexFormatError, match="format"):
        rag.load(built, model=FakeEmbedder())


@pytest.mark.parametrize("role", ["chunks", "chunk_vectors", "sent_vectors", "faiss"])
def test_load_truncated_data_file(built, role):
    name = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["data"][role]["name"]
    p = built / name
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(rag.IndexFormatError) as e:
        rag.load(built, model=FakeEmbedder())
    assert name in str(e.value) and "corrupt" in str(e.value) and "rebuild" in str(e.value)


def test_load_missing_data_file(built):
    name = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["data"]["chunks"]["name"]
    (built / name).unlink()
    with pytest.raises(rag.IndexFormatError, match="missing"):
        rag.load(built, model=FakeEmbedder())


def test_rebuild_leaves_only_current_generation(built, files):
    idx = rag.load(built, model=FakeEmbedder())
    idx.add([files["c"]])
    names = sorted(p.name for p in built.iterdir())
    m = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    assert names == sorted(["manifest.json", store.LOCK_FILE] + [d["name"] for d in m["data"].values()])
    assert rag.load(built, model=FakeEmbedder()).documents() == idx.documents()


@pytest.mark.parametrize("field", ["words", "names"])
def test_load_corrupt_bm25_index(built, field):
    name = json.loads((built / "manifest.json").read_text(encoding="utf-8"))["data"][f"bm25_{field}"]["name"]
    f = sorted((built / name).glob("*.npy"))[0]
    f.write_bytes(f.read_bytes()[:10])
    with pytest.raises(rag.IndexFormatError, match="corrupt"):
        rag.load(built, model=FakeEmbedder())


def test_bm25_is_loaded_from_disk_not_rebuilt(built, monkeypatch):
    from rag.retrieve.lexical import LexicalRetriever

    def refuse(*a, **k):
        raise AssertionError("BM25 rebuilt at load time")

    monkeypatch.setattr(LexicalRetriever, "build", refuse)
    idx = rag.load(built, model=FakeEmbedder())
    assert idx.search("выборы 1924", k=3, retriever="bm25")


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
