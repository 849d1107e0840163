"""The bounds of a query and the checks that hold them, for every way in.

The Python API (rag/searcher.py runs these checks), the CLI (before the model loads), HTTP
(rag/server.py: its schema bounds, and its 422 replies in these words) and MCP (rag/mcp.py)
refuse the same bad inputs with the same message. The rule: a value out of bounds is refused,
never clamped or cut in silence, so a caller learns that its k, question or history was not
what was used. The one exception is an earlier question of `history` over MAX_QUERY_CHARS: it
is context, not the question, and a chat keeps refused questions in its history, so it is cut.
docs/bad-inputs.md ("Every way in") has the table and tests/test_ways_in.py its tests.
"""
from __future__ import annotations

import numpy as np

from .types import QueryError

MAX_K = 100  # passages per query: more is a dump of the index, not an answer
MAX_HISTORY = 20  # earlier questions sent with one; a follow-up needs the last few
MAX_QUERY_CHARS = 2000  # e5 reads 512 tokens at most; a question is far shorter


def check_k(k) -> int:
    """k: a whole number from 0 to MAX_K; 5.0 is 5, as JSON Schema's "integer" has it (HTTP's and
    MCP's schemas say so). bool, 5.5, nan, text and None are mistakes, not numbers of passages."""
    if isinstance(k, float) and k.is_integer():
        k = int(k)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= MAX_K:
        raise QueryError(f"k must be a whole number from 0 to {MAX_K}, not {_shown(k)}")
    return int(k)


def _shown(value) -> str:
    """A refused value as the message names it: its repr, cut (a 1 MB string stays out of it)."""
    r = repr(int(value) if isinstance(value, np.integer) else value)
    return r if len(r) <= 40 else f"{r[:37]}..."


def k_arg(text: str) -> int | str:
    """The CLI's -k: a number when it reads as one, else the text; check_k then decides, with the
    message of every way in (argparse's own would differ)."""
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            pass
    return text


def clean_query(text) -> str:
    """The question as searched: control characters dropped, spaces trimmed; QueryError when it
    is not text, over MAX_QUERY_CHARS as sent (as a JSON Schema maxLength counts), or empty."""
    if not isinstance(text, str):
        raise QueryError(f"query must be text, not {type(text).__name__}")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: {len(text):,} characters, at most {MAX_QUERY_CHARS:,}")
    clean = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()
    if not clean:
        raise QueryError("empty query: type a question")
    return clean


def check_history(history) -> list[str]:
    """history: None or the chat's earlier questions as text, oldest first, at most MAX_HISTORY;
    each is used up to its first MAX_QUERY_CHARS characters."""
    if history is None:
        return []
    if isinstance(history, (str, bytes)) or not isinstance(history, (list, tuple)):
        raise QueryError(f"history must be a list of earlier questions, oldest first, not {type(history).__name__}")
    bad = [type(h).__name__ for h in history if not isinstance(h, str)]
    if bad:
        raise QueryError(f"history must hold questions as text, not {bad[0]}")
    if len(history) > MAX_HISTORY:
        raise QueryError(f"history too long: {len(history)} questions, at most {MAX_HISTORY} (the latest)")
    return [h[:MAX_QUERY_CHARS] for h in history]


_CHECKS = {"k": check_k, "query": clean_query, "history": check_history}


def validation_message(error: dict) -> str | None:
    """For one pydantic error of an HTTP body ({"loc": ("body", "k"), "input": ...}): the message
    these checks give for that value, or None when they have none for it (a missing field)."""
    loc = tuple(x for x in error.get("loc", ()) if x != "body")
    if not loc or loc[0] not in _CHECKS or error.get("type") == "missing" or "input" not in error:
        return None
    value = error["input"]
    if loc[0] == "history" and len(loc) == 2:  # one of its items: checked as a list of it
        value = [value]
    elif len(loc) != 1:
        return None
    try:
        _CHECKS[loc[0]](value)
    except QueryError as e:
        return str(e)
    return None
