"""Typed answer candidates inside a sentence, and the one to point out (stage 7).

A question of a known type (rag/question.py) is answered by a phrase of that type:
a number (with its scale, percent sign or unit), a date or year, a name. The
candidates are found by patterns; those the question itself contains are not
answers. Among the rest the one the question's words in the sentence stand
nearest is chosen (Ravichandran & Hovy's proximity, as in pre-neural QA systems:
each shared word pulls by 1 / (1 + words between)), and only when it stands
clearly apart; otherwise nothing is pointed out. Two candidates joined by "and" or
a range are one answer ("1870 to 1939"). Chosen on XQuAD's training articles
(`python -m research.span_choice`): more spans shown at the same exactness.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import regex

from .question import _NOUNS_CAPITALISED, NUMBER_WORDS, Question, number_key
from .analyze import _CYR, _STOP, _TOKEN, UNTAGGED, _stem, analyze, untagged
from .lang import TITLES, char_script
from .translit import name_key

_MONTHS_EN = (r"January|February|March|April|May|June|July|August|September|October|November|December"
              r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?")
_MONTHS_RU = r"января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
_MONTHS_RU_NOM = r"январ[ьея]|феврал[ьея]|март[ае]?|апрел[ьея]|ма[йея]|июн[ьея]|июл[ьея]|август[ае]?|сентябр[ьея]" \
                 r"|октябр[ьея]|ноябр[ьея]|декабр[ьея]"
_MONTHS_DE = r"Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
_MONTHS_ES = r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})"
# Chinese and Japanese write numbers against their characters ("在1944年", "2.3亿美元"): the
# patterns' word boundaries treat Han and kana as no word characters, or no number there is seen
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff5e"
_W = rf"[^\W{_CJK}]"  # a word character that is not CJK
_DATE = re.compile(
    rf"(?<!{_W})(?:\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS_EN}),? {_YEAR}"
    rf"|(?:{_MONTHS_EN}) \d{{1,2}}(?:st|nd|rd|th)?,? {_YEAR}"
    rf"|(?:{_MONTHS_EN}) {_YEAR}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTHS_EN})"
    rf"|(?:{_MONTHS_EN}) \d{{1,2}}(?:st|nd|rd|th)?"
    rf"|\d{{1,2}}\. (?:{_MONTHS_DE})(?: {_YEAR})?|(?:{_MONTHS_DE}) {_YEAR}"
    rf"|\d{{1,2}} de (?:{_MONTHS_ES})(?: de {_YEAR})?|(?:{_MONTHS_ES}) de {_YEAR}|década de {_YEAR}"
    rf"|\d{{1,2}} (?:{_MONTHS_RU})(?: {_YEAR}(?: (?:г\.|года?))?)?"
    rf"|(?:{_MONTHS_RU_NOM}) {_YEAR}(?: (?:г\.|года?))?"
    rf"|{_YEAR}\s*[/–-]\s*\d{{2,4}}(?:\s*(?:гг?\.|годах|годов|годы))?"
    rf"|(?:the )?{_YEAR}s|{_YEAR}-[хе](?: год(?:ов|ах|ы))?"
    # Chinese and Japanese: "1944 年", "1991年4月", "1月12日", the decade "1970年代", the year
    # character kept, as XQuAD's Chinese answers mostly keep it; a year question ("哪一年") takes
    # the year of a full date with its "年" ("1943 年 1 月 7 日" -> "1943 年"). Chosen on XQuAD's
    # training articles (research.span_choice --langs zh): 90 shown, 50 exact; 48 with the full
    # date, 46 with the bare year on a year question, 40 with "年" dropped everywhere
    rf"|{_YEAR}\s?年代|{_YEAR}\s?年(?:\s?\d{{1,2}}\s?月(?:\s?\d{{1,2}}\s?日)?)?|\d{{1,2}}\s?月\s?\d{{1,2}}\s?日"
    rf"|{_YEAR}(?: (?:г\.|года?|году))?"
    rf"|\d{{1,2}}(?:st|nd|rd|th) century|[XVI]+ (?:в\.|век[ае]?))(?!{_W})")
_YEAR_WORD = r"(?: (?:г\.|года?|году)(?!\w))?"  # whole words: "1891 году", never "1891 год"+"у"
_IN_YEAR = re.compile(r"(?i)(?<!\w)(?:in|during|since|until|till|im|seit|durante|desde|hasta|à partir de)\s$")
_SCALE = r"(?:thousand|million|billion|trillion|hundred|mil millones|millones|millón|Millionen|Milliarden|Million|Milliarde|тыс\.|тысяч[аи]?|млн\.?|миллион(?:а|ов)?|млрд\.?|миллиард(?:а|ов)?|千万|百万|万|亿)"
_UNIT = (r"(?:%|％|percent|per cent|процент(?:а|ов)?|years?|months?|weeks?|days?|hours?|minutes?|seconds?"
         # areas before lengths: "8,646 sq mi", "5.5 million square kilometres", "2,4 кв. км"
         r"|(?:sq\.?|square) (?:mi(?:les?)?|km|kilomet(?:er|re)s?|met(?:er|re)s?|feet|ft)|km[2²]|m[2²]|hectares?|acres?"
         r"|кв\. ?(?:км|м)|квадратных (?:километров|метров|миль)|гектар(?:а|ов)?"
         r"|km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?|feet|foot|ft|inch(?:es)?|kg|kilograms?|(?:giga|mega)?(?:tons?|tonnes?)"
         r"|pounds?|degrees?|°[CF]?"
         r"|лет|года?|месяц(?:а|ев)?|недел[ьи]|дн(?:я|ей)|день|час(?:а|ов)?|минут[ы]?|км|километр(?:а|ов)?|метр(?:а|ов)?"
         r"|тонн[ы]?|кг|градус(?:а|ов)?|руб(?:\.|л(?:ей|я|ь))?|долларов|dollars?|euros?"
         # Spanish and German units, areas before lengths ("millas cuadradas", "Quadratmeilen")
         r"|(?:millas|kilómetros|metros) cuadrad[oa]s|(?:giga|mega)?toneladas|(?:de )?dólares|hectáreas"
         r"|Quadrat(?:kilometer|meilen|meter)|(?:Giga|Mega)?[Tt]onnen|(?:US-)?Dollar|Hektar|Prozent"
         # their time units, as English and Russian have theirs ("über 18 Jahre alt", "17 segundos")
         r"|Jahre alt|Jahren?|Monate?n?|Wochen?|Tagen?|Stunden?|Minuten?|Sekunden?"
         r"|años|meses|semanas|días|horas|minutos|segundos"
         # Chinese units, longer first ("平方公里" before "公里"); not its measure words ("711,988 名"
         # is "711,988" in XQuAD's answers, as in English)
         r"|平方公里|平方英里|平方米|公里|千米|英里|英尺|公顷|公斤|千克|吨|美元|欧元|英镑|元|个月|小时|分钟|秒)")
_UNIT_END = re.compile(rf"(?<=\d)\s?({_UNIT})\.?$", re.IGNORECASE)  # a number's unit, multi-word ones whole
_NUMWORD_EN = "|".join(w for w in NUMBER_WORDS if w.isascii())  # rag/question.py's cardinals
_NUMWORD_RU = "|".join(w for w in NUMBER_WORDS if not w.isascii())
# a duration in two units is one number ("3 min 8 s", "4 分 51 秒", "2 часа 30 минут"), as a clock
# reading is; "分" alone is as often a score's points
_LONGER = r"h|hours?|horas?|Stunden?|час(?:а|ов)?|小时|min|minutes?|minutos?|Minuten?|минут[аы]?|分钟?"
_SHORTER = r"min|minutes?|minutos?|Minuten?|минут[аы]?|分钟?|s|sec|seconds?|segundos?|Sekunden?|секунд[аы]?|秒"
_NUM = re.compile(
    r"(?<![\w.,:])\d{1,2}:\d{2}(?::\d{2})?(?![\w:])"  # a clock reading is one number ("3:08 left"), not "3" and "08"
    rf"|(?<!{_W})(?<![.,])\d+\s?(?:{_LONGER})\.?,?\s?(?:(?:and|y|und|и)\s)?\d+\s?(?:{_SHORTER})(?!{_W})"
    # a Russian number written with its case ending is one word ("139-е место", "24-ярдовой линии"),
    # as XQuAD's Russian answers keep it (training articles: 4 of 4, "99-м шоссе")
    rf"|(?<!{_W})(?<![.,])(?:(?:US)?[$€£¥]\s?)?\d+(?:[.,\u00a0 ]\d{{3}})*(?:[.,]\d+)?(?:-[а-яё]{{1,12}}(?![\w-]))?"
    rf"(?:\s?{_SCALE})?(?:\s?{_UNIT})?(?!{_W})"
    rf"|\b(?:{_NUMWORD_EN}|{_NUMWORD_RU})(?:[- ](?:{_NUMWORD_EN}))?(?: {_SCALE})?(?: {_UNIT})?\b",
    re.IGNORECASE)
# capitalised runs, in any script ("Ögedei Khan", "Émile Zola", "Łódź"), with initials
# ("И. В. Павловой", "J. R. R. Tolkien"), name particles and Arabic's article on a later name
# ("Hassan al-Turabi", "Хасан ат-Тураби")
_TITLE = rf"(?:(?:{TITLES})\.\s)?"  # "Rev. Paul T. Stallsworth"
_NAME = regex.compile(_TITLE + r"(?:\p{Lu}\.\s?)*\p{Lu}[\w'’-]+(?:\s(?:(?:de|da|von|van|der|del|la|le|bin|ibn|al|де|да|фон|ван|дер|ла|ле|бин|ибн)\s)?"
                      r"(?:\p{Lu}\.\s?)*(?:(?:al|el|ad|an|ar|as|at|az|ash|ul|аль|ал|ас|ад|ат|ар|ан|эль)-)?"
                      r"\p{Lu}[\w'’-]+)*")
_WORD = re.compile(r"\w+")
_CLAUSE = re.compile(r"[,;:()—]")
# a qualifier is part of the answer: "over 37 million", "up to 30%", "late 1980s", "mid-18th
# century", "summer of 1521" (a user reading "37 million" alone is misled); a bare
# approximation ("about", "около", "etwa", "alrededor de") is not: it leaves the number's meaning
# as it is, and XQuAD's answers leave it out on the training articles (English, Russian, German
# and Spanish 9 of 9, Chinese's "约" / "大约" 2 of 3; the bounds "более", "über", "más de" are in,
# 3 of 3). Nor is a period's start ("early 1970s", "начале 1954", "Anfang 1954", "principios de
# los años 70"): left out 9 of 9 times there (three questions, in four languages), where a
# period's end is in ("late 1980s", "конце 1980-х", 2 of 2); seasons go either way (summer in 3
# of 3, autumn out 3 of 3) and stay qualifiers, Russian's too ("Летом 1521 года").
_QUALIFIER = {
    "number": re.compile(r"(?<!\w)(?:(?:just |well )?(?:over|under)|more than|less than|fewer than|at least|at most"
                         r"|up to|nearly|almost|свыше|более|менее|почти"
                         r"|не менее|не более|до|más de|menos de|casi|hasta(?: el| la| los| las)?"
                         r"|über|mehr als|weniger als|fast|knapp|bis zu)\s$"
                         r"|(?:超过|将近|近|至少|多达|不到|逾)\s?$",  # Chinese writes them against the number
                         re.IGNORECASE),
    "date": re.compile(r"(?<!\w)(?:mid|late|(?:summer|spring|autumn|fall|winter|end|middle) of"
                       r"|середине|конце|летом|зимой|весной|осенью|(?:finales|mediados) de(?: la)?"
                       r"|(?:verano|invierno|primavera|otoño) de|Sommer|Winter|Frühjahr|Herbst|Mitte|Ende"
                       r"|after|before|после|nach|vor|después de|antes de)(?:\s|-)$", re.IGNORECASE),  # not its "in" / "в" / "a"
}


@dataclass(frozen=True)
class Candidate:
    start: int  # offsets in the sentence
    end: int
    text: str
    kind: str  # "date", "number" or "name"


_POSSESSIVE = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class Common:
    """word -> is it a dictionary word (a capitalised one is then no name). `noun`: the nouns of
    a language that capitalises them all (German's FreeDict headwords), so that a capital there
    is read as in English: "Oscar-Nominierte Lady Gaga" is "Lady Gaga" (_unnouned)."""
    test: Callable[[str], bool]
    noun: Callable[[str], bool] | None = None  # the language's own dictionary says it is a noun

    def __call__(self, word: str) -> bool:
        return self.test(word)


def _knows_nouns(common) -> bool:
    return isinstance(common, Common) and common.noun is not None


def _name(sentence: str, start: int, end: int, first: bool, common) -> Candidate | None:
    """A capitalised run as a name: leading function words ("The Broncos") dropped, and a
    sentence's first word when it is a dictionary word ("Despite Manning", "Then
    Anderson"); a possessive's "'s" dropped; a lone dictionary word ("Mongolian") is no name."""
    words = list(re.finditer(r"\S+", sentence[start:end]))
    while len(words) > 1 and (words[0].group().lower() in _STOP or (first and common(words[0].group()))):
        words.pop(0)
        first = False
    if len(words) == 1 and (words[0].group().lower() in _STOP or common(words[0].group())):
        return None
    a, b = start + words[0].start(), start + words[-1].end()
    cut = _POSSESSIVE.search(sentence[a:b])
    if cut and cut.start() > 0:
        b -= len(cut.group())
    return Candidate(a, b, sentence[a:b], "name")


def _unnouned(sentence: str, start: int, end: int, common) -> list[tuple[int, int]]:
    """A capitalised run cut at its nouns where every noun is capitalised (and the language's
    dictionary knows them): "Dschingis Khans Nachfolger Ögedei Khan" is two names, "Oscar-Nominierte
    Lady Gaga" one; an English-Russian dictionary word stays ("John Elway")."""
    if not _knows_nouns(common):
        return [(start, end)]
    out, run = [], None
    for w in re.finditer(r"\S+", sentence[start:end]):
        if common.noun(w.group()):
            run = None
        elif run is None:
            run = [start + w.start(), start + w.end()]
            out.append(run)
        else:
            run[1] = start + w.end()
    return [(a, b) for a, b in out]


def _one_script(sentence: str, start: int, end: int) -> list[tuple[int, int]]:
    """A capitalised run cut where the script changes: no name is written half in Cyrillic, half
    in Latin ("СОЦИАЛИЗМА Abstract This" is a heading run into its text)."""
    out, last = [], None
    for w in re.finditer(r"\S+", sentence[start:end]):
        sc = next((x for x in map(char_script, w.group()) if x), None)
        if out and sc == last:
            out[-1][1] = start + w.end()
        else:
            out.append([start + w.start(), start + w.end()])
        last = sc
    return [(a, b) for a, b in out]


def _qualified(sentence: str, start: int, end: int, kind: str) -> Candidate:
    """The phrase from start to end, with the qualifier just before it when there is one."""
    q = _QUALIFIER[kind].search(sentence, max(0, start - 24), start)
    # "со 415 000 до 587 000", "de 10 hasta 20": a range's second end, not "up to" (it follows a number)
    if q is not None and not (q.group().split()[0].lower() in ("до", "hasta") and re.search(r"\d\s*$", sentence[: q.start()])):
        start = q.start()
    return Candidate(start, end, sentence[start:end], kind)


def candidates(sentence: str, kind: str, year_only: bool = False, common=None) -> list[Candidate]:
    """Phrases of the type `kind` asks for (date, number, person/place -> name), in order.
    `year_only`: the question asks for a year, so a full date gives its year; `common`:
    word -> is it a dictionary word (a capitalised one is then no name)."""
    common = common or (lambda w: False)
    if kind == "date":
        out = []
        for m in _DATE.finditer(sentence):
            # a year question takes the year of a full date, with its Russian "году" (as
            # XQuAD's Russian answers write it: "1891 году"); a decade stays whole ("1950s")
            decade = re.search(rf"{_YEAR}(?:s|-[хе]|\s?年代)", m.group())
            y = re.search(_YEAR + r"(?:\s?年)?" + _YEAR_WORD, m.group()) if year_only and not decade else None
            if y:
                out.append(Candidate(m.start() + y.start(), m.start() + y.end(), y.group(), "date"))
            else:
                out.append(_qualified(sentence, m.start(), m.end(), "date"))
        return out
    if kind == "number":
        # a bare year is a count too ("1500 soldiers"), but not after "in" / "during" ("During
        # 1935, ... were restored" asked "how many") nor with a year word ("в 1935 году")
        dates = [(m.start(), m.end()) for m in _DATE.finditer(sentence)
                 if not re.fullmatch(r"\d{4}", m.group()) or _IN_YEAR.search(sentence, 0, m.start())]
        return [_qualified(sentence, m.start(), m.start() + len(m.group().rstrip()), "number")
                for m in _NUM.finditer(sentence) if not any(a <= m.start() < b for a, b in dates)]
    if kind in ("person", "place"):
        out = []
        for m in _NAME.finditer(sentence):
            if all(w.lower() in _STOP for w in m.group().split()):
                continue
            for a, b in (u for r in _one_script(sentence, m.start(), m.end())
                         for u in _unnouned(sentence, *r, common)):
                first = a == 0 or (a == m.start() and sentence[:a].rstrip()[-1:] in ".!?\"«“(")
                if first and len(sentence[a:b].split()) == 1:
                    # a capital at the start of a sentence is no sign of a name ("Im" of "Im
                    # Labor" too, once its noun is cut off)
                    continue
                c = _name(sentence, a, b, first, common)
                if c is not None:
                    out.append(c)
        return out
    return []


def _own(q: Question) -> bool:
    """The question's words are analysed in its own language, tagged ("de:punkt", "es:bowl"):
    a sentence's words must be analysed so to meet them (rag/analyze.py)."""
    return q.lang not in (None, "und", *UNTAGGED)


def _keys(word: str, q: Question) -> set[str]:
    """A word's name keys: as Russian or English stems it, and as the question's own language
    does (a Spanish question's stems are Spanish: "es:bowl")."""
    w = word.lower()
    out = {name_key(_stem(w))}
    if _own(q):
        out |= {name_key(untagged(x)) for x in analyze(w, q.lang)}
    return out


def _question_keys(q: Question) -> set[str]:
    return set(q.names) | {name_key(untagged(s)) for s in q.stems}


@lru_cache(maxsize=64)  # asked once per candidate and sentence of one question
def _said(q: Question) -> frozenset[str]:
    """Every word of the question stemmed, its function words too ("сколько лет": "лет")."""
    return frozenset(_stem(w) for w in _WORD.findall(q.text.lower()))


def _in_question(c: Candidate, q: Question, across: frozenset[str] = frozenset()) -> bool:
    """The candidate repeats the question: its numbers, years or names, or its number in
    words ("the three big networks" asked of, "three" is no answer); `across`: the question's
    words translated, when the sentence is in another language ("General Secretary" asked
    "Кто был первым генеральным секретарём?")."""
    if c.kind in ("date", "number"):
        nums = {number_key(n) for n in re.findall(r"\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?", c.text)}
        if not nums:
            return all(_stem(w) in _said(q) for w in _WORD.findall(c.text.lower()))
        return nums <= set(q.years) | set(q.numbers)
    if _spelled_out(c.text) & set(_ASKED_ACRONYM.findall(q.text)):
        return True  # the question's acronym spelled out ("Германской Демократической Республики" asked "ГДР")
    words = [w for w in _WORD.findall(c.text) if len(w) >= 3 and w.lower() not in _STOP]
    asked = _question_keys(q)
    return bool(words) and all(_keys(w, q) & asked or _stem(w.lower()) in across for w in words)


_ASKED_ACRONYM = re.compile(r"(?<!\w)[A-ZА-ЯЁ]{2,}(?!\w)")


def _spelled_out(name: str) -> set[str]:
    """The acronyms a name of several words spells: its capitals' initials, and every word's
    ("Германской Демократической Республики": "ГДР"; "Lothar de Maizière": "LM", "LDM")."""
    words = name.split()
    if len(words) < 2:
        return set()
    caps = "".join(w[0] for w in words if w[0].isupper())
    return {caps, "".join(w[0].upper() for w in words)} if len(caps) >= 2 else set()


_YEAR_Q = re.compile(r"(?i)\b(?:what|which|in what|in which) year\b|(?<!\w)(?:в каком году|какого года|какой год)(?!\w)"
                     r"|\b(?:in welchem jahr|en qué año|en quelle année|in che anno)\b|哪一年|哪年|何年|哪个年份|什么年份")


_FLEETING = re.compile(r"(?<=[а-яё]{3})[оеё](?=[бвгджзклмнпрстфхцчшщ]$)")


@lru_cache(maxsize=64)
def _fleeting(q: Question) -> frozenset[str]:
    """The question's Russian stems that end in a fleeting vowel's syllable, without the vowel."""
    return frozenset(_FLEETING.sub("", x) for x in q.stems if _FLEETING.search(x))


def _asked(word: str, q: Question) -> bool:
    """A word of the question: its stem, or its name key ("Costa Rican" / "Costa Rica"); a
    hyphenated one when each of its parts is ("Коста-Рики")."""
    w = _POSSESSIVE.sub("", word).lower()
    if "-" in w.strip("-"):
        return all(_asked(part, q) for part in w.split("-") if part)
    if len(w) < 3 or w in _STOP:
        return False
    s = _stem(w)
    # Russian's fleeting vowel: "Суперкубка" asked "Суперкубок" (stems "суперкубк", "суперкубок")
    return s in q.stems or bool(_keys(w, q) & _question_keys(q)) or _FLEETING.sub("", s) in _fleeting(q)


def _trimmed(sentence: str, c: Candidate, q: Question, common) -> Candidate | None:
    """A name without the question's own words in front, nor the dictionary words (titles)
    they leave in front: "Costa Rican President José María Figueres" asked "Who is the Costa Rican
    President...?" is "José María Figueres". Not at its end: "M. Theo Kearney" asked "Who is
    Kearney Boulevard named after?" stays whole."""
    words = list(re.finditer(r"\S+", c.text))
    lo, hi = 0, len(words)
    own = _own(q)
    # and without an article of the question's language in front ("Los New England Patriots")
    while lo < hi and (_asked(words[lo].group(), q) or (own and lo < hi - 1 and not analyze(words[lo].group(), q.lang))):
        lo += 1
    if lo:
        while lo < hi - 1 and (common(words[lo].group()) or words[lo].group().lower() in _STOP):
            lo += 1
    if lo == hi or (lo and hi - lo == 1 and common(words[lo].group())):
        return None  # nothing left, or one dictionary word ("German Federal Minister" -> "Minister")
    if hi - lo > 1 and _asked(words[hi - 1].group(), q) and not common(words[hi - 1].group()) and all(
            common(w.group()) or w.group().lower() in _STOP for w in words[lo : hi - 1]):
        return None  # the question's own name behind a title ("Lord Loudoun" asked "... to Loudoun";
        # "Eleventh Doctor" asked "the first Doctor" stays: "Doctor" is a dictionary word)
    if (lo, hi) == (0, len(words)):
        return c
    a, b = c.start + words[lo].start(), c.start + words[hi - 1].end()
    return Candidate(a, b, sentence[a:b], c.kind)


# a question for a share wants a percentage, not any number of the sentence
_PERCENT_Q = re.compile(r"(?i)\b(?:percentage|percent|per cent|porcentaje|por ciento|prozentsatz|prozent|pourcentage)\b"
                        r"|(?<!\w)(?:процент\w*|доля|долю)(?!\w)")
_PERCENT = re.compile(r"(?i)[%％]|\bper ?cent\b|(?<!\w)процент|\bpor ciento\b|\bProzent\b")
# a question for a duration wants a number of a time unit or a clock reading, not a score
_DURATION_Q = re.compile(r"(?i)\bhow (?:long|much time)\b|\bwie lange\b|\bcuánto tiempo\b"
                         r"|(?<!\w)(?:сколько времени|как долго)(?!\w)")
_DURATION = re.compile(r"(?i)\b(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries)\b"
                       r"|(?<!\w)(?:лет|год[аы]?|месяц\w*|недел\w+|дн(?:я|ей)|день|час\w*|минут\w*|секунд\w*)(?!\w)"
                       r"|\b(?:Jahre?n?|Jahrzehnte?n?|Monate?n?|Wochen?|Tagen?|Stunden?|Minuten?|Sekunden?"
                       r"|años|décadas?|siglos?|meses|semanas|días|horas|minutos|segundos)\b"
                       r"|\d:\d\d")
# "whose ...?" asks the possessor: "William Tyndale's English Bible" answers "William Tyndale"
_WHOSE_Q = re.compile(r"(?i)\bwhose\b")


# a question for an age names its unit without saying it: "How old was Elway?" is "38", as XQuAD's
# answers write it in every language ("im Alter von 38 Jahren" -> "38")
_AGE_Q = re.compile(r"(?i)\bhow old\b|\bwie alt\b|\bqué edad\b")  # (Russian and Spanish say "лет", "años")
_YEARS_UNIT = re.compile(r"(?i)years?|jahren?|jahre alt|años")


def _unit_asked(sentence: str, c: Candidate, q: Question) -> Candidate:
    """A number without its unit when the question names the unit ("How many seconds were
    left?" is answered "17", not "17 seconds"; "Сколько лет" "38", not "38 лет"; "Wie alt"
    "38", not "38 Jahren")."""
    m = _UNIT_END.search(c.text) or re.search(r"(?<=\d)\s?([^\W\d]+)\.?$", c.text)  # or a scale word
    words = _WORD.findall(m.group(1).lower()) if m else []  # "%" has none
    age = m is not None and _AGE_Q.search(q.text) is not None and _YEARS_UNIT.fullmatch(m.group(1)) is not None
    if not words or (_stem(words[-1]) not in _said(q) and not age):
        return c  # (a unit's last word says it: "square kilometres" asked "how many kilometres")
    end = c.start + m.start()
    return Candidate(c.start, end, sentence[c.start:end], c.kind)


def _possessor(sentence: str, c: Candidate) -> Candidate:
    m = re.search(r"['’]s?\b", c.text)
    if m is None or m.start() == 0:
        return c
    return Candidate(c.start, c.start + m.start(), sentence[c.start : c.start + m.start()], c.kind)


def typed(sentence: str, q: Question, common=None, translate=None) -> list[Candidate]:
    """Candidates of the question's type that the question does not already hold (`translate`:
    see _anchors(); its words in the sentence's language count as the question's)."""
    year_only = q.kind == "date" and bool(_YEAR_Q.search(q.text))
    across = _translated(q, translate)
    out = [c for c in candidates(sentence, q.kind, year_only, common) if not _in_question(c, q, across)]
    if q.kind == "number":
        if _PERCENT_Q.search(q.text):
            out = [c for c in out if _PERCENT.search(c.text)]
        if _DURATION_Q.search(q.text) and any(_DURATION.search(c.text) for c in out):
            out = [c for c in out if _DURATION.search(c.text)]
        out = [_unit_asked(sentence, c, q) for c in out]
    if q.kind in ("person", "place"):
        out = [t for t in (_trimmed(sentence, c, q, common or (lambda w: False)) for c in out) if t is not None]
        if _WHOSE_Q.search(q.text):
            out = [_possessor(sentence, c) for c in out]
    if q.kind == "person":
        out = [c for c in out if not _ACRONYM.fullmatch(c.text)]
    # two joined by "and" or a range are one answer, but a year question asks for one year, and
    # German nouns unknown, "Grammy-Gewinnerin und Oscar-Nominierte" would be one name
    ratio = _RATIO_JOIN if q.kind == "number" and _RATIO_Q.search(q.text) else None
    if year_only or (q.kind in ("person", "place") and q.lang in _NOUNS_CAPITALISED and not _knows_nouns(common)):
        return out
    return _joined(sentence, out, q.kind, ratio)


def _translated(q: Question, translate=None) -> frozenset[str]:
    """The question's stems in the sentence's language (`translate`: the bridge's stem
    translation, set when the sentence is in the other language; None: none)."""
    return frozenset().union(*(translate(s) for s in q.stems)) if translate is not None else frozenset()


def _ending_e(stem: str, stems: set[str]) -> bool:
    """A Russian stem that differs from one of `stems` by a final "е": Snowball reads
    "ассамблею"'s "-ею" as an adjective's ending ("ассамбл"), "ассамблея"'s "-я" as a noun's
    ("ассамбле"), so one noun has two stems."""
    if len(stem) < 4 or not _CYR.match(stem):
        return False
    return stem + "е" in stems or (stem.endswith("е") and stem[:-1] in stems)



def _anchors(sentence: str, q: Question, translate=None) -> list[int]:
    """Offsets of the sentence's words that the question shares (stems, name keys, or
    translations of its words when `translate` is given: the sentence is in the other language)."""
    names = set(q.names)
    stems = set(q.stems) | _translated(q, translate)
    own = _own(q)
    out = []
    for m in _TOKEN.finditer(sentence):
        w = m.group().lower()
        if w in _STOP:
            continue
        s = _stem(w)
        if (s in stems or _ending_e(s, stems) or (len(w) >= 3 and name_key(s) in names) or w in q.years or w in q.numbers
                or (own and any(x in stems for x in analyze(w, q.lang)))):
            out.append(m.start())
    return out


_BRACKET = re.compile(r"^\s*\([^()]*\)")
_BY = re.compile(r"(\w+),?\s+(?:by|por)\s+(?:(?:the|el|la|los|las)\s+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Pointed:
    start: int  # offsets in the sentence
    end: int
    text: str


# a repeated preposition is the same pair: "в 2011 году и в 2012 году", "in 2011 and in 2012"
_JOIN = {"date": re.compile(r"(?:,? and (?:in )?| to |\s?[–-]\s?| и (?:в )?| по | und (?:im )?| bis | y (?:en )?| a "
                            r"| hasta |\s?(?:和|至|到)\s?)"),
         "number": re.compile(r"\s?[–-]\s?"),
         "person": re.compile(r"(?:,? and | и | und | y )"), "place": re.compile(r"(?:,? and | и | und | y )")}


# a question for a ratio wants both its terms ("20 to 1", "20 к 1", "3:1")
_RATIO_Q = re.compile(r"(?i)\bratio\b|(?<!\w)соотношени\w*|\bverhältnis\b|\bproporción\b|比例|之比")
_RATIO_JOIN = re.compile(r"\s?(?:[–-]|:|\s(?:to|к|zu|a)\s|比)\s?")
# an acronym is an organisation or a thing ("DNA", "US", "ДНК"), hardly ever who did it
_ACRONYM = re.compile(r"[^\W\d_]*[A-ZА-ЯЁ]{2,}[^\W_]*")


def _joined(sentence: str, cands: list[Candidate], kind: str, join=None) -> list[Candidate]:
    """Two candidates joined by "and" or a range's "to" are one answer ("1870 to 1939",
    "Robert Lane and Benjamin Vail"), as a reader names them."""
    join = join or _JOIN.get(kind)
    out: list[Candidate] = []
    for c in cands:
        if join is not None and out and join.fullmatch(sentence[out[-1].end : c.start]):
            a = out.pop()
            out.append(Candidate(a.start, c.end, sentence[a.start : c.end], c.kind))
        else:
            out.append(c)
    return out


_YEARS = re.compile(rf"(?<!\d){_YEAR}(?!\d)")
_ONE_CLAUSE = re.compile(r"[^,;()\[\]]*")  # the same clause: no comma or bracket between


def _names_measure(sentence: str, c: Candidate, measure: frozenset[str]) -> bool:
    """Whether the measure the question asks is named in the four words before `c`, in its
    clause ("средний размер семьи — 3,62", "turnout was 40 %"), or is the word right after
    it ("40 % turnout")."""
    before = sentence[max(0, c.start - 80) : c.start]
    words = list(_WORD.finditer(before))[-4:]
    for w in words:
        if _stem(w.group().lower()) in measure and _ONE_CLAUSE.fullmatch(before[w.end():]):
            return True
    after = _WORD.match(sentence[c.end:].lstrip())
    return after is not None and _stem(after.group().lower()) in measure


def pull(sentence: str, c: Candidate, q: Question, anchors: list[int],
         measure: frozenset[str] | None = None) -> float:
    """How hard the question's words in the sentence (`anchors`, _anchors()) pull toward `c`.

    Every shared word pulls by 1 / (1 + the words between, a clause mark counting as one
    more; in a list of years and values the question's year pulls a value of its own clause 1
    more). A number followed by the noun a how-many question counts is that count ("136
    career sacks"; a bracket after it skipped, and the bracket's own number no count: "1388
    (0,9%) однополых пар"), and a name after a question's verb and "by" is its doer
    ("designed by Tesla" asked "Who designed ...?"): both pull 10. A number the question's
    measure names (`measure`: its stems, translated where the sentence is in the other
    language; _names_measure) pulls 10 more than its words do."""
    after = _WORD.findall(_BRACKET.sub("", sentence[c.end:], count=1))[:3]
    bracketed = sentence[: c.start].rstrip().endswith("(")
    if q.counted and not bracketed and any(_stem(w.lower()) in q.counted for w in after):
        return 10.0
    if q.kind in ("person", "place"):
        by = _BY.search(sentence, 0, c.start)
        if by is not None and by.start(1) in anchors:
            return 10.0
    # a list of years and their values ("в 1922 г. – 22,3 %, в 1923 г. – 37,2 %"): the value in
    # the asked year's clause is that year's
    listed = (q.years and c.kind == "number" and not _YEARS.fullmatch(c.text)
              and len(set(_YEARS.findall(sentence))) >= 2)
    total = 0.0
    for a in anchors:
        between = sentence[min(a, c.end) : max(a, c.start)]
        total += 1.0 / (1.0 + len(_WORD.findall(between)) + len(_CLAUSE.findall(between)))
        if listed and _ONE_CLAUSE.fullmatch(between) and _WORD.match(sentence, a).group() in q.years:
            total += 1.0
    measure = frozenset(q.measured) if measure is None else measure
    if measure and c.kind == "number" and _names_measure(sentence, c, measure):
        total += 10.0
    return total


def point(sentence: str, q: Question, min_margin: float = 0.2, common=None, translate=None) -> Pointed | None:
    """The candidate to point out, or None: no candidate, or two too close to call.
    `common`: see candidates(); `translate`: see _anchors()."""
    cands = typed(sentence, q, common, translate)
    if not cands:
        return None
    if len(cands) == 1:
        c = cands[0]
        return Pointed(c.start, c.end, c.text)
    if q.kind in ("person", "place") and q.lang in _NOUNS_CAPITALISED:
        # German capitalises every noun: of several "names" most are not; with its dictionary's
        # nouns cut out (_unnouned) the pull among those left was right 5 times in 13 on XQuAD's
        # training articles (research.span_choice --several-german-names)
        return None
    anchors = _anchors(sentence, q, translate)
    if not anchors:
        return None
    measure = frozenset(q.measured)
    if translate is not None:
        measure = measure.union(*(translate(m) for m in q.measured))
    pulls = [pull(sentence, c, q, anchors, measure) for c in cands]
    ranked = sorted(range(len(cands)), key=lambda i: (-pulls[i], cands[i].start))
    if pulls[ranked[0]] - pulls[ranked[1]] < min_margin:
        return None
    c = cands[ranked[0]]
    return Pointed(c.start, c.end, c.text)
