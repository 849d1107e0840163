"""Fixtures every test file may use: a deterministic, model-free embedder, a small dictd
dictionary and small corpora. What they are made of lives in tests/helpers/."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.dictd import write_dictd
from helpers.docs import CORPUS, EN_MD, RU_CP1251, RU_TEXT
from helpers.fakes import FakeEmbedder

import rag


@pytest.fixture
def dict_prefix(tmp_path, monkeypatch) -> Path:
    """A small English-Russian dictd dictionary (the bridge's tests never need mueller7-dict);
    its translation tables are cached under tmp_path, not in the user's cache."""
    monkeypatch.setattr("rag.retrieve.bridge.cache_dir", lambda: tmp_path / "cache")
    return write_dictd(tmp_path / "dict")


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_dir() -> Path:
    assert CORPUS.is_dir(), f"bundled corpus missing at {CORPUS}"
    return CORPUS


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three small files: Russian UTF-8 .txt with a broken word, English .md, Russian cp1251 .txt."""
    d = tmp_path / "docs"
    d.mkdir()
    (d / "ru_elections.txt").write_text(RU_TEXT, encoding="utf-8")
    (d / "en_farms.md").write_text(EN_MD, encoding="utf-8")
    (d / "ru_cp1251.txt").write_bytes(RU_CP1251.encode("cp1251"))
    return d


@pytest.fixture(scope="session")
def real_corpus_index(tmp_path_factory) -> rag.Index:
    """The bundled corpus with the real model (slow tests only; built once per run, ~60 s)."""
    return rag.build([CORPUS], tmp_path_factory.mktemp("real-corpus-index"))


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory) -> rag.Index:
    folder = tmp_path_factory.mktemp("corpus_index")
    return rag.build([CORPUS], folder, model=FakeEmbedder())
