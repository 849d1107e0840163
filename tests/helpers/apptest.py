"""Driving app.py through Streamlit's AppTest: its first start, a question, what it shows."""
from __future__ import annotations

import re
from pathlib import Path

APP = str(Path(__file__).resolve().parents[2] / "app.py")
# A document smaller than helpers.docs.EN_DOC: a first start indexes it first.
MUSEUM = (
    "The city museum of clocks opens at nine o'clock every morning except Monday. "
    "Its oldest exhibit is a water clock brought from Bukhara in 1870."
)


def first_start(index: Path, timeout: int = 240):
    """The app's first start on a corpus without an index, once its background fill is done."""
    from streamlit.testing.v1 import AppTest

    from rag import background

    at = AppTest.from_file(APP, default_timeout=timeout).run()
    assert not at.exception, at.exception
    if f := background.last(index):
        state = f.wait(timeout)
        assert state.finished and state.error is None, state
    return at.run()


def plain(markdown: str) -> str:
    """Markdown as read: escapes dropped (the app escapes file names and document text)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def main_text(at) -> str:
    """Everything the chat area shows (markdown and captions, not the sidebar)."""
    side = {id(e) for e in at.sidebar.markdown} | {id(e) for e in at.sidebar.caption}
    return plain(" ".join(e.value for e in list(at.markdown) + list(at.caption) if id(e) not in side))


def sidebar_text(at) -> str:
    """The sidebar's captions: the document list and the indexing notes."""
    return plain(" ".join(c.value for c in at.sidebar.caption))


def ask(at, question: str):
    """Send `question` through the chat input; the app must not raise."""
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at
