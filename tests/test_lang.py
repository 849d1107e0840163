"""Language identification (rag/lang.py) and the analyzer per language (rag/analyze.py)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers.fakes import FakeEmbedder

import rag
from rag.analyze import analyze, tagged
from rag.lang import char_script, detect, parts, script, script_of
from rag.retrieve.base import Query
from rag.retrieve.lexical import LexicalRetriever, tokenize

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = {  # one question per language, as a user would type it
    "ru": "Сколько голосов против Сталина было подано на съезде?",
    "en": "How many votes were cast against Stalin at the congress?",
    "uk": "Хто заснував місто Київ у давнину?",
    "kk": "Қазақстан Республикасының астанасы қай қала?",
    "be": "Колькі жыхароў жыве ў горадзе Мінску?",
    "bg": "Кой е написал романа под игото?",
    "de": "Wer hat die Glühbirne erfunden und wann?",
    "es": "¿Quién inventó la bombilla eléctrica y cuándo?",
    "fr": "Qui a inventé l'ampoule électrique et quand?",
    "tr": "Ampulü kim icat etti ve ne zaman?",
    "vi": "Ai đã phát minh ra bóng đèn điện?",
    "zh": "谁发明了电灯泡？",
    "ja": "電球を発明したのは誰ですか？",
    "ko": "전구를 발명한 사람은 누구입니까?",
    "ar": "من اخترع المصباح الكهربائي ومتى؟",
    "fa": "چه کسی لامپ برق را اختراع کرد؟",
    "hi": "बिजली का बल्ब किसने और कब बनाया?",
    "th": "ใครเป็นผู้ประดิษฐ์หลอดไฟ",
    "el": "Ποιος εφηύρε τη λάμπα;",
    "he": "מי המציא את הנורה החשמלית?",
}


@pytest.mark.parametrize("lang", sorted(QUESTIONS))
def test_each_language_is_named_by_its_code(lang):
    assert detect(QUESTIONS[lang]) == lang


def test_one_or_two_words_take_the_script_default_and_no_letters_is_und():
    assert detect("выборы") == "ru" and detect("Київ") == "ru"  # too short to tell from Russian
    assert detect("Glühbirne") == "en" and detect("Berliner Mauer") == "en"
    assert detect("电灯泡") == "zh" and detect("หลอดไฟ") == "th"  # a script of one language decides alone
    assert detect("1924 — 1925, № 3") == "und" and detect("") == "und"
    assert detect("15 СЗ СССР. 1925. № 1. Ст. 3.") == "ru"  # a footnote: numbers are not words


def test_the_bundled_corpus_keeps_its_languages():
    """Every chunk of the shipped index and every question of the eval set is what the
    script rule said before (ru/en): identification changes nothing for them."""
    chunks = [json.loads(line) for f in sorted((ROOT / "data" / "corpus-index").glob("chunks.*.jsonl"))
              for line in f.read_text(encoding="utf-8").splitlines()]
    assert chunks and [detect(c["text"]) for c in chunks] == [c["lang"] for c in chunks]
    qs = [json.loads(line) for f in sorted((ROOT / "eval" / "questions").glob("*.jsonl"))
          for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert qs and [detect(q["question"]) for q in qs] == [q["lang"] for q in qs]


def test_scripts_of_text_characters_and_codes():
    assert script("Привет, world") == "cyrillic" and script("日本語のテキスト") == "kana" and script("12") is None
    assert (char_script("ж"), char_script("ß"), char_script("中"), char_script("7")) == ("cyrillic", "latin", "han", None)
    assert (script_of("uk"), script_of("vi"), script_of("ur"), script_of("th"), script_of("xx")) == (
        "cyrillic", "latin", "arabic", "thai", None)


def test_a_sentence_keeps_its_passage_language_unless_its_script_changes():
    text = "Це довге речення українською мовою про велике старовинне місто на річці. The election took place in March of that year. 1924."
    a = text.index("The")
    spans = [(0, a - 1), (a, text.index(" 1924")), (text.index("1924"), len(text))]
    assert parts(text, "uk", spans) == ["uk", "en", "und"]


def test_russian_and_english_are_analysed_as_before_untagged():
    assert tokenize("Выборы 1924 года и the elections") == ["выбор", "1924", "год", "elect"]
    assert all(tagged(t) is None for t in analyze("Выборы 1924 года и the elections", "ru"))


def test_other_languages_are_tagged_stemmed_and_their_stopwords_dropped():
    de = analyze("Die Häuser der Stadt wurden 1924 gebaut", "de")
    assert "de:haus" in de and "1924" in de and not any(t.endswith(":die") or t == "die" for t in de)
    assert analyze("Хто заснував місто Київ", "uk") == ["uk:хто", "uk:заснував", "uk:місто", "uk:київ"]  # no stemmer
    # a word in another script than the text's language: its script's default analysis
    assert analyze("Der Vertrag wurde in Москва unterzeichnet", "de")[-2:] == ["москв", "de:unterzeichn"]


def test_chinese_is_bigrams_thai_trigrams_and_marks_stay_in_words():
    assert analyze("北京大学", "zh") == ["zh:北京", "zh:京大", "zh:大学"]
    assert analyze("iphone手机", "zh") == ["iphon", "zh:手机"]
    assert analyze("หลอดไฟ", "th") == ["th:หลอ", "th:ลอด", "th:อดไ", "th:ดไฟ"]  # Thai: trigrams
    assert analyze("हिन्दी भाषा", "hi")[0].startswith("hi:हिन")  # the virama and vowel signs are not cut out


def _lex(texts, langs):
    return LexicalRetriever.build(texts, langs=langs)


def test_a_german_die_never_matches_an_english_one():
    texts = ["The soldiers would rather die than surrender the fort.", "Die Stadt liegt am Fluss und die Brücke ist alt."]
    lex = _lex(texts, ["en", "de"])
    q = Query("Why would the soldiers die rather than surrender?")
    assert [s.row for s in lex.search(q, 5)] == [0]
    hits = lex.search(Query("Wie alt ist die Brücke über den Fluss?"), 5)
    assert [s.row for s in hits] == [1]


def test_a_short_query_is_read_in_every_language_of_its_script_the_index_holds():
    texts = ["Die Brücke über den Fluss ist sehr alt und schön.", "The bridge over the river is very old."]
    lex = _lex(texts, ["de", "en"])
    assert detect("Brücke") == "en"  # one word: no reliable language
    assert [s.row for s in lex.search(Query("Brücke"), 5)] == [0]
    assert [s.row for s in lex.search(Query("bridge"), 5)] == [1]


def test_chinese_passages_are_found_by_their_words():
    texts = ["北京大学是中国著名的大学，成立于1898年。", "上海是中国最大的城市，位于长江入海口。"]
    lex = _lex(texts, ["zh", "zh"])
    assert lex.search(Query("北京大学成立于哪一年？"), 2)[0].row == 0
    assert lex.search(Query("长江入海口的城市是哪里？"), 2)[0].row == 1
    assert np.isfinite(lex.max_score(Query("北京大学"))) and lex.max_score(Query("北京大学")) > 0


@pytest.mark.parametrize("field, good, bad, message", [
    ("abstain_by_lang", ("de:0.5:0.25",), ("de=0.5",), "lang:same:cross"),
    ("lex_by_lang", ("de:30", "el:24.5"), ("de=30",), "lang:weight"),
])
def test_settings_per_language_round_trip_and_refuse_a_bad_entry(field, good, bad, message):
    st = rag.Settings(**{field: good})
    assert rag.Settings.from_dict(st.to_dict()) == st  # JSON round trip (the manifest)
    with pytest.raises(ValueError, match=message):
        rag.Settings(**{field: bad})


def _docs(tmp_path, **texts) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    for name, text in texts.items():
        (d / f"{name}.txt").write_text(text, encoding="utf-8")
    return d


def test_abstention_thresholds_per_question_language(tmp_path):
    st = rag.Settings(abstain_by_lang=("de:0.5:0.25",))
    assert st.thresholds("de") == (0.5, 0.25) and st.thresholds("ru") == (st.abstain_below, st.abstain_below_cross)
    d = _docs(tmp_path, de="Die Brücke über den Fluss wurde vor langer Zeit aus Stein gebaut.")
    idx = rag.build([d], tmp_path / "idx", model=FakeEmbedder(), settings=rag.Settings(abstain_below=0.9999))
    q = "Woraus wurde die Brücke über den Fluss gebaut?"
    assert detect(q) == "de" and not idx.ask(q).found  # no fake cosine clears 0.9999
    idx.reconfigure(abstain_by_lang=("de:0.0:0.9999",))
    assert idx.ask(q).found  # the German question's own same-language threshold


def test_bm25_weight_per_question_language(tmp_path):
    assert rag.Settings(lex_by_lang=("de:30", "el:24.5")).lex_weights() == {"de": 30.0, "el": 24.5}
    d = _docs(tmp_path, de="Die Brücke über den Fluss wurde 1850 aus Stein gebaut.",
              en="The old bridge over the river was built of stone in 1850.")
    idx = rag.build([d], tmp_path / "idx", model=FakeEmbedder(), settings=rag.Settings(lex_by_lang=()))
    de_q, en_q = "Woraus wurde die Brücke über den Fluss 1850 gebaut?", "What was the old bridge over the river built of?"
    assert (detect(de_q), detect(en_q)) == ("de", "en")

    def score(q, source):
        return next(h.score for h in idx.search(q, k=2) if h.source == source)

    de0, de_en0, en0 = score(de_q, "de.txt"), score(de_q, "en.txt"), score(en_q, "en.txt")
    idx.reconfigure(lex_by_lang=("de:30",))
    # the German question's BM25 share in a German passage now weighs 30, not lex_weight; in the
    # English passage (where it matches "1850" alone) as before, and the English question's as it was
    assert score(de_q, "de.txt") > de0 + (30 - idx.settings.lex_weight) * 0.1
    assert score(de_q, "en.txt") == de_en0 and score(en_q, "en.txt") == en0
