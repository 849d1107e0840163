"""The cross-lingual lexical bridge: BM25 across Russian and English through a dictionary.

Same-language BM25 is blind across languages: a Russian question shares
nothing with an English passage but its numbers. The bridge translates the
question word by word (rag/dictionary.py; names by transliteration, numbers
as they are) and scores the passages of the other language with the
translations, over the same bm25s index the lexical retriever uses.

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
import os
import re
from functools import lru_cache

import numpy as np

from ..dictionary import Dictionary, dictionary_stamp, load_dictionary
from ..files import cache_dir
from ..translit import name_key
from .base import Query, Retriever, Scored
from ..analyze import _CYR, _STOP, _TOKEN, _stem
from .lexical import LexicalRetriever, idf, tokenize

_DIGIT = re.compile(r"\d")
MIN_NAME = 4  # shorter words transliterate to keys that collide with common words


class Lexicon:
    """Stem-level translation tables (en stem -> ru stems and back), stemmed as the
    lexical index stems, so that every inflected form of a question word finds the
    translations of its headword and every form of a translation matches."""

    def __init__(self, to_ru: dict[str, frozenset[str]], to_en: dict[str, frozenset[str]]):
        self.to_ru = to_ru
        self.to_en = to_en

    @classmethod
    def from_dictionary(cls, d: Dictionary) -> Lexicon:
        return cls(cls._table(d.en_ru), cls._table(d.ru_en))

    @staticmethod
    def _table(pairs: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for head, trs in pairs.items():
            src = tokenize(head)
            if len(src) != 1:
                continue  # phrases and function words are not looked up
            words = [tokenize(t) for t in trs]
            # single-word translations; a phrase only where the entry has no single word
            single = {w[0] for w in words if len(w) == 1}
            out.setdefault(src[0], set()).update(single or {t for w in words for t in w})
        return {k: frozenset(v) for k, v in out.items()}

    def translate(self, stem: str) -> frozenset[str]:
        return (self.to_en if _CYR.search(stem) else self.to_ru).get(stem, frozenset())


LEXICON_VERSION = 1  # bump when the parser, the stemming or the table rules change


@lru_cache(maxsize=4)
def _lexicon(prefix: str, stamp: tuple) -> Lexicon:
    """Parsing the dictionary and stemming its 116K pairs takes about 2 s; the tables are
    kept as JSON in the cache folder (about 0.3 s to read; python -m eval.bridge), keyed by the files' size and time."""
    key = hashlib.sha256(json.dumps([prefix, stamp, LEXICON_VERSION]).encode()).hexdigest()[:16]
    path = cache_dir() / f"bridge-lexicon-{key}.json"
    try:
        t = json.loads(path.read_text(encoding="utf-8"))
        return Lexicon(*({k: frozenset(v) for k, v in t[side].items()} for side in ("to_ru", "to_en")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # not cached yet, or unreadable: build it
    lex = Lexicon.from_dictionary(load_dictionary(prefix))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tables = {side: {k: sorted(v) for k, v in getattr(lex, side).items()} for side in ("to_ru", "to_en")}
        tmp.write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)  # whole or not at all, for a concurrent reader
    except OSError:
        pass  # a read-only cache costs time on the next start, nothing else
    return lex


def load_lexicon(prefix: str) -> Lexicon:
    """The translation tables of the dictd dictionary at `prefix`; DictionaryError if it is missing."""
    return _lexicon(str(prefix), dictionary_stamp(prefix))


BRIDGED = ("ru", "en", "und")  # question languages the bridge translates (und: numbers alone)


class BridgeRetriever(Retriever):
    """Translated BM25 over the passages in a language other than the question's."""

    def __init__(self, lexical: LexicalRetriever, lexicon: Lexicon, langs: np.ndarray):
        self.lexical = lexical
        self.lexicon = lexicon
        self.langs = np.asarray(langs)

    def terms(self, text: str) -> list[tuple[str, tuple[int, ...]]]:
        """(source word, vocabulary ids of its translations) per content word of the question."""
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
                ids = {vocab[t] for t in self.lexicon.translate(s) if t in vocab}
                if len(lw) >= MIN_NAME and (w[0].isupper() or not ids):
                    # a name, or a word the dictionary lacks: the other script's words
                    # that transliterate to the same key ("Шатуновская" / "Shatunovskaya")
                    ids |= set(self.lexical.name_ids.get((name_key(s), not _CYR.search(s)), ()))
            if ids:
                out.append((w, tuple(sorted(ids))))
        return out

    def _plan(self, query: Query) -> list[tuple[np.ndarray, float]]:
        """Per structured term: its token ids and idf by the union's document frequency."""
        cached = query.cache.get("bridge")
        if cached is not None:
            return cached
        lex, plan = self.lexical, []
        # the dictionary is English-Russian: a question in another language (a Ukrainian one
        # read as Russian, a German one as English) would be translated as if it were one
        # (eval/langs: Ukrainian/Kazakh questions r@5 0.929 with it, 0.952 without)
        words = self.terms(query.text) if query.lang in BRIDGED else []
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
