"""Place names across languages: the countries and cities of the Unicode CLDR in 16 languages
(rag/models/places.json, written by research/recipes/places.py from Babel's copy of CLDR).

A bilingual dictionary lacks proper names, and a transliteration key or a sound key misses an
exonym: "Варшаве" is "Warsaw", "Польше" is "Poland", "Βαρσοβία" is "Warsaw" too. Each name
is analysed as BM25 analyses its language (rag/analyze.py), so an inflected form meets its
stem; names the analyzer makes more than one token of ("Los Angeles") are left out. Read by
the partial-match line (rag/evidence.py held) and the bridge (rag/retrieve/bridge.py).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .analyze import analyze

PATH = Path(__file__).parent / "models" / "places.json"


@lru_cache(maxsize=1)
def _by_token() -> dict[str, frozenset[str]]:
    """Analysed token ("варшав", "warsaw", "de:warschau") -> the places it names."""
    data = json.loads(PATH.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    for place, names in data["places"].items():
        for lang, name in names.items():
            tokens = analyze(name, lang)
            if len(tokens) == 1:
                out.setdefault(tokens[0], set()).add(place)
    return {t: frozenset(p) for t, p in out.items()}


@lru_cache(maxsize=1)
def _tokens_of() -> dict[str, frozenset[str]]:
    """Place -> the analysed tokens that name it, in every language of the table."""
    out: dict[str, set[str]] = {}
    for token, found in _by_token().items():
        for place in found:
            out.setdefault(place, set()).add(token)
    return {p: frozenset(t) for p, t in out.items()}


def same_places(token: str) -> frozenset[str]:
    """The tokens that name what `token` names, in any language ("варшав" -> "warsaw",
    "de:warschau"...); empty for a token that names no place."""
    names = _tokens_of()
    return frozenset().union(*(names[p] for p in _by_token().get(token, ())))


def places(tokens) -> frozenset[str]:
    """The places the analysed tokens name (CLDR ids: "PL", "Europe/Warsaw")."""
    table = _by_token()
    return frozenset().union(*(table.get(t, ()) for t in tokens))
