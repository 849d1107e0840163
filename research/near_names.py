"""How far from the quote the question's names are looked for (Settings.near_names, issue 27).

    python -m eval.adopt ... --only a            # A's answers, before a change (the token head here)
    python -m eval.adopt ... --answers-b DIR_B   # B's, after it
    python -m research.near_names --a /tmp/rag-adopt-tok/44136fa355 --b /tmp/rag-adopt-tokB/44136fa355 \\
        [--indexes /tmp/rag-adopt-tok/44136fa355] [--windows 300,350,400,450,500,550,600] [--out results/near_names.json]

The token head moved the first quote to sentences that name the question's subject less often
by its name ("Paul T. Stallsworth, president of the Taskforce of United Methodists on Abortion
and Sexuality…", asked "Who is the president of TUMAS?"): the answer is there, the name a few
sentences away, and the answer is marked a partial match ("not found near the quote: TUMAS").
This finds the questions the change cost "clean" (answered without such a line in A, with it
in B; eval.adopt's rows) and asks each again, at every window, for the smallest at which the
line goes: the distance its names stand from the quote. The corpus questions below must keep
their line (a name that is not near is not held); their smallest clearing window says how far
their names stand. A window between the two keeps both.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.quotes import paragraphs
from eval.run import load_questions
from eval.xquad import DEFAULT_DATA
from research.common import write_json

# the corpus's partial matches (tests/test_answer_slow.py): the quote is about the Belovsky
# district, "Березовского района" stands further on in the same section
KEEP = ("Сколько кулацких хозяйств было выселено из Березовского района весной 1931 года?",)


def lost_clean(a_dir: Path, b_dir: Path) -> list[tuple[str, str]]:
    """(set, id) of the answerable questions clean in A and not in B."""
    out = []
    for part in sorted(a_dir.glob("*.jsonl")):
        b = b_dir / part.name
        if not b.exists():
            continue
        after = {r["id"]: r for r in map(json.loads, b.read_text(encoding="utf-8").splitlines())}
        for r in map(json.loads, part.read_text(encoding="utf-8").splitlines()):
            if r.get("clean") and r["id"] in after and not after[r["id"]].get("clean", True):
                out.append((r["set"], r["id"]))
    return out


def question_of(set_name: str, qid: str, data: Path) -> tuple[str, str]:
    """The question's text and the index folder (under --indexes) it was asked of."""
    if set_name == "corpus":
        return next(it.question for it in load_questions() if it.id == qid), "corpus"
    lang, _, against = set_name.removeprefix("xquad-").partition(">")
    text = next(q for p in paragraphs(data, lang) for i, q, _ in p["qas"] if i == qid)
    return text, f"xquad-{against or lang}"


def clears_at(idx, question: str, windows: list[int]) -> tuple[int | None, tuple[str, ...]]:
    """The smallest window at which ask() leaves nothing missing (None: none does), and what
    is missing at the smallest window."""
    first = None
    for n in windows:
        idx.reconfigure(near_names=n)
        a = idx.ask(question)
        if n == windows[0]:
            first = a.missing
        if a.found and not a.missing:
            return n, first
    return None, first


def main(argv: list[str] | None = None) -> int:
    import rag

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", type=Path, required=True, help="eval.adopt's answers folder of A (before)")
    ap.add_argument("--b", type=Path, required=True, help="... and of B (after)")
    ap.add_argument("--indexes", type=Path, default=None, help="the folder of B's indexes (default: --a)")
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--windows", default="300,350,400,450,500,550,600")
    ap.add_argument("--out", default="results/near_names.json")
    a = ap.parse_args(argv)
    windows = [int(x) for x in a.windows.split(",")]
    indexes = a.indexes or a.a
    loaded: dict[str, object] = {}

    def index(name: str):
        if name not in loaded:
            loaded[name] = rag.load(indexes / name)
        return loaded[name]

    res: dict = {"lost clean": [], "keep": []}
    for set_name, qid in lost_clean(a.a, a.b):
        q, folder = question_of(set_name, qid, a.data)
        at, missing = clears_at(index(folder), q, windows)
        res["lost clean"].append({"set": set_name, "id": qid, "question": q, "missing": list(missing), "clears at": at})
        print(f"lost clean: {set_name} {q!r}: missing {list(missing)}, clears at {at}", flush=True)
    for q in KEEP:
        at, missing = clears_at(index("corpus"), q, windows)
        res["keep"].append({"question": q, "missing": list(missing), "clears at": at})
        print(f"keep: {q!r}: missing {list(missing)}, clears at {at}", flush=True)
    cleared = [r["clears at"] for r in res["lost clean"] if r["clears at"] is not None]
    res["summary"] = {str(n): {"lost clean cleared": sum(c <= n for c in cleared),
                               "keep cleared (must be 0)": sum(r["clears at"] is not None and r["clears at"] <= n
                                                               for r in res["keep"])} for n in windows}
    print(json.dumps(res["summary"]), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
