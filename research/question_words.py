"""The answer type in every XQuAD language (issue 30): question words beyond ru/en/de/es/fr/it.

rag/question.py's types were ru/en/de/es/fr/it only, so a Thai "เมื่อใด" (when) or a Hindi
"कितने" (how many) asked for "other": no answer-type fit for the quote, no span pointed out.
This compares, on the held-out articles of all 12 languages (mono indexes of
eval.xquad_langs, 1,848 questions), ask()'s first quote holding the gold answer and the share
of answers with a span shown, with the old patterns (the ru/en/western group alone) and the
new ones (each language's own words, only for a question identified as that language), paired (McNemar, eval/paired.py), and how often a span shown is a gold answer exactly; and, on the training articles, how often each
language's type agrees with the English question's.

    python -m research.question_words [--data ../shared/xquad] [--out results/question_words.json]
"""
from __future__ import annotations

import argparse
from pathlib import Path
from unittest import mock

import rag
from rag import question as qmod
from eval.adopt import LANGS
from eval.paired import mcnemar
from eval.quotes import paragraphs
from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.xquad_langs import current
from research.common import write_json



def outcomes(data: Path, lang: str) -> list[tuple[bool, bool, bool, bool]]:
    """(first quote holds a gold answer, a span is shown, the span is a gold answer as
    written, the span is inside a gold answer or holds one) per held-out question: "2008"
    for XQuAD's "28 Şubat 2008" is the last, not the third."""
    idx = rag.load(current() / f"xquad-{lang}")
    out = []
    for i, p in enumerate(paragraphs(data, lang)):
        if p["article"] not in HELD_OUT or i % 10 == 0:
            continue
        for _qid, question, golds in p["qas"]:
            a = idx.ask(question, k=10)
            exact = a.span is not None and any(g.strip() == a.span.text.strip() for g in golds)
            inside = a.span is not None and any(a.span.text in g or g in a.span.text for g in golds)
            out.append((bool(a.quotes) and any(g in a.quotes[0].text for g in golds), a.span is not None, exact,
                        inside))
    return out


def agreement(data: Path, lang: str) -> float:
    """Share of training-article questions typed as their English original is."""
    en = [q[1] for p in paragraphs(data, "en") if p["article"] not in HELD_OUT for q in p["qas"]]
    xx = [q[1] for p in paragraphs(data, lang) if p["article"] not in HELD_OUT for q in p["qas"]]
    return round(sum(qmod._kind(a, "en") == qmod._kind(b, lang) for a, b in zip(en, xx)) / len(en), 3)


def share(rows: list[tuple[bool, bool, bool, bool]], field: int) -> float | None:
    """The share of shown spans with `field` true (None: no span shown)."""
    shown = [r for r in rows if r[1]]
    return round(sum(r[field] for r in shown) / len(shown), 3) if shown else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", default="results/question_words.json")
    a = p.parse_args(argv)
    new_agree = {lang: agreement(a.data, lang) for lang in LANGS}
    new = {lang: outcomes(a.data, lang) for lang in LANGS}
    with mock.patch.object(qmod, "_TYPES_FOR", {}):  # every language typed by the old patterns
        old_agree = {lang: agreement(a.data, lang) for lang in LANGS}
        old = {lang: outcomes(a.data, lang) for lang in LANGS}
    res = {"per_lang": {}}
    for lang in LANGS:
        q = mcnemar([o[0] for o in old[lang]], [n[0] for n in new[lang]])
        res["per_lang"][lang] = {"type_agreement": [old_agree[lang], new_agree[lang]],
                                 "quote": [round(q.a, 3), round(q.b, 3)],
                                 "span_shown": [round(sum(o[1] for o in old[lang]) / len(old[lang]), 3),
                                                round(sum(n[1] for n in new[lang]) / len(new[lang]), 3)],
                                 "span_exact_where_shown": [share(old[lang], 2), share(new[lang], 2)],
                                 "span_in_gold_where_shown": [share(old[lang], 3), share(new[lang], 3)]}
        print(lang, res["per_lang"][lang])
    allq = mcnemar([o[0] for lang in LANGS for o in old[lang]], [n[0] for lang in LANGS for n in new[lang]])
    res["all"] = {"n": allq.n, "quote": [round(allq.a, 4), round(allq.b, 4)], "p": round(allq.p, 4),
                  "interval": [round(allq.low, 4), round(allq.high, 4)], "old_only": allq.a_only, "new_only": allq.b_only}
    print("all", res["all"])
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
