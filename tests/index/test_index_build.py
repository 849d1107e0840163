"""The Index end to end with the fake embedder: build and load, incremental updates, bad builds.
Searching is in test_index_query.py, spans in test_index_offsets.py, damaged folders in
test_index_load.py; the `files` fixture (three documents) is in this folder's conftest.py."""
from __future__ import annotations

import numpy as np
import pytest
from helpers.docs import DOC_A, DOC_B, QUERIES, SMALL, write
from helpers.fakes import FakeEmbedder

import rag


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
