"""The index suite's documents: DOC_A, DOC_B and DOC_C as three files (helpers/docs.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.docs import DOC_A, DOC_B, DOC_C, write


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    d = tmp_path / "docs"
    return {"a": write(d, "a.txt", DOC_A), "b": write(d, "b.md", DOC_B), "c": write(d, "c.txt", DOC_C, "cp1251")}
