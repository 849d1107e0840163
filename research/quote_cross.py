"""The quote's weights for a sentence in another language than the question's (issues 27, 30).

    python -m eval.quotes collect --langs all --across en
    python -m research.recipes.quote_head --out /tmp/head.safetensors      # its columns, every record
    python -m research.quote_cross [--columns /tmp/xquad-quotes/token-column.json] [--out results/quote_cross.json]

Settings.token_quote_weights were fitted on questions over their own language's paragraphs.
Across languages the features read differently: the similarity runs lower, word overlap goes
through a dictionary or not at all, and the token head was trained within one language; since
the head, zh>en and el>en quotes lost a little (docs/results/xquad_langs.md). Here the logit
over the quote's features and the head's column is fitted three ways on XQuAD's training
articles (0-23) and eval/questions:

  - "five": the five languages' own sets (as Settings.token_quote_weights is fitted);
  - "all": every set, the 12 languages' own and each over the English paragraphs;
  - "across": every set, each feature twice, once as it is and once where the candidate's
    language is not the question's (zero elsewhere): its own weights across languages.

Every held-out question of the 23 sets (articles 24-31) once, first quote, McNemar against
"five", pooled over the monolingual sets, the sets across into English, and all.

Rejected (2026-12-05, research/README.md has the figures): no fit is significantly better.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.quotes import CACHE, LANGS
from research.common import quote_records, write_json
from research.quote_head_langs import compared, with_column

FIVE = {f"xquad-{x}" for x in LANGS} | {"corpus"}


def across(r: dict) -> np.ndarray:
    """1 for each candidate in another language than the question's."""
    return np.asarray([float(r["q_lang"] != "und" and lang != r["q_lang"]) for lang in r["langs"]])[:, None]


def variant(recs: list[dict], cols: dict, name: str) -> list[dict]:
    rows = with_column(recs, cols)
    if name == "across":
        rows = [{**r, "features": np.hstack([r["features"], r["features"] * across(r)])} for r in rows]
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--columns", type=Path, default=CACHE / "token-column.json")
    ap.add_argument("--out", default="results/quote_cross.json")
    a = ap.parse_args(argv)
    cols = json.loads(a.columns.read_text(encoding="utf-8"))["columns"]
    recs = quote_records()
    write_json(compared((name, variant(recs, cols, name), lambda r, name=name: name != "five" or r["set"] in FIVE)
                        for name in ("five", "all", "across")), a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
