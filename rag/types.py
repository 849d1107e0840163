"""Result types of the public API: frozen dataclasses, never loose dicts."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class QueryError(ValueError):
    """A question, filter or k that cannot be searched (the message says which and why)."""


@dataclass(frozen=True)
class Hit:
    """A passage or a quoted sentence.

    `start`/`end` are character offsets into the source file's decoded text,
    so `raw[start:end]` is exactly the region the text came from (the text
    itself is the cleaned version: hyphenation joined, line breaks folded).
    """

    text: str
    source: str
    start: int
    end: int
    page: int | None
    lang: str
    score: float
    chunk_id: str = ""


@dataclass(frozen=True)
class Span:
    """The answer pointed out inside the first quote: `text` is `quote.text[offset:offset+len]`,
    `start`/`end` its source offsets like a Hit's."""

    text: str
    source: str
    start: int
    end: int
    kind: str  # what the question asked for: "number", "date", "person" or "place"


@dataclass(frozen=True)
class Answer:
    found: bool
    quotes: list[Hit] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    query_lang: str = ""
    evidence: float | None = None  # cosine of the deciding sentence (rag/answer.py decide)
    evidence_lang: str = ""  # that sentence's language (with the question's, picks its threshold)
    searched_as: str = ""  # the text searched: the question, or a follow-up with what it carries over
    span: Span | None = None  # the answer inside quotes[0], when the question asks for a typed one
    missing: tuple[str, ...] = ()  # the question's years, numbers, names not found near the first quote

    @property
    def partial(self) -> bool:
        """Found, but the first quote and its passage lack some of what the question names."""
        return self.found and bool(self.missing)


@dataclass(frozen=True)
class BuildReport:
    indexed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (source, reason)
    chunks: int = 0
    seconds: float = 0.0
    warnings: tuple[tuple[str, str], ...] = ()  # (source, problem) of files indexed anyway


@dataclass(frozen=True)
class DocumentInfo:
    source: str
    chunks: int
    langs: tuple[str, ...]
    sha256: str
