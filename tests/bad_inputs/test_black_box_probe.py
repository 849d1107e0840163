"""Faults the black-box probe of issue 31 found in reading, syncing and asking: each a test that
failed before its fix. Rows "Found by the black-box probe (issue 31)" of docs/bad-inputs.md.

The rule of every bad-input test, and the fixtures: this folder's conftest.py.
"""
from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from helpers.docs import DOC_A, SMALL, write
from helpers.fakes import FakeEmbedder

import rag
from rag import ingest


# ============================================================ 1. a .docx whose headers lie
def _lying_docx(real_bytes: int, claimed: int = 1000) -> bytes:
    """A .docx (python-docx's own package) whose word/document.xml really unpacks to
    `real_bytes` while its local and central headers both claim `claimed` bytes."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                z.writestr(info.filename, src.read(info))
        deflate, body = zlib.compressobj(9, zlib.DEFLATED, -15), bytearray()
        for _ in range(real_bytes >> 20):  # 1 MB of spaces at a time: never the whole member in memory
            body += deflate.compress(b" " * (1 << 20))
        body += deflate.flush()
        info = zipfile.ZipInfo("word/document.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, b"")  # the entry; its data and sizes are patched in below
    data = bytearray(out.getvalue())
    # the member's local header: rewrite it with the real compressed data and the claimed size
    entry = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    name = entry.filename.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, 0, len(body), claimed, len(name), 0) + name
    end_at = data.rindex(b"PK\x05\x06")  # the end record, which says where the directory starts
    central_at = struct.unpack("<L", data[end_at + 16:end_at + 20])[0]
    members = bytes(data[:entry.header_offset]) + local + bytes(body)
    shift = len(members) - central_at
    central = bytearray(data[central_at:end_at])
    pos = 0
    while central[pos:pos + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack("<3H", central[pos + 28:pos + 34])
        if central[pos + 46:pos + 46 + n] == name:
            struct.pack_into("<3L", central, pos + 16, 0, len(body), claimed)  # crc, compressed, claimed size
        pos += 46 + n + m + k
    end = bytearray(data[end_at:])
    struct.pack_into("<L", end, 16, central_at + shift)
    return members + bytes(central) + bytes(end)


def test_a_docx_whose_headers_lie_is_refused_within_bounded_memory(tmp_path):
    """Issue 31, 1: headers claiming 1,000 bytes for a member of 256 MB passed the 64 MB check
    on the header sizes; zipfile then inflated the whole member (1 GB took the server to 3.1 GB)."""
    f = tmp_path / "bomb.docx"
    f.write_bytes(_lying_docx(256 << 20))
    assert f.stat().st_size < 1 << 20 and sum(i.file_size for i in zipfile.ZipFile(f).infolist()) < 64 << 20
    tracemalloc.start()
    try:
        with pytest.raises(rag.IngestError, match=r"bomb.docx: corrupt .docx \(word/document.xml unpacks to "
                                                  r"more than 64 MB"):
            ingest.read_document(f)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < ingest.MAX_UNZIPPED_BYTES + (8 << 20), f"{peak >> 20} MB"


def test_a_docx_whose_headers_understate_a_small_member_is_corrupt(tmp_path):
    f = tmp_path / "liar.docx"
    f.write_bytes(_lying_docx(2 << 20))
    with pytest.raises(rag.IngestError, match=r"corrupt .docx \(word/document.xml unpacks to 2,097,152 bytes, "
                                              r"its header says 1,000\)"):
        ingest.read_document(f)


def test_a_docx_is_still_read_through_the_checked_copy(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Выборы 1924 года.")
    d.save(tmp_path / "ok.docx")
    assert ingest.read_document(tmp_path / "ok.docx").text == "Выборы 1924 года."


# ============================================================ 2. the same name in two folders
def test_sync_of_two_folders_with_the_same_file_name_keeps_both(tmp_path):
    """Issue 31, 2: `rag sync dA dB` with a note.txt in each said "skipped note.txt: given twice"
    and dB's file was never indexed."""
    write(tmp_path / "dA", "note.txt", DOC_A)
    write(tmp_path / "dA", "only_a.txt", "Кузнецкий округ был создан в 1925 году.")
    write(tmp_path / "dB", "note.txt", "The first five-year plan began in 1928.")
    idx = rag.build([tmp_path / "dA", tmp_path / "dB"], tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    assert [d.source for d in idx.documents()] == ["dA/note.txt", "dB/note.txt", "only_a.txt"]
    assert idx.last_report.skipped == ()
    r = idx.sync([tmp_path / "dA", tmp_path / "dB"])
    assert r.indexed == r.removed == r.skipped == () and len(r.unchanged) == 3  # the names are stable
    (tmp_path / "dB" / "note.txt").unlink()  # no clash any more: dA's file takes its plain name again
    r = idx.sync([tmp_path / "dA", tmp_path / "dB"])
    assert r.indexed == ("note.txt",) and sorted(r.removed) == ["dA/note.txt", "dB/note.txt"]


def test_a_file_named_with_its_folder_is_still_found_for_its_page(tmp_path):
    from rag.files import sha256_file
    from rag.pages import find_file

    a, b = write(tmp_path / "dA", "note.txt", DOC_A), write(tmp_path / "dB", "note.txt", "другой текст")
    (_, name_a), (_, name_b) = ingest.discover([a.parent, b.parent])[0]
    assert find_file(name_a, [a.parent, b.parent], sha256_file(a)) == a
    assert find_file(name_b, [a.parent, b.parent], sha256_file(b)) == b


def test_folders_with_the_same_name_are_told_apart_by_their_parents(tmp_path):
    a, b = write(tmp_path / "a" / "docs", "x.txt", "один"), write(tmp_path / "b" / "docs", "x.txt", "два")
    found, skipped = ingest.discover([a.parent, b.parent])
    assert found == [(a, "a/docs/x.txt"), (b, "b/docs/x.txt")] and skipped == []


def test_the_same_file_given_twice_is_still_read_once(tmp_path):
    f = write(tmp_path / "dA", "note.txt", DOC_A)
    found, _ = ingest.discover([tmp_path / "dA", f])
    assert found == [(f, "note.txt"), (f, "note.txt")]  # the writer keeps one: "given twice"
    idx = rag.build([tmp_path / "dA", f], tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)
    assert [d.source for d in idx.documents()] == ["note.txt"]
    assert idx.last_report.skipped == (("note.txt", "given twice"),)


# ============================================================ 12. an index inside the folder; a link loop
def test_sync_of_a_folder_that_holds_its_own_index_passes_the_index_over(tmp_path):
    """Issue 31, 12: 15 "unsupported format" lines, one per file of the index."""
    docs = tmp_path / "docs"
    write(docs, "a.txt", DOC_A)
    idx = rag.build([docs], docs / "index", model=FakeEmbedder(), settings=SMALL)
    write(docs, "b.txt", "The first five-year plan began in 1928.")
    r = idx.sync([docs])
    assert r.indexed == ("b.txt",) and r.skipped == ()
    found, skipped = ingest.discover([docs])
    assert [s for _, s in found] == ["a.txt", "b.txt"] and skipped == []


def test_a_folder_with_someone_elses_manifest_is_still_read(tmp_path):
    write(tmp_path / "docs" / "site", "manifest.json", '{"name": "app", "files": []}')
    write(tmp_path / "docs" / "site", "page.md", "Выборы 1924 года.")
    found, _ = ingest.discover([tmp_path / "docs"])
    assert [s for _, s in found] == ["site/page.md"]


def test_a_link_loop_without_an_extension_is_a_link_loop(tmp_path):
    """Issue 31, 12: a loop was reported as "unsupported format (none)"."""
    import os

    docs = tmp_path / "docs"
    write(docs, "a.txt", DOC_A)
    os.symlink(docs / "loop", docs / "loop")
    os.symlink(docs / "nowhere", docs / "dangling")
    _, skipped = ingest.discover([docs])
    assert sorted(skipped) == [("dangling", "broken link or link loop"), ("loop", "broken link or link loop")]


# ============================================================ 4. a watched folder deleted or moved
def _until(pred, seconds: float = 30) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _watching(idx, docs, reports: list, stop, errors: list, **kw):
    """`rag sync --watch`'s loop on `docs` in a started thread; what it raises (what the CLI
    showed as a traceback) goes to `errors`."""
    import threading

    from rag.watch import watch

    def run():
        try:
            watch(idx, [docs], reports.append, stop, debounce_ms=100, poll_ms=200, **kw)
        except BaseException as e:
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    return t


def test_watch_waits_for_a_deleted_or_moved_folder_and_syncs_when_it_is_back(tmp_path):
    """Issue 31, 4: deleting the watched folder ended `rag sync --watch` with an IngestError traceback."""
    import shutil
    import threading


    docs = write(tmp_path / "docs", "a.txt", DOC_A).parent
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    stop, reports, notices, errors = threading.Event(), [], [], []

    t = _watching(idx, docs, reports, stop, errors, notice=notices.append)
    try:
        assert _until(lambda: reports)
        shutil.rmtree(docs)
        assert _until(lambda: len(notices) == 1), errors
        assert "gone (deleted or moved); the index is unchanged" in notices[0] and str(docs) in notices[0]
        assert [d.source for d in idx.documents()] == ["a.txt"]
        write(docs, "b.txt", "The first five-year plan began in 1928.")  # a new folder at the same path
        assert _until(lambda: [d.source for d in idx.documents()] == ["b.txt"]), (notices, errors)
        assert notices[1].endswith("back; syncing")
        docs.rename(tmp_path / "moved")  # moved away: the old watch would follow it to its new place
        assert _until(lambda: len(notices) == 3), errors
        (tmp_path / "moved" / "c.txt").write_text("Выборы 1926 года.", encoding="utf-8")
        (tmp_path / "moved").rename(docs)
        assert _until(lambda: [d.source for d in idx.documents()] == ["b.txt", "c.txt"]), (notices, errors)
        assert t.is_alive() and not errors
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive() and not errors


# ============================================================ 8. junk questions
JUNK = ["xxxxxxxxxxxxxxxxxxxx", "x" * 2000, "слово " * 333]  # 60,000 x's is over the query limit now


@pytest.fixture
def redacted(tmp_path) -> rag.Index:
    """A document that holds the junk's own letters (a redacted name, a word said thrice): the
    nearest passages look like the question, and the FakeEmbedder's cosines clear the threshold."""
    write(tmp_path / "docs", "a.txt", DOC_A)
    write(tmp_path / "docs", "r.txt", "Протокол допроса. Фамилия свидетеля: xxxxxxxxxx. "
                                      "Слово слово слово было сказано трижды. Имя свидетеля скрыто.")
    return rag.build([tmp_path / "docs"], tmp_path / "idx", model=FakeEmbedder(), settings=SMALL)


@pytest.mark.parametrize("junk", JUNK, ids=["20 x", "2000 x", "слово x333"])
def test_a_junk_question_is_not_in_the_documents_with_the_nearest_passages(redacted, junk):
    """Issue 31, 8: these gave found: true with unrelated quotes."""
    a = redacted.ask(junk)
    assert not a.found and a.quotes == [] and a.span is None
    assert len(a.hits) == 5  # the nearest passages, as for any question not answered


@pytest.mark.parametrize("text", ["xxxxxxxx", "x", "ааааааа", "ab" * 20, "слово " * 8, "да, да, да, да, да, да, да, да?"])
def test_asks_nothing(text):
    from rag.question import asks_nothing

    assert asks_nothing(text)


@pytest.mark.parametrize("text", ["Stalin?", "Кто такой Киров?", "А в 1923 году?", "1924", "СССР", "XXX съезд",
                                  "ЦК ВКП(б)", "Who is X?", "Выборы, выборы: когда прошли выборы в сельсоветы?",
                                  "Donaudampfschifffahrtsgesellschaftskapitän", "ok"])
def test_real_questions_ask_something(text):
    from rag.question import asks_nothing

    assert not asks_nothing(text)


def test_every_evaluation_question_asks_something():
    import json

    from rag.question import asks_nothing

    root = Path(__file__).resolve().parents[2] / "eval"
    questions = [json.loads(line)["question"] for f in sorted((root / "questions").glob("*.jsonl"))
                 for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(questions) > 150 and [q for q in questions if asks_nothing(q)] == []


@pytest.mark.slow
def test_junk_is_declined_and_real_questions_answered_by_the_real_model():
    idx = rag.load(Path(__file__).resolve().parents[2] / "data" / "corpus-index")
    for junk in JUNK:
        a = idx.ask(junk)
        assert not a.found and a.hits, junk[:20]
    assert idx.ask("Stalin?").found and idx.ask("Who was Kirov?").found


# ============================================================ 16. honest progress
def test_the_progress_bar_rate_counts_real_items_and_a_stage_that_comes_back_shows(capsys):
    """Issue 31, 16: the OCR bar's first tick read "127100 item/s" (bar.n set at 1 on a bar made
    microseconds before), and the read bar, closed when OCR began, never showed again."""
    import re
    import time

    from rag.cli import _progress_bar

    bar = _progress_bar()
    bar("read", 0, 2)
    time.sleep(0.3)
    bar("ocr", 1, 3)  # a bar made when its first page is already done
    time.sleep(0.3)
    bar("ocr", 2, 3)
    bar("read", 1, 2)  # the next file
    bar.close()
    err = capsys.readouterr().err
    rates = [float(r) for r in re.findall(r"([\d.]+)page/s", err)]
    assert rates and max(rates) < 10, err  # one page in 0.3 s: about 3.3 a second
    assert "item/s" not in err  # each stage counts its own unit
    assert re.search(r"read: +50%.*1/2", err.split("ocr")[-1]), err


def test_watch_follows_a_folder_deleted_and_made_again_at_once(tmp_path):
    """The file system's watch dies with its folder, and a new folder may even get the old one's
    inode number: the watch is set anew on the folder now at the path."""
    import shutil
    import threading
    import time


    docs = write(tmp_path / "docs", "a.txt", DOC_A).parent
    idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL)
    stop, reports, errors = threading.Event(), [], []

    t = _watching(idx, docs, reports, stop, errors)
    try:
        assert _until(lambda: reports)
        shutil.rmtree(docs)
        write(docs, "b.txt", "The first five-year plan began in 1928.")
        time.sleep(1)
        write(docs, "c.txt", "Выборы 1926 года прошли спокойнее.")  # seen only by a watch on the new folder
        assert _until(lambda: [d.source for d in idx.documents()] == ["b.txt", "c.txt"]), errors
    finally:
        stop.set()
        t.join(timeout=30)
    assert not t.is_alive() and not errors
