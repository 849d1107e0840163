"""Lexical retrieval: BM25 (bm25s) over stemmed Russian and English tokens."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..translit import name_key
from .base import Query, Retriever, Scored

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
    """BM25 over one token field: stemmed words, or script-neutral name keys."""

    def __init__(self, bm25, field: str = "words"):
        self.bm25 = bm25
        self.field = field
        self.tokenize = TOKENIZERS[field]

    @classmethod
    def build(cls, texts: list[str], field: str = "words") -> LexicalRetriever:
        import bm25s

        bm = bm25s.BM25()
        bm.index([TOKENIZERS[field](t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(bm, field)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, field: str = "words") -> LexicalRetriever:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), mmap=False, show_progress=False), field)

    def search(self, query: Query, k: int, mask: np.ndarray | None = None) -> list[Scored]:
        toks = [t for t in self.tokenize(query.text) if t in self.bm25.vocab_dict]
        n = len(mask) if mask is not None else self.bm25.scores["num_docs"]
        if not toks or k <= 0 or n == 0:
            return []
        scores = self.bm25.get_scores(toks)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        kk = min(k, len(scores))
        top = np.argpartition(-scores, kk - 1)[:kk]
        top = top[np.lexsort((top, -scores[top]))]
        return [Scored(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def max_score(self, query: Query) -> float:
        """Upper bound of a BM25 score for this query: every term matched, tf -> infinity.

        Used to express a BM25 score as the share of the query's information a
        passage matches; a cross-lingual query matching only a year stays low.
        """
        toks = [t for t in self.tokenize(query.text) if t in self.bm25.vocab_dict]
        if not toks:
            return 0.0
        n = self.bm25.scores["num_docs"]
        df = np.array([self._df(t) for t in toks], dtype=np.float64)
        idfs = np.log(1 + (n - df + 0.5) / (df + 0.5))  # bm25s' default (Lucene) idf
        # bm25s (Lucene variant) scores a term idf * tf / (tf + k1 * norm) < idf
        return float(idfs.sum())

    def _df(self, token: str) -> int:
        col = self.bm25.vocab_dict[token]
        ptr = self.bm25.scores["indptr"]
        return int(ptr[col + 1] - ptr[col])
