"""Stage 1: reading files of every supported format and encoding into decoded text."""
from __future__ import annotations

import os

import pytest
from helpers.docs import corrupt_docx, make_pdf, make_pdf_lines

from rag.ingest import Document, IngestError, detect_encoding, discover, read_document

RU = ("Избирательная кампания 1924 года проходила в сложных условиях. Инструкторы ВЦИК "
      "сообщали о нарушениях.\nЯвка избирателей была низкой, т. е. меньше половины.\r\n"
      "Съешь же ещё этих мягких французских булок, да выпей чаю!\n")
EN = "The first five-year plan began in 1928.\r\nPeasants joined collective farms.\n"


PDF_PAGES = ["Hello election 1924", "Second page votes 1925"]


# ------------------------------------------------------------ text formats and encodings
@pytest.mark.parametrize("encoding, expected_label", [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("utf-16", "utf-16"),
    ("cp1251", "cp1251"),
    ("koi8-r", "koi8_r"),
])
@pytest.mark.parametrize("ext", [".txt", ".md"])
def test_text_file_decodes_like_read_text(tmp_path, encoding, expected_label, ext):
    f = tmp_path / f"doc{ext}"
    f.write_bytes(RU.encode(encoding))
    doc = read_document(f)
    assert doc.text == f.read_text(encoding=encoding)
    assert doc.text == RU.replace("\r\n", "\n")  # universal newlines, BOM stripped
    assert doc.encoding == expected_label
    assert doc.source == f.name and doc.page_starts is None
    assert doc.page_at(0) is None


def test_bom_decides_encoding():
    assert detect_encoding(b"\xef\xbb\xbfabc") == "utf-8-sig"
    assert detect_encoding("abc".encode("utf-16")) == "utf-16"
    assert detect_encoding(b"\xff\xfe" + "Выборы".encode("utf-16-le")) == "utf-16"
    assert detect_encoding(b"\xfe\xff" + "Выборы".encode("utf-16-be")) == "utf-16"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(tmp_path, encoding):
    f = tmp_path / "u16.txt"
    f.write_bytes(RU.encode(encoding))
    assert read_document(f).text == f.read_text(encoding=encoding)


def test_english_utf8(tmp_path):
    f = tmp_path / "en.txt"
    f.write_bytes(EN.encode("utf-8"))
    doc = read_document(f)
    assert doc.text == f.read_text(encoding="utf-8") == EN.replace("\r\n", "\n")


def test_sha256_is_of_the_bytes(tmp_path):
    import hashlib

    f = tmp_path / "a.txt"
    f.write_bytes(RU.encode("cp1251"))
    assert read_document(f).sha256 == hashlib.sha256(f.read_bytes()).hexdigest()


def test_source_name_given_is_kept(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text(EN, encoding="utf-8")
    assert read_document(f, "sub/a.txt").source == "sub/a.txt"


# ------------------------------------------------------------ html / docx / pdf
def test_html_text_without_scripts_and_navigation(tmp_path):
    f = tmp_path / "page.html"
    f.write_text(
        "<html><head><title>Title</title><style>p {color: red}</style></head><body>"
        "<nav>Menu Home</nav><h1>Выборы</h1><p>Выборы прошли в 1924&nbsp;г.</p>"
        "<p>Second &amp; last</p><script>var x = 1;</script><footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    doc = read_document(f)
    # a heading written as Markdown's, so that the cleaner ends its paragraph (rag/clean.py heading)
    assert doc.text == "# Выборы\n\nВыборы прошли в 1924\u00a0г.\n\nSecond & last"
    assert doc.encoding == "utf-8"


def test_html_in_cp1251(tmp_path):
    f = tmp_path / "page.htm"
    f.write_bytes("<p>Кузнецкий округ был создан в 1925 году. Коллективизация шла медленно.</p>".encode("cp1251"))
    assert read_document(f).text == "Кузнецкий округ был создан в 1925 году. Коллективизация шла медленно."


def test_docx_paragraphs_and_table(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Первый абзац о выборах 1924 года.")
    d.add_paragraph("   ")
    d.add_paragraph("Second paragraph in English.")
    t = d.add_table(rows=2, cols=2)
    for r, (a, b) in enumerate([("Регион", "Голоса"), ("Омск", "100")]):
        t.cell(r, 0).text, t.cell(r, 1).text = a, b
    f = tmp_path / "report.docx"
    d.save(f)
    doc = read_document(f)
    assert doc.text == ("Первый абзац о выборах 1924 года.\n\nSecond paragraph in English."
                        "\n\nРегион | Голоса\nОмск | 100")
    assert doc.encoding == "docx" and doc.page_starts is None


def test_a_pdf_s_vertical_gaps_become_blank_lines_and_end_its_headings(tmp_path):
    from rag.chunk import sentences
    from rag.clean import clean

    f = tmp_path / "report.pdf"
    f.write_bytes(make_pdf_lines([(18, 720, "ELECTIONS OF 1924"), (14, 680, "1. Introduction"),
                                  (11, 650, "The turnout in the village elections was low"),
                                  (11, 636, "and the results were annulled."), (11, 600, "A new campaign followed.")]))
    doc = read_document(f)
    assert doc.text == ("ELECTIONS OF 1924\n\n1. Introduction\n\nThe turnout in the village elections was low\n"
                        "and the results were annulled.\n\nA new campaign followed.")
    got = [b.text[s.start : s.end] for b in clean(doc.text) for s in sentences(b.text)]
    assert got == ["ELECTIONS OF 1924", "1. Introduction",
                   "The turnout in the village elections was low and the results were annulled.", "A new campaign followed."]


def test_a_pdf_paper_s_numbered_sections_are_sentences_of_their_own(tmp_path):
    from rag.chunk import sentences
    from rag.clean import clean

    f = tmp_path / "paper.pdf"
    f.write_bytes(make_pdf_lines([(14, 700, "1. Introduction"), (11, 670, "Dense retrieval is popular."),
                                  (14, 630, "2. Related work"), (11, 600, "Sparse retrieval came first."),
                                  (14, 560, "3. Method"), (11, 530, "We read questions and sentences together.")]))
    got = [b.text[s.start : s.end] for b in clean(read_document(f).text) for s in sentences(b.text)]
    assert got == ["1. Introduction", "Dense retrieval is popular.", "2. Related work", "Sparse retrieval came first.",
                   "3. Method", "We read questions and sentences together."]


def test_a_pdf_s_running_head_stays_out_of_its_sentences(tmp_path):
    from rag.clean import clean

    def page(n: int) -> str:
        lines = [(10, 760, "Journal of Village Elections"), (11, 700, f"The turnout of district {n} was"),
                 (11, 686, "low that year."), (10, 60, str(n))]
        return " ".join(f"BT /F1 {size} Tf 72 {y} Td ({text}) Tj ET" for size, y, text in lines)

    f = tmp_path / "journal.pdf"
    f.write_bytes(make_pdf([page(n) for n in range(1, 6)], raw=True))
    text = "\n".join(b.text for b in clean(read_document(f).text))
    assert text.count("Journal of Village Elections") == 1  # the first page's, as a title
    # each page's sentence whole, and its last line, alike on every page, kept: it ends a sentence
    assert all(f"The turnout of district {n} was low that year." in text for n in range(1, 6))


class _Page:
    def __init__(self, plain, layout):
        self.texts = {"plain": plain, "layout": layout}

    def extract_text(self, extraction_mode="plain"):
        if isinstance(self.texts[extraction_mode], Exception):
            raise self.texts[extraction_mode]
        return self.texts[extraction_mode]


def test_a_pdf_page_keeps_its_plain_text_where_the_layout_reads_otherwise():
    from rag.ingest import _with_gaps

    assert _with_gaps(_Page("Title\nBody one.", "  Title\n\n   Body   one.\n")) == "Title\n\nBody one."
    # two columns laid side by side, a layout mode that fails: the plain text as it was
    plain = "Left column line\nRight column line"
    assert _with_gaps(_Page(plain, "Left column line    Right column line\n\n")) == plain
    assert _with_gaps(_Page(plain, ValueError("bad font"))) == plain


def test_a_docx_or_html_heading_or_list_item_is_a_sentence_of_its_own(tmp_path):
    import docx

    from rag.chunk import sentences
    from rag.clean import clean

    d = docx.Document()
    d.add_heading("Report on the elections", level=0)
    d.add_heading("Turnout in the villages", level=2)
    d.add_paragraph("It was 40 % in 1924.")
    d.add_paragraph("Violations found:")
    d.add_paragraph("pressure on voters", style="List Bullet")
    d.add_paragraph("falsified protocols", style="List Number")
    d.save(tmp_path / "report.docx")
    (tmp_path / "page.html").write_text("<h3>Turnout in the villages</h3><p>It was 40 % in 1924.</p><p>Violations "
                                        "found:</p><ul><li>pressure on voters</li><li>falsified protocols</li></ul>",
                                        encoding="utf-8")
    items = ["It was 40 % in 1924.", "Violations found:", "• pressure on voters", "• falsified protocols"]
    for name, want in (("report.docx", ["# Report on the elections", "## Turnout in the villages"]),
                       ("page.html", ["### Turnout in the villages"])):
        doc = read_document(tmp_path / name)
        got = [b.text[s.start : s.end] for b in clean(doc.text) for s in sentences(b.text)]
        assert got == [*want, *items]


def test_pdf_text_and_pages(tmp_path):
    f = tmp_path / "two.pdf"
    f.write_bytes(make_pdf(PDF_PAGES))
    doc = read_document(f)
    assert doc.encoding == "pdf"
    pages = doc.text.split("\f")
    assert [p.strip() for p in pages] == PDF_PAGES
    assert doc.page_starts == (doc.text.index("\f") + 1,)
    # whatever the numbering, the two pages are told apart at the form feed
    ff = doc.text.index("\f")
    assert doc.page_at(ff + 1) == doc.page_at(len(doc.text) - 1) == doc.page_at(0) + 1


def test_pdf_page_numbers_are_one_based(tmp_path):
    f = tmp_path / "two.pdf"
    f.write_bytes(make_pdf(PDF_PAGES))
    doc = read_document(f)
    assert doc.page_at(0) == 1
    assert doc.page_at(doc.text.index("1924")) == 1
    assert doc.page_at(doc.text.index("Second")) == 2
    assert doc.page_at(len(doc.text) - 1) == 2


def test_page_at_boundaries():
    d = Document("x", "x", "ab\fcd\fef", "0", "pdf", (3, 6))
    assert [d.page_at(i) for i in range(8)] == [1, 1, 1, 2, 2, 2, 3, 3]


# ------------------------------------------------------------ bad inputs
BAD = {
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"  \n\t\r\n  ", "empty"),
    "blank16.txt": (" \n ".encode("utf-16"), "no text"),
    "binary.txt": (bytes(range(256)) * 16, "binary"),
    "truncated.pdf": (None, "PDF"),
    "nolayer.pdf": (None, "no text layer"),
    "corrupt.docx": (corrupt_docx(), "corrupt .docx"),
    "notazip.docx": (b"PK\x03\x04 this is not really a zip file", "corrupt .docx"),
    "table.xlsx": (b"whatever", "unsupported format .xlsx"),
    "README": (b"plain words", "unsupported format"),
    "empty.pdf": (b"", "empty"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_raises_ingest_error_naming_the_file(tmp_path, name):
    data, words = BAD[name]
    if name == "truncated.pdf":
        full = make_pdf(PDF_PAGES)
        data = full[: len(full) // 2]
    elif name == "nolayer.pdf":
        data = make_pdf([""])
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(IngestError) as e:
        read_document(f)
    msg = str(e.value)
    assert msg.startswith(f"{name}: "), msg
    assert words in msg, msg


def test_missing_file_and_folder_raise(tmp_path):
    with pytest.raises(IngestError, match=r"^gone\.txt: not a regular file"):
        read_document(tmp_path / "gone.txt")
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(IngestError, match=r"^dir\.txt: "):
        read_document(tmp_path / "dir.txt")


def test_binary_without_nul_bytes_is_rejected(tmp_path):
    import random

    r = random.Random(7)
    f = tmp_path / "noise.txt"
    f.write_bytes(bytes(r.randrange(1, 32) for _ in range(4000)))  # control bytes only
    with pytest.raises(IngestError, match=r"^noise\.txt: "):
        read_document(f)


# ------------------------------------------------------------ discover
def test_discover_names_relative_to_folder_and_skips(tmp_path):
    root = tmp_path / "docs"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "a.txt").write_text("a", encoding="utf-8")
    (root / "sub" / "b.md").write_text("b", encoding="utf-8")
    (root / "sub" / "deeper" / "c.PDF").write_bytes(b"%PDF")
    (root / ".secret.txt").write_text("s", encoding="utf-8")
    (root / ".hidden" / "h.txt").write_text("h", encoding="utf-8")
    (root / "notes.xyz").write_text("x", encoding="utf-8")
    found, skipped = discover([root])
    assert [s for _, s in found] == ["a.txt", "sub/b.md", "sub/deeper/c.PDF"]
    assert all(p.is_file() and p.name == s.rsplit("/", 1)[-1] for p, s in found)
    assert ("notes.xyz", "unsupported format .xyz") in skipped
    assert not any("secret" in s or "h.txt" in s for s, _ in skipped)


def test_discover_single_file_is_named_by_its_name(tmp_path):
    (tmp_path / "x").mkdir()
    f = tmp_path / "x" / "one.txt"
    f.write_text("one", encoding="utf-8")
    found, skipped = discover([f, tmp_path / "missing"])
    assert found == [(f, "one.txt")]
    assert skipped == [(str(tmp_path / "missing"), "no such file or folder")]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_discover_skips_links_outside_and_loops(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret", encoding="utf-8")
    (root / "inside.txt").write_text("inside", encoding="utf-8")
    os.symlink(outside / "secret.txt", root / "leak.txt")
    os.symlink(root / "loop2.txt", root / "loop1.txt")
    os.symlink(root / "loop1.txt", root / "loop2.txt")
    os.symlink(root / "inside.txt", root / "alias.txt")  # inside the folder: allowed
    os.symlink(outside, root / "linkdir")  # a linked folder is not descended
    found, skipped = discover([root])
    names = [s for _, s in found]
    assert names == ["alias.txt", "inside.txt"]
    reasons = dict(skipped)
    assert reasons["leak.txt"] == "link points outside the indexed folder"
    assert reasons["loop1.txt"] == "broken link or link loop"
    assert reasons["loop2.txt"] == "broken link or link loop"
    assert not any("secret" in s for s in names)


def test_html_comments_are_never_indexed_even_unclosed():
    from rag.ingest import html_to_text

    assert html_to_text("<p>visible</p><!-- a note --><p>also</p>") == "visible\n\nalso"
    assert html_to_text("<p>visible</p><!-- never closed <p>hidden</p>") == "visible"


def test_html_with_a_megabyte_of_broken_tags_is_read():
    """Issue 15: repeated unclosed `<a ` made the standard-library parser quadratic
    (64 KB: 66 s; 1 MB: hours). It is libxml2 now."""
    from rag.ingest import html_to_text

    assert html_to_text("<p>Выборы 1924 года.</p>" + "<a " * 350_000) == "Выборы 1924 года."
