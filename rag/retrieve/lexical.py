"""Lexical retrieval: BM25 (bm25s) over stemmed Russian and English tokens."""
from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ..translit import name_key
from .base import Query, Retriever, Scored, top

_TOKEN = re.compile(r"\w+", re.UNICODE)
_CYR = re.compile(r"[\u0400-\u04FF]")
# A few very frequent function words; BM25's IDF handles the rest.
_STOP = set(
    ["и", "в", "во", "не", "что", "он", "на", "я", "с", "со", "как", "а", "то", "все", "она", "так", "его", "но", "да", "ты", "к", "у", "же", "вы", "за", "бы", "по", "только", "ее", "мне", "было", "вот", "от", "меня", "еще", "нет", "о", "из", "ему", "теперь", "когда", "даже", "ну", "вдруг", "ли", "если", "уже", "или", "ни", "быть", "был", "него", "до", "вас", "нибудь", "опять", "уж", "вам", "ведь", "там", "потом", "себя", "ничего", "ей", "может", "они", "тут", "где", "есть", "надо", "ней", "для", "мы", "тебя", "их", "чем", "была", "сам", "чтоб", "без", "будто", "чего", "раз", "тоже", "себе", "под", "будет", "ж", "тогда", "кто", "этот", "того", "потому", "этого", "какой", "совсем", "ним", "здесь", "этом", "один", "почти", "мой", "тем", "чтобы", "нее", "были", "куда", "зачем", "всех", "никогда", "можно", "при", "наконец", "два", "об", "другой", "хоть", "после", "над", "больше", "тот", "через", "эти", "нас", "про", "всего", "них", "какая", "много", "разве", "три", "эту", "моя", "впрочем", "хорошо", "свою", "этой", "перед", "иногда", "лучше", "чуть", "том", "нельзя", "такой", "им", "более", "всегда", "конечно", "всю", "между", "это", "также", "которые", "который", "которых", "которая", "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "that", "this", "these", "those", "it", "its", "which", "who", "whom", "what", "when", "where", "why", "how", "did", "do", "does", "not", "no", "but", "if", "then", "than", "so", "such", "into", "about", "there", "their", "they", "them", "he", "she", "his", "her", "we", "our", "you", "your", "i", "me", "my", "has", "have", "had", "will", "would", "can", "could", "should", "may", "might", "also", "any", "all", "some", "more", "most", "other"]
)


@lru_cache(maxsize=2)
def _stemmer(lang: str):
    import Stemmer

    return Stemmer.Stemmer(lang)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer("russian" if _CYR.search(word) else "english").stemWord(word)


def tokenize(text: str) -> list[str]:
    return [_stem(w) for w in _TOKEN.findall(text.lower()) if w not in _STOP]


def name_tokens(text: str) -> list[str]:
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
    def build(cls, texts: list[str], field: str = "words", rows: list[np.ndarray] | None = None) -> LexicalRetriever:
        import bm25s

        bm = bm25s.BM25()
        bm.index([TOKENIZERS[field](t) or ["\u2205"] for t in texts], show_progress=False)
        rows = [np.arange(len(texts))] if rows is None else rows
        return cls([split(bm, r) for r in rows] if len(rows) > 1 else [bm], rows, field)

    def save(self, shard: int, folder: Path) -> None:
        self.shards[shard].save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folders: list[Path], rows: list[np.ndarray], field: str = "words") -> LexicalRetriever:
        import bm25s

        return cls([bm25s.BM25.load(str(f), mmap=False, show_progress=False) for f in folders], rows, field)

    def _tokens(self, query: Query) -> list[str]:
        return [t for t in self.tokenize(query.text) if t in self.vocab]

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
