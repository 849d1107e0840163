"""The cross-lingual lexical bridge: BM25 across languages through dictionaries.

Same-language BM25 is blind across languages: a Russian question shares
nothing with an English passage but its numbers. The bridge translates the
question word by word (rag/dictionary.py; names by transliteration, numbers
as they are) and scores the passages of the other languages with the
translations, over the same bm25s index the lexical retriever uses.
Russian and English translate into each other (Mueller's dictionary); a
question in another language translates into English where a FreeDict
dictionary between it and English is installed (German, Greek, Arabic,
Turkish, Hindi: scripts/setup.sh installs them) or, for Chinese,
through CC-CEDICT (a dependency); it is not translated otherwise.

Each source word becomes one *structured* term (Pirkola 1998): its
translations count together as one word, so a word with fifteen
translations is not fifteen matches, and a rare mistranslation does not
carry a rare word's weight. The term's frequency in a passage is the sum of
its translations' frequencies and its document frequency is the number of
passages holding any of them. Under bm25s' (Lucene) BM25 a token's stored
score is idf * tf / (tf + K), K depending on the passage's length only, so
tf / K = r / (1 - r) with r = score / idf, and the structured term scores

    idf(union df) * X / (X + 1),   X = sum over translations of r / (1 - r)

exactly, without the term counts or passage lengths (a one-translation
term gives back the plain BM25 score; tests/test_bridge.py).
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import warnings
from collections.abc import Callable, Mapping
from functools import cached_property, lru_cache, partial

import numpy as np

from ..analyze import _CYR, _RUN, _STOP, _TOKEN, NGRAMS, _pieces, _stem, analyze, tagged, untagged
from ..dictionary import (FREEDICT, Dictionary, DictionaryError, cedict_path, dictionary_stamp, freedict_into_english,
                          freedict_prefixes, load_dictionary, read_cedict)
from ..files import cache_dir
from ..places import same_places
from ..translit import latin_word, name_key, name_sound
from .base import Query, Retriever, Scored
from .lexical import LexicalRetriever, idf, tokenize
from .tables import StoredTable, write_tables

_DIGIT = re.compile(r"\d")
# a Russian stem's last two consonants, where a fleeting vowel may stand between them
_FLEETING_GAP = re.compile(r"(?<=[а-яё])[бвгджзклмнпрстфхцчшщ][бвгджзклмнпрстфхцчшщ]$")
# An acronym in Latin capitals ("TUMAS", "NFL") is written alike in every Latin-script language:
# one the question's dictionary lacks is looked for as an English word. Not any unknown word:
# a German question's names and unknown words read as English lost (research/bridge_langs.py
# `names`, de->mixed r@1 0.940 -> 0.936 on the training articles).
_ACRONYM = re.compile(r"[A-Z]{2,}")
MIN_NAME = 4  # shorter words transliterate to keys that collide with common words
# Languages whose question words the dictionary lacks are looked up by their sound (names written in
# another script than the passages'), chosen on XQuAD's training articles (research/bridge_langs.py
# --modes sounds, r@1 into English / into English + Russian): Hindi 0.903 -> 0.917 / 0.892 -> 0.901,
# Greek 0.880 -> 0.883 / 0.901 -> 0.899; not Arabic (0.832 -> 0.839 / 0.857 -> 0.846: its many
# three-consonant words the dictionary lacks sound like English ones).
SOUNDED = frozenset({"hi", "el"})


Table = Mapping[str, frozenset[str]]
Glossary = Mapping[str, str]  # a word (a tagged token where words are not spaced) -> its first translation


class Lexicon:
    """Stem-level translation tables (en stem -> ru stems and back), stemmed as the
    lexical index stems, so that every inflected form of a question word finds the
    translations of its headword and every form of a translation matches; and, per other
    language, its tagged tokens -> English stems ("de:krieg" -> {"war"}), each table read on
    the first question in its language (`foreign`: language -> the function that reads it)."""

    def __init__(self, to_ru: Table, to_en: Table, foreign: dict[str, Callable[[], Table]] | None = None,
                 glossaries: dict[str, Callable[[], Glossary]] | None = None):
        self.to_ru = to_ru
        self.to_en = to_en
        self._foreign = dict(foreign or {})
        self._tables: dict[str, Table] = {}
        self._glossaries = dict(glossaries or {})
        self._glossed: dict[str, Glossary] = {}
        self._split: dict[str, dict] = {}  # language -> split_compound's memo

    @classmethod
    def from_dictionary(cls, d: Dictionary) -> Lexicon:
        return cls(cls._table(d.en_ru), cls._table(d.ru_en))

    @staticmethod
    def _table(pairs: dict[str, tuple[str, ...]], lang: str | None = None) -> Table:
        """Source stem -> target stems; `lang`: the source language's analysis (tagged tokens),
        else Russian/English by script. The targets are always stemmed by script (ru or en)."""
        out: dict[str, set[str]] = {}
        for head, trs in pairs.items():
            # a language written without spaces keeps its words whole (its BM25 cuts them into
            # n-grams; a question is cut into these words by _segment)
            src = [f"{lang}:{head}"] if lang in NGRAMS else tokenize(head, lang)
            if len(src) != 1 or (lang is not None and (tagged(src[0]) != lang or len(head.split()) != 1)):
                continue  # phrases ("a la izquierda", whose stop words leave one token) and function words
            words = [tokenize(t) for t in trs]
            # single-word translations; a phrase only where the entry has no single word
            single = {w[0] for w in words if len(w) == 1}
            out.setdefault(src[0], set()).update(single or {t for w in words for t in w})
        return {k: frozenset(v) for k, v in out.items()}

    @property
    def languages(self) -> frozenset[str]:
        """The other languages with a dictionary into English."""
        return frozenset(self._foreign)

    @staticmethod
    def _read_once(lang: str, readers: dict, kept: dict, unread: str):
        """`lang`'s table, read by its reader on first use and kept; empty without a reader, or
        with a dictionary that cannot be read (warned as `unread`, never an error)."""
        if lang not in kept:
            read = readers.get(lang)
            try:
                kept[lang] = read() if read is not None else {}
            except DictionaryError as e:
                warnings.warn(f"{unread}: {e}", stacklevel=3)
                kept[lang] = {}
        return kept[lang]

    def foreign(self, lang: str) -> Table:
        """`lang`'s tagged tokens -> English stems (empty without its dictionary, or with one that
        cannot be read: the question is then answered untranslated, with a warning, not an error)."""
        return self._read_once(lang, self._foreign, self._tables, f"the bridge does not translate {lang} questions")

    def glossary(self, lang: str) -> Glossary:
        """`lang`'s words -> their first English translation, as written (empty without its
        dictionary, or with one that cannot be read)."""
        return self._read_once(lang, self._glossaries, self._glossed, f"no English gloss of {lang} questions")

    def gloss(self, text: str, lang: str) -> str | None:
        """The question word for word in English, for the encoder: each word its dictionary's
        first translation, a word it lacks (a name, a number) as written; in a language written
        without spaces the dictionary's words found by maximum matching, the rest left out (a
        name's characters glossed one by one read as nonsense). None when no word translates.
        The dense retriever reads passages in other languages with it (Query.cross_vector)."""
        table = self.glossary(lang)
        if not table:
            return None
        out, n = [], 0
        for w in _RUN.findall(text):
            if lang not in NGRAMS:
                e = table.get(w.lower()) or self._gloss_parts(w, lang, table)
                n += e is not None
                out.append(e or w)
                continue
            for t in _segment(w, lang, table):  # its words, numbers and other scripts' words
                e = table.get(t)
                n += e is not None
                if e is not None or tagged(t) is None:  # an unmatched character of its own is left out
                    out.append(e or t)
        return " ".join(out) if n else None

    def _gloss_parts(self, word: str, lang: str, table: Glossary) -> str | None:
        """A compound glossed part by part ("Amazonaswaldes" -> "Amazon forest"), a part that is
        inflected as written by its bare form (LINKS: "waldes" -> "wald"); None where a part has no gloss."""
        out = []
        for part, _t in self.compound(word, lang):
            e = next((table[k] for k in (part, *(part[: -len(x)] for x in LINKS if x and part.endswith(x)))
                      if k in table), None)
            if e is None:
                return None
            out.append(e)
        return " ".join(out) or None

    def compound(self, word: str, lang: str) -> tuple[tuple[str, str], ...]:
        """`word`'s parts where it is a compound `lang`'s dictionary lacks (split_compound)."""
        return split_compound(word, lang, self.foreign(lang), self._split.setdefault(lang, {}))

    def translate(self, stem: str) -> frozenset[str]:
        if not _CYR.search(stem):
            return self.to_ru.get(stem, frozenset())
        out = self.to_en.get(stem)
        if out is None and (m := _FLEETING_GAP.search(stem)):
            # Russian drops a vowel the headword has ("церкви" / "церковь", "мешка" / "мешок",
            # "отца" / "отец"): a stem the dictionary lacks, ending in two consonants, is looked
            # up with the vowel put back
            out = next((t for v in "оеё" if (t := self.to_en.get(stem[: m.start() + 1] + v + stem[m.end() - 1 :]))), None)
        return out or frozenset()

    def into_english(self, lang: str) -> Table | None:
        """`lang`'s table into English, None without its dictionary (or with an empty one)."""
        return (self.foreign(lang) or None) if lang in self._foreign else None


LEXICON_VERSION = 1  # bump when the parser, the stemming or the table rules change
FOREIGN_VERSION = 4  # the same for the other languages' tables
GLOSS_VERSION = 1  # the same for their glossaries


def _cached_tables(key_parts: list, sides: tuple[str, ...], make: Callable[[], tuple[Table, ...]],
                   first: bool = False) -> tuple[Table, ...]:
    """Tables read a word at a time from their SQLite file in the cache folder (rag/retrieve/tables.py),
    keyed by `key_parts` (the files' size and time, the rules' version), else made by `make` and
    written there; `first`: each word's first translation alone (a glossary)."""
    key = hashlib.sha256(json.dumps(key_parts).encode()).hexdigest()[:16]
    path = cache_dir() / f"bridge-lexicon-{key}.sqlite"
    try:
        return tuple(StoredTable(path, side, first) for side in sides)
    except sqlite3.Error:
        pass  # not cached yet, or unreadable: build it
    tables = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_tables(path, dict(zip(sides, tables)))
        for old in path.parent.glob("bridge-lexicon-*.json"):  # the JSON tables of before 2026-12-06
            old.unlink(missing_ok=True)
        return tuple(StoredTable(path, side, first) for side in sides)
    except (OSError, sqlite3.Error):
        # a read-only cache costs time on the next start, nothing else
        return tables if not first else tuple({k: next(iter(v)) for k, v in t.items()} for t in tables)


@lru_cache(maxsize=4)
def _lexicon(prefix: str, stamp: tuple) -> tuple[Table, Table]:
    """Parsing the dictionary and stemming its 116K pairs takes about 2 s; the tables are
    kept in the cache folder, keyed by the files' size and time, and read from there a word at a time."""
    def make() -> tuple[Table, Table]:
        lex = Lexicon.from_dictionary(load_dictionary(prefix))
        return lex.to_ru, lex.to_en

    return _cached_tables([prefix, stamp, LEXICON_VERSION], ("to_ru", "to_en"), make)


@lru_cache(maxsize=32)
def _foreign_table(prefixes: tuple[str, ...], lang: str, stamps: tuple) -> Table:
    """One language's FreeDict table into English (German's 337K headwords: about 15 s to parse
    and stem once, then read from the cache a word at a time)."""
    return _cached_tables([list(prefixes), lang, stamps, FOREIGN_VERSION], ("to_en",),
                          lambda: (Lexicon._table(freedict_into_english(prefixes), lang),))[0]


@lru_cache(maxsize=2)
def _cedict_table(path: str, stamp: tuple) -> Table:
    """CC-CEDICT's Chinese -> English table (88K words: about 3 s once, then read from the cache)."""
    return _cached_tables([path, "zh", stamp, FOREIGN_VERSION], ("to_en",),
                          lambda: (Lexicon._table(read_cedict(path), "zh"),))[0]


def _first(pairs: dict[str, tuple[str, ...]], lang: str) -> Glossary:
    """Word -> its first translation, keyed as Lexicon.gloss looks words up; made as a Table of
    one translation each, so that _cached_tables keeps it (the first translation is what the
    dictionary lists first: its commonest sense, as a reader's glossary would give it)."""
    out: dict[str, frozenset[str]] = {}
    for head, trs in pairs.items():
        key = f"{lang}:{head}" if lang in NGRAMS else head.lower()
        if trs and key not in out and len(head.split()) == 1:
            out[key] = frozenset([trs[0]])
    return out


def _glossary(key_parts: list, read: Callable[[], dict[str, tuple[str, ...]]], lang: str) -> Glossary:
    return _cached_tables([*key_parts, "gloss", GLOSS_VERSION], ("gloss",), lambda: (_first(read(), lang),), first=True)[0]


@lru_cache(maxsize=32)
def _freedict_glossary(prefixes: tuple[str, ...], lang: str, stamps: tuple) -> Glossary:
    return _glossary([list(prefixes), lang, stamps], lambda: freedict_into_english(prefixes), lang)


@lru_cache(maxsize=2)
def _cedict_glossary(path: str, stamp: tuple) -> Glossary:
    return _glossary([path, "zh", stamp], lambda: read_cedict(path), "zh")


def foreign_loader(prefixes, lang: str) -> Callable[[], Table]:
    """What reads `lang`'s table from these FreeDict prefixes, when first asked (Lexicon foreign)."""
    return partial(_foreign_table, tuple(map(str, prefixes)), lang, tuple(dictionary_stamp(p) for p in prefixes))


def load_lexicon(prefix: str) -> Lexicon:
    """The translation tables of the dictd dictionary at `prefix`, with the FreeDict X -> English
    dictionaries installed beside it and CC-CEDICT's Chinese -> English (a dependency);
    DictionaryError if the English-Russian one is missing."""
    to_ru, to_en = _lexicon(str(prefix), dictionary_stamp(prefix))
    foreign, glossaries = {}, {}
    for lang in FREEDICT:
        found = freedict_prefixes(prefix, lang)
        if found:
            foreign[lang] = foreign_loader(found, lang)
            glossaries[lang] = partial(_freedict_glossary, tuple(map(str, found)), lang,
                                       tuple(dictionary_stamp(p) for p in found))
    cedict = cedict_path()
    if cedict is not None:
        st = cedict.stat()
        stamp = (cedict.name, st.st_mtime_ns, st.st_size)
        foreign["zh"] = partial(_cedict_table, str(cedict), stamp)
        glossaries["zh"] = partial(_cedict_glossary, str(cedict), stamp)
    return Lexicon(to_ru, to_en, foreign, glossaries)


BRIDGED = ("ru", "en", "und")  # translated into each other by Mueller's dictionary (und: numbers alone)
# Every installed dictionary into English is used (python -m research.bridge_langs, XQuAD, every
# question once, r@1 into the English paragraphs without -> with it: German's 201K words 0.905 ->
# 0.932, Chinese's 88K 0.712 -> 0.846, Turkish's 21K 0.804 -> 0.853, Hindi's 9.4K 0.871 -> 0.901;
# Spanish's 3.6K 0.905 -> 0.915, p 0.25, the one that scripts/setup.sh leaves out).


LONGEST = 8  # characters of the longest word _segment looks for
# Languages that write a compound as one word ("Komplexitätsklassen"): a question word its dictionary
# lacks is cut into words it has (python -m research.bridge_langs --modes compounds). German alone is
# measured (XQuAD); Dutch and the Scandinavian languages compound alike but are not.
COMPOUNDING = frozenset({"de"})
MIN_PART = 3  # characters of a compound's shortest part ("Eis", "Amt")
MEMO_MAX = 100_000  # tails split_compound remembers a language
LINKS = ("", "s", "es", "n", "en", "e")  # linking elements between parts ("Komplexität-s-klassen")


def _rank(parts: tuple[tuple[str, str], ...]) -> tuple[int, int, int]:
    """split_compound's order: fewer parts, a longer last part, fewer letters left to links."""
    return len(parts), -len(parts[-1][0]), -sum(len(w) for w, _t in parts)


def split_compound(word: str, lang: str, table: Table, memo: dict | None = None) -> tuple[tuple[str, str], ...]:
    """The parts (as written, token) of a compound its dictionary lacks, cut into the fewest parts
    it knows ("amazonaswaldes" -> ("amazonas", "de:amazonas"), ("waldes", "de:wald")), ties broken
    by the longest last part (the head, which a compound is a kind of), then by the shortest links; () for a known word, a word
    of a language that does not compound, or one no cut explains (a name: "Temüdschin"). Koehn &
    Knight (2003) split so, with corpus frequencies where this has none. `memo`: the tails tried."""
    if lang not in COMPOUNDING or not table:
        return ()
    memo = {} if memo is None else memo
    if len(memo) > MEMO_MAX:  # a server's questions would grow it without end
        memo.clear()

    def best(w: str) -> tuple[tuple[str, str], ...] | None:
        if w in memo:
            return memo[w]
        toks = analyze(w, lang)
        out = ((w, toks[0]),) if len(toks) == 1 and toks[0] in table else None
        for i in range(MIN_PART, len(w) - MIN_PART + 1) if out is None else ():
            head = analyze(w[:i], lang)
            if len(head) != 1 or head[0] not in table:
                continue
            for link in LINKS:
                rest = w[i + len(link):]
                if not w.startswith(link, i) or len(rest) < MIN_PART:
                    continue
                tail = best(rest)
                cand = None if tail is None else ((w[:i], head[0]), *tail)
                if cand is not None and (out is None or _rank(cand) < _rank(out)):
                    out = cand
        memo[w] = out
        return out

    parts = best(word.lower())
    return parts if parts is not None and len(parts) > 1 else ()
_NUMBER_OR_NOT = re.compile(r"\d+|\D+")


def _matched(piece: str, lang: str, table: Table, backward: bool) -> list[str]:
    """`piece` cut into `table`'s words, the longest first, from the left or from the right; a
    character no word of two or more starts (ends) with is skipped."""
    out: list[str] = []
    i, j = 0, len(piece)  # what is left to cut: piece[i:j]
    while i < j:
        for n in range(min(LONGEST, j - i), 1, -1):
            w = piece[j - n : j] if backward else piece[i : i + n]
            if f"{lang}:{w}" in table:
                out.append(f"{lang}:{w}")
                j, i = (j - n, i) if backward else (j, i + n)
                break
        else:
            j, i = (j - 1, i) if backward else (j, i + 1)
    return out[::-1] if backward else out


def _segment(run: str, lang: str, table: Table) -> list[str]:
    """A run of a language written without spaces cut into its dictionary's words: maximum
    matching, the classical segmenter, from the left and from the right, the cut that covers
    more characters kept, then the one of fewer words, then the one from the right (bidirectional
    maximum matching: "1901 年华沙" is 华沙 "Warsaw", not 年华 "years"; 居民中天主教徒 ends in
    天主教徒 "Catholics", not 中天 主教); its numbers as they are ("1943年" -> "1943", as an
    English passage has it), and what is not in its script analysed as usual."""
    out: list[str] = []
    for part in _NUMBER_OR_NOT.findall(run):
        if part[0].isdigit():
            out.append(part)
            continue
        for piece in _pieces(part):
            toks = analyze(piece, lang)
            if not toks or tagged(toks[0]) != lang:
                out += toks
                continue
            cuts = [_matched(piece, lang, table, backward=b) for b in (True, False)]
            out += min(cuts, key=lambda c: (-sum(len(untagged(t)) for t in c), len(c)))
    return out


class BridgeRetriever(Retriever):
    """Translated BM25 over the passages in a language other than the question's."""

    def __init__(self, lexical: LexicalRetriever, lexicon: Lexicon, langs: np.ndarray,
                 english: Callable[[Query], str | None] | None = None):
        self.lexical = lexical
        self.lexicon = lexicon
        self.langs = np.asarray(langs)
        self.english = english  # a question's machine translation into English, where it has one (rag/translate.py)
        self.known_langs = frozenset(str(x) for x in self.langs)

    def bridged(self, lang: str) -> bool:
        """Whether a question in `lang` is translated: Russian and English into each other, a
        language with a dictionary into English. Not a language without one:
        Ukrainian or Kazakh read as Russian would be mistranslated (eval/langs: their questions
        r@5 0.929 with it, 0.952 without), and a Romanian or Vietnamese question's words looked up
        as English ones lose (r@1 into the en + ru passages 0.901 -> 0.867, 0.811 -> 0.786)."""
        return lang in BRIDGED or self.lexicon.into_english(lang) is not None

    def terms(self, text: str, lang: str = "en") -> list[tuple[str, tuple[int, ...]]]:
        """(source word, vocabulary ids of its translations) per content word of the question."""
        if lang not in BRIDGED:
            return self._foreign_terms(text, lang)
        vocab, out, seen = self.lexical.vocab, [], set()
        for w in _TOKEN.findall(text):
            lw = w.lower()
            if lw in _STOP:
                continue
            s = _stem(lw)
            if s in seen:
                continue
            seen.add(s)
            if _DIGIT.search(s):  # numbers and years are spelled alike
                ids = {vocab[s]} if s in vocab else set()
            else:
                ids = {vocab[t] for t in self.lexicon.translate(s) | same_places(s) if t in vocab}
                if len(lw) >= MIN_NAME and (w[0].isupper() or not ids):
                    ids |= self._names(s)
            if ids:
                out.append((w, tuple(sorted(ids))))
        return out

    def english_terms(self, text: str) -> list[tuple[str, tuple[int, ...]]]:
        """A question's English translation: its English words (and numbers) as the English
        passages hold them, each once, and on through the English-Russian dictionary as the
        Russian passages do (research/apertium.py, `on` against `direct`: Spanish into English +
        Russian r@1, XQuAD's training articles, 0.945 -> 0.956; into English alone it changes nothing)."""
        vocab, out = self.lexical.vocab, {}
        for t in analyze(text, "en"):
            if t in vocab:
                out.setdefault(t, (t, (vocab[t],)))
        for w, ids in self.terms(text, "en"):
            out.setdefault(w, (w, ids))
        return list(out.values())

    def _names(self, stem: str) -> set[int]:
        """A name, or a word the dictionary lacks: the other script's words that transliterate
        to the same key ("Шатуновская" / "Shatunovskaya")."""
        return set(self.lexical.name_ids.get((name_key(stem), not _CYR.search(stem)), ()))

    def _sounds(self, word: str) -> set[int]:
        """A name written in the question's script: the passages' words with its sound key
        ("ब्रोंकोस" finds "broncos"), where the key holds MIN_SOUND consonants or more."""
        key = name_sound(word)
        return set(self.sound_ids.get(key, ())) if key else set()

    @cached_property
    def sound_ids(self) -> dict[str, tuple[int, ...]]:
        """Sound key -> ids of the passages' Latin-script words ("bronco", "pittsburgh"), read
        from the lexical side's map (LexicalRetriever.spelling_tokens), untagged words only.
        Common English words stay in: leaving out those the English-Russian dictionary has loses
        names that stem like words ("manning" -> "man"; Hindi into English r@1 on the
        training articles 0.917 -> 0.910); Russian words are left out (they only added noise
        over the en + ru passages)."""
        vocab = self.lexical.vocab
        return {key: ids for (tag, key), toks in self.lexical.spelling_tokens.items()
                if tag is None and (ids := tuple(vocab[t] for t in toks if latin_word(t)))}

    def _foreign_terms(self, text: str, lang: str) -> list[tuple[str, tuple[int, ...]]]:
        """A question in another language: each of its tagged tokens through its dictionary into
        English, an untagged one (a number, a Latin word in a Greek question) as it is, and an
        acronym its dictionary lacks ("TUMAS" in a German question) as an English word."""
        vocab, table, out, seen = self.lexical.vocab, self.lexicon.foreign(lang), [], set()
        for w in _RUN.findall(text):
            toks = _segment(w, lang, table) if lang in NGRAMS else analyze(w, lang)
            if len(toks) == 1 and toks[0] not in table:  # a compound: its parts ("Amazonas" "Wald")
                toks = [t for _part, t in self.lexicon.compound(w, lang)] or toks
            for t in toks:
                if t in seen:
                    continue
                seen.add(t)
                found = table.get(t, frozenset()) | same_places(t) if tagged(t) is not None else (t,)
                ids = {vocab[e] for e in found if e in vocab}
                if not ids and _ACRONYM.fullmatch(w):
                    ids = {vocab[e] for e in analyze(w, "en") if e in vocab}
                if not ids and lang in SOUNDED and lang not in NGRAMS:  # a name: the words that sound like it
                    ids = self._sounds(w)
                if ids:
                    out.append((w, tuple(sorted(ids))))
        return out

    def _plan(self, query: Query) -> list[tuple[np.ndarray, float]]:
        """Per structured term: its token ids and idf by the union's document frequency."""
        cached = query.cache.get("bridge")
        if cached is not None:
            return cached
        lex, plan = self.lexical, []
        # translated only where the index holds passages in other languages (a Spanish question
        # over Spanish documents starts no translator)
        translated = (self.english(query) if self.english is not None and self.known_langs - {query.lang}
                      else None)
        if translated is not None:
            words = self.english_terms(translated)
        else:
            words = self.terms(query.text, query.lang) if self.bridged(query.lang) else []
        for _w, ids in words:
            ids = np.asarray(ids, dtype=np.int64)
            df = 0
            for bm in lex.shards:  # shards hold disjoint passages: the union is summed
                indptr, indices = bm.scores["indptr"], bm.scores["indices"]
                df += len(np.unique(np.concatenate([indices[indptr[t] : indptr[t + 1]] for t in ids])))
            if df:
                plan.append((ids, float(idf(df, lex.num_docs))))
        query.cache["bridge"] = plan
        return plan

    def max_score(self, query: Query) -> float:
        """Every structured term matched at saturation: the sum of their idfs."""
        return float(sum(weight for _ids, weight in self._plan(query)))

    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        plan = self._plan(query)
        lex = self.lexical
        if not plan or k <= 0 or lex.num_docs == 0:
            return []
        other = self.langs != query.lang if query.lang != "und" else np.ones(len(self.langs), bool)
        keep = other if mask is None else other & mask
        tok_idf = lex.token_idf

        def score(bm, rows: np.ndarray) -> np.ndarray:
            data, indices, indptr = bm.scores["data"], bm.scores["indices"], bm.scores["indptr"]
            total = np.zeros(len(rows))
            for ids, weight in plan:
                x = np.zeros(len(rows))  # sum over the translations of tf / K (see the module doc)
                for t in ids:
                    a, b = indptr[t], indptr[t + 1]
                    r = np.minimum(data[a:b].astype(np.float64) / tok_idf[t], 1 - 1e-9)
                    np.add.at(x, indices[a:b], r / (1 - r))
                total += weight * x / (x + 1)
            return total

        return lex.fan_out(score, k, keep)


def describe(prefix: str) -> str:
    """What the bridge translates with the dictionaries at `prefix` and beside it, after reading
    every table and glossary into the cache (`rag dictionaries`, which scripts/setup.sh runs so that no
    question waits for them); a missing English-Russian dictionary is said, not raised."""
    try:
        lexicon = load_lexicon(prefix)
    except DictionaryError as e:
        return f"{e}: the cross-lingual bridge is off"
    for lang in lexicon.languages:
        lexicon.glossary(lang)  # cached now, as the tables are below
    def how(lang: str) -> str:
        extra = [what for what, langs in (("compounds split", COMPOUNDING), ("names by their sound", SOUNDED))
                 if lang in langs]
        return f"{lang} ({len(lexicon.foreign(lang))} words{''.join(f'; {e}' for e in extra)})"

    used = [how(lang) for lang in sorted(lexicon.languages) if lexicon.into_english(lang) is not None]
    return (f"Russian <-> English ({len(lexicon.to_ru)} / {len(lexicon.to_en)} words); into English: "
            f"{', '.join(used) or 'none'}")
