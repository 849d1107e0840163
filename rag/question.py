"""What a question asks (stage 7, before the answer): its answer type and its constraints.

The classical analysis of question answering before neural readers (Moldovan et al.
2000, Ravichandran & Hovy 2002): a wh-word or a fixed phrase names the type of the
answer ("сколько" -> a number, "в каком году" -> a date, "кто" -> a name), and
the question's own years, numbers and names are constraints the evidence must hold.
Patterns cover Russian and English first, the plain forms of German, Spanish, French and
Italian, and the question words of XQuAD's other languages (Romanian, Turkish, Vietnamese,
Greek, Arabic, Hindi, Thai, Chinese) and of Ukrainian and Kazakh; any other question gets
the type "other" and constraints only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import regex

from .analyze import _STOP, _TOKEN, _stem, analyze
from .translit import name_key

# the measures a number question may name ("What was the turnout", "Какова доля"); _MEASURED
# takes the one named, whose number rag/span.py then prefers
_MEASURES_EN = (r"percentage|percent|proportion|share|fraction|amount|size|population|price|rate|ratio|distance"
                r"|length|height|area|speed|temperature|age|cost|budget|capacity|density|weight|width|depth"
                r"|elevation|altitude|turnout|salary|income|revenue|wage")
_MEASURES_RU = r"доля|процент|численность|количество|размер|тираж|сумма|явка|стоимость|цена|население"
_RU_WAS = r"(?:был[аои]? )?(?:средн\w{2,3} )?"  # "Какой была средняя явка": a past "to be", "average"
# German and Spanish measures ("Was war die durchschnittliche Haushaltsgröße", "¿Cuál era la
# población de Varsovia"): the same kind of question as English's, checked against the English
# question's type on XQuAD's training articles (python -m research.question_words)
_MEASURES_DE = (r"anteil|prozentsatz|\w*größe|bevölkerung|einwohnerzahl|anzahl|endstand|endergebnis|ergebnis"
                r"|punktestand|preis|kosten|höhe|länge|fläche|entfernung|temperatur|alter|dichte|quote|rate|verhältnis")
_MEASURES_ES = (r"porcentaje|proporción|población|tamaño|resultado|cantidad|número|precio|costo|coste|edad"
                r"|altura|longitud|superficie|área|distancia|temperatura|densidad|tasa|cifra")
_WAS_DE = r"(?:was|wie) (?:ist|war|sind|waren|lautet|lautete|lauteten|betrug|beträgt) (?:der|die|das) (?:\w+ ){0,2}?"
_WAS_ES = r"cuál (?:es|era|fue|sería) (?:el|la|los|las) (?:\w+ ){0,2}?"
# answer type -> patterns on the lowercased question (first match in this order wins)
_TYPES_RU_EN_WEST: dict[str, str] = {
    "date": r"\b(?:when|what (?:year|date|day|month|decade|century)|which (?:year|date|month|decade|century)"
            r"|in (?:what|which) (?:year|month|decade|century)|on what (?:date|day)|what time|since when"
            r"|how long ago)\b"
            r"|(?<!\w)(?:когда|в каком (?:году|месяце|веке)|какого (?:года|числа)|в какой (?:день|год)"
            r"|какой (?:год|датой)|какая дата|с какого (?:года|времени)|до какого года|в каком десятилетии)(?!\w)"
            r"|\b(?:wann|(?:in |für )?welche[ms] jahr|in welche[mns] (?:jahrzehnt|jahrhundert|monat)|seit wann|cuándo"
            r"|en qué (?:año|década|siglo|mes)|(?<=¿)cuando|quand"
            r"|en quelle année|quando|in che anno)\b",
    "number": r"\b(?:how (?:many|much|long|old|far|large|big|tall|high|wide|deep|often|fast|heavy)"
              rf"|what (?:(?:is|was|are|were) (?:the |its |their )?(?:[\w'’]+ ){{0,2}})?(?:{_MEASURES_EN}|number|sum|score"
              r"|value)"
              r"|by how much|to what extent in)\b"
              rf"|(?<!\w)(?:сколько|скольких|скольким|каков[аоы]? {_RU_WAS}(?:{_MEASURES_RU}|число)"
              # "Какой была явка", "Какая была средняя цена": the adjective, a past "to be", the measure
              rf"|как(?:ой|ая|ое|ими?) {_RU_WAS}(?:доля|численность|сумма|явка|стоимость|цена"
              r"|население|тираж|размер|количество|соотношени[ея]м?)|каково (?:было )?соотношение"
              r"|какой (?:процент|тираж|размер|объ[её]м)|какая (?:доля|часть|сумма"
              r"|численность)|какое (?:количество|число)|каким тиражом|на сколько|во сколько|какую долю)(?!\w)"
              # a share in any case ("Какому проценту населения", "Каким является процент", "Какова
              # процентная доля"): XQuAD's training articles type 3 of 10 such questions otherwise
              r"|(?<!\w)(?:как(?:ого|ому|им)|каков[аоы]?)(?: (?:является|был[аои]?))? (?:процент\w*|процентн\w+ дол\w+)"
              r"|\b(?:wie viel(?:e[nm]?)?|wieviele?|das wievielfache|wie (?:alt|lange|hoch|groß|weit|oft|schwer)"
              rf"|welche[mrsn]? (?:prozentsatz|anteil|anzahl|menge|mengen)|{_WAS_DE}(?:{_MEASURES_DE})"
              rf"|cuánt[oa]s?|qué (?:porcentaje|edad|cantidad|proporción)|con qué frecuencia|a qué distancia"
              rf"|{_WAS_ES}(?:{_MEASURES_ES})|combien|quant[oie])\b",
    "person": r"\b(?:who|whom|whose|which (?:person|man|woman|historian|author|writer|scientist|king|emperor"
              r"|president|leader|scholar|general|politician|artist|composer|philosopher))\b"
              r"|(?<!\w)(?:кто|кого|кому|кем|чей|чья|чьё|чье|чьи|какой (?:историк|автор|учёный|ученый"
              r"|исследователь|руководитель|писатель|деятель|лидер))(?!\w)"
              r"|\b(?:wer|wem|wen|wessen|quién|quiénes|qui|chi)\b",
    "place": r"\b(?:where|in what (?:city|country|region|town|state|place)|(?:which|what) (?:city|country|region"
             r"|town|state|river|continent))\b"
             r"|(?<!\w)(?:где|куда|откуда|в каком (?:городе|регионе|районе|округе|месте)|в какой (?:стране"
             r"|области|губернии))(?!\w)"
             r"|\b(?:wo|wohin|woher|(?:in )?welche[mrsn]? (?:stadt|land|staat|region|fluss|kontinent)"
             r"|dónde|(?:en )?qué (?:país|ciudad|región|estado|río|continente)|où|dove)\b",
}
# The question words of the other languages XQuAD holds, and Ukrainian and Kazakh (issue 30),
# used only for a question identified as that language: Romanian "cine" (who) is Spanish
# "cinema", Ukrainian "де" (where) the particle of "Томас де Мезьер". Whole words (the
# `regex` module's \w keeps Hindi's and Thai's vowel signs inside a word); Thai and Chinese
# put no space between words, so theirs match anywhere. Checked against the English
# question's type on XQuAD's training articles (python -m research.question_words): each
# word below types at least 4 of 5 of its questions as the English one does, but Arabic's
# initial "من" (who; 0.68) and Hindi's "कौन" (0.76). Greek "ποιος" is "who" and "which" alike
# (0.57) and is left out; Spanish "cuando" without its accent is a conjunction as often.
_TYPES_BY_LANG: dict[str, dict[str, str]] = {
    "ro": {"date": r"când|în (?:ce|care) an", "number": r"câte|câți|cât|ce procent",
           "person": r"cine|pe cine", "place": r"unde"},
    "tr": {"date": r"ne zaman|hangi yıl\w*", "number": r"kaç|ne kadar", "person": r"kim\w*",
           "place": r"nerede|nereye|nereden"},
    "vi": {"date": r"khi nào|bao giờ|năm nào|lúc nào", "number": r"bao nhiêu|bao lâu|mấy", "person": r"ai",
           "place": r"ở đâu|đâu"},
    "el": {"date": r"πότε|ποιο έτος|ποια χρονιά", "number": r"πόσ(?:οι|ες|α|ο|ος|η|ων|ους)|τι ποσοστό",
           "place": r"πού"},
    "ar": {"date": r"متى|(?:في )?أي (?:عام|سنة)", "number": r"كم|ما (?:هو )?(?:عدد|نسبة)", "person": r"^\W*من",
           "place": r"أين"},
    "hi": {"date": r"कब|किस (?:वर्ष|साल|सन)", "number": r"कितन[ेाी]",
           "person": r"किसने|किसके|किसे|किसको|कौन(?! सा| सी| से)", "place": r"कहाँ|कहां"},
    "uk": {"date": r"коли|в якому році|якого року", "number": r"скільки",
           "person": r"хто|кого|кому|ким|чий|чия|чиє|чиї", "place": r"де|куди|звідки"},
    "kk": {"date": r"қашан|қай жылы", "number": r"қанша|неше", "person": r"кім\w*", "place": r"қайда|қай жерде|қайдан"},
}
_TYPES_UNSPACED: dict[str, dict[str, str]] = {
    "th": {"date": r"เมื่อใด|เมื่อไร|เมื่อไหร่|ปีใด|ปีไหน|ปีอะไร", "number": r"กี่|เท่าไร|เท่าไหร่|เท่าใด",
           "person": r"ใคร", "place": r"ที่ไหน|ที่ใด"},
    "zh": {"date": r"什么时候|何时|哪一年|哪年|何年", "number": r"多少|几[个次位名种天岁]|多长|多久|多远|多高|多大",
           "person": r"谁", "place": r"哪里|哪儿|何处"},
}
_KINDS = ("date", "number", "person", "place")


def _types(lang: str | None) -> tuple[tuple[str, regex.Pattern], ...]:
    """The (answer type, pattern) pairs a question in `lang` is typed by."""
    return _TYPES_FOR.get(lang or "", _TYPES)


_TYPES: tuple[tuple[str, regex.Pattern], ...] = tuple((k, regex.compile(_TYPES_RU_EN_WEST[k])) for k in _KINDS)
_TYPES_FOR: dict[str, tuple[tuple[str, regex.Pattern], ...]] = {
    **{lang: tuple((k, regex.compile(rf"{_TYPES_RU_EN_WEST[k]}|(?<!\w)(?:{w[k]})(?!\w)" if k in w else
                                      _TYPES_RU_EN_WEST[k])) for k in _KINDS)
       for lang, w in _TYPES_BY_LANG.items()},
    **{lang: tuple((k, regex.compile(f"{_TYPES_RU_EN_WEST[k]}|{w[k]}")) for k in _KINDS)
       for lang, w in _TYPES_UNSPACED.items()},
}
# Months in English and Russian (every case: "октября", "в декабре", "мая"), 1-12 in order:
# a question's date ("1 October 1930", "в декабре 1937 года", "April 1923") is a constraint
# the evidence must hold as a date, not only as its year.
_MONTHS = (r"jan(?:uary)?|январ\w*", r"feb(?:ruary)?|феврал\w*", r"mar(?:ch)?|март\w*", r"apr(?:il)?|апрел\w*",
           r"may|ма[йяе]", r"june?|июн\w*", r"july?|июл\w*", r"aug(?:ust)?|август\w*",
           r"sep(?:t(?:ember)?)?|сентябр\w*", r"oct(?:ober)?|октябр\w*", r"nov(?:ember)?|ноябр\w*",
           r"dec(?:ember)?|декабр\w*")
_MONTH_NO = [re.compile(rf"(?i)(?:{m})") for m in _MONTHS]
_DATE = re.compile(
    rf"(?i)(?<!\w)(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th|-?го)?\s+(?:of\s+)?)?(?P<m>(?:{'|'.join(_MONTHS)}))(?!\w)\.?,?"
    rf"\s+(?:(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?(?P<y>1[0-9]{{3}}|20[0-9]{{2}})(?!\d)"
    rf"|(?<![\d.])(?P<nd>\d{{1,2}})\.(?P<nm>\d{{1,2}})\.(?P<ny>1[0-9]{{3}}|20[0-9]{{2}})(?!\d)")


# a day and a month without a year: "on March 26" (the year said a sentence before)
_DAY_MONTH = re.compile(rf"(?i)(?<!\w)(?:(?P<d1>\d{{1,2}})(?:-?го)?\s+(?P<m1>{'|'.join(_MONTHS)})"
                        rf"|(?P<m2>{'|'.join(_MONTHS)})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)(?!\w)")


def _month(word: str) -> int:
    return next(i for i, p in enumerate(_MONTH_NO, 1) if p.fullmatch(word))


def dates(text: str, yearless: bool = False) -> list[tuple[str, tuple[int, int, int]]]:
    """The dates of `text` with a month and a year, as written and as (year, month, day),
    day 0 when none is given: "1 October 1930", "October 1, 1930", "1 октября 1930 г.",
    "в декабре 1937 года", "01.10.1930". `yearless`: also a day and a month alone
    ("on March 26"), as year 0."""
    out, taken = [], []
    for m in _DATE.finditer(text):
        taken.append(m.span())
        if m.group("ny"):
            y, mo, d = int(m.group("ny")), int(m.group("nm")), int(m.group("nd"))
        else:
            y, d = int(m.group("y")), int(m.group("d1") or m.group("d2") or 0)
            mo = _month(m.group("m"))
        if m.group("m") and m.group("m").isascii() and not m.group("m")[0].isupper():
            continue  # English writes its months capitalised: "they may 2000" is no date
        if 1 <= mo <= 12 and d <= 31:
            out.append((m.group().strip(" ,."), (y, mo, d)))
    for m in _DAY_MONTH.finditer(text) if yearless else ():
        word = m.group("m1") or m.group("m2")
        if any(a < m.end() and m.start() < b for a, b in taken) or (word.isascii() and not word[0].isupper()):
            continue
        day = int(m.group("d1") or m.group("d2"))
        if day <= 31:
            out.append((m.group(), (0, _month(word), day)))
    return out


# a day of the month is part of a date, not a quantity the evidence must repeat
_MONTH = re.compile(rf"(?i)(?<!\w)(?:{'|'.join(_MONTHS)})(?!\w)")
_CYR_WORD = re.compile(r"[\u0400-\u04FF]")  # Russian counts with one noun ("сколько колхозов")
# a roman numeral, with French's ordinal ending ("XIXe siècle", "François Ier")
_ROMAN = re.compile(r"^(?:[IVXLCDM]+|[IVXLCDM]{2,}(?:e|ème|eme)|Ier)$")
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?:\s*[/–-]\s*(\d{2,4}))?(?!\d)")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?(?![\w])")
# the noun a "how many" question counts: "сколько колхозов", "how many farms"
_COUNTED = re.compile(r"(?:сколько|скольких|how many|how much|wie viel(?:e[nm]?)?|cuánt[oa]s)\s+(\w+)(?:\s+(\w+))?",
                      re.IGNORECASE)
# the measure a what-is-the question asks ("What was the turnout", "Каким был средний размер
# семьи"): the number its noun names ("средний размер семьи — 3,62") is the answer (rag/span.py)
_MEASURED = re.compile(r"(?:\bwhat (?:is|was|are|were) (?:the |its |their )?(?:[\w'’]+ ){0,2}?"
                       rf"|(?<!\w)(?:каков[аоы]?|как(?:ой|ая|ое|ими?)) {_RU_WAS})"
                       rf"({_MEASURES_EN}|{_MEASURES_RU})(?!\w)"
                       rf"|(?<!\w)(?:{_WAS_DE}|{_WAS_ES}|welche[mrsn]? |qué )({_MEASURES_DE}|{_MEASURES_ES})(?!\w)")
# "сколько взималось": a verb after "сколько" counts nothing
_RU_VERB = re.compile(r"(?:ся|сь|ло|ли|ла|ть|ет|ют|ит|ат|ят|ем|ешь)$")


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # expected answer: "date", "number", "person", "place" or "other"
    stems: frozenset[str]  # content words, stemmed as BM25 stems them
    years: tuple[str, ...]  # "1924", and both ends of "1925/26" as written
    numbers: tuple[str, ...]  # other numbers, digits only ("35", "1,5" -> "1.5")
    names: tuple[str, ...]  # script-neutral keys of capitalised words after the first word
    counted: tuple[str, ...] = ()  # stems of the words a how-many question counts ("public trials")
    counted_word: str = ""  # those words as written
    measured: tuple[str, ...] = ()  # stems of the measure a number question names ("turnout")

    shown_names: tuple[str, ...] = ()  # the names as written ("Eastman"), what `names` keys
    dates: tuple[tuple[str, tuple[int, int, int]], ...] = ()  # dates with a month, as written and (y, m, d)
    lang: str | None = None  # the language it was analysed as (its words stemmed as BM25 stems them)


# Cardinals spelled out, English and Russian (Russian's 1-10 in their nominative and genitive),
# with their value: a sentence that spells "at least four primes" holds a question's "4"
# (rag/evidence.py Words), and the span points out "four" where a number is asked (rag/span.py).
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
    "один": 1, "одна": 1, "одно": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7,
    "восемь": 8, "девять": 9, "десять": 10, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
    "сто": 100, "двух": 2, "трёх": 3, "трех": 3, "четырёх": 4, "четырех": 4, "пяти": 5, "шести": 6, "семи": 7,
    "восьми": 8, "девяти": 9, "десяти": 10,
}
_SPELLED = re.compile(r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")(?:[- ]("
                      + "|".join(sorted((w for w, v in NUMBER_WORDS.items() if v < 10), key=len, reverse=True))
                      + r"))?\b", re.IGNORECASE)  # "twenty-four", "двадцать четыре"


def spelled_numbers(text: str) -> list[str]:
    """The values of the cardinals `text` spells ("twenty-four" -> "24"), as number_key writes them."""
    out = []
    for m in _SPELLED.finditer(text):
        value, unit = NUMBER_WORDS[m.group(1).lower()], m.group(2)
        if unit and 20 <= value <= 90 and value % 10 == 0:
            out.append(str(value + NUMBER_WORDS[unit.lower()]))
        else:
            out += [str(value)] + ([str(NUMBER_WORDS[unit.lower()])] if unit else [])
    return out


def number_key(s: str) -> str:
    """One spelling per number: thousands separators dropped, decimal comma -> point."""
    s = s.replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):  # 1,500 / 1.500 / 650 000: thousands
        return re.sub(r"[.,]", "", s)
    return s.replace(",", ".")


# languages that capitalise every noun: there a capital says nothing of a name
_NOUNS_CAPITALISED = ("de", "lb")


def _name_words(text: str, lang: str | None = None) -> list[str]:
    """Capitalised words that are not the question's first word: names, places, acronyms
    (roman numerals, "XVII съезд", are ordinals, spelled otherwise in the other language).
    Of a run of them only the last is kept: "Max Eastman" is found as "Eastman". In German
    only a word with a capital inside it ("EU", "McCarthy"): "Regierung" is no name."""
    words = list(_TOKEN.finditer(text))
    out = []
    inner = lang in _NOUNS_CAPITALISED
    for i, m in enumerate(words):
        w = m.group()
        if i == 0 or len(w) < 3 or not w[0].isupper() or w.lower() in _STOP or w.isdigit() or _ROMAN.match(w):
            continue
        if inner and w[1:].islower():
            continue
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt is not None and nxt.group()[:1].isupper() and text[m.end() : nxt.start()] == " ":
            continue  # a first name or a title before the name
        out.append(w)
    return out


def _kind(text: str, lang: str | None = None) -> str:
    """The type of the question word said first ("How much time remained when ...?" asks a
    number, "Who ruled when ...?" a person): a capitalised match inside the question is a name
    ("Doctor Who", "Wer"), not the word asking. Zero-width spaces ("In welchem\u200b\u200bJahr") go."""
    text = text.replace("\u200b", "")
    low = text.lower()
    first = (len(low) + 1, "other")
    for kind, pattern in _types(lang):
        for m in pattern.finditer(low):
            if m.start() == 0 or not text[m.start()].isupper() or not text[: m.start()].strip(" ¿¡?\"«'("):
                first = min(first, (m.start(), kind), key=lambda x: x[0])
                break
    return first[1]


def analyse(text: str, lang: str | None = None) -> Question:
    """`lang`: the question's identified language; its content words are analysed as BM25
    analyses that language (rag/analyze.py), so they compare with sentences and BM25's idf."""
    low = text.lower()
    kind = _kind(text, lang)
    years: list[str] = []
    for m in _YEAR.finditer(text):
        years.append(m.group(1))
        if m.group(2):  # 1925/26: the second year as written, the reader's "1926" is not asked for
            years.append(m.group(2))
    year_spans = [m.span() for m in _YEAR.finditer(text)]
    numbers = [number_key(m.group()) for m in _NUMBER.finditer(text)
               if not any(a <= m.start() < b for a, b in year_spans)
               and not (len(m.group()) <= 2 and _MONTH.search(text[max(0, m.start() - 12) : m.end() + 12]))]
    stems = frozenset(t for t in analyze(low, lang) if not t.isdigit())
    ds = dates(text)
    # a date's month is that date's constraint, not a name ("1 October 1930")
    months = {w for written, _ in ds for w in re.findall(r"\w+", written) if _MONTH.fullmatch(w)}
    shown = [w for w in _name_words(text, lang) if w not in months]
    names = tuple(dict.fromkeys(name_key(_stem(w.lower())) for w in shown))  # keys of shown_names
    m = _COUNTED.search(text)
    words = [w for w in (m.groups() if m else ()) if w and w.lower() not in _STOP and not w.isdigit()]
    if words and _RU_VERB.search(words[0].lower()):
        words = []
    words = words[:1] if words and _CYR_WORD.match(words[0]) else words
    # stemmed as the sentences are, in the question's language ("cuántos linajes" -> "es:linaj";
    # its stop words, "se", "de", drop out)
    words = [w for w in words if analyze(w.lower(), lang)]
    counted = tuple(dict.fromkeys(t for w in words for t in analyze(w.lower(), lang)))
    mm = _MEASURED.search(low) if kind == "number" and not counted else None
    measured = tuple(analyze(mm.group(1) or mm.group(2), lang)) if mm else ()
    return Question(text, kind, stems, tuple(dict.fromkeys(years)), tuple(dict.fromkeys(numbers)), names,
                    counted, " ".join(words), measured, tuple(shown), tuple(ds), lang)


_WORD = re.compile(r"\w+")


def asks_nothing(text: str) -> bool:
    """Whether a question is no question: no word in it, or one word said over and over.

    Retrieval always returns its nearest passages, and e5 gives any text some cosine with
    them, so "xxxxxxxxxxxxxxxxxxxx", 60,000 x's and "слово " 2,000 times were answered with
    unrelated quotes (issue 31). Two signals, both about the question's form, not its topic:
    - a word needs two different letters ("is", "ЦК"), or three when it is longer than 30
      ("xxxx", "ааааа", "abababab…" are runs of keys, not words); a number is a word;
    - eight or more words of which at most a quarter are distinct: a word repeated, not asked.
    Short real questions ("Stalin?", "Кто такой Киров?", "А в 1923 году?") pass both."""
    words = _WORD.findall(text.lower())
    real = [w for w in words if w.isdigit() or len(set(w)) > (2 if len(w) > 30 else 1)]
    if not real:
        return True
    return len(words) >= 8 and len(set(words)) * 4 <= len(words)
