"""Script-neutral keys for proper names, so "Kuznetsk" meets "Кузнецкого".

Lexical matching dies across languages, except for what is spelled alike:
numbers, and names once both sides are in one script. A key is the stem
(Snowball, by the word's own language), transliterated to Latin, with the
spelling variants of Russian names in English folded: y/i, ks/x, final
vowels, -iy/-y, -sk and -ev endings ("Беловский" and "Belovsky" both give
"belov"). The folding is the same on both sides, so over-folding only merges
a few names, it never splits one.
"""
from __future__ import annotations

import re

_RU = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
               ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
                "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))
_FOLD = [(re.compile(p), r) for p, r in (
    (r"kh", "h"), (r"ks", "x"), (r"t[sz]|z", "z"), (r"[yj]", "i"), (r"ii+", "i"), (r"w", "v"),
    (r"(?<=.)[aeiou]+$", ""),  # inflection vowels and -y/-iy/-ii endings
    (r"(?<=..)i?ev$", ""),  # Zinoviev / Зиновьев (stem "зинов")
    (r"(?<=...)sk$", ""),  # adjectival: Pavlodar / Павлодарской, Belovsky / Беловского
    (r"(?<=.)[aeiou]+$", ""),
)]


def to_latin(word: str) -> str:
    return "".join(_RU.get(ch, ch) for ch in word.lower())


def name_key(stem: str) -> str:
    k = to_latin(stem)
    for pat, rep in _FOLD:
        k = pat.sub(rep, k)
    return k


# Sound keys: a name in any script against its spelling in the passages' (research/bridge_langs.py
# --modes sounds). anyascii romanises every script ("ब्रोंकोस" -> "bromkos", "Μπρόνκος" ->
# "Mpronkos", "特斯拉" -> "TeSiLa"); the key is what is left of the consonants once the letters that
# the scripts write for one sound are merged (p/b, f/v, k/g/c/q, s/z, t/d; Greek "mp" is b, "nt" d),
# the vowels and the letters that stand for them (h, w, y) dropped, doubles and a final s too:
# "Broncos", "ब्रोंकोस", "البرونكوس", "Μπρόνκος" are all "brnk".
MIN_SOUND = 3  # consonants of a key a name is looked up by ("tsl": Tesla; "jn", John, would find "join")
_SOUND_PAIRS = (("ph", "f"), ("ck", "k"), ("x", "ks"), ("th", "t"), ("sh", "s"), ("ch", "k"), ("dj", "j"),
                ("mp", "b"), ("nt", "d"), ("gk", "g"), ("ng", "n"))
_SOUND_MERGE = str.maketrans("pvgcqzd", "bfkkkst")
_NASAL_M = re.compile(r"m(?=[^aeiouywhbpm])")  # Hindi's anusvara romanised as m before a consonant
_NOT_CONSONANT = re.compile(r"[^a-z]|[aeiouyhw]")
_DOUBLE = re.compile(r"(.)\1+")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_ARABIC_VOWELS = str.maketrans({"و": "u", "ي": "i", "ى": "a", "ة": "a"})  # long vowels written as letters
_ARABIC_ARTICLE = re.compile(r"^(?:[وفبلك]?ال|لل)(?=\w{3})")  # al-, wa-l-, bi-l-, li-l-


def sound_key(word: str) -> str:
    """`word`'s consonants as they sound, in Latin letters, whatever its script."""
    from anyascii import anyascii

    if _ARABIC.search(word):
        word = _ARABIC_ARTICLE.sub("", word).translate(_ARABIC_VOWELS)
    k = _NASAL_M.sub("n", anyascii(word).lower())
    for a, b in _SOUND_PAIRS:
        k = k.replace(a, b)
    k = _DOUBLE.sub(r"\1", _NOT_CONSONANT.sub("", k.translate(_SOUND_MERGE)))
    return k.removesuffix("s")


_LATIN_WORD = re.compile(r"[a-z]{3,}")


def name_sound(word: str) -> str | None:
    """`word`'s sound key where it holds MIN_SOUND consonants or more (enough to name), else None."""
    k = sound_key(word)
    return k if len(k) >= MIN_SOUND else None


def latin_word(token: str) -> bool:
    """A lowercased Latin-script word of 3 letters or more (what a name in another script is
    compared with: the bridge's passages, the partial-match line's sentences)."""
    return _LATIN_WORD.fullmatch(token) is not None


def latin_sound(token: str) -> str | None:
    """A latin_word's sound key, None for anything else."""
    return sound_key(token) if latin_word(token) else None
