"""eval/xquad_langs.py (`python -m eval.xquad --langs`) and the Ukrainian/Kazakh question set
in eval/langs/: the table, the index cache's key, the judging of answers, the questions' quotes."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eval import xquad_langs as xl
from rag.types import Answer, Hit

ROOT = Path(__file__).parent.parent
LANGS_DIR = ROOT / "eval" / "langs"
CORPUS = ROOT / "data" / "corpus"
FIELDS = {"id", "lang", "question", "source", "evidence", "answer", "kind", "paraphrase"}


# ------------------------------------------------------------------ the table
def _figs(r1, quote, n=10):
    return {"n": n, "r@1": r1, "r@5": 1.0, "mrr@10": r1, "quote": quote, "answered": 0.9, "ask_p50_ms": 21.5}


def fake_result() -> dict:
    lang = lambda il, ql, **dirs: {"index_lang": il, "index_lang_share": 1.0, "query_lang": ql,
                                   "query_lang_share": 0.9, "query_langs": {ql: 9, "en": 1}, **dirs}
    return {"articles": "24-31", "index_settings": {"chunk_size": 1500}, "settings": {}, "seconds": 12.0,
            "langs": {"en": lang("en", "en", mono=_figs(0.97, 0.8), mixed=_figs(0.96, 0.79)),
                      "zh": lang("zh", "zh", mono=_figs(0.81, 0.82), en=_figs(0.9, 0.7), mixed=_figs(0.826, 0.6)),
                      "ru": lang("ru", "ru", mono=_figs(0.96, 0.7), en=_figs(0.9, 0.7), mixed=_figs(0.5, 0.6))}}


def test_table_has_a_row_per_language_and_direction_and_marks_missed_targets():
    t = xl.table(fake_result())
    rows = [line for line in t.splitlines() if line.startswith("| ") and not line.startswith("| lang")]
    assert [r.split(" | ")[:2] for r in rows] == [["| en", "mono"], ["| en", "→mixed"], ["| zh", "mono"],
                                                   ["| zh", "→en"], ["| zh", "→mixed"], ["| ru", "mono"],
                                                   ["| ru", "→en"], ["| ru", "→mixed"]]
    zh_mono = rows[2]
    assert "**0.810**" in zh_mono and "zh (1.00)" in zh_mono and "21.5" in zh_mono  # r@1 under 0.95
    assert "**0.826**" in rows[4]  # zh->mixed under 0.93
    assert "**0.500**" not in rows[7]  # ru->mixed has no target
    assert "**0.700**" in rows[5] and "**" not in rows[6]  # the quote target is the monolingual one
    assert "missed (bold): zh mono r@1 0.810; zh →mixed r@1 0.826; ru mono quote 0.700." in t


def test_render_and_write(tmp_path):
    j, m = xl.write(fake_result(), tmp_path / "out")
    assert json.loads(j.read_text(encoding="utf-8"))["langs"]["zh"]["mono"]["r@1"] == 0.81
    text = m.read_text(encoding="utf-8")
    assert text.startswith("# XQuAD in every language") and xl.table(fake_result()) in text


# ------------------------------------------------------------------ the cache key
def test_cache_key_changes_with_a_listed_module_and_the_settings(tmp_path):
    for m in xl.INDEX_MODULES:
        if (ROOT / m).is_file():
            (tmp_path / m).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / m, tmp_path / m)
    (tmp_path / "rag" / "answer.py").write_text("# query time only\n")
    settings = xl.index_settings()
    before = xl.cache_key(settings, xl.code_hash(tmp_path))
    assert before == xl.cache_key(settings, xl.code_hash(ROOT))  # the same text, the same key

    (tmp_path / "rag" / "answer.py").write_text("# changed, but it decides nothing an index holds\n")
    assert xl.cache_key(settings, xl.code_hash(tmp_path)) == before
    for m in ("rag/lang.py", "rag/retrieve/lexical.py"):
        f = tmp_path / m
        f.write_text(f.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
        after = xl.cache_key(settings, xl.code_hash(tmp_path))
        assert after != before, m
        before = after
    assert xl.cache_key({**settings, "chunk_size": settings["chunk_size"] + 1}, xl.code_hash(tmp_path)) != before


def test_parse_langs():
    assert xl.parse_langs("all") == xl.LANGS
    assert xl.parse_langs("de, zh,de") == ("de", "zh")
    with pytest.raises(ValueError, match="unknown XQuAD language.*kk"):
        xl.parse_langs("de,kk")
    with pytest.raises(ValueError, match="no language"):
        xl.parse_langs(" , ")


# ------------------------------------------------------------------ judging the answers
def tiny_xquad(folder: Path) -> Path:
    """25 articles of parallel paragraphs in de, en and ru; article 24 (held out) has two
    (paragraphs 24 and 25), the rest one each. Answers are "<lang>-answer-<paragraph>"."""
    folder.mkdir()
    for lang in ("de", "en", "ru"):
        arts = [{"paragraphs": [{"context": f"{lang} text {i}", "qas": [
            {"id": f"q{i}", "question": f"{lang} question {i}", "answers": [{"text": f"{lang}-answer-{i}"}]}]}
            for i in ([a] if a < 24 else [24, 25])]} for a in range(25)]
        (folder / f"xquad.{lang}.dev.json").write_text(json.dumps({"data": arts}), encoding="utf-8")
    return folder


class Stub:
    """An index answering from a table: question -> (passage sources, first quote's source and text)."""

    def __init__(self, table):
        self.table, self.asked = table, []

    def reconfigure(self, **kw):
        pass

    def ask(self, question, k=5):
        self.asked.append(question)
        sources, quote = self.table.get(question, ([], None))
        hit = lambda s, text="": Hit(text, s, 0, 1, None, "xx", 1.0)
        return Answer(found=quote is not None, quotes=[hit(*quote)] if quote else [],
                      hits=[hit(s) for s in sources], query_lang="de")


def test_ask_rows_judges_ranks_and_quotes_per_direction(tmp_path):
    data = tiny_xquad(tmp_path / "xq")
    mono = Stub({"de question 24": (["p024.txt"], ("p024.txt", "… de-answer-24 …")),
                 "de question 25": (["p003.txt", "p025.txt"], ("p003.txt", "en-answer-25"))})
    rows = xl.ask_rows(mono, data, "de", "mono")
    assert [r["id"] for r in rows] == ["q24", "q25"]  # held-out articles only
    assert [(r["hit@1"], r["hit@5"], r["rr@10"], r["quote"]) for r in rows] == [(True, True, 1.0, True),
                                                                               (False, True, 0.5, False)]
    f = xl.figures(rows)
    assert (f["n"], f["r@1"], f["mrr@10"], f["quote"], f["answered"]) == (2, 0.5, 0.75, 0.5, 1.0)

    # mixed: either language's paragraph counts; the quote is judged in its paragraph's language
    mixed = Stub({"de question 24": (["ru/p024.txt"], ("ru/p024.txt", "ru-answer-24")),
                  "de question 25": (["en/p024.txt", "en/p025.txt"], ("en/p025.txt", "ru-answer-25"))})
    rows = xl.ask_rows(mixed, data, "de", "mixed")
    assert [(r["hit@1"], r["rr@10"], r["quote"]) for r in rows] == [(True, 1.0, True), (False, 0.5, False)]

    # ->en: the English answer in the English paragraph; nothing found, no quote
    to_en = Stub({"de question 24": (["p024.txt"], ("p024.txt", "en-answer-24"))})
    rows = xl.ask_rows(to_en, data, "de", "en")
    assert [(r["hit@1"], r["quote"], r["answered"], r["query_lang"]) for r in rows] == [
        (True, True, True, "de"), (False, False, False, "de")]


# ------------------------------------------------------------------ eval/langs: the Ukrainian/Kazakh check
def lang_items() -> list[dict]:
    out = []
    for f in sorted((LANGS_DIR / "questions").glob("*.jsonl")):
        out += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def test_langs_questions_are_well_formed():
    its = lang_items()
    assert all(set(i) == FIELDS for i in its)
    assert len({i["id"] for i in its}) == len(its)
    for lang in ("uk", "kk"):
        mine = [i for i in its if i["lang"] == lang]
        assert sum(i["kind"] == "unanswerable" for i in mine) >= 2, lang
        assert sum(bool(i["source"]) and i["source"].startswith("0") for i in mine) >= 8, lang  # the bundled corpus
        assert sum(bool(i["source"]) and not i["source"].startswith("0") for i in mine) >= 10, lang  # eval/langs/docs
    assert {i["lang"] for i in its} == {"uk", "kk"}


def test_every_evidence_quote_occurs_exactly_once_in_its_document():
    for i in lang_items():
        if i["source"] is None:
            assert i["evidence"] is None and i["kind"] == "unanswerable", i["id"]
            continue
        doc = next(d / i["source"] for d in (LANGS_DIR / "docs", CORPUS) if (d / i["source"]).is_file())
        assert doc.read_text(encoding="utf-8").count(i["evidence"]) == 1, i["id"]


def test_eval_run_reads_questions_over_two_folders():
    from eval.run import corpus_roots, load_questions

    items = load_questions(LANGS_DIR / "questions", [CORPUS, LANGS_DIR / "docs"])
    assert len(items) == len(lang_items())
    assert {i.source for i in items if i.answerable and i.source.startswith("0")} == {"003_98b11808eddf6934.txt"}
    assert all(i.span[1] - i.span[0] == len(i.evidence) for i in items if i.answerable)
    assert corpus_roots("a") == [Path("a")] and corpus_roots(["a", Path("b")]) == [Path("a"), Path("b")]
    with pytest.raises(FileNotFoundError):  # a source in neither folder
        load_questions(LANGS_DIR / "questions", [CORPUS])
