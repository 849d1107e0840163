"""Upload rules (rag/uploads.py): names, limits, folders, and indexing with the fake embedder."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.docs import EN_MD
from helpers.fakes import FakeEmbedder

import rag
from rag.ingest import read_document
from rag.uploads import (
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FILES,
    Upload,
    UploadError,
    add_uploads,
    bundled_names,
    check_upload,
    delete_upload,
    list_uploads,
    megabytes,
    names_only,
    protected_names,
    remove_document,
    sanitize_upload_name,
    save_upload,
    upload_dir,
)


@pytest.mark.parametrize("given, safe", [
    ("report.txt", "report.txt"),
    ("../../etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\me\\Отчёт 2024.PDF", "Отчёт_2024.pdf"),
    ("/abs/path/notes.md", "notes.md"),
    ("..hidden.docx", "hidden.docx"),
    ("a<b>c|d?*.html", "a_b_c_d.html"),
    ("tab\tand\nnewline.txt", "tabandnewline.txt"),
    ("  spaced   out  .txt", "spaced_out.txt"),
    ("e\u0301cole.md", "école.md"),  # NFC: one code point, as a typed name
    ("x" * 300 + ".txt", "x" * 116 + ".txt"),
])
def test_sanitize_keeps_a_safe_base_name(given, safe):
    assert sanitize_upload_name(given) == safe
    assert sanitize_upload_name(safe) == safe  # idempotent: a saved name is its own sanitised name


@pytest.mark.parametrize("given, why", [
    ("noext", "no file extension"),
    ("evil.exe", "unsupported format .exe"),
    ("archive.tar.gz", "unsupported format .gz"),
    ("../.txt", "no usable characters"),
    ("...txt", "no usable characters"),
    ("///", "no file extension"),
])
def test_sanitize_refuses(given, why):
    with pytest.raises(UploadError, match=why):
        sanitize_upload_name(given)


def test_check_upload_reasons():
    files = [
        Upload("ok.txt", 10),
        Upload("big.pdf", MAX_UPLOAD_BYTES + 1),
        Upload("empty.md", 0),
        Upload("corpus.txt", 10),
        Upload("CORPUS.TXT", 10),
        Upload("dir/ok.txt", 10),
        Upload("virus.exe", 10),
        Upload("limit.pdf", MAX_UPLOAD_BYTES),
    ]
    check = check_upload(files, protected={"corpus.txt"})
    assert check.accepted == (("ok.txt", "ok.txt"), ("limit.pdf", "limit.pdf"))
    why = dict(check.refused)
    assert why["big.pdf"] == "file too large (20.000001 MB > 20 MB)"  # never "20.0 MB > 20 MB" (issue 31)
    assert why["empty.md"] == "empty file"
    assert "bundled document" in why["corpus.txt"] and "bundled document" in why["CORPUS.TXT"]
    assert why["dir/ok.txt"] == "given twice (as ok.txt)"
    assert "unsupported format .exe" in why["virus.exe"]


def test_too_many_files_refuses_the_whole_upload():
    files = [Upload(f"f{i}.txt", 5) for i in range(MAX_UPLOAD_FILES + 1)]
    check = check_upload(files, protected=set())
    assert not check.accepted and len(check.refused) == len(files)
    assert "too many files" in check.refused[0][1]
    assert len(check_upload(files[:-1], protected=set()).accepted) == MAX_UPLOAD_FILES


def test_protected_names():
    indexed = ["a.txt", "up.txt", "b.md"]
    assert protected_names(indexed, uploaded=["up.txt"], bundled=["a.txt", "gone.txt"]) == {"a.txt", "b.md", "gone.txt"}


def test_upload_dir(tmp_path):
    corpus = tmp_path / "data" / "corpus"
    assert upload_dir(tmp_path / "index", corpus, env={}) == (tmp_path / "uploads").resolve()
    assert upload_dir(tmp_path / "index", corpus, env={"RAG_UPLOAD_DIR": str(tmp_path / "u")}) == tmp_path / "u"
    for inside in (corpus, corpus / "sub"):
        with pytest.raises(UploadError, match="inside the corpus"):
            upload_dir(tmp_path / "index", corpus, env={"RAG_UPLOAD_DIR": str(inside)})
    with pytest.raises(UploadError, match="inside the corpus"):
        upload_dir(corpus / "index", corpus, env={})  # default would land in the corpus


def test_save_list_delete(tmp_path):
    folder = tmp_path / "uploads"
    path = save_upload(folder, "a.txt", b"one")
    save_upload(folder, "a.txt", b"two")  # a new upload of the same name replaces the file
    assert path == folder / "a.txt" and path.read_bytes() == b"two"
    assert list_uploads(folder) == ["a.txt"]  # no partial files left behind
    with pytest.raises(UploadError):
        save_upload(folder, "../escape.txt", b"x")
    assert not (tmp_path / "escape.txt").exists()
    assert not delete_upload(folder, "../uploads/a.txt") and path.exists()
    assert not delete_upload(folder, "missing.txt")
    assert delete_upload(folder, "a.txt") and list_uploads(folder) == []
    assert list_uploads(tmp_path / "nowhere") == []


@pytest.fixture
def corpus_and_index(small_corpus, tmp_path):
    idx = rag.build([small_corpus], tmp_path / "idx", model=FakeEmbedder())
    return small_corpus, idx


def test_bundled_names(small_corpus):
    assert bundled_names(small_corpus) == ["en_farms.md", "ru_cp1251.txt", "ru_elections.txt"]


def test_add_uploads_indexes_incrementally(corpus_and_index, tmp_path):
    corpus, idx = corpus_and_index
    folder = tmp_path / "uploads"
    before = {d.source: d.sha256 for d in idx.documents()}
    stages = []
    protected = protected_names([d.source for d in idx.documents()], [], bundled_names(corpus))
    check, report = add_uploads(idx, folder, [
        ("../Новый отчёт.md", EN_MD.replace("1928", "1929").encode()),
        ("en_farms.md", b"would replace a bundled document"),
        ("blank.txt", b"   \n"),  # saved, then skipped by the index: its file goes again
    ], protected, progress=lambda stage, done, total: stages.append(stage))
    assert [a[1] for a in check.accepted] == ["Новый_отчёт.md", "blank.txt"]
    assert dict(check.refused)["en_farms.md"].startswith("a bundled document is named en_farms.md")
    assert report.indexed == ("Новый_отчёт.md",) and [s for s, _ in report.skipped] == ["blank.txt"]
    assert list_uploads(folder) == ["Новый_отчёт.md"]
    assert {"read", "embed"} <= set(stages)
    after = {d.source: d.sha256 for d in idx.documents()}
    assert set(after) == set(before) | {"Новый_отчёт.md"}
    assert all(after[s] == before[s] for s in before)  # bundled documents untouched
    assert (corpus / "en_farms.md").read_text(encoding="utf-8") == EN_MD
    assert "1929" in idx.search("five-year plan 1929", k=3, sources=["Новый_отчёт.md"])[0].text


def test_nothing_accepted_leaves_the_index_alone(corpus_and_index, tmp_path):
    _, idx = corpus_and_index
    check, report = add_uploads(idx, tmp_path / "uploads", [("x.exe", b"MZ")], set())
    assert report is None and not check.accepted and not (tmp_path / "uploads").exists()


def test_remove_document_deletes_uploads_only(corpus_and_index, tmp_path):
    corpus, idx = corpus_and_index
    folder = tmp_path / "uploads"
    add_uploads(idx, folder, [("mine.txt", "Мой документ о колхозах.".encode())], set())
    remove_document(idx, folder, "mine.txt")
    assert list_uploads(folder) == [] and "mine.txt" not in {d.source for d in idx.documents()}
    remove_document(idx, folder, "en_farms.md")
    assert (corpus / "en_farms.md").is_file()  # a bundled file leaves the index, never the disk
    assert "en_farms.md" not in {d.source for d in idx.documents()}
    with pytest.raises(rag.QueryError):
        remove_document(idx, folder, "never-indexed.txt")


def test_saved_upload_is_readable_as_its_source(tmp_path):
    path = save_upload(tmp_path, "notes.md", b"# Title\n\nBody text.")
    assert Path(path).name == "notes.md"
    doc = read_document(path)
    assert doc.source == "notes.md" and "Body text." in doc.text


@pytest.mark.parametrize("size, shown", [
    (MAX_UPLOAD_BYTES + 1, "20.000001 MB"),
    (21 * 2**20, "21.0 MB"),
    (int(20.04 * 2**20), "20.04 MB"),
    (200 * 2**20, "200.0 MB"),
])
def test_a_size_over_the_limit_never_reads_as_the_limit(size, shown):
    assert megabytes(size) == shown
    assert float(shown.split()[0]) > MAX_UPLOAD_BYTES / 2**20


def test_a_reupload_is_refused_unless_replace():
    files = [Upload("x.txt", 5), Upload("../X.TXT", 5), Upload("new.txt", 5)]
    check = check_upload(files[:1] + files[2:], protected=set(), existing={"x.txt"}, replace=False)
    assert check.accepted == (("new.txt", "new.txt"),) and check.replaced == ()
    assert dict(check.refused)["x.txt"].startswith("x.txt is already uploaded")
    check = check_upload(files[1:], protected=set(), existing={"x.txt"}, replace=True)
    assert check.accepted == (("../X.TXT", "x.txt"), ("new.txt", "new.txt"))  # the earlier one's spelling
    assert check.replaced == ("x.txt",)


@pytest.mark.parametrize("text, shown", [
    ("unreadable image (cannot identify image file '/srv/rag/uploads/x.png')", "unreadable image (cannot identify "
                                                                                "image file 'x.png')"),
    ("no such file or folder /home/me/uploads/race.txt", "no such file or folder race.txt"),
    ("C:\\rag\\uploads\\a.pdf: broken", "a.pdf: broken"),
    ("page 1/2 unreadable; see http://example.org/a/b", "page 1/2 unreadable; see http://example.org/a/b"),
])
def test_reasons_name_files_not_folders(text, shown):
    assert names_only(text) == shown


def test_add_uploads_reports_no_server_path(corpus_and_index, tmp_path):
    _, idx = corpus_and_index
    folder = tmp_path / "uploads"
    _, report = add_uploads(idx, folder, [("scan.png", b"not an image at all" * 50)], set())
    assert report.skipped and str(folder) not in repr(report) and report.skipped[0][1].endswith("'scan.png')")
