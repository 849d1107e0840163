"""Bad files: empty, binary, broken or encrypted, damaged UTF-8, huge, duplicated, linked
outside the folder, changed or deleted while indexing.

The rule of every bad-input test, and the fixtures: this folder's conftest.py.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.checks import disk_state, state
from helpers.docs import DOC_A, GOOD, SMALL, corrupt_docx, make_pdf, write
from helpers.fakes import FakeEmbedder

import rag
import rag.writer
from rag import ingest


# ================================================================ files
def _pdf_encrypted(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Hello election 1924", "Second page votes 1925"]))))
    w.encrypt(user_password=user_password, owner_password="owner-secret")  # noqa: S106 (test data)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _pdf_scanned() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(612, 792)  # a page with no text layer, as a scan without OCR
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _pdf_truncated() -> bytes:
    full = make_pdf(["Hello election 1924", "Second page votes 1925"])
    return full[: len(full) // 2]


BAD_FILES = {  # name: (bytes, words the reason must contain)
    "empty.txt": (lambda: b"", "empty file"),
    "blank.md": (lambda: b" \n\t\r\n ", "empty file"),
    "binary.txt": (lambda: bytes(range(256)) * 64, "binary"),
    "noise.txt": (lambda: bytes((i * 7919) % 31 + 1 for i in range(5000)), "binary"),
    "truncated.pdf": (_pdf_truncated, "PDF"),
    "encrypted.pdf": (lambda: _pdf_encrypted("secret"), "encrypted PDF (password required)"),
    "scanned.pdf": (_pdf_scanned, "no text layer"),
    "corrupt.docx": (corrupt_docx, "corrupt .docx"),
    "garbage.docx": (lambda: b"PK\x03\x04" + bytes(range(256)) * 4, "corrupt .docx"),
    "page.html": (lambda: b"<html><script>alert(1)</script><style>p{}</style></html>", "no text"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_skipped_with_its_reason_others_indexed(docs, tmp_path, name):
    make, words = BAD_FILES[name]
    (docs / name).write_bytes(make())
    idx = rag.build(docs, tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    r = idx.last_report
    reasons = dict(r.skipped)
    assert words in reasons[name], reasons
    assert set(r.indexed) == GOOD and {d.source for d in idx.documents()} == GOOD
    clean = rag.build([docs / g for g in sorted(GOOD)], tmp_path / "clean", model=FakeEmbedder(), settings=SMALL)
    assert state(idx) == state(clean)  # the bad file changed nothing else


def test_bad_file_added_to_an_index_changes_nothing(idx, docs, tmp_path):
    before = disk_state(idx.folder)
    bad = tmp_path / "bad"
    for name, (make, _words) in BAD_FILES.items():
        write(bad, name, "").write_bytes(make())
    r = idx.add([bad])
    assert r.indexed == () and {s for s, _ in r.skipped} == set(BAD_FILES)
    assert disk_state(idx.folder) == before  # nothing written: same generation, files, results
    assert state(idx) == before[2]


def test_pdf_encrypted_with_an_empty_user_password_is_read(tmp_path):
    f = tmp_path / "owner-only.pdf"
    f.write_bytes(_pdf_encrypted(""))
    idx = rag.build([f], tmp_path / "idx", model=FakeEmbedder())
    assert idx.last_report.indexed == ("owner-only.pdf",)
    assert "Second page votes 1925" in idx.search("Second page votes", k=1)[0].text


def test_invalid_utf8_bytes_are_replaced_with_a_warning(docs, tmp_path):
    """Bug found here: a UTF-8 file with 3 damaged bytes was refused as "unknown text encoding";
    now it is read as UTF-8, the bad bytes become U+FFFD and the build report warns about it."""
    raw = DOC_A.encode("utf-8")
    cut = raw.index("Инструкторы".encode())
    damaged = raw[:cut] + b"\xff\xc3" + raw[cut:] + b"\x80"
    (docs / "damaged.txt").write_bytes(damaged)
    idx = rag.build(docs, tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    r = idx.last_report
    assert set(r.indexed) == GOOD | {"damaged.txt"}
    assert r.warnings == (("damaged.txt", "3 invalid UTF-8 byte sequences replaced by U+FFFD"),)
    assert idx.payload.manifest.files["damaged.txt"]["encoding"] == "utf-8"
    text = (docs / "damaged.txt").read_text(encoding="utf-8", errors="replace")
    assert ingest.read_document(docs / "damaged.txt").text == text  # offsets index this string
    assert text.count("\ufffd") == 3
    hit = idx.search("Инструкторы ВЦИК объезжали волости", k=1, sources=["damaged.txt"])[0]
    assert "Инструкторы ВЦИК" in hit.text and "Инструкторы ВЦИК" in text[hit.start : hit.end]


def test_legacy_encodings_are_still_not_taken_for_damaged_utf8(tmp_path):
    for enc in ("cp1251", "koi8-r"):
        f = tmp_path / f"{enc}.txt"
        f.write_bytes(DOC_A.encode(enc))
        doc = ingest.read_document(f)
        assert doc.text == DOC_A and doc.warnings == ()


def test_50_mb_text_file(tmp_path, docs, monkeypatch):
    """A 50 MB file is read in seconds (decoding is linear); above the size limit it is
    refused by name and size without being read, and the other files are indexed."""
    big = tmp_path / "big.txt"
    line = "Крестьяне волости собрались на выборы в сельсовет 1924 года. Peasants voted.\n"
    big.write_text(line * (50 * 1024 * 1024 // len(line.encode()) + 1), encoding="utf-8")
    assert big.stat().st_size > 50_000_000
    t = time.perf_counter()
    doc = ingest.read_document(big)
    assert time.perf_counter() - t < 10 and doc.encoding == "utf-8" and doc.text.startswith(line)
    del doc
    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 20 * 1024 * 1024)
    shutil.move(big, docs / "big.txt")
    idx = rag.build(docs, tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    assert dict(idx.last_report.skipped)["big.txt"] == "file too large (50 MB > 20 MB)"
    assert set(idx.last_report.indexed) == GOOD


def test_duplicate_files_under_two_names_are_indexed_once(docs, tmp_path):
    """Bug found here: the same file under two names was indexed twice, so every answer from
    it came back twice and pushed other passages out of the top k."""
    shutil.copy(docs / "a.txt", docs / "copy of a.txt")
    idx = rag.build(docs, tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    assert dict(idx.last_report.skipped) == {"copy of a.txt": "same content as a.txt (a duplicate)"}
    assert {d.source for d in idx.documents()} == GOOD
    # added later under a third name: refused too, the index is not rewritten
    gen = idx.payload.manifest.generation
    f = write(tmp_path / "later", "elections.txt", DOC_A)
    r = idx.add([f])
    assert r.indexed == () and dict(r.skipped) == {"elections.txt": "same content as a.txt (a duplicate)"}
    assert idx.payload.manifest.generation == gen
    # once the original is removed, the copy can be added
    idx.remove("a.txt")
    assert idx.add([f]).indexed == ("elections.txt",)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_links_outside_the_folder_and_loops_are_skipped_in_a_build(docs, tmp_path):
    # discover() itself: test_ingest.py::test_discover_skips_links_outside_and_loops
    outside = write(tmp_path / "private", "secret.txt", "Секретный текст о паролях и ключах доступа.")
    os.symlink(outside, docs / "leak.txt")
    os.symlink(docs / "loop2.txt", docs / "loop1.txt")
    os.symlink(docs / "loop1.txt", docs / "loop2.txt")
    os.symlink(tmp_path / "private", docs / "linked_dir")
    idx = rag.build(docs, tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    reasons = dict(idx.last_report.skipped)
    assert reasons["leak.txt"] == "link points outside the indexed folder"
    assert reasons["loop1.txt"] == reasons["loop2.txt"] == "broken link or link loop"
    assert {d.source for d in idx.documents()} == GOOD
    assert not any("Секретный" in c.text for c in idx.payload.chunks)


def test_file_changed_while_indexing_is_indexed_as_read(docs, tmp_path, monkeypatch):
    """The text and its sha256 come from one read of the bytes, so a file rewritten while the
    build runs is indexed consistently as it was read; the next add sees the change."""
    real = rag.writer.read_document

    def read_then_change(path, source=None, **kw):
        doc = real(path, source, **kw)
        if source == "a.txt":
            Path(path).write_text(DOC_A.replace("1924", "1925"), encoding="utf-8")  # changed under us
        return doc

    monkeypatch.setattr(rag.writer, "read_document", read_then_change)
    idx = rag.build(docs, tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    import hashlib

    assert idx.payload.manifest.files["a.txt"]["sha256"] == hashlib.sha256(DOC_A.encode()).hexdigest()
    assert any("1924" in c.text for c in idx.payload.chunks if c.source == "a.txt")
    monkeypatch.setattr(rag.writer, "read_document", real)
    r = idx.add([docs])
    assert r.indexed == ("a.txt",) and set(r.unchanged) == {"b.md", "c.txt"}
    assert not any("1924" in c.text for c in idx.payload.chunks if c.source == "a.txt")


def test_file_deleted_while_indexing_is_skipped_others_indexed(docs, tmp_path, monkeypatch):
    real = rag.writer.discover

    def discover_then_delete(paths):
        found, skipped = real(paths)
        (docs / "b.md").unlink()  # gone between listing the folder and reading it
        return found, skipped

    monkeypatch.setattr(rag.writer, "discover", discover_then_delete)
    idx = rag.build(docs, tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    assert dict(idx.last_report.skipped) == {"b.md": "not a regular file"}
    assert {d.source for d in idx.documents()} == {"a.txt", "c.txt"}


def test_an_unreadable_pdf_is_said_once_not_logged_on_stderr(tmp_path):
    """pypdf's own warnings ("invalid pdf header") went to stderr between the progress bars when
    no logging was set up (a fresh process, as the CLI is); the build's report names the file."""
    f = tmp_path / "noise.pdf"
    f.write_bytes(bytes((i * 7919) % 251 for i in range(5000)))
    code = ("import sys; from rag.ingest import IngestError, read_document\n"
            "try:\n    read_document(sys.argv[1])\nexcept IngestError as e:\n    print(e)\n")
    run = subprocess.run([sys.executable, "-c", code, str(f)], capture_output=True, text=True, timeout=60)
    assert "unreadable PDF" in run.stdout
    assert run.stderr == ""
