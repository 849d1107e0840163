"""The FAISS index type follows the corpus size, is recorded in the manifest and checked on load."""
from __future__ import annotations

import json

import numpy as np
import pytest

import rag
from rag.retrieve import dense
from rag.retrieve.dense import choose_index_type, index_type_of, make_faiss


def test_type_grows_with_size():
    order = ["flat", "hnsw", "ivf"]
    sizes = (0, 1_000, dense.FLAT_MAX, dense.FLAT_MAX + 1, dense.HNSW_MAX + 1, 10**8)
    kinds = [order.index(choose_index_type(n)) for n in sizes]
    assert kinds == sorted(kinds) and kinds[0] == 0 and kinds[-1] == 2
    assert choose_index_type(dense.FLAT_MAX) == "flat" and choose_index_type(dense.FLAT_MAX + 1) != "flat"


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_each_type_finds_the_nearest_vectors(kind):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(3000, 32)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    index = make_faiss(v, kind)
    assert index_type_of(index) == kind and index.ntotal == len(v)
    q = v[:20] + 0.05 * rng.normal(size=(20, 32)).astype(np.float32)
    _, got = index.search(q, 1)
    assert (got[:, 0] == np.arange(20)).mean() >= 0.9


def test_unknown_type_is_refused():
    with pytest.raises(ValueError, match="unknown FAISS index type"):
        make_faiss(np.zeros((1, 4), np.float32), "lsh")


@pytest.fixture
def hnsw_index(small_corpus, tmp_path, monkeypatch, fake_embedder):
    monkeypatch.setattr(dense, "FLAT_MAX", 0)  # even a tiny corpus gets a graph
    return rag.build([small_corpus], tmp_path / "idx", model=fake_embedder)


def test_manifest_records_the_type_and_search_agrees_with_flat(hnsw_index, small_corpus, tmp_path, fake_embedder,
                                                               monkeypatch):
    folder = hnsw_index.folder
    assert json.loads((folder / "manifest.json").read_text())["index_type"] == "hnsw"
    loaded = rag.load(folder, model=fake_embedder)
    assert loaded.searcher.dense.kinds == ["hnsw"]
    monkeypatch.setattr(dense, "FLAT_MAX", 100)
    flat = rag.build([small_corpus], tmp_path / "flat", model=fake_embedder)
    assert json.loads((flat.folder / "manifest.json").read_text())["index_type"] == "flat"
    for q in ("выборы в сельсоветы", "collective farms", "Кузнецкий округ"):
        for kw in ({}, {"langs": ["ru"]}):
            a = [(h.source, h.start) for h in loaded.search(q, k=3, **kw)]
            b = [(h.source, h.start) for h in flat.search(q, k=3, **kw)]
            assert a == b


def test_manifest_naming_another_type_is_refused(hnsw_index, fake_embedder):
    m = hnsw_index.folder / "manifest.json"
    d = json.loads(m.read_text())
    d["index_type"] = "flat"
    m.write_text(json.dumps(d))
    with pytest.raises(rag.IndexFormatError, match="not the 'flat'"):
        rag.load(hnsw_index.folder, model=fake_embedder)
