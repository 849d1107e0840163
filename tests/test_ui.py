"""The chat's pure helpers (ui/text.py, ui/labels.py, ui/folders.py) without Streamlit: how a
quote is clipped, placed in its passage, highlighted and cited. The pages they build are
tested end to end by the AppTests (AppTest.from_file on app.py)."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import rag
from rag.export import Turn
from ui.folders import Folders
from ui.labels import LABELS, label
from ui.langnames import NAMES, determined, names, with_code
from ui.langnames import name as lang_name
from ui.text import doc_line, passage_line, question_line, quote_lang
from ui.text import (citation, clip_words, fill_left, highlighted, listed, meta_line, quote_in_passage, rewritten, span_in_quote,
                     searched_in, stamps, turns, where)

ROOT = Path(__file__).resolve().parents[1]
PASSAGE = "The bridge opened in 1924. The chess tournament was won by a young player. It rained."
QUOTE = "The chess tournament was won by a young player."


def plain(markdown: str) -> str:
    """Markdown as read: its escapes dropped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def hit(text: str, source: str = "en.txt", page: int | None = None, score: float = 0.5) -> rag.Hit:
    return rag.Hit(text=text, source=source, start=10, end=10 + len(text), page=page, lang="en", score=score)


# ------------------------------------------------------------------ clip_words
def test_clip_words_keeps_short_text_whole():
    assert clip_words("two words", 9, True) == "two words"
    assert clip_words("two words", 9, False) == "two words"
    assert clip_words("", 5, False) == ""


def test_clip_words_cuts_between_words():
    text = "alpha beta gamma delta"
    # the window "alpha be" ends inside "beta": that word goes, the ellipsis says text follows
    assert clip_words(text, 8, False) == "alpha …"
    # the window "mma delta" starts inside "gamma": that word goes
    assert clip_words(text, 9, True) == "… delta"


@pytest.mark.parametrize("from_end", [True, False])
def test_clip_words_never_shows_a_broken_word_or_more_than_n(from_end):
    text = "Its oldest exhibit is a water clock brought from Bukhara in 1870."
    words = text.split()
    for n in range(1, len(text) + 2):
        out = clip_words(text, n, from_end)
        body = out.removeprefix("… ") if from_end else out.removesuffix(" …")
        if len(text) <= n:
            assert out == text
            continue
        assert len(body) <= n
        shown = body.split()
        if " " in (text[-n:] if from_end else text[:n]).strip():  # a window of more than one word:
            # whole words only, the text's last (or first) ones
            assert shown and shown == (words[-len(shown):] if from_end else words[:len(shown)])


def test_clip_words_cuts_inside_a_word_longer_than_the_window():
    assert clip_words("Donaudampfschifffahrt", 5, False) == "Donau …"
    assert clip_words("Donaudampfschifffahrt", 5, True) == "… fahrt"


def test_clip_words_on_whitespace_only_shows_the_ellipsis():
    assert clip_words(" " * 50, 10, False) == "…"
    assert clip_words(" " * 50, 10, True) == "…"


# ------------------------------------------------------------------ placing and highlighting quotes
def test_quote_is_placed_in_its_passage():
    before, after = quote_in_passage(hit(QUOTE), hit(PASSAGE))
    assert before == "The bridge opened in 1924. "
    assert after == " It rained."
    assert before + QUOTE + after == PASSAGE


def test_quote_not_in_its_passage_or_without_one_is_not_placed():
    assert quote_in_passage(hit("A sentence from elsewhere."), hit(PASSAGE)) == ("", "")
    assert quote_in_passage(hit(QUOTE), None) == ("", "")


def test_quote_at_the_passage_edges_and_twice():
    assert quote_in_passage(hit(PASSAGE), hit(PASSAGE)) == ("", "")  # the whole passage: nothing around it
    before, after = quote_in_passage(hit("It rained."), hit("It rained. It rained."))
    assert (before, after) == ("", " It rained.")  # the first place it stands


def test_highlighting_escapes_markup_and_html_in_document_text():
    out = highlighted("<script>alert(1)</script> **bold**", "The [link](#) `code`", "<b>after</b> _x_")
    assert "<script>" not in out and "<b>" not in out
    assert "\\<script\\>" in out and "\\*\\*bold\\*\\*" in out and "\\_x\\_" in out
    assert ":orange-background[The \\[link\\]\\(\\#\\) \\`code\\`]" in out


def test_highlighted_quote_stays_on_one_line():
    out = highlighted("Before.", "A quote\nacross\n\nlines.", "After.")
    assert "\n" not in out and plain(out) == "Before. :orange-background[A quote across lines.] After."


def test_a_quote_without_text_around_it_has_no_stray_spaces():
    assert plain(highlighted("", QUOTE, "")) == f":orange-background[{QUOTE}]"


# ------------------------------------------------------------------ where, citation, meta line
def test_where_says_file_page_and_span_in_the_chosen_language():
    assert where(hit(QUOTE), "en") == f"en.txt · chars 10–{10 + len(QUOTE)}"
    assert where(hit(QUOTE, source="doc.pdf", page=3), "ru") == f"doc.pdf · с. 3 · символы 10–{10 + len(QUOTE)}"


def test_citation_is_one_line_and_shows_disguised_names_escaped():
    c = citation(hit("The chess\n tournament  was won.", source="invoice\u202efdp.txt"), "en")
    assert c.startswith("«The chess tournament was won.» — invoice\\u202efdp.txt")
    assert "\u202e" not in c and "\n" not in c


def test_meta_line_badges_a_cross_lingual_quote_and_shows_scores_on_request():
    q = hit(QUOTE, source="my_file*.txt", score=0.734)
    alone = meta_line(q, "en", False, "en")
    assert "my\\_file\\*" in alone and ":gray-badge[English]" in alone
    assert "violet-badge" not in alone and "score" not in alone
    crossed = meta_line(q, "ru", True, "en")
    assert ":violet-badge[cross-lingual: ru → en]" in crossed and crossed.endswith("score 0.73")
    assert ":violet-badge[cross-lingual: de → en]" in meta_line(q, "de", False, "en")  # any two languages
    assert "violet-badge" not in meta_line(q, "und", False, "en")  # a question without letters: no language


# ------------------------------------------------------------------ the conversation
def test_searched_in_names_the_filters_escaped():
    assert searched_in(None, None, "en") == ""
    assert searched_in(["a_b.txt"], ["ru"], "en") == "Searched in: a\\_b\\.txt, Russian"
    assert searched_in(None, ["en"], "ru") == "Поиск в: английский"


def test_rewritten_ignores_whitespace_only():
    assert not rewritten("Where was he  from?", "Where was he from?\n")
    assert rewritten("Where was he from?", "Where was he from? won the chess tournament")


def test_turns_pair_each_question_with_its_reply():
    ans = rag.Answer(found=False)
    messages = [
        {"role": "user", "text": "q1"}, {"role": "assistant", "answer": ans},
        {"role": "user", "text": ""}, {"role": "assistant", "error": "empty question"},
        {"role": "user", "text": "q3"},  # asked, no reply yet
    ]
    assert turns(messages) == [Turn("q1", ans, ""), Turn("", None, "empty question"), Turn("q3", None, "")]
    assert turns([]) == []


def test_listed_shows_five_names_escaped_then_an_ellipsis():
    assert listed(["a*.txt", "b.txt"]) == "a\\*\\.txt, b\\.txt"
    assert plain(listed([f"{i}.txt" for i in range(7)])) == "0.txt, 1.txt, 2.txt, 3.txt, 4.txt, …"


def test_stamps_change_with_the_file_and_say_none_where_it_is_missing(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "doc.txt").write_text("one", encoding="utf-8")
    folders = (str(tmp_path / "a"), str(tmp_path / "b"))
    first = stamps("doc.txt", folders)
    assert first[0][0] == 3 and first[1] is None
    (tmp_path / "a" / "doc.txt").write_text("longer", encoding="utf-8")
    assert stamps("doc.txt", folders) != first


def test_fill_left_never_counts_below_zero():
    assert fill_left(2, 3, 5) == {"docs": 2, "left": 2, "total": 5}
    assert fill_left(5, 6, 5)["left"] == 0


# ------------------------------------------------------------------ labels and folders
def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_both_languages_have_every_label_with_the_same_fields():
    assert LABELS["en"].keys() == LABELS["ru"].keys()
    assert {k: _fields(v) for k, v in LABELS["en"].items()} == {k: _fields(v) for k, v in LABELS["ru"].items()}
    assert label("ru", "page", n=4) == "с. 4" and label("xx", "page", n=4) == "p. 4"


def test_folders_are_read_from_the_environment_given(tmp_path):
    default = Folders.from_env({}, tmp_path)
    assert (default.index, default.corpus) == (tmp_path / "index", tmp_path / "data" / "corpus")
    assert default.upload_env() == {}
    set_ = Folders.from_env({"RAG_INDEX_DIR": "/i", "RAG_CORPUS_DIR": "/c", "RAG_UPLOAD_DIR": "/u"}, tmp_path)
    assert (set_.index, set_.corpus, set_.upload_env()) == (Path("/i"), Path("/c"), {"RAG_UPLOAD_DIR": "/u"})


# ------------------------------------------------------------------ the parts stay small and pure
def _imports(path: Path) -> set[str]:
    out = set()
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.Import):
            out |= {a.name.split(".")[0] for a in n.names}
        elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
            out.add(n.module.split(".")[0])
    return out


def test_the_pure_helpers_import_no_streamlit():
    for name in ("__init__", "labels", "text", "folders"):
        assert "streamlit" not in _imports(ROOT / "ui" / f"{name}.py"), name


def test_the_chat_is_a_thin_entry_point_over_small_parts():
    assert len((ROOT / "app.py").read_text(encoding="utf-8").splitlines()) <= 80
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in (ROOT / "ui").glob("*.py")}
    assert sizes and max(sizes.values()) <= 200, sizes


# ----------------------------------------------------------- the answer pointed out (issue 27)
def test_highlighted_bolds_the_span_and_escapes_around_it():
    md = highlighted("before *x*", "So 292 <b>votes</b> against", "after", span=(3, 6))
    assert ":orange-background[So **292** " in md
    assert "<b>" not in md and "\\<b\\>" in md  # document text stays literal
    assert highlighted("", "abc", "", None) == ":orange-background[abc]"


def test_span_in_quote_finds_the_occurrence_its_offsets_point_to():
    q = rag.Hit(text="3 votes, then 292 votes; 292 in all", source="a.txt", start=100, end=135, page=None,
                lang="en", score=1.0)
    later = rag.Span("292", "a.txt", 125, 128, "number")
    assert span_in_quote(q, later) == (25, 28)
    assert span_in_quote(q, rag.Span("292", "a.txt", 114, 117, "number")) == (14, 17)
    assert span_in_quote(q, rag.Span("292", "b.txt", 114, 117, "number")) is None  # another file
    assert span_in_quote(q, rag.Span("292", "a.txt", 400, 403, "number")) is None  # another quote
    assert span_in_quote(q, None) is None


# ----------------------------------------------------------- every language by name (issue 30)
ASKED_FOR = "ru en uk be kk bg sr mk de fr es it pt nl pl cs sk ro hu fi sv da no tr vi id el zh ja ko ar fa he hi bn th ka hy"


def test_language_names_cover_the_codes_asked_for_and_every_detected_one():
    from lingua import Language

    import rag.lang

    detected = {x.iso_code_639_1.name.lower() for x in Language.all()} | set(rag.lang.DEFAULT.values())
    for code in set(ASKED_FOR.split()) | detected:
        en, ru = lang_name(code, "en"), lang_name(code, "ru")
        assert code in NAMES and en != code.upper() and ru != code.upper(), code
        assert en[0].isupper() and ru == ru.lower(), code  # Russian writes language names lower-case
        assert all("а" <= c <= "я" or c in "ё " for c in ru), code  # Cyrillic words, no markup
    assert (lang_name("uk", "en"), lang_name("uk", "ru")) == ("Ukrainian", "украинский")
    assert (lang_name("kk", "en"), lang_name("kk", "ru")) == ("Kazakh", "казахский")


def test_unknown_codes_are_shown_as_themselves_and_und_as_undetermined():
    assert lang_name("xx", "en") == lang_name("xx", "ru") == "XX"
    assert lang_name("und", "en") == "undetermined" and lang_name("und", "ru") == "язык не определён"
    assert lang_name("", "en") == "undetermined"  # an answer that carries no language
    assert lang_name("UK", "en") == "Ukrainian" and lang_name("de", "fr") == "German"  # an unknown interface: English
    assert not determined("und") and not determined("") and determined("kk")
    with pytest.raises(TypeError, match="language code must be a string"):
        lang_name(None, "en")


def test_the_language_filter_lists_name_and_code():
    assert with_code("uk", "en") == "Ukrainian (uk)"
    assert with_code("uk", "ru") == "украинский (uk)"
    assert with_code("xx", "en") == "XX (xx)"
    assert names(["ru", "en"], "ru") == "русский, английский" and names([], "en") == ""


def test_a_quote_is_named_by_the_language_rag_gives_it():
    uk = rag.Hit(text="Міст відкрили.", source="uk.txt", start=0, end=14, page=None, lang="uk", score=0.0)
    assert quote_lang(uk) == "uk"  # two words: alone they would read as Russian, rag knows better
    untagged = rag.Hit(text="Кто открыл мост?", source="a.txt", start=0, end=16, page=None, lang="und", score=0.0)
    assert quote_lang(untagged) == "ru"
    assert quote_lang(rag.Hit(text="1924", source="a.txt", start=0, end=4, page=None, lang="", score=0.0)) == "und"


def test_the_quote_line_names_its_language_in_the_interface_language():
    q = rag.Hit(text="Мост відкрили у 1924 році.", source="uk.txt", start=0, end=26, page=3, lang="uk", score=0.5)
    line = plain(meta_line(q, "kk", False, "ru"))
    assert line.startswith("uk.txt · с. 3 · символы 0–26 · :gray-badge[украинский]")
    assert ":violet-badge[межъязыковой: kk → uk]" in line
    assert "violet-badge" not in meta_line(q, "uk", False, "en")


def test_a_nearest_passage_line_names_its_language():
    h = hit(PASSAGE, source="a_b.txt", page=2, score=0.25)
    assert passage_line(h, False, "en") == f"a\\_b\\.txt · p\\. 2 · chars 10–{10 + len(PASSAGE)} · English"
    assert plain(passage_line(h, True, "ru")).endswith("· английский · оценка 0.25")


def test_the_question_language_is_said_only_when_not_the_interface_language():
    assert question_line("kk", "en") == "Question in Kazakh"
    assert question_line("kk", "ru") == "Язык вопроса: казахский"
    assert question_line("ru", "en") == "Question in Russian"
    assert question_line("en", "en") == "" and question_line("ru", "ru") == ""
    assert question_line("und", "en") == "" and question_line("", "ru") == ""
    assert question_line("qq", "en") == "Question in QQ"


def test_the_document_list_names_languages():
    d = rag.DocumentInfo("dir/a_b.txt", 12, ("ru", "uk"), "0" * 64)
    assert plain(doc_line(d, "en")) == "dir/a_b.txt — chunks: 12 · Russian, Ukrainian"
    assert plain(doc_line(d, "ru")) == "dir/a_b.txt — фрагментов: 12 · русский, украинский"
    assert "\\_" in doc_line(d, "en")  # the file name stays escaped


def test_the_chat_invites_questions_in_any_language():
    assert label("en", "placeholder") == "Ask in any language"
    assert label("ru", "placeholder") == "Спросите на любом языке"
    for words in LABELS.values():
        assert not any("Russian or English" in v or "по-русски или" in v for v in words.values())
    assert "streamlit" not in _imports(ROOT / "ui" / "langnames.py")
