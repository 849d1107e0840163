"""Lexical retrieval: BM25 (bm25s) over each language's own tokens.

Russian and English words are stemmed by script, untagged, as they always were (so an index of
them is what it was before languages were identified). A word of another identified language
is analysed by that language (rag/analyze.py) and tagged with it ("de:haus"), so that a German
"die" never matches an English one; numbers stay untagged and match across languages."""
from __future__ import annotations

from difflib import SequenceMatcher
from functools import cached_property
from pathlib import Path

import numpy as np
import regex

from ..analyze import _CYR, _STOP, _TOKEN, NGRAMS, _stem, _word, analyze, tagged, untagged, words
from ..lang import MIN_WORDS, script_of
from ..translit import name_key, name_sound
from .base import Query, Retriever, Scored, top

# A question word the index never saw is looked up among the index's words of its language
# that sound alike (rag/translit.py sound_key) and are spelled nearly alike (difflib's ratio of
# the word or its stem to the index's word at least SPELLING_RATIO; the closest kept, ties all):
# a name transliterated two ways ("رودوفيت" / "روديوفيت", "अमेज़न" / "अमेज़ॅन"), a stemmer cutting one
# form and not another ("بلاستوم"), a misspelling ("Ghandi"). Words of fewer than SPELLING_LETTERS
# letters stay exact, as fuzzy search leaves short words alone ("करने" is not "करेन"), and so does
# a lowercase word where the script has capitals: a word the index lacks is then an ordinary
# word, not a name written another way ("pilot" is no "plot": 2 follow-ups lost before this rule).
# `python -m research.spellings`, r@1 of each language's questions over its own XQuAD paragraphs
# (719 a language): Arabic 672 -> 676 (1 lost / 5 gained), Spanish 687 -> 688, Hindi 1 / 1,
# Vietnamese 1 / 0 ("Panther" found as "panthers"; every loss a right spelling that happened to
# rank another paragraph first), the other eight unchanged; Chinese, Japanese and Thai (character
# n-grams) left out.
SPELLING_RATIO = 0.8
SPELLING_LETTERS = 4
_LETTER = regex.compile(r"\p{L}")


def tokenize(text: str, lang: str | None = None) -> list[str]:
    return analyze(text, lang)


def name_tokens(text: str, lang: str | None = None) -> list[str]:
    """Script-neutral keys of capitalised words (names, places, acronyms)."""
    return [name_key(_stem(w.lower())) for w in _TOKEN.findall(text)
            if len(w) >= 3 and w[0].isupper() and w.lower() not in _STOP]


TOKENIZERS = {"words": tokenize, "names": name_tokens}


class LexicalRetriever(Retriever):
    """BM25 over one token field (stemmed words, or script-neutral name keys),
    held as one bm25s index per shard.

    Shards score with the statistics of the whole index (document frequencies,
    document count, average length): the index is built once over all chunks
    and its precomputed score matrix is cut by shard rows (`split`), so every
    shard holds exactly the scores the unsharded index has for its chunks and
    the merged top k is the unsharded top k. (At a scale where one process
    cannot build the whole matrix, the same statistics are a reduce over the
    shards' term counts; docs/scale.md.)
    """

    def __init__(self, shards: list, rows: list[np.ndarray], field: str = "words"):
        self.shards = shards  # bm25s.BM25 per shard, all with the global vocabulary
        self.rows = rows  # global chunk rows of each shard
        self.field = field
        self.tokenize = TOKENIZERS[field]
        self.vocab = shards[0].vocab_dict
        # document frequency per token over all shards (a shard's column holds one entry per chunk with the term)
        self.df = sum(np.diff(np.asarray(b.scores["indptr"], dtype=np.int64)) for b in shards)
        self.num_docs = sum(len(r) for r in rows)

    @classmethod
    def build(cls, texts: list[str], field: str = "words", rows: list[np.ndarray] | None = None,
              langs: list[str] | None = None) -> LexicalRetriever:
        """`langs`: each text's identified language (None: by script alone, as Russian/English)."""
        import bm25s

        bm = bm25s.BM25()
        langs = [None] * len(texts) if langs is None else langs
        docs = [TOKENIZERS[field](t, lang) or ["\u2205"] for t, lang in zip(texts, langs)]
        # the vocabulary in sorted order, where bm25s numbers a set's (whose order follows the
        # process's hash seed): the same texts write the same files, the same scores either way
        vocab = {tok: i for i, tok in enumerate(sorted({tok for d in docs for tok in d}))}
        bm.index(bm25s.tokenization.Tokenized(ids=[[vocab[tok] for tok in d] for d in docs], vocab=vocab),
                 show_progress=False)
        rows = [np.arange(len(texts))] if rows is None else rows
        return cls([split(bm, r) for r in rows] if len(rows) > 1 else [bm], rows, field)

    def save(self, shard: int, folder: Path) -> None:
        self.shards[shard].save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folders: list[Path], rows: list[np.ndarray], field: str = "words") -> LexicalRetriever:
        import bm25s

        return cls([bm25s.BM25.load(str(f), mmap=False, show_progress=False) for f in folders], rows, field)

    def _tokens(self, query: Query) -> list[str]:
        """The query analysed in its language. A question of one or two words has no reliable
        language (rag/lang.py gives its script's default): it is analysed in each language of
        that script the index holds too, and whatever the index has of it counts."""
        toks = self.tokenize(query.text, query.lang)
        if self.field == "words" and len(_TOKEN.findall(query.text)) < MIN_WORDS:
            own = script_of(query.lang)
            for lang in sorted(self.tagged_langs):
                if lang != query.lang and own is not None and script_of(lang) == own:
                    toks += [t for t in self.tokenize(query.text, lang) if t not in toks]
        toks = [t for t in toks if t in self.vocab]
        if self.field == "words":
            toks += [t for t in self._spellings(query) if t not in toks]
        return toks

    def _spellings(self, query: Query) -> list[str]:
        """The index's spellings of the question's words it lacks (SPELLING_RATIO), once a query."""
        key = ("spellings", id(self))
        if key not in query.cache:
            out: list[str] = []
            for w in words(query.text):
                if w[0].islower() or len(_LETTER.findall(w)) < SPELLING_LETTERS or any(c.isdigit() for c in w):
                    continue  # in a script with capitals, only a name: "pilot" is no "plot"
                toks = _word(w.lower(), query.lang)
                if len(toks) != 1 or toks[0] in self.vocab or tagged(toks[0]) in NGRAMS:
                    continue
                out += [t for t in self._spelled_like(w.lower(), toks[0]) if t not in out]
            query.cache[key] = out
        return query.cache[key]

    def _spelled_like(self, word: str, token: str) -> list[str]:
        """Vocabulary tokens of `token`'s language that sound like `word` or its stem, the
        nearest spelled if near enough."""
        tag, forms = tagged(token), {word, untagged(token)}
        cands = {c for f in forms if (k := name_sound(f)) for c in self.spelling_tokens.get((tag, k), ())}
        near: dict[str, float] = {}
        for f in forms:
            m = SequenceMatcher(None, "", f)
            for c in cands:
                m.set_seq1(untagged(c))
                # difflib's cheap upper bounds first, as get_close_matches does: a short sound
                # key in a large index has many words, and few come near
                if m.real_quick_ratio() >= SPELLING_RATIO and m.quick_ratio() >= SPELLING_RATIO:
                    near[c] = max(near.get(c, 0.0), m.ratio())
        best = max(near.values(), default=0.0)
        return sorted(c for c, r in near.items() if r == best) if best >= SPELLING_RATIO else []

    @cached_property
    def spelling_tokens(self) -> dict[tuple[str | None, str], tuple[str, ...]]:
        """(language tag, sound key) -> the vocabulary's tokens with them, built on first use (one
        pass over the vocabulary; the bridge's names by their sound read it too)."""
        out: dict[tuple[str | None, str], list[str]] = {}
        for tok in self.vocab:
            tag, word = tagged(tok), untagged(tok)
            if tag not in NGRAMS and not word.isdigit() and (k := name_sound(word)):
                out.setdefault((tag, k), []).append(tok)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def tagged_langs(self) -> frozenset[str]:
        """The languages the index holds tagged tokens of (rag/analyze.py)."""
        return frozenset(filter(None, map(tagged, self.vocab)))

    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        toks = self._tokens(query)
        if not toks or k <= 0 or self.num_docs == 0:
            return []
        return self.fan_out(lambda bm, rows: bm.get_scores(toks), k, mask)

    def fan_out(self, score, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        """Each shard's own top k by `score(bm25s index, its global rows)`, merged by
        one total order (score, then row): the same top k as one unsharded index."""
        rows_all, scores_all = [], []
        for bm, rows in zip(self.shards, self.rows):
            if not len(rows):
                continue
            scores = score(bm, rows)
            if mask is not None:
                scores = np.where(mask[rows], scores, 0.0)
            best = top(scores, k, rows)
            best = best[scores[best] > 0]
            rows_all.append(rows[best])
            scores_all.append(scores[best])
        if not rows_all:
            return []
        rows, scores = np.concatenate(rows_all), np.concatenate(scores_all)
        order = np.lexsort((rows, -scores))[:k]  # merge; ties by row, as in one index
        return [Scored(int(rows[i]), float(scores[i])) for i in order]

    @cached_property
    def token_idf(self) -> np.ndarray:
        """idf of every vocabulary token: whole-index statistics, computed once, not per query."""
        return idf(self.df, self.num_docs)

    @cached_property
    def name_ids(self) -> dict[tuple[str, bool], tuple[int, ...]]:
        """(script-neutral name key, Cyrillic?) -> vocabulary ids with that key (rag/translit.py),
        so that a name in one script finds its spellings in the other; built on first use."""
        out: dict[tuple[str, bool], list[int]] = {}
        for tok, i in self.vocab.items():
            if len(tok) >= 3 and not tok.isdigit():
                out.setdefault((name_key(tok), bool(_CYR.search(tok))), []).append(i)
        return {k: tuple(v) for k, v in out.items()}

    def max_score(self, query: Query) -> float:
        """Upper bound of a BM25 score for this query: every term matched, tf -> infinity.

        Used to express a BM25 score as the share of the query's information a
        passage matches; a cross-lingual query matching only a year stays low.
        """
        toks = self._tokens(query)
        if not toks:
            return 0.0
        # bm25s (Lucene variant) scores a term idf * tf / (tf + k1 * norm) < idf
        return float(self.token_idf[[self.vocab[t] for t in toks]].sum())


def idf(df, n: int) -> np.ndarray:
    """bm25s' default (Lucene) idf of document frequencies `df` among `n` passages."""
    df = np.asarray(df, dtype=np.float64)
    return np.log(1 + (n - df + 0.5) / (df + 0.5))


def split(bm, rows: np.ndarray):
    """The bm25s index restricted to chunk `rows` (renumbered 0..len-1), with the
    scores, hence the statistics, of the whole index. bm25s keeps its eager
    scores as a CSC matrix: column = token, `indices` = chunk rows."""
    import copy

    data, indices, indptr = (np.asarray(bm.scores[k]) for k in ("data", "indices", "indptr"))
    local = np.full(bm.scores["num_docs"], -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    keep = local[indices] >= 0
    kept = np.concatenate([[0], np.cumsum(keep)])
    sub = copy.copy(bm)
    sub.scores = {"data": data[keep], "indices": local[indices[keep]].astype(indices.dtype),
                  "indptr": kept[indptr].astype(indptr.dtype), "num_docs": len(rows)}
    return sub
