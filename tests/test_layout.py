"""The house rules of rag/, checked on the source: no import circle (lazy imports
included), the product never imports its test harness (eval/, bench/, research/) or the chat's parts
(ui/), no class over ~200 lines, and the wheel holds the product only.

`python tests/test_layout.py` prints the structure: each module, its lines and imports.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_CLASS_LINES = 200
HARNESS = ("eval", "bench", "research", "tests")
UI = ("ui",)  # the chat's parts (app.py): they import rag; rag never imports them


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Modules of this project that `path` imports anywhere (top level, in functions,
    under TYPE_CHECKING), resolved to module names: `from .x import y` gives rag.x, and
    rag.x.y too when y is a module."""
    mod = _module(path)
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: set[str] = set()
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.Import):
            names = [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom):
            base = pkg.split(".")[: len(pkg.split(".")) - n.level + 1] if n.level else []
            name = ".".join(base + ([n.module] if n.module else []))
            subs = [f"{name}.{a.name}" for a in n.names]
            # `from . import store` imports the module rag.store; `from .x import f`, rag.x
            names = subs + ([name] if not all(_exists(x) for x in subs) else [])
        else:
            continue
        out |= {x for x in names if x.split(".")[0] in ("rag", *HARNESS, *UI) and _exists(x)}
    out.discard(mod)
    return out


def _exists(module: str) -> bool:
    p = ROOT.joinpath(*module.split("."))
    return p.with_suffix(".py").is_file() or (p / "__init__.py").is_file()


def graph(package: str = "rag") -> dict[str, set[str]]:
    return {_module(p): imports(p) for p in sorted((ROOT / package).rglob("*.py"))}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Import circles among the modules (a module importing its own package's
    __init__ implicitly, as Python does for every submodule, is not counted)."""
    found, state = [], {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = "open"
        for d in sorted(g.get(m, ())):
            if d == m.rpartition(".")[0] or d not in g:
                continue
            if state.get(d) == "open":
                found.append(path[path.index(d):] + [d])
            elif d not in state:
                visit(d, path + [d])
        state[m] = "done"

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    return found


def class_lengths(package: str = "rag") -> dict[str, int]:
    out = {}
    for p in sorted((ROOT / package).rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(n, ast.ClassDef):
                out[f"{_module(p)}.{n.name}"] = n.end_lineno - n.lineno + 1
    return out


def test_no_import_circle_in_the_product():
    assert cycles(graph()) == []


def test_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_product_never_imports_its_harness():
    bad = {m: sorted(d for d in deps if d.split(".")[0] in (*HARNESS, *UI)) for m, deps in graph().items()}
    assert {m: d for m, d in bad.items() if d} == {}


def test_no_class_over_200_lines():
    assert {c: n for c, n in class_lengths().items() if n > MAX_CLASS_LINES} == {}


def test_the_wheel_holds_the_product_only():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert conf["tool"]["setuptools"]["packages"]["find"]["include"] == ["rag*"]


def test_eval_has_its_own_entry_point():
    r = subprocess.run([sys.executable, "-m", "eval", "--help"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "python -m eval" in r.stdout


if __name__ == "__main__":
    g, sizes = graph(), class_lengths()
    for m, deps in g.items():
        path = ROOT.joinpath(*m.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        lines = len(path.read_text(encoding="utf-8").splitlines())
        shown = sorted(d.removeprefix("rag.") for d in deps if d != "rag")
        print(f"{m:24} {lines:4d} lines  -> {', '.join(shown) or '-'}")
    print("largest classes:", ", ".join(f"{c} {n}" for c, n in sorted(sizes.items(), key=lambda x: -x[1])[:5]))
    print("import circles:", cycles(g) or "none")
