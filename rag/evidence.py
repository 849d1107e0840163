"""How well one sentence answers the question: the features the quote is chosen by (stage 7).

The cosine alone picks the sentence that *talks about* the question; the answer's
sentence also shares its rare words, holds its years and names, and holds a
phrase of the type asked for ("сколько" -> a number the question does not
contain). Each candidate sentence of the top passages gets the features below;
the quote is the one with the highest weighted sum, the weights fitted on XQuAD's
training articles and eval/questions (`python -m eval.quotes fit`, a conditional
logit: softmax over one question's candidates). Across Russian and English the
question's words are looked up through the bridge's dictionary, names through
their script-neutral keys (rag/translit.py), numbers as they are written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import regex
from anyascii import anyascii

from .analyze import UNTAGGED, _stem, analyze, untagged, words
from .question import _NOUNS_CAPITALISED, Question, dates, number_key, spelled_numbers
from .places import places
from .span import Common, typed
from .translit import _DOUBLE, latin_word, name_key, name_sound

FEATURES = ("z", "margin", "overlap", "constraints", "type_fit", "passage_rank", "neighbour")
# What found-or-not weighs (rag/answer.py found_by): the best margin over a language pair's
# threshold, the quote's weighted score, and the quote's z, overlap, constraints and type fit.
FOUND = ("margin", "score", "z", "overlap", "constraints", "type_fit")
_H = re.compile(r"(?<![sczt])h")
_OV = re.compile(r"(?<=...)ov$")
_W = re.compile(r"^u(?=[aeio])")
_NUM = re.compile(r"\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?")
_CYRILLIC_WORD = regex.compile(r"\p{Cyrillic}{3,}")
_LATIN = regex.compile(r"\p{Latin}")
_LATIN_WORD = regex.compile(r"\p{Latin}{3,}")


@lru_cache(maxsize=200_000)
def key(stem: str) -> str:
    """rag/translit.py's name key, folded once more for comparing here (the index's keys
    stay as they are): "ю" is "iu" there, English writes "u" (Политбюро / Politburo); Russian
    writes an English "h" as "г" (Говард / Howard, Гитлер / Hitler), and "х" is "h" there
    already, so one h/g folds all three (not inside "sh", "ch", "zh", "th"); Russian stems
    drop a surname's "-ов" that English keeps (Чугунов "чугун" / Chugunov); a doubled letter
    is one, as Russian often writes it (Рассел / Russell) and as the adjective's folding leaves
    it (Кузбасс, "кузбасск" with its "-sk" cut / Кузбасского); an initial "у" before a vowel is
    the English "w" Russian writes so (Уэсли / Wesley, Уильям / William), which the key reads "v"."""
    return _W.sub("v", _OV.sub("", _DOUBLE.sub(r"\1", _H.sub("g", name_key(stem).replace("iu", "u")))))


@dataclass(frozen=True)
class Words:
    """A sentence's words as the features compare them."""

    stems: frozenset[str]
    names: frozenset[str]  # script-neutral keys of its words
    numbers: frozenset[str]  # number_key of every number, years included, and of the cardinals it spells
    dates: frozenset[tuple[int, int, int]] = frozenset()  # (y, m, d) and (y, m, 0) of its dates; y 0: no year
    latin: frozenset[str] = frozenset()  # its Latin-script words as written, lowercased, in ASCII ("temujin")

    @cached_property
    def sounds(self) -> frozenset[str]:
        """Sound keys of its Latin-script words (rag/translit.py sound_key), stemmed and as
        written, made when a name in another script is looked for."""
        return frozenset(k for s in self.stems | self.latin if latin_word(s) for k in _sounds(s))

    @cached_property
    def cyrillic_sounds(self) -> frozenset[str]:
        """Sound keys of its Cyrillic words, made when a Latin-script name is looked for."""
        return frozenset(k for s in self.stems if _CYRILLIC_WORD.fullmatch(s) for k in _sounds(s))

    @cached_property
    def places(self) -> frozenset[str]:
        """The places its words name (rag/places.py), made when a place name is looked for."""
        return places(self.stems)

    @classmethod
    @lru_cache(maxsize=20_000)  # a corpus's sentences come back question after question
    def of(cls, text: str, lang: str | None = None) -> Words:
        """`lang`: the sentence's language; its words as BM25 analyses that language."""
        stems = frozenset(analyze(text, lang))
        # English stems cut names short ("Turing" "tur", "Manning" "man", "Angeles" "angel")
        # where a Russian stem keeps them ("тьюринг"): a Latin word's key is compared as written too
        ws = [anyascii(x) if _LATIN_WORD.fullmatch(x) else "" for x in words(text)]
        # and two capitalised words as one, as Russian writes some names ("Genghis Khan" / "Чингисхан")
        pairs = [a + b for a, b in zip(ws, ws[1:]) if a[:1].isupper() and b[:1].isupper()]
        latin = frozenset(a for x in ws + pairs if latin_word(a := x.lower()))
        return cls(stems, frozenset(key(untagged(s)) for s in stems if len(untagged(s)) >= 3 and not s.isdigit())
                   | frozenset(key(w) for w in latin),
                   frozenset([number_key(n) for n in _NUM.findall(text)] + spelled_numbers(text)),
                   frozenset(k for _, (y, m, d) in dates(text, yearless=True) for k in ((y, m, d), (y, m, 0))),
                   latin)


def overlap(q: Question, w: Words, idf, translate=None) -> float:
    """idf-weighted share of the question's content words the sentence holds; a word
    counts when the sentence has its stem, one of its translations (`translate`:
    stem -> stems of the other language, or None) or a word of the same name key."""
    total = got = 0.0
    for s in q.stems:
        weight = idf(s)
        total += weight
        if s in w.stems or (len(untagged(s)) >= 4 and key(untagged(s)) in w.names):
            got += weight
        elif translate is not None and not translate(s).isdisjoint(w.stems):
            got += weight
    return got / total if total else 0.0


def held(q: Question, w: Words, translate=None, lexicon=None, with_dates: bool = True,
         names_in: Words | None = None) -> list[str]:
    """The question's constraints (years, numbers, names, dates as written) missing from `w`;
    its names from `names_in` when given (a narrower window: Settings.near_names).
    A date with a month is held by the same date (its day too when the question gives one)
    in any spelling of question.dates ("1 October 1930" by "1 октября 1930 г."); its year
    alone does not hold it. `with_dates=False`: without dates, as the quote's constraint
    share was fitted (rag/settings.py quote_weights).
    A name is held by its stem, its script-neutral key ("Шатуновской" / "Shatunovskaya"),
    a translation (`translate`: set when `w` is in the other language), a country's or city's
    name in the sentence's language (_placed: "Варшаве" / "Warsaw") or its sound in the other
    script (_sounded: "Бронкосу" / "Broncos"); "Кавказ" / "Caucasus" by none of them.
    A capitalised dictionary word ("Party",
    "Central Committee") is no name (`lexicon` knows the headwords), and an acronym
    is only compared within its script (РКП is RCP in English)."""
    missing = [y for y in q.years if y not in w.numbers]
    missing += [n for n in q.numbers if n not in w.numbers]
    # a date without its year ("on March 26") holds the question's date of that day: the
    # year is its own constraint
    missing += [text for text, (y, m, d) in q.dates
                if with_dates and (y, m, d) not in w.dates and not (d and (0, m, d) in w.dates)]
    nw = names_in or w
    for name in q.shown_names:
        low = _lower(name)
        stem = _stem(low)
        # by its Russian or English stem, or as the question's language stems it ("Κένυα")
        if (stem in nw.stems or key(stem) in nw.names or key(low) in nw.names
                or not nw.names.isdisjoint(_own_keys(name, q.lang))):
            continue
        if lexicon is not None and lexicon.translate(stem):
            continue  # a common word: not a constraint
        if _own_word(name, q.lang, lexicon):
            continue  # a common word of the question's own dictionary ("Εκκλησία", "Parlamentosu")
        if q.lang not in (None, *UNTAGGED) and not analyze(name, q.lang):
            continue  # a stop word of the question's language, capitalised: Turkish "Kim" (who)
        if q.lang == "vi" and not name.isascii():
            # Vietnamese capitalises every syllable of a name and an institution's first ("Hốt
            # Tất Liệt", "Quốc hội"): one such syllable is no name, and no other language writes it
            continue
        if translate is not None and (name.isupper() or not translate(stem).isdisjoint(nw.stems)):
            continue
        if _placed(name, stem, q.lang, nw):
            continue  # a place by its name in the sentence's language ("Варшаве" / "Warsaw")
        if _sounded(name, stem, nw):
            continue  # a name in another script than the sentence's, by its sound ("Μπρόνκος", "Бронкосу": "Broncos")
        missing.append(name)
    # the counted noun: "сколько колхозов" is not answered by a number of "хозяйств"
    if q.counted and not any(c in w.stems or (translate is not None and not translate(c).isdisjoint(w.stems))
                             for c in q.counted + tuple(x for c in q.counted for x in _PLURAL.get(c, ()))):
        missing.append(q.counted_word)
    return missing


# a counted noun's other number where it is another word: "Сколько человек" counts "людей", and
# the dictionary gives "people" for "люди" only; English stems keep "men", "children" apart
_PLURAL = {"человек": ("люд",), "люд": ("человек",), "ребенк": ("дет",), "ребёнк": ("дет",), "дет": ("ребенк",),
           "man": ("men",), "men": ("man",), "woman": ("women",), "women": ("woman",), "child": ("children",),
           "children": ("child",), "person": ("peopl",), "peopl": ("person",)}


@lru_cache(maxsize=20_000)  # held() asks it of every candidate sentence; it depends on the name alone
def _own_word(name: str, lang: str | None, lexicon) -> bool:
    """A capitalised word its own language's dictionary into English holds (FreeDict's Greek or
    Turkish: "Εκκλησία" church, "Parlamentosu" parliament, capitalised inside an institution's
    name), unless it names a country or city ("Αγγλία" is checked as a place, _placed)."""
    if lexicon is None or lang in UNTAGGED:
        return False
    table = lexicon.foreign(lang)
    toks = analyze(name, lang)
    return any(x in table for t in toks for x in _near_forms(t)) and not places((_stem(_lower(name)), *toks))


_VOWELS = "aeiouıöüαεηιουω"


def _lower(name: str) -> str:
    """A name lowercased to compare with English: Turkish's dotted capital "İ" is "i" ("İslam"),
    where str.lower() leaves a combining dot after it."""
    return name.replace("İ", "I").lower()


def _near_forms(token: str) -> tuple[str, ...]:
    """A tagged token and the forms one or two letters away that its language's stemmer gives the
    same word's other cases: Greek "κοινοβουλ" (of "Κοινοβουλίου") / "κοινοβουλι" (the headword
    "Κοινοβούλιο"), Turkish "parlamentos" ("Parlamentosu", its compound's suffix) / "parlamento"."""
    tag, _, stem = token.rpartition(":")
    if len(stem) < 5:
        return (token,)
    head = f"{tag}:" if tag else ""
    return (token, head + stem[:-1], head + stem[:-2], *(head + stem + v for v in _VOWELS))


def _placed(name: str, stem: str, lang: str | None, w: Words) -> bool:
    """A country or city named in the sentence in its own language (rag/places.py, CLDR)."""
    found = places((stem, *analyze(name, lang)))
    return bool(found) and not found.isdisjoint(w.places)


def _sounded(name: str, stem: str, w: Words) -> bool:
    """A name held by a word of the sentence in another script with its sound key, or its stem's
    (rag/translit.py sound_key): a Latin name by a Cyrillic word, any other by a Latin word.
    Greek, Devanagari or Arabic names have nothing else to meet an English sentence by
    ("Μπρόνκος" / "Broncos"). Cyrillic ones have the name key, which misses what the two
    scripts spell apart: c / k ("Бронкосу" / "Broncos"), th ("Лютера" / "Luther"), exonyms
    that keep their consonants ("Сибири" / "Siberia"); by their sound too since 2026-12-06
    (the paired rule, docs/adoption.md: Russian over English answered without a false
    partial-match line 0.786 -> 0.870 on XQuAD's held-out articles, no near miss less flagged)."""
    sounds = w.cyrillic_sounds if _LATIN.match(name) else w.sounds
    return any(k in sounds for x in (_lower(name), stem) for k in _sounds(x))


_SOFT_G = re.compile(r"g(?=[eiy])")


@lru_cache(maxsize=200_000)
def _sounds(word: str) -> frozenset[str]:
    """A word's sound keys (rag/translit.py name_sound): as sound_key reads it, and as the other
    script may have written the name. English writes "j" or a "g" before e, i, y where Russian
    writes "дж" and Greek "τζ" ("Анджелес" / "Angeles", "Грейнджер" / "Grainger", "Тэмуджин" /
    "Temujin"), and an "h" where they write an initial "г", "х" or "χ" ("Гарвард", "Χάρβαρντ" /
    "Harvard", "Хьюстон" / "Houston"); sound_key reads "дж" as "ts", every "g" as "k" and
    drops "h", so the other spelling's key misses."""
    if _LATIN.match(word):
        alts = {_SOFT_G.sub("j", word)}
    else:
        j = anyascii(word).lower().replace("dzh", "j").replace("tz", "j")
        alts = {j, _INITIAL_H.sub("", j)}
    return frozenset(k for x in {word, *alts} if (k := name_sound(x)))


_INITIAL_H = re.compile(r"^(?:kh|ch|g)(?=[aeiouy'])")


@lru_cache(maxsize=20_000)  # held() runs for every candidate sentence of a question
def _own_keys(name: str, lang: str | None) -> frozenset[str]:
    """A name's keys as its own language's analyzer stems it (none for ru/en: _stem does)."""
    return frozenset(key(untagged(t)) for t in analyze(name, lang)) if lang not in UNTAGGED else frozenset()


def kind_of(q: Question, item: str) -> str:
    """What a missing item of held() is: "year", "number", "date", "counted" or "name"."""
    if item in {text for text, _ in q.dates}:
        return "date"
    if item in q.years:
        return "year"
    if item in q.numbers:
        return "number"
    return "counted" if item == q.counted_word else "name"


def constraint_share(q: Question, w: Words, translate=None, lexicon=None) -> float:
    n = len(q.years) + len(q.numbers) + len(q.shown_names) + bool(q.counted)
    return 1.0 - len(held(q, w, translate, lexicon, with_dates=False)) / n if n else 0.0


def idf_of(lexical):
    """stem -> idf under the index's BM25 statistics (a stem the index lacks: the highest)."""
    if lexical is None:
        return lambda s: 1.0
    vocab, table = lexical.vocab, lexical.token_idf
    top = float(table.max()) if len(table) else 1.0
    return lambda s: float(table[vocab[s]]) if s in vocab else top


@lru_cache(maxsize=16)  # one per index and sentence language: its nouns are remembered across questions
def common_word(lexicon, lang: str | None = None) -> Common | None:
    """word -> is it a dictionary headword (a capitalised one is then no name); None without a
    dictionary. In a language that capitalises every noun (German), also its own dictionary's
    nouns, the last part of a compound ("Grammy-Gewinnerin"), when the bridge has one."""
    if lexicon is None:
        return None

    def english_russian(word: str) -> bool:
        return bool(lexicon.translate(_stem(word.lower())))

    table = lexicon.into_english(lang) if lang in _NOUNS_CAPITALISED else None
    if table is None:
        return Common(english_russian)

    def known(w: str) -> bool:
        own = analyze(w, lang)
        if not own:
            return len(w) > 2  # a stop word ("Jahre", "Zeit" are in German's list), not an initial
        english = table.get(own[-1], ())
        # FreeDict has names too, translated as themselves ("James": James, Jim; "Dudley")
        return bool(english) and not (len(english) <= 3 and _stem(w) in english)

    def last(word: str) -> str:
        return word.lower().strip(".,;:!?()\"'«»„“”").rsplit("-", 1)[-1]  # "Grammy-Gewinnerin": its noun

    @lru_cache(maxsize=65536)
    def noun(word: str) -> bool:
        w = last(word)
        # a compound is a noun when its last five or more letters are one ("Afrikareise",
        # "Lichtbogenbeleuchtungssysteme"); a name's "-berg" or "-son" is shorter
        return not w or known(w) or any(known(w[i:]) for i in range(3, len(w) - 4))

    return Common(lambda word: noun(word) or english_russian(last(word)), noun)


def translator(lexicon, q_lang: str, s_lang: str):
    """The bridge's stem translation when question and sentence are Russian/English apart, or
    the sentence English and the question in a language the bridge translates into English."""
    if lexicon is None or q_lang == s_lang:
        return None
    if {q_lang, s_lang} == {"ru", "en"}:
        return lexicon.translate
    table = lexicon.into_english(q_lang) if s_lang == "en" else None
    return None if table is None else (lambda stem: table.get(stem, frozenset()))


def sentence_features(q: Question, texts: list[str], langs: list[str], z: np.ndarray, margins: np.ndarray,
                      passage: np.ndarray, idf, lexicon=None, q_lang: str = "") -> np.ndarray:
    """One row of FEATURES per candidate sentence. `texts`, `langs`: the sentences in
    passage order (neighbours are adjacent entries of one passage); `passage`: the
    rank of each sentence's passage among the hits (0 = the top)."""
    n = len(texts)
    words = [Words.of(t, lg) for t, lg in zip(texts, langs)]
    tr = [translator(lexicon, q_lang, lg) for lg in langs]
    ov = np.array([overlap(q, w, idf, t) for w, t in zip(words, tr)])
    cons = np.array([constraint_share(q, w, t, lexicon) for w, t in zip(words, tr)])
    fit = np.array([float(q.kind != "other" and bool(typed(t, q, common_word(lexicon, lg))))
                    for t, lg in zip(texts, langs)])
    neigh = np.zeros(n)
    for i in range(n):  # the sentence before in the same passage: the answer often follows its context
        if i and passage[i - 1] == passage[i]:
            neigh[i] = ov[i - 1]
    return np.column_stack([z, margins, ov, cons, fit, 1.0 / (1.0 + passage), neigh]).astype(np.float64)


def candidate_features(q: Question, q_lang: str, cands, idf, lexicon=None, tokens: np.ndarray | None = None) -> np.ndarray:
    """sentence_features of ask()'s candidates (rag/answer.py Candidate), one row each; with
    `tokens` (the token head's column, rag/tokens.py token_column) as one more, last."""
    if not cands:
        return np.zeros((0, len(FEATURES)))
    x = sentence_features(q, [c.text for c in cands], [c.lang for c in cands], np.array([c.z for c in cands]),
                          np.array([c.margin for c in cands]), np.array([c.rank for c in cands], dtype=np.float64),
                          idf, lexicon, q_lang)
    return x if tokens is None else np.column_stack([x, tokens])



def found_features(cands, feats: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """FOUND of one question: its candidates, their FEATURES rows and weighted scores."""
    best = int(np.argmax(scores))
    row = dict(zip(FEATURES, feats[best]))
    return np.array([max(c.margin for c in cands), float(scores[best]),
                     *(row[f] for f in FOUND[2:])], dtype=np.float64)
