"""The Ray build (rag/distributed.py) gives the same index as the local build."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import rag
from helpers.fakes import FakeEmbedder

TESTS = Path(__file__).resolve().parent
QUERIES = ["выборы в сельсоветы 1924", "collective farms five-year plan", "Кузнецкий округ колхозы", "famine"]


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'ray[data]==2.60.0'): distributed build untested")
    # the workers unpickle FakeEmbedder by reference: they need tests/ (helpers.fakes) on their path
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(TESTS)}})
    yield
    ray.shutdown()


def _both(paths, tmp_path, **kw):
    local = rag.build(paths, tmp_path / "local", model=FakeEmbedder(), **kw)
    driver_copy = FakeEmbedder()
    dist = rag.build(paths, tmp_path / "ray", model=driver_copy, ray=True, **kw)
    assert driver_copy.calls == 0  # every passage was embedded by the actors, none in this process
    return local, dist


def _assert_same(local, dist):
    a, b = local.payload, dist.payload
    assert [c.id for c in a.chunks] == [c.id for c in b.chunks]
    assert a.chunks == b.chunks  # text, spans, languages, sentence rows
    np.testing.assert_allclose(a.chunk_vectors, b.chunk_vectors, atol=1e-5)
    np.testing.assert_allclose(a.sent_vectors, b.sent_vectors, atol=1e-5)
    assert a.manifest.files == b.manifest.files
    for q in QUERIES:
        assert [(h.chunk_id, round(h.score, 5)) for h in local.search(q, k=5)] == \
               [(h.chunk_id, round(h.score, 5)) for h in dist.search(q, k=5)]
        assert local.ask(q).quotes == dist.ask(q).quotes


def test_ray_build_equals_local_build(ray_cluster, small_corpus, tmp_path):
    local, dist = _both([small_corpus], tmp_path)
    _assert_same(local, dist)
    loaded = rag.load(tmp_path / "ray", model=FakeEmbedder())  # what was written, not only what is in memory
    _assert_same(local, loaded)


def test_unreadable_file_skipped_with_the_local_reason(ray_cluster, small_corpus, tmp_path):
    (small_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a PDF")
    (small_corpus / "copy.md").write_bytes((small_corpus / "en_farms.md").read_bytes())
    local, dist = _both([small_corpus], tmp_path)
    assert "broken.pdf" in dict(dist.last_report.skipped)
    assert dist.last_report.skipped == local.last_report.skipped  # same reasons, duplicates included
    assert dist.last_report.indexed == local.last_report.indexed
    _assert_same(local, dist)


def test_ray_add_equals_local_add(ray_cluster, small_corpus, tmp_path):
    files = sorted(small_corpus.iterdir())
    local = rag.build(files[:1], tmp_path / "local", model=FakeEmbedder())
    local.add(files)
    own = FakeEmbedder()
    dist = rag.build(files[:1], tmp_path / "ray", model=own)
    before = own.calls
    report = dist.add(files, ray=True)
    assert own.calls == before  # the new files were embedded by the actors
    assert report.indexed == tuple(f.name for f in files[1:]) and report.unchanged == (files[0].name,)
    _assert_same(local, dist)
    assert dist.embedder is own  # queries keep the index's own model


def test_killed_worker_is_retried_and_the_index_is_the_same(ray_cluster, small_corpus, tmp_path):
    import os

    from helpers.fakes import DyingEmbedder

    marker = tmp_path / "killed"
    local = rag.build([small_corpus], tmp_path / "local", model=FakeEmbedder())
    dist = rag.build([small_corpus], tmp_path / "ray", model=DyingEmbedder(str(marker)), ray=True)
    assert marker.exists(), "an actor must have died"
    assert int(marker.read_text()) != os.getpid()  # it was a worker, not this process
    _assert_same(local, dist)  # Ray restarted the actor and re-ran its batch


def test_worker_dying_every_time_fails_clearly_and_keeps_the_old_index(ray_cluster, small_corpus, tmp_path):
    from helpers.fakes import DyingEmbedder
    from rag.distributed import RayUnavailable

    old = rag.build([small_corpus], tmp_path / "idx", model=FakeEmbedder())
    before = sorted(p.name for p in old.folder.iterdir())
    with pytest.raises(RayUnavailable, match=r"died .*retries.*previous index is unchanged"):
        rag.build([small_corpus], old.folder, model=DyingEmbedder(None), ray=True)
    assert sorted(p.name for p in old.folder.iterdir()) == before
    assert rag.load(old.folder, model=FakeEmbedder()).search("выборы", k=1)


def test_without_ray_a_clear_error(small_corpus, tmp_path, monkeypatch, capsys):
    import sys

    from rag.cli import EXIT_USAGE, main
    from rag.distributed import RayUnavailable

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError, as when not installed
    with pytest.raises(RayUnavailable, match=r'pip install "ray\[data\]==2\.60\.0"'):
        rag.build([small_corpus], tmp_path / "a", model=FakeEmbedder(), ray=True)
    assert main(["index", str(small_corpus), "-o", str(tmp_path / "b"), "--ray"]) == EXIT_USAGE
    assert 'pip install "ray[data]==2.60.0"' in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
def test_ray_build_with_the_real_model_equals_local(ray_cluster, tmp_path):
    from helpers.docs import EN_DOC, RU_DOC

    d = tmp_path / "docs"
    d.mkdir()
    (d / "ru.txt").write_text(RU_DOC, encoding="utf-8")
    (d / "en.txt").write_text(EN_DOC, encoding="utf-8")
    local = rag.build([d], tmp_path / "local")
    dist = rag.build([d], tmp_path / "ray", ray=True)  # each actor loads multilingual-e5-small itself
    a, b = local.payload, dist.payload
    assert [c.id for c in a.chunks] == [c.id for c in b.chunks] and a.chunks == b.chunks
    np.testing.assert_allclose(a.chunk_vectors, b.chunk_vectors, atol=1e-5)
    np.testing.assert_allclose(a.sent_vectors, b.sent_vectors, atol=1e-5)
    # the quote's token codes travel from the actors too (rag/tokens.py): the same head, the same signs
    assert b.sent_codes is not None and b.manifest.model["quote_head"] == a.manifest.model["quote_head"]
    np.testing.assert_array_equal(a.sent_codes.offsets, b.sent_codes.offsets)
    assert (a.sent_codes.data == b.sent_codes.data).mean() > 0.99  # a sign at zero may flip between runs
    assert dist.notices == local.notices
    for q in ("Кто выиграл шахматный турнир?", "When was the bridge opened?", "явка на выборах 1924"):
        assert [h.chunk_id for h in local.search(q, k=3)] == [h.chunk_id for h in dist.search(q, k=3)]
