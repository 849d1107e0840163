"""The bad-input suite's index: DOC_A, DOC_B and DOC_C as three files (helpers/docs.py), indexed
with the FakeEmbedder in small chunks."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.docs import DOC_A, DOC_B, DOC_C, SMALL, write
from helpers.fakes import FakeEmbedder

import rag


@pytest.fixture
def docs(tmp_path) -> Path:
    d = tmp_path / "docs"
    write(d, "a.txt", DOC_A)
    write(d, "b.md", DOC_B)
    write(d, "c.txt", DOC_C, "cp1251")
    return d


@pytest.fixture
def idx(docs, tmp_path) -> rag.Index:
    return rag.build(docs, tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
