"""No pickle, eval/exec or unsafe_allow_html anywhere in the repository's Python code.

The check reads code tokens only (names and operators, not comments or strings), so a
docstring saying "no pickle here" or `allow_pickle=False` does not count, while any use
does: `import pickle`, `pickle.load(...)`, `np.load(..., allow_pickle=True)`, a call of the
builtins `eval(`/`exec(`, or `unsafe_allow_html` in any form. ruff's S rules (ruff.toml, run
by .ci/run) cover the same ground and more; this test keeps it true without ruff.
"""
from __future__ import annotations

import io
import subprocess
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()
BANNED_NAMES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "unsafe_allow_html"}
BANNED_CALLS = {"eval", "exec"}


def python_files() -> list[Path]:
    """Tracked and untracked-but-not-ignored .py files (not .venv, caches, results)."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout
        files = [ROOT / line for line in out.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        files = [p for p in ROOT.rglob("*.py") if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)]
    return sorted(p for p in files if p.is_file() and p.resolve() != THIS)


def findings(source: str) -> list[tuple[int, str]]:
    """(line, what) for every banned use in Python source."""
    toks = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type in (tokenize.NAME, tokenize.OP)]
    out = []
    for i, t in enumerate(toks):
        prev = toks[i - 1].string if i else ""
        nxt = [x.string for x in toks[i + 1 : i + 3]]
        if t.type != tokenize.NAME:
            continue
        if t.string in BANNED_NAMES:
            out.append((t.start[0], t.string))
        elif t.string == "allow_pickle" and nxt[:1] == ["="] and nxt[1:] != ["False"]:
            out.append((t.start[0], "allow_pickle=" + "".join(nxt[1:])))
        elif t.string in BANNED_CALLS and nxt[:1] == ["("] and prev not in (".", "def"):
            out.append((t.start[0], t.string + "("))  # the builtin, not model.eval() or def eval(
    return out


@pytest.mark.parametrize("code, expected", [
    ("import pickle\n", ["pickle"]),
    ("from pickle import loads\n", ["pickle"]),
    ("x = np.load(f, allow_pickle=True)\n", ["allow_pickle=True"]),
    ("x = np.load(f, allow_pickle=flag)\n", ["allow_pickle=flag"]),
    ("y = eval(text)\n", ["eval("]),
    ("exec(code, {})\n", ["exec("]),
    ("st.markdown(doc, unsafe_allow_html=True)\n", ["unsafe_allow_html"]),
    ('"""No pickle here; never eval( or unsafe_allow_html."""\n# allow_pickle=True in a comment\n', []),
    ("np.load(f, allow_pickle=False)\nmodel.eval()\ndef run_eval(x): ...\nrun_eval(1)\n", []),
])
def test_detector_finds_uses_not_mentions(code, expected):
    assert [what for _line, what in findings(code)] == expected


def test_no_pickle_eval_exec_or_unsafe_html_in_the_repository():
    files = python_files()
    assert any(p.name == "app.py" for p in files) and any(p.parent.name == "rag" for p in files)
    hits = [f"{p.relative_to(ROOT)}:{line}: {what}"
            for p in files for line, what in findings(p.read_text(encoding="utf-8"))]
    assert not hits, "banned constructs:\n" + "\n".join(hits)

