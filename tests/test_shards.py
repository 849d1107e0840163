"""Sharded search: an index split by document answers exactly as one index does."""
from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from helpers.docs import CORPUS
from helpers.fakes import FakeEmbedder

import rag
from bench.shards import Snapshot, compare, snapshot
from eval.run import load_questions
from rag import store
from rag.retrieve.base import Query
from rag.retrieve.lexical import LexicalRetriever

QUESTIONS = [it.question for it in load_questions()]


class Results(Snapshot):
    """A snapshot (bench/shards.py) that compares as bench.shards.compare does:
    same passages and quotes in the same order, scores bit-identical."""

    def __eq__(self, other) -> bool:
        return compare(self, other)["identical"]


def results(idx: rag.Index, questions=QUESTIONS) -> Results:
    s = snapshot(idx, questions)
    return Results(s.lists, s.scores)


@pytest.fixture(scope="module")
def one_shard(corpus_index) -> Results:
    return results(corpus_index)


@pytest.mark.parametrize("shards", [2, 3, 7])  # 7: more shards than documents, some empty
def test_sharded_index_gives_the_unsharded_results(corpus_index, one_shard, tmp_path, shards):
    idx = rag.build([CORPUS], tmp_path / "idx", model=FakeEmbedder(), settings=rag.Settings(shards=shards))
    rows = store.shard_rows(idx.payload.chunks, shards)
    assert sum(len(r) for r in rows) == len(corpus_index.payload.chunks)
    assert sum(1 for r in rows if len(r)) >= 2, "the corpus must really be split"
    assert results(idx) == one_shard
    # the same arrays in memory as one index: shards only change files and search structures
    assert [c.id for c in idx.payload.chunks] == [c.id for c in corpus_index.payload.chunks]
    assert np.array_equal(idx.payload.sent_vectors, corpus_index.payload.sent_vectors)
    # and after a reload from the shard files
    assert results(rag.load(idx.folder, model=FakeEmbedder())) == one_shard


def test_each_shard_has_its_own_files_holding_only_its_documents(tmp_path):
    idx = rag.build([CORPUS], tmp_path / "idx", model=FakeEmbedder(), settings=rag.Settings(shards=3))
    m = json.loads((idx.folder / "manifest.json").read_text())
    assert m["settings"]["shards"] == 3 and len(m["index_type"].split(",")) == 3
    for s in range(3):
        for name in ("chunks", "chunk_vectors", "sent_vectors", "faiss", "bm25_words", "bm25_names"):
            assert (idx.folder / m["data"][store.role(name, s)]["name"]).exists()
        lines = (idx.folder / m["data"][store.role("chunks", s)]["name"]).read_text(encoding="utf-8").splitlines()
        sources = {json.loads(line)["source"] for line in lines}
        assert all(store.shard_of(src, 3) == s for src in sources)
        n_sent = len(np.load(idx.folder / m["data"][store.role("sent_vectors", s)]["name"]))
        rows = {r[4] for line in lines for r in json.loads(line)["sents"]}
        assert rows == set(range(n_sent)), "sentence rows are the shard's own"


def test_reshard_without_reembedding_and_back(tmp_path, corpus_index, one_shard):
    shutil.copytree(corpus_index.folder, tmp_path / "idx")
    emb = FakeEmbedder()
    idx = rag.load(tmp_path / "idx", model=emb)
    idx.reshard(3)
    assert emb.calls == 0
    assert rag.load(idx.folder, model=emb).settings.shards == 3
    assert results(idx) == one_shard
    idx.reshard(1)
    names = sorted(p.name for p in idx.folder.iterdir())
    assert not any(".s00" in n for n in names), names  # the shard files of the old layout are gone
    assert results(rag.load(idx.folder, model=emb)) == one_shard


def test_add_and_remove_on_shards_equal_a_full_sharded_build(small_corpus, tmp_path):
    settings = rag.Settings(shards=2, chunk_size=200, chunk_overlap=40)
    files = sorted(small_corpus.iterdir())
    inc = rag.build(files[:1], tmp_path / "inc", model=FakeEmbedder(), settings=settings)
    inc.add(files[1:])
    extra = tmp_path / "extra.txt"
    extra.write_text("Совершенно другой текст о сельском хозяйстве.", encoding="utf-8")
    inc.add([extra])
    inc.remove("extra.txt")
    full = rag.build(small_corpus, tmp_path / "full", model=FakeEmbedder(), settings=settings)
    qs = ["выборы в сельсоветы", "collective farms 1928", "Кузнецкий округ", "famine"]
    assert [c.id for c in inc.payload.chunks] == [c.id for c in full.payload.chunks]
    assert results(inc, qs) == results(full, qs)


def test_split_bm25_keeps_global_statistics():
    texts = ["выборы 1924 года", "the politburo met", "выборы выборы в 1924", "Stalin and the politburo", "1924"]
    rows = [np.array([0, 3]), np.array([1, 2, 4])]
    whole, split = LexicalRetriever.build(texts), LexicalRetriever.build(texts, rows=rows)
    assert np.array_equal(whole.df, split.df) and split.num_docs == 5
    assert [b.scores["num_docs"] for b in split.shards] == [2, 3]
    for q in ("выборы 1924", "politburo", "1924 Stalin"):
        query = Query(q)
        assert split.max_score(query) == whole.max_score(query)
        assert split.search(query, 5) == whole.search(query, 5)
        mask = np.array([True, False, True, True, False])
        assert split.search(query, 2, mask) == whole.search(query, 2, mask)


def test_bad_shard_counts_are_refused(corpus_index):
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="shards must be"):
            rag.Settings(shards=bad)
    with pytest.raises(ValueError, match="reshard"):
        corpus_index.reconfigure(shards=2)


def test_missing_shard_file_is_a_clear_error(tmp_path):
    idx = rag.build([CORPUS], tmp_path / "idx", model=FakeEmbedder(), settings=rag.Settings(shards=3))
    m = json.loads((idx.folder / "manifest.json").read_text())
    (idx.folder / m["data"][store.role("faiss", 2)]["name"]).unlink()
    with pytest.raises(rag.IndexFormatError, match="missing"):
        rag.load(idx.folder, model=FakeEmbedder())


@pytest.mark.slow
def test_sharded_real_model_index_gives_the_unsharded_results(real_corpus_index, tmp_path):
    """multilingual-e5-small on the bundled corpus, every eval question: 3 shards
    (resharded from the one-shard index, nothing re-embedded) answer as one."""
    shutil.copytree(real_corpus_index.folder, tmp_path / "idx")
    sharded = rag.load(tmp_path / "idx")
    sharded.reshard(3)
    assert sum(1 for r in store.shard_rows(sharded.payload.chunks, 3) if len(r)) == 3
    assert results(rag.load(sharded.folder)) == results(real_corpus_index)


def test_tied_passages_split_across_shards_give_the_unsharded_results(tmp_path):
    """Copies of one document in several files: their passages tie exactly (same
    vector, same BM25 score) and land in different shards; which copies make the
    top k must not depend on the sharding."""
    docs = tmp_path / "docs"
    docs.mkdir()
    ru, en = (min((p for p in CORPUS.iterdir() if cyr == bool(re.search("[а-я]", p.read_text(encoding="utf-8")[:2000]))),
                  key=lambda p: p.stat().st_size) for cyr in (True, False))  # the smallest of each language
    for i in range(6):
        for p in (ru, en):
            # the files differ (identical files are indexed once) but their later passages do not
            (docs / f"copy{i}_{p.name}").write_text(f"Copy {i}.\n\n" + p.read_text(encoding="utf-8"), encoding="utf-8")
    qs = QUESTIONS[:40]
    one = rag.build([docs], tmp_path / "one", model=FakeEmbedder())
    assert len({c.source for c in one.payload.chunks}) == 12
    for shards in (2, 3):
        idx = rag.build([docs], tmp_path / f"s{shards}", model=FakeEmbedder(), settings=rag.Settings(shards=shards))
        assert sum(1 for r in store.shard_rows(idx.payload.chunks, shards) if len(r)) >= 2
        assert results(idx, qs) == results(one, qs)
