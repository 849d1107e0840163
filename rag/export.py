"""A conversation taken away: every question with its quotes and their citations
(file, page, character span), as JSON (read back by `from_json`) or as Markdown.

The Markdown escapes every markup character of document text, so a quote reads as
the literal text in any Markdown viewer and nothing in it becomes a link or HTML.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from .files import shown_name
from .types import Answer, Hit, Span

FORMAT = "rag-conversation/1"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and what came back: an Answer, or the error message."""

    question: str
    answer: Answer | None = None
    error: str = ""


def md_escape(text: str) -> str:
    """Document text as literal Markdown: no markup, no HTML; line breaks kept."""
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def md_inline(text: str) -> str:
    """md_escape for text inside one Markdown line, where a line break would end it."""
    return md_escape(" ".join(text.split()))


def citation(h: Hit) -> str:
    """file, page, character span: where a quote stands in its document."""
    page = f", p. {h.page}" if h.page is not None else ""
    return f"{shown_name(h.source)}{page}, chars {h.start}–{h.end}"


def partial_line(missing) -> str:
    """What a partial match lacks, in the words of every way out (chat, CLI, Markdown)."""
    return "Partial match — not found near the quote: " + ", ".join(missing)


def to_json(turns: list[Turn]) -> str:
    return json.dumps({"format": FORMAT, "turns": [asdict(t) for t in turns]}, ensure_ascii=False, indent=1)


def from_json(text: str) -> list[Turn]:
    """The turns of `to_json`'s output; ValueError naming the problem for anything else."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"not a conversation export: invalid JSON ({e})") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a conversation export: no \"format\": \"{FORMAT}\"")
    try:
        return [_turn(t) for t in data["turns"]]
    except (KeyError, TypeError) as e:
        raise ValueError(f"conversation export with a malformed turn ({e})") from e


def _turn(t: dict) -> Turn:
    a = t.get("answer")
    if a is not None:
        span = a.get("span")
        a = Answer(**{**a, "quotes": [Hit(**h) for h in a["quotes"]], "hits": [Hit(**h) for h in a["hits"]],
                      "span": Span(**span) if span else None, "missing": tuple(a.get("missing", ()))})
    return Turn(t["question"], a, t.get("error", ""))


def to_markdown(turns: list[Turn], title: str = "Questions to the documents") -> str:
    out = [f"# {md_inline(title)}", ""]
    for i, t in enumerate(turns, 1):
        out += [f"## {i}. {md_inline(t.question)}", ""]
        a = t.answer
        if a is None:
            out += [f"*{md_inline(t.error or 'no answer')}*", ""]
            continue
        if a.searched_as and " ".join(a.searched_as.split()) != " ".join(t.question.split()):
            out += [f"*Searched as: {md_inline(a.searched_as)}*", ""]
        if a.found:
            if a.span is not None:
                out += [f"**Answer: {md_inline(a.span.text)}**", ""]
            if a.missing:
                out += [f"*{md_inline(partial_line(a.missing))}*", ""]
            for q in a.quotes:
                out += [f"> «{md_inline(q.text)}»  ", f"> — {md_inline(citation(q))}", ""]
        else:
            out += ["**Not in the documents.**" + (" The nearest passages:" if a.hits else ""), ""]
            out += [f"- {md_inline(citation(h))}: {md_inline(h.text[:300])}" for h in a.hits[:3]]
            out.append("")
    return "\n".join(out)
