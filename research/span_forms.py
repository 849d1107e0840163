"""The span's exactness and XQuAD's answer forms (issue 27): would a bare year be "more exact"?

rag/span.py points a Russian year out with its year word ("1943 года"), as a Russian reader
reads it. On XQuAD's typed questions (eval.quotes.typed_gold) most non-exact Russian spans are
exactly that against a gold "1943". This measures, per language, on the training articles
(0-23) and the held-out ones (24-31) separately: spans shown, exact as pointed out, and exact
with the year word dropped; and, over the whole dev split, how XQuAD writes a year answer
(a bare year, or a year with its year word). A form is worth changing only if it wins on
both article sets; the indexes are eval.quotes' (one per language, built once under its cache).

    python -m research.span_forms [--langs ru,en] [--out results/span_forms.json]
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from eval.quotes import CACHE, normal, paragraphs, typed_gold, xquad_index
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import write_json

YEAR_WORD = re.compile(r"^(\d{4}) (?:г\.|года|году|год)$")


def gold_forms(data: Path, lang: str) -> dict[str, int]:
    """How the dev split writes its year answers: bare ("1943") or with a year word ("1943 году")."""
    d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
    golds = [q["answers"][0]["text"] for a in d["data"] for p in a["paragraphs"] for q in p["qas"]]
    return {"bare year": sum(bool(re.fullmatch(r"\d{4}", g)) for g in golds),
            "year with its word": sum(bool(YEAR_WORD.match(g)) for g in golds)}


def spans(data: Path, lang: str) -> dict[str, dict[str, int]]:
    idx = xquad_index(data, lang, CACHE)
    out = {name: {"typed": 0, "shown": 0, "exact": 0, "exact, year word dropped": 0, "first quote wrong": 0}
           for name in ("training", "held out")}
    for p in paragraphs(data, lang):
        part = out["held out" if p["article"] in HELD_OUT else "training"]
        for _qid, question, answers in p["qas"]:
            if not typed_gold(question, answers):
                continue
            part["typed"] += 1
            a = idx.ask(question)
            if a.span is None:
                continue
            gold = {normal(x) for x in answers}
            part["shown"] += 1
            part["exact"] += normal(a.span.text) in gold
            part["exact, year word dropped"] += normal(YEAR_WORD.sub(r"\1", a.span.text)) in gold
            part["first quote wrong"] += not any(x in a.quotes[0].text for x in answers)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m research.span_forms")
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="ru,en")
    ap.add_argument("--out", default="results/span_forms.json")
    a = ap.parse_args(argv)
    res = {lang: {"spans": spans(a.data, lang), "gold forms": gold_forms(a.data, lang)} for lang in a.langs.split(",")}
    print(json.dumps(res, indent=1, ensure_ascii=False))
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
