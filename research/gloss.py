"""A question's English gloss for the dense retriever across languages (issue 30).

The bridge (rag/retrieve/bridge.py) gives BM25 the question's words translated into English.
The dense side read other languages' passages with the question's own vector alone, and e5's
cross-language similarity is weakest for the languages furthest from English (zh→en r@1 0.84
against de→en 0.92). Here the question is also glossed word for word (each word's first
translation in the same dictionaries, rag/retrieve/bridge.py Lexicon.gloss), the gloss encoded
as a question, and the two vectors mixed (Settings.gloss_weight) for the passages in languages
other than the question's (Query.vector_for); its own language's passages and found-or-not keep
its own vector. This measures r@1 and the first quote per language and weight, on XQuAD's
training articles (0-23, where the languages and the weight are chosen) and the held-out ones,
→en (the English paragraphs' index) and →mixed (the en + ru one), with eval.xquad_langs's
indexes and rows (calibration paragraphs left out).

    python -m research.gloss [--langs zh,de,el,ar,tr,hi] [--weights 0,0.3] [--out results/gloss.json]
"""
from __future__ import annotations

import argparse
import functools
from pathlib import Path

from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.adopt import variant_index
from eval.xquad_langs import CACHE, ask_rows, current, figures, language_index, mixed_docs
from research.common import write_json

TRAINING = frozenset(range(24))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="zh,de,el,ar,tr,hi")
    ap.add_argument("--weights", default="0,0.3")
    ap.add_argument("--out", default="results/gloss.json")
    a = ap.parse_args(argv)
    where = current(CACHE)
    index = {"en": functools.cache(lambda: language_index(a.data, "en", where)),
             "mixed": functools.cache(lambda: variant_index(mixed_docs(a.data, where), where / "mixed", {}))}
    langs = a.langs.split(",")
    res = {}
    for lang in langs:
        for d in ("en", "mixed"):
            for w in (float(x) for x in a.weights.split(",")):
                settings = {"gloss_weight": w, "gloss_langs": langs}
                row = {part: figures(ask_rows(index[d](), a.data, lang, d, settings, articles))
                       for part, articles in (("training", TRAINING), ("held out", HELD_OUT))}
                res[f"{lang} →{d} weight {w}"] = row
                print(f"{lang} →{d} weight {w}: " + "; ".join(
                    f"{part} r@1 {f['r@1']}, quote {f['quote']}, answered {f['answered']} (n {f['n']})"
                    for part, f in row.items()), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
