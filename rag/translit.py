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
