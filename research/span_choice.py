"""Which typed candidate to point out inside the quote, and when (issue 27's spans).

rag/span.py points out a candidate of the question's type (a number, date or name) when it
is alone in the quote, or when the question's words stand clearly nearer it than the others.
Before 2026-12-03 "nearer" was the one nearest shared word, by 3 words, and a person question
with two names showed nothing; now every shared word pulls by 1 / (1 + words between, a
clause mark counting one more), names drop the question's own words in front of them, and
two candidates joined by "and" or a range are one answer. This measures, on XQuAD's typed
questions (eval.quotes.typed_gold) for each language, the training articles and the held-out
ones (eval.xquad.HELD_OUT) apart: spans shown and exact (casefolded, punctuation dropped), and
of the misses those whose quote does not hold the answer at all,
at several margins, with the first quote each question gets from ask() at today's settings
(eval.quotes' indexes, built once). The margin is chosen on the training articles. The
"before" figures (docs/answers.md section 5): this script with rag/span.py and rag/question.py
of commit b575fa3 restored and `--margins 3` (the old rule counted words).

    python -m research.span_choice [--langs en,ru] [--margins 0.1,0.2,0.3,0.4] [--out results/span_choice.json]

`--several-german-names`: a German who-question whose quote holds several names once its
nouns are cut off (rag/span.py _unnouned) gets the one the question's words pull hardest, as
in English, instead of none (tried and rejected on 2026-12-04: see docs/answers.md).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from eval.quotes import CACHE, normal, paragraphs, typed_gold, xquad_index
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import write_json


def quotes(data: Path, lang: str, cache: Path = CACHE) -> tuple[object, list[dict]]:
    """The searcher and, per typed question, its first quote as ask() chooses it."""
    idx = xquad_index(data, lang, cache)
    s = idx.searcher
    rows = []
    for p in paragraphs(data, lang):
        for _, q, answers in p["qas"]:
            if not typed_gold(q, answers):
                continue
            a = idx.ask(q)
            if a.quotes:
                rows.append({"q": q, "answers": answers, "quote": a.quotes[0].text, "q_lang": s.query(q).lang,
                             "s_lang": a.quotes[0].lang, "held": p["article"] in HELD_OUT})
    return s, rows


def figures(s, rows: list[dict], margin: float) -> dict[str, dict]:
    from rag.evidence import common_word, translator
    from rag.question import analyse
    from rag.span import point

    out = {}
    for part, held in (("training", False), ("held out", True)):
        n = shown = exact = quote_wrong = 0
        for r in rows:
            if r["held"] != held:
                continue
            n += 1
            pt = point(r["quote"], analyse(r["q"], r["q_lang"]), margin, common_word(s.lexicon, r["s_lang"]),
                       translator(s.lexicon, r["q_lang"], r["s_lang"]))
            if pt is not None:
                shown += 1
                ok = normal(pt.text) in {normal(x) for x in r["answers"]}
                exact += ok
                # a miss no span could mend: the quote does not hold the answer at all
                quote_wrong += not ok and not any(x in r["quote"] for x in r["answers"])
        out[part] = {"typed": n, "shown": shown, "exact": exact, "shown share": round(shown / max(n, 1), 3),
                     "exact where shown": round(exact / max(shown, 1), 3),
                     "missed, quote without the answer": quote_wrong}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="en,ru")
    ap.add_argument("--margins", default="0.1,0.2,0.3,0.4")
    ap.add_argument("--out", default="results/span_choice.json")
    ap.add_argument("--cache", type=Path, default=CACHE, help="where eval.quotes' indexes are (built when missing): "
                    "another folder after a change of the index's code")
    ap.add_argument("--several-german-names", action="store_true",
                    help="choose among several German names by the pull, as in English")
    a = ap.parse_args(argv)
    if a.several_german_names:
        import rag.span

        rag.span._NOUNS_CAPITALISED = ()  # point()'s "none of several" rule for German, off
    res = {}
    for lang in a.langs.split(","):
        s, rows = quotes(a.data, lang, a.cache)
        for m in (float(x) for x in a.margins.split(",")):
            res[f"{lang} margin {m}"] = f = figures(s, rows, m)
            print(f"{lang} margin {m}: " + "; ".join(
                f"{k} {v['shown']}/{v['typed']} shown, {v['exact']} exact ({v['exact where shown']:.3f}), "
                f"{v['missed, quote without the answer']} missed in a quote without the answer"
                for k, v in f.items()), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
