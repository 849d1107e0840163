"""Follow-up questions without an LLM: "А в 1923 году?", "And who opposed him?".

A question is elliptic when it cannot stand alone: it opens like a continuation
("а …", "and …", "what about …") or leans on a pronoun ("он", "this", "them"),
and it brings almost no content words of its own beyond a date, a number or a
name. A bare one, only a new date, number or name ("And in 1923?", "А Бухарин?"),
is searched as the previous question with that slot filled anew; any other is
searched together with the previous question's content words, less the slots the
follow-up fills itself. Everything else is searched as typed.

Rules over words, in Russian and English alike; the history is the chat's earlier
questions (oldest first), each itself resolved against the one before it.
"""
from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
NUMBER = re.compile(r"\d")
MAX_OWN_WORDS = 2  # content words an elliptic question may bring (besides dates, numbers, names)
MAX_WORDS = 10  # a longer question says enough to stand alone
SHORT = 4  # "Who objected?", "On what date?": this short, with one content word at most, it leans on the last one

OPENERS = {
    "а", "и", "но", "ещё", "еще", "также", "тоже", "and", "but", "also", "what about", "how about",
    "а что", "а как", "а кто", "а где", "а когда", "а почему", "and what", "and who", "and how",
    "and when", "and where", "and why", "what of", "а что насчёт", "а что насчет",
}
PRONOUNS = {
    # ru: personal and demonstrative, all cases that matter in questions
    "он", "она", "оно", "они", "его", "её", "ее", "их", "ему", "ей", "им", "него", "неё", "нее", "них",
    "нему", "ней", "ним", "нём", "нем", "ними", "этом", "этого", "этой", "этих", "это", "этим", "этому",
    "эти", "этот", "эта", "тот", "та", "те", "том", "тех", "там", "тогда", "того", "тому", "такой",
    "туда", "оттуда", "сюда", "здесь",
    # en
    "he", "she", "it", "they", "him", "her", "his", "its", "their", "them", "this", "that", "these",
    "those", "there", "then", "such",
}
FUNCTION = {
    # question words, prepositions, auxiliaries and the like: not content
    "кто", "что", "где", "когда", "почему", "зачем", "как", "какой", "какая", "какие", "каким", "какое",
    "каков", "сколько", "чей", "чья", "ли", "же", "в", "во", "на", "о", "об", "обо", "с", "со", "к", "ко",
    "по", "за", "из", "от", "до", "для", "при", "про", "у", "не", "ни", "был", "была", "было", "были",
    "быть", "есть", "год", "году", "года", "годы", "годах", "г", "насчёт", "насчет", "случае", "тут",
    "who", "what", "where", "when", "why", "how", "which", "whom", "whose", "is", "are", "was", "were",
    "be", "been", "do", "does", "did", "the", "a", "an", "of", "in", "on", "at", "to", "for", "by",
    "with", "from", "about", "year", "years", "case", "not", "much", "many", "so", "as", "there's",
    # the other prepositions, question-word forms and auxiliaries of either language
    "под", "над", "перед", "через", "между", "после", "без", "около", "среди", "кроме", "вокруг",
    "какую", "каких", "какого", "какому", "каком", "какими", "кого", "кому", "чем", "чём", "чего", "чему",
    "скольких", "откуда", "куда", "чьи", "чьё", "чье", "чьим", "чьей", "чьих", "чьего", "чьему", "каково",
    "какова", "каковы", "будет", "стал", "стала", "стало", "стали", "into", "over", "under", "after", "before", "between", "during",
    "without", "through", "has", "have", "had", "will", "would", "could", "can", "should", "may",
    "might", "any", "some", "each",
    # degree and "else" words: "А что мешало больше всего?", "What else?"
    "больше", "меньше", "всего", "всех", "ещё", "еще", "другой", "другие", "else", "more", "most", "less",
    "all", "only", "other", "others",
}
QUESTION_WORDS = {
    "кто", "что", "где", "когда", "почему", "зачем", "как", "какой", "какая", "какие", "каким", "какое",
    "каков", "сколько", "чей", "чья", "ли", "who", "what", "where", "when", "why", "how", "which", "whom",
    "whose", "did", "does", "do",
}


def words(text: str) -> list[str]:
    return WORD.findall(text)


def _is_name(word: str, first: bool) -> bool:
    """A capitalised word that does not open the question (or an all-capitals acronym)."""
    return (word[:1].isupper() and not first) or (len(word) > 1 and word.isupper())


def _is_person(word: str, first: bool) -> bool:
    """A name that a new name replaces: not an acronym such as NEP or ЦК, which names the topic."""
    return _is_name(word, first) and not word.isupper()


def _opens(lowered: list[str]) -> bool:
    return any(" ".join(lowered[:n]) in OPENERS for n in (1, 2, 3))


def _own(question: str) -> tuple[list[str], list[str]]:
    """The question's content words of its own, and its slots (dates, numbers, names)."""
    ws = words(question)
    own, slots = [], []
    for i, w in enumerate(ws):
        lw = w.lower()
        if NUMBER.search(w) or _is_name(w, i == 0):
            slots.append(w)
        elif lw not in FUNCTION and lw not in PRONOUNS and lw not in OPENERS:
            own.append(w)
    return own, slots


def is_elliptic(question: str) -> bool:
    """True when `question` leans on an earlier one: a continuation or a pronoun, with at
    most MAX_OWN_WORDS content words of its own beyond dates, numbers and names."""
    ws = words(question)
    if not ws or len(ws) > MAX_WORDS:
        return False
    low = [w.lower() for w in ws]
    own, slots = _own(question)
    if len(ws) <= SHORT and not slots and len(own) <= 1:
        return True
    if not (_opens(low) or any(w in PRONOUNS for w in low)):
        return False
    return len(own) <= MAX_OWN_WORDS


def _substitute(previous: str, slots: list[str]) -> str:
    """The previous question with its dates/numbers (or names) replaced by the new ones."""
    numeric = [w for w in slots if NUMBER.search(w)]
    new = numeric or slots
    if numeric:
        def kind(w, first):
            return bool(NUMBER.search(w))
    else:
        kind = _is_person
    out, placed, first = [], False, True
    for m in re.finditer(rf"{WORD.pattern}|[^\w]+|_", previous):
        w = m.group()
        if WORD.fullmatch(w) and kind(w, first):
            if not placed:
                out.append(" ".join(new))
                placed = True
        else:
            out.append(w)
        first = first and not WORD.fullmatch(w)
    text = "".join(out)
    return text if placed else f"{text} {' '.join(new)}"


def _carry(previous: str, followup: str) -> str:
    """The previous question's words to search with the follow-up: its question words
    dropped, and its dates/numbers (names) dropped when the follow-up brings its own."""
    fws = words(followup)
    new_numbers = any(NUMBER.search(w) for w in fws)
    new_names = any(_is_person(w, i == 0) for i, w in enumerate(fws))
    kept = []
    for i, w in enumerate(words(previous)):
        if w.lower() in QUESTION_WORDS:
            continue
        if (new_numbers and NUMBER.search(w)) or (new_names and _is_person(w, i == 0)):
            continue
        kept.append(w)
    return " ".join(kept)


def resolve(question: str, history: list[str] | tuple[str, ...] | None = None) -> str:
    """The text to search for `question` after the earlier questions `history` (oldest
    first): the question itself, or for an elliptic one what it means after the previous
    question (itself resolved the same way)."""
    previous = ""
    for earlier in history or ():
        previous = resolve(earlier, [previous] if previous else None)
    if not previous or not is_elliptic(question):
        return question
    own, slots = _own(question)
    if any(NUMBER.search(w) for w in slots) and not own and not any(w.lower() in PRONOUNS for w in words(question)):
        return _substitute(previous, slots)  # "And in 1923?": the previous question, its date refilled
    carried = _carry(previous, question)
    return f"{question} {carried}".strip() if carried else question
