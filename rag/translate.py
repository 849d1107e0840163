"""A question machine-translated into English by Apertium, where Debian packages its pair.

Why: e5-small reads a Spanish question against English passages less well than an English
one (XQuAD held-out r@1 es->en 0.883 against en->en 0.981), and Spanish has no dictionary
worth the bridge (FreeDict's 3.6K words moved nothing: docs/retrieval.md). Apertium is
rule-based translation packaged by Debian (apertium-eng-spa, GPL, 2 MB, no model to
download). Its English is rough ("When it was Geegen the emperor?"), but its words are the
English passages' words: the bridge's BM25 reads them (rag/retrieve/bridge.py) and their
vector is mixed into the question's for passages in other languages (rag/searcher.py
cross_vector). Measured by research/apertium.py (XQuAD, training articles for the choice).

One pipeline a language, started on its first question and kept: Apertium's programs flush
their output on a NUL byte (-z), so a question costs ~2 ms after a ~100 ms start (research/apertium.py translation_ms:
median 1.8 ms over the 816 Spanish questions, start 97 ms). In a pipe,
lttoolbox 3.7's `lt-proc -b` keeps its output buffered even so; `stdbuf -o0` releases it.
Without the package, or when the pipeline fails, a question is searched untranslated (as
every language without a pair is) and a warning says why; a failed pipeline is started again
on the next question, and given up after MAX_FAILURES.
"""
from __future__ import annotations

import atexit
import os
import re
import select
import shutil
import subprocess
import threading
import warnings
from functools import lru_cache
from pathlib import Path

from .analyze import _stem, analyze

MODES_DIR = Path("/usr/share/apertium/modes")
# ISO 639-1 -> Apertium's mode into English. Debian has more pairs into English (Catalan,
# Galician, Basque, Icelandic, Macedonian, Serbo-Croatian); XQuAD has none of those languages
# to measure them on, so they are not named here.
MODES = {"es": "spa-eng"}
# The stream format's own characters, and controls: replaced by spaces, not escaped (an escaped
# "^" against a letter, "x\^", stalls lttoolbox 3.7's pipeline; retrieval needs the words alone)
_RESERVED = re.compile(r"[\\^$@/<>{}\[\]*#+~|\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
MAX_FAILURES = 3  # a pipeline that dies this often is not started again


def block(text: str) -> str:
    """`text` as one block of Apertium's stream format: its reserved and control characters spaces,
    its whitespace single spaces (a NUL ends the block)."""
    return " ".join(_RESERVED.sub(" ", text).split())


def pipeline(mode_file: Path) -> list[str]:
    """The shell command of a mode's programs, each flushing on NUL: unknown words unmarked
    (-n, as `apertium -u`), the tagger's default options."""
    tool = shutil.which("apertium-wblank-mode") or "apertium-wblank-mode"
    # our own argv (a program found on PATH, a mode file of Debian's); no shell, no user text
    out = subprocess.run([tool, "-z", str(mode_file)], capture_output=True, text=True,  # noqa: S603
                         check=True, timeout=10).stdout.strip()
    stages = " | ".join(f"stdbuf -o0 {stage.strip()}" for stage in out.split("|"))
    return [shutil.which("bash") or "/bin/bash", "-c", stages, "apertium", "-n", ""]


class Translator:
    """A running pipeline: text in, its translation out, one block at a time (thread-safe)."""

    def __init__(self, argv: list[str], timeout: float = 5.0):
        self.argv, self.timeout = argv, timeout
        self._proc: subprocess.Popen | None = None
        self._pid = os.getpid()  # the process that started _proc: a forked child starts its own
        self._lock = threading.Lock()
        self.failures = 0
        self.broken: str | None = None  # why it stopped translating, once it has

    def __call__(self, text: str) -> str | None:
        """The translation, or None: the pipeline cannot start, died or went silent (said once;
        started again on the next question, MAX_FAILURES times in all)."""
        with self._lock:
            if self.broken is not None:
                return None
            try:
                return self._ask(block(text)).strip()
            except (OSError, RuntimeError, subprocess.SubprocessError) as e:
                self.close()
                self.failures += 1
                if self.failures >= MAX_FAILURES:
                    self.broken = str(e)
                if self.failures == 1 or self.broken:
                    warnings.warn(f"Apertium failed to translate a question ({e}); it is searched untranslated"
                                  + ("; no more questions are translated" if self.broken else ""), stacklevel=2)
                return None

    def _ask(self, data: str) -> str:
        if self._pid != os.getpid():  # forked (a worker): the parent's pipe is not ours to write to
            self._proc, self._pid = None, os.getpid()
        if self._proc is None or self._proc.poll() is not None:
            # the argv is pipeline()'s (Apertium's programs); the question goes in on stdin, as block() made it
            self._proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # noqa: S603
                                          stderr=subprocess.DEVNULL)
        p = self._proc
        p.stdin.write(data.encode("utf-8") + b"\0")
        p.stdin.flush()
        buf = b""
        while not buf.endswith(b"\0"):
            ready, _, _ = select.select([p.stdout], [], [], self.timeout)
            if not ready:
                raise RuntimeError(f"no reply in {self.timeout:g} s")
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"the pipeline exited ({p.poll()})")
            buf += chunk
        return buf[:-1].decode("utf-8", errors="replace")

    def close(self) -> None:
        if self._proc is not None and self._pid == os.getpid():
            for pipe in (self._proc.stdin, self._proc.stdout):
                pipe.close()
            self._proc.kill()
            self._proc.wait()
        self._proc = None


def installed(modes_dir: Path = MODES_DIR) -> dict[str, str]:
    """The languages of MODES whose pair is installed, with their mode."""
    tools = all(shutil.which(t) for t in ("apertium-wblank-mode", "lt-proc", "stdbuf"))
    return {lang: mode for lang, mode in MODES.items() if tools and (modes_dir / f"{mode}.mode").is_file()}


def describe(langs, modes_dir: Path = MODES_DIR) -> str:
    """What is machine-translated into English (`rag dictionaries`): the pairs installed for
    `langs` (Settings.translate_langs), and which are missing."""
    have = installed(modes_dir)
    on = [f"{lang} (Apertium {have[lang]})" for lang in langs if lang in have]
    off = [lang for lang in langs if lang not in have]
    return (f"into English: {', '.join(on) or 'none'}"
            + (f"; not installed: {', '.join(off)} (Debian's apertium-eng-spa, scripts/setup.sh)" if off else ""))


@lru_cache(maxsize=None)
def translator(lang: str, modes_dir: Path = MODES_DIR) -> Translator | None:
    """`lang`'s pipeline into English, shared by every index in the process; None without it."""
    mode = installed(modes_dir).get(lang)
    if mode is None:
        return None
    try:
        t = Translator(pipeline(modes_dir / f"{mode}.mode"))
        atexit.register(t.close)  # its pipeline ends with the process, quietly
        return t
    except (OSError, subprocess.SubprocessError) as e:
        warnings.warn(f"Apertium's {mode} pair is installed but cannot run ({e}); {lang} questions are "
                      f"searched untranslated", stacklevel=2)
        return None


@lru_cache(maxsize=512)
def _word_table(lang: str, names: tuple[str, ...], counted: str) -> dict[str, frozenset[str]]:
    t, table = translator(lang), {}
    if t is None:
        return table
    for name in names:  # keyed as held() looks a name up
        out = t(name)
        if out:
            table[_stem(name.lower())] = frozenset(analyze(out, "en"))
    for word in counted.split():
        out = t(word)
        for tok in analyze(word.lower(), lang) if out else ():
            table[tok] = frozenset(analyze(out, "en"))
    return table


def word_translator(question, lang: str):
    """stem -> English stems for the question's names and counted words, each translated alone
    (rag/evidence.py held: "¿Cuántos votos … en el XVII Congreso?" holds its "votos" and
    "Congreso" by an English quote's "votes" and "Congress"); None without a pair for `lang`."""
    if translator(lang) is None:
        return None
    table = _word_table(lang, tuple(question.shown_names), question.counted_word)
    return lambda stem: table.get(stem, frozenset())


def english(query, langs) -> str | None:
    """The query's English translation when its language is in `langs` (Settings.translate_langs)
    and Apertium has its pair; None otherwise. Made once a query (kept in its cache)."""
    if query.lang not in langs:
        return None
    if "english" not in query.cache:
        t = translator(query.lang)
        query.cache["english"] = t(query.text) if t is not None else None
    return query.cache["english"]
