"""The shipped index of the bundled corpus (data/corpus-index) is what a build writes today.

If this fails after a change to cleaning, chunking, settings or the encoder, regenerate the
seed with `python -m rag.seed` and commit it (rag/seed.py says why it exists)."""
import numpy as np
import pytest

import rag
from rag import seed

pytestmark = pytest.mark.slow


def test_seed_manifest_is_current():
    assert seed.why_stale() is None, f"{seed.why_stale()}: run python -m rag.seed"


def test_seed_equals_a_fresh_build(real_corpus_index):
    shipped = rag.load(seed.SEED).payload
    fresh = real_corpus_index.payload
    assert shipped.manifest.settings == fresh.manifest.settings
    assert shipped.manifest.files == fresh.manifest.files
    assert shipped.manifest.index_type == fresh.manifest.index_type
    assert shipped.chunks == fresh.chunks, "chunks differ: run python -m rag.seed"
    # vectors: equal up to float noise between CPUs (ONNX Runtime picks kernels per CPU)
    for a, b in ((shipped.chunk_vectors, fresh.chunk_vectors), (shipped.sent_vectors, fresh.sent_vectors)):
        assert a.shape == b.shape
        assert float(np.min(np.sum(a * b, axis=1))) > 0.9999, "vectors differ: run python -m rag.seed"


def test_seed_answers_like_a_fresh_build(real_corpus_index, tmp_path):
    seed.install(seed.SEED, tmp_path / "index")
    idx = rag.load(tmp_path / "index")
    q = "Who proposed holding alternative elections under the new constitution?"
    assert [h.chunk_id for h in idx.search(q, k=5)] == [h.chunk_id for h in real_corpus_index.search(q, k=5)]
