"""Bounded work per file (issue 15): a file that would take too much memory or time is
skipped with the reason before it is read, and the others are indexed.

The rule of every bad-input test, and the fixtures: this folder's conftest.py.
"""
from __future__ import annotations

import pytest
from helpers.docs import DOC_A, DOC_B, SMALL, write
from helpers.fakes import FakeEmbedder

import rag
from rag import ingest


# ============================================================ bounded work per file
def test_a_docx_that_unpacks_to_too_much_is_skipped_before_it_is_read(tmp_path, monkeypatch):
    """Issue 15: a 342 KB .docx of 200 MB of empty paragraphs took over 8 GB to read."""
    import docx

    d = docx.Document()
    for _ in range(3000):
        d.add_paragraph("")
    (tmp_path / "docs").mkdir()
    d.save(tmp_path / "docs" / "bomb.docx")
    write(tmp_path / "docs", "good.txt", DOC_A)
    monkeypatch.setattr(ingest, "MAX_UNZIPPED_BYTES", 64 << 10)  # the same check at a test's size

    def never(*a, **k):
        raise AssertionError("the .docx was unpacked")

    monkeypatch.setattr(docx, "Document", never)
    idx = rag.build([tmp_path / "docs"], tmp_path / "idx", model=FakeEmbedder())
    (src, why), = idx.last_report.skipped
    assert src == "bomb.docx" and "unpacks to" in why and "limit" in why
    assert [x.source for x in idx.documents()] == ["good.txt"]


@pytest.mark.parametrize("setting, value, words", [("max_file_chars", 300, "characters of text"),
                                                   ("max_file_items", 4, "passages and sentences to embed")])
def test_a_file_over_the_per_file_limits_is_skipped_with_the_reason(tmp_path, setting, value, words):
    (tmp_path / "docs").mkdir()
    write(tmp_path / "docs", "small.txt", "Выборы 1924 года. Явка была низкой.")
    write(tmp_path / "docs", "big.txt", DOC_B * 3)
    idx = rag.build([tmp_path / "docs"], tmp_path / "idx", model=FakeEmbedder(),
                    settings=SMALL.replace(**{setting: value}))
    (src, why), = idx.last_report.skipped
    assert src == "big.txt" and words in why and setting in why
    assert [x.source for x in idx.documents()] == ["small.txt"]
