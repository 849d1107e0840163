"""Language names in the chat's two interface languages, for the ISO 639-1 codes rag/lang.py
gives (quotes, passages, questions, the documents' languages).

No streamlit here (tests/test_ui.py). The table covers every language rag/lang.py can name: the
default of each script it knows and every language fastText tells apart within a script
(Norwegian is "no" there; "nb"/"nn" are kept for indexes tagged otherwise). A code not in the table is shown
as itself, upper-cased, so a language added to the detector later is still shown, just unnamed.
Russian names are the adjectives used after "язык" ("казахский"), lower-case as Russian writes
them; the labels that hold one are worded so that no case inflection is needed.
"""
from __future__ import annotations

from collections.abc import Iterable

UND = "und"  # rag/lang.py: text without letters

# code: (English, Russian)
NAMES: dict[str, tuple[str, str]] = {
    UND: ("undetermined", "язык не определён"),
    "af": ("Afrikaans", "африкаанс"),
    "ar": ("Arabic", "арабский"),
    "az": ("Azerbaijani", "азербайджанский"),
    "be": ("Belarusian", "белорусский"),
    "bg": ("Bulgarian", "болгарский"),
    "bn": ("Bengali", "бенгальский"),
    "bs": ("Bosnian", "боснийский"),
    "ca": ("Catalan", "каталанский"),
    "cs": ("Czech", "чешский"),
    "cy": ("Welsh", "валлийский"),
    "da": ("Danish", "датский"),
    "de": ("German", "немецкий"),
    "el": ("Greek", "греческий"),
    "en": ("English", "английский"),
    "eo": ("Esperanto", "эсперанто"),
    "es": ("Spanish", "испанский"),
    "et": ("Estonian", "эстонский"),
    "eu": ("Basque", "баскский"),
    "fa": ("Persian", "персидский"),
    "fi": ("Finnish", "финский"),
    "fr": ("French", "французский"),
    "ga": ("Irish", "ирландский"),
    "gu": ("Gujarati", "гуджарати"),
    "he": ("Hebrew", "иврит"),
    "hi": ("Hindi", "хинди"),
    "hr": ("Croatian", "хорватский"),
    "hu": ("Hungarian", "венгерский"),
    "hy": ("Armenian", "армянский"),
    "id": ("Indonesian", "индонезийский"),
    "is": ("Icelandic", "исландский"),
    "it": ("Italian", "итальянский"),
    "ja": ("Japanese", "японский"),
    "ka": ("Georgian", "грузинский"),
    "kk": ("Kazakh", "казахский"),
    "ko": ("Korean", "корейский"),
    "la": ("Latin", "латинский"),
    "lg": ("Ganda", "ганда"),
    "lt": ("Lithuanian", "литовский"),
    "lv": ("Latvian", "латышский"),
    "mi": ("Maori", "маори"),
    "mk": ("Macedonian", "македонский"),
    "mn": ("Mongolian", "монгольский"),
    "mr": ("Marathi", "маратхи"),
    "ms": ("Malay", "малайский"),
    "nb": ("Norwegian Bokmål", "норвежский букмол"),
    "nl": ("Dutch", "нидерландский"),
    "nn": ("Norwegian Nynorsk", "норвежский нюнорск"),
    "no": ("Norwegian", "норвежский"),
    "pa": ("Punjabi", "панджаби"),
    "pl": ("Polish", "польский"),
    "pt": ("Portuguese", "португальский"),
    "ro": ("Romanian", "румынский"),
    "ru": ("Russian", "русский"),
    "sk": ("Slovak", "словацкий"),
    "sl": ("Slovenian", "словенский"),
    "sn": ("Shona", "шона"),
    "so": ("Somali", "сомалийский"),
    "sq": ("Albanian", "албанский"),
    "sr": ("Serbian", "сербский"),
    "st": ("Sotho", "сесото"),
    "sv": ("Swedish", "шведский"),
    "sw": ("Swahili", "суахили"),
    "ta": ("Tamil", "тамильский"),
    "te": ("Telugu", "телугу"),
    "th": ("Thai", "тайский"),
    "tl": ("Tagalog", "тагальский"),
    "tn": ("Tswana", "тсвана"),
    "tr": ("Turkish", "турецкий"),
    "ts": ("Tsonga", "тсонга"),
    "uk": ("Ukrainian", "украинский"),
    "ur": ("Urdu", "урду"),
    "vi": ("Vietnamese", "вьетнамский"),
    "xh": ("Xhosa", "коса"),
    "yo": ("Yoruba", "йоруба"),
    "zh": ("Chinese", "китайский"),
    "zu": ("Zulu", "зулу"),
}


def determined(code: str) -> bool:
    """A language was found: not "und" (no letters) and not "" (an answer that carries none)."""
    return code not in ("", UND)


def name(code: str, lang: str) -> str:
    """The name of language `code` in interface language `lang` (Russian for "ru", English
    otherwise, as ui/labels.py falls back); an unknown code is shown upper-cased, "" as "und"."""
    if not isinstance(code, str):
        raise TypeError(f"language code must be a string, got {type(code).__name__}")
    pair = NAMES.get(code.strip().lower() or UND)
    if pair is None:
        return code.strip().upper()
    return pair[1] if lang == "ru" else pair[0]


def with_code(code: str, lang: str) -> str:
    """Name and code, as the sidebar's language filter lists them: "Ukrainian (uk)"."""
    return f"{name(code, lang)} ({code})"


def names(codes: Iterable[str], lang: str) -> str:
    """Several languages by name, in the order given: "Russian, English"."""
    return ", ".join(name(c, lang) for c in codes)
