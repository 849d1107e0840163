"""Pin the default configuration's figures: python -m eval.pin [--index data/corpus-index] [--write]

Measures what tests/test_quality_slow.py checks against eval/expected.json (hybrid recall and
MRR by slice, answered and declined, quote@1, the answer layer) on an index of the bundled
corpus (by default the shipped one, which is what a build at the defaults writes), prints the
figures with the headline table, and with --write stores them in eval/expected.json (tolerance
and note kept). Raise the pins on purpose, after a change judged by docs/adoption.md's rule.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .report import headline_table
from .run import abstention, answer_layer, ask_all, evaluate, load_questions, quote_hits

EXPECTED = Path(__file__).parent / "expected.json"
SEED = Path(__file__).resolve().parent.parent / "data" / "corpus-index"


def measure(idx) -> dict:
    """The pinned groups, measured: {"hybrid": slices, "abstention", "quotes", "answers"}."""
    items = load_questions()
    asked = ask_all(idx, items)
    return {"hybrid": evaluate(idx, items, "hybrid")["slices"], "abstention": abstention(idx, items, asked),
            "quotes": quote_hits(idx, items, asked), "answers": answer_layer(items, asked)}


def pinned(measured: dict, expected: dict) -> dict:
    """`expected` with each of its pinned figures replaced by the measured one."""
    out = json.loads(json.dumps(expected))
    for group in ("hybrid", "abstention", "quotes", "answers"):
        for key, want in expected[group].items():
            if isinstance(want, dict):
                out[group][key] = {m: measured[group][key][m] for m in want}
            else:
                out[group][key] = measured[group][key]
    return out


def main(argv: list[str] | None = None) -> int:
    import rag

    p = argparse.ArgumentParser(prog="python -m eval.pin", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, default=SEED)
    p.add_argument("--write", action="store_true", help="store the figures in eval/expected.json")
    a = p.parse_args(argv)
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    new = pinned(measure(rag.load(a.index)), expected)
    print(json.dumps({g: new[g] for g in ("hybrid", "abstention", "quotes", "answers")}, indent=1))
    print(headline_table(new))
    if a.write:
        EXPECTED.write_text(json.dumps(new, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
