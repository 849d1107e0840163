"""BM25's analyzer: the tokens of a text in its identified language.

- Russian and English words (and numbers) are what they always were: lowercased `\\w+` runs,
  a short stop list, the Snowball stemmer of their script, untagged. An index of Russian and
  English documents is byte for byte the index it was before languages were identified.
- A word of another language (the text's identified language where the word is in that
  language's script, else its script's default language) is tagged with it, "de:haus", so a
  German "die" never matches an English "die" and a Ukrainian word never a Russian one. It is
  stemmed by Snowball where PyStemmer has the language (about 30), dropped when stopwordsiso
  lists it, and left lowercased otherwise.
- Chinese, Japanese and Thai are written without spaces: a run of their letters becomes its
  overlapping character n-grams, bigrams for Chinese and Japanese, trigrams for Thai (a shorter
  run stays whole), the classical choice for BM25 in these languages; no segmenter dictionary
  is loaded. `python -m research.analyzers` (BM25 alone, XQuAD's 240 paragraphs a language):
  zh r@1 0.105 -> 0.931 (jieba 0.917, uni+bigrams 0.904), th 0.803 -> 0.936 (bigrams 0.910),
  hi 0.702 -> 0.904, ar 0.816 -> 0.884; ru unchanged, en 0.938 -> 0.936.
- Words keep their combining marks (Hindi's vowel signs, Thai's vowels, Arabic's harakat):
  `\\w` alone would cut them apart.
"""
from __future__ import annotations

import re
from functools import lru_cache

import regex

from .lang import DEFAULT, char_script, script_of

_RUN = regex.compile(r"[\p{L}\p{M}\p{N}_]+")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_CYR = re.compile(r"[\u0400-\u04FF]")
_LATIN_CYRILLIC = ("latin", "cyrillic", None)
UNTAGGED = ("ru", "en")  # the product's first languages, analysed as before languages were identified
NGRAMS = {"zh": 2, "ja": 2, "th": 3}  # written without spaces: a run of letters as character n-grams
# A few very frequent function words; BM25's IDF handles the rest.
_STOP = set(
    ["и", "в", "во", "не", "что", "он", "на", "я", "с", "со", "как", "а", "то", "все", "она", "так", "его", "но", "да", "ты", "к", "у", "же", "вы", "за", "бы", "по", "только", "ее", "мне", "было", "вот", "от", "меня", "еще", "нет", "о", "из", "ему", "теперь", "когда", "даже", "ну", "вдруг", "ли", "если", "уже", "или", "ни", "быть", "был", "него", "до", "вас", "нибудь", "опять", "уж", "вам", "ведь", "там", "потом", "себя", "ничего", "ей", "может", "они", "тут", "где", "есть", "надо", "ней", "для", "мы", "тебя", "их", "чем", "была", "сам", "чтоб", "без", "будто", "чего", "раз", "тоже", "себе", "под", "будет", "ж", "тогда", "кто", "этот", "того", "потому", "этого", "какой", "совсем", "ним", "здесь", "этом", "один", "почти", "мой", "тем", "чтобы", "нее", "были", "куда", "зачем", "всех", "никогда", "можно", "при", "наконец", "два", "об", "другой", "хоть", "после", "над", "больше", "тот", "через", "эти", "нас", "про", "всего", "них", "какая", "много", "разве", "три", "эту", "моя", "впрочем", "хорошо", "свою", "этой", "перед", "иногда", "лучше", "чуть", "том", "нельзя", "такой", "им", "более", "всегда", "конечно", "всю", "между", "это", "также", "которые", "который", "которых", "которая", "the", "a", "an", "and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "that", "this", "these", "those", "it", "its", "which", "who", "whom", "what", "when", "where", "why", "how", "did", "do", "does", "not", "no", "but", "if", "then", "than", "so", "such", "into", "about", "there", "their", "they", "them", "he", "she", "his", "her", "we", "our", "you", "your", "i", "me", "my", "has", "have", "had", "will", "would", "can", "could", "should", "may", "might", "also", "any", "all", "some", "more", "most", "other"]
)
# ISO 639-1 -> PyStemmer's Snowball algorithm
SNOWBALL = {"ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
            "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
            "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish",
            "it": "italian", "lt": "lithuanian", "ne": "nepali", "nb": "norwegian", "nn": "norwegian",
            "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
            "sr": "serbian", "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
            "yi": "yiddish"}


@lru_cache(maxsize=None)
def _stemmer(algorithm: str):
    import Stemmer

    return Stemmer.Stemmer(algorithm)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """Russian or English stem of a word, by its script (the untagged analysis)."""
    return _stemmer("russian" if _CYR.search(word) else "english").stemWord(word)


def analyze(text: str, lang: str | None = None) -> list[str]:
    """BM25 tokens of `text` in language `lang` (None, "und": by script alone)."""
    return [t for w in words(text.lower()) for t in _word(w, lang)]


def words(text: str) -> list[str]:
    """The words `analyze` reads, in one script each, as written (case kept)."""
    return [piece for run in _RUN.findall(text) for piece in _pieces(run)]


def _pieces(run: str) -> list[str]:
    """A run of letters cut where the script changes ("iphone手机" -> "iphone", "手机"); Latin and
    Cyrillic stay together, as `\\w+` kept them. Digits and marks go with what they follow."""
    cuts, prev = [0], None
    for i, ch in enumerate(run):
        s = char_script(ch)
        if s is None:
            continue
        if prev is not None and s != prev and not (s in _LATIN_CYRILLIC and prev in _LATIN_CYRILLIC):
            cuts.append(i)
        prev = s
    return [run[a:b] for a, b in zip(cuts, cuts[1:] + [len(run)])] if len(cuts) > 1 else [run]


@lru_cache(maxsize=200_000)
def _word(piece: str, lang: str | None) -> tuple[str, ...]:
    ws = next((s for s in map(char_script, piece) if s is not None), None)
    own = lang if lang and ws and script_of(lang) == ws else DEFAULT.get(ws)
    if own is None or own in UNTAGGED:
        return tuple(_stem(w) for w in _TOKEN.findall(piece) if w not in _STOP)
    if own in NGRAMS:
        n = NGRAMS[own]
        grams = [piece[i : i + n] for i in range(len(piece) - n + 1)] or [piece]
        return tuple(f"{own}:{g}" for g in grams)
    if piece in _stopwords(own):
        return ()
    algorithm = SNOWBALL.get(own)
    return (f"{own}:{_stemmer(algorithm).stemWord(piece) if algorithm else piece}",)


@lru_cache(maxsize=None)
def _stopwords(lang: str) -> frozenset[str]:
    import stopwordsiso

    return frozenset(w.lower() for w in stopwordsiso.stopwords(lang)) if stopwordsiso.has_lang(lang) else frozenset()


def tagged(token: str) -> str | None:
    """The language a token is tagged with (None: an untagged Russian, English or number token)."""
    head, sep, _ = token.partition(":")
    return head if sep else None


def untagged(token: str) -> str:
    """A token without its language tag ("de:stalin" -> "stalin"): names compare across languages."""
    return token.partition(":")[2] or token
