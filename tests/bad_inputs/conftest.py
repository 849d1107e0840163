"""The bad-input suite's index: DOC_A, DOC_B and DOC_C as three files (helpers/docs.py), indexed
with the FakeEmbedder in small chunks.

Bad inputs (issue 6): every case gives a clear error or warning naming the problem, and
nothing else is lost: the other files are still indexed, the previous index still loads and
gives the same results. The table in docs/bad-inputs.md lists each case with its test; cases
already tested elsewhere (tests/index/, tests/test_ingest.py) are referenced there, not
repeated here. All with the FakeEmbedder and the `docs` and `idx` fixtures below.
"""
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
