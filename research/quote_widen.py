"""What the user reads of a quote: the sentence chosen, widened (issue 27's first quote, issue 30's
every language).

    python -m research.quote_widen [--langs all] [--variants antecedent,widen,reads_on] [--cache /tmp/xquad-quotes] [--out results/quote_widen.json]

The quote is one sentence. When it misses the answer, the sentence before holds it for 2–7 % of
XQuAD's questions (more in Arabic, Hindi and Thai), and the one after as often. Two reasons, two
rules (rag/answer.py widen):
  antecedent: a sentence that opens by pointing back ("It states that for every positive integer
              n…", "К ним относятся…": a third-person pronoun or a demonstrative, first or after one
              conjunction or preposition; Chinese by its first character; Thai also a word that
              continues a clause, its pieces being cut by length) is quoted with the sentence before;
  widen:      that, and a neighbour of the quoted sentence scored within the quote margin of the best
              (Settings.quote_margin, the margin within which further quotes are made: only one is
              made per passage, so a near neighbour was shown nowhere) joins it;
  reads_on:   that, and a Thai or Lao piece cut by length (rag/chunk.py cut_by_length: Thai writes
              no sentence marks, rag/chunk.py THAI_MAX) reads on into the piece after it, where a
              missed answer mostly is (the product).
Both only inside one paragraph of one passage. Each language's questions over its own paragraphs
(eval.quotes' monolingual index), ask() at the defaults; the first quote recorded as shown and as
the chosen sentence alone (the product's widen patched to remember what it widened). Per language,
training (0-23) and held-out (24-31) articles apart: the first quote holds a gold answer, alone and
shown; the share of first quotes widened; their mean length; where a missed answer is (the
sentence before, the one after); a typed question's answer pointed out (span shown) and exact,
inside the sentence alone (as the product points it) and inside the quote shown (the same span
code on the shown text). McNemar over every question, shown against alone.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import rag.answer as answer_mod
import rag.searcher as searcher_mod
from eval.paired import mcnemar
from eval.quotes import ALL_LANGS, CACHE, normal, paragraphs, typed_gold, xquad_index
from eval.xquad import DEFAULT_DATA, HELD_OUT
from rag.chunk import sentences
from rag.question import analyse
from research.common import write_json

_WIDEN = searcher_mod.widen
_CUT = answer_mod.cut_by_length


def measure(data: Path, lang: str, cache: Path, variant: str) -> dict:
    idx = xquad_index(data, lang, cache)
    seen: dict[tuple[str, int, int], tuple] = {}

    def remembering(c, chunk, near=frozenset(), pages=None):
        out = _WIDEN(c, chunk, near if variant != "antecedent" else frozenset(), pages)
        seen[(out.passage.source, out.start, out.end)] = c, out
        return out

    searcher_mod.widen = remembering
    if variant != "reads_on":
        answer_mod.cut_by_length = lambda text, a, b: False
    rows = []
    try:
        for i, p in enumerate(paragraphs(data, lang)):
            ctx, sents = p["context"], None
            for _qid, q, answers in p["qas"]:
                seen.clear()
                a = idx.ask(q)
                r = {"held": p["article"] in HELD_OUT, "joined": False, "ok": False, "ok_alone": False,
                     "before": False, "after": False, "typed": typed_gold(q, answers)}
                if a.quotes:
                    qt = a.quotes[0]
                    c, shown = seen.get((qt.source, qt.start, qt.end), (None, None))
                    own = c.text if c is not None else qt.text
                    r.update(joined=own != qt.text, ok=any(x in qt.text for x in answers),
                             ok_alone=any(x in own for x in answers), chars=len(qt.text), chars_alone=len(own))
                    if not r["ok_alone"] and qt.source.endswith(f"p{i:03d}.txt") and c is not None:
                        sents = sents or sentences(ctx)
                        before = [x for x in sents if x.end <= c.start]
                        after = [x for x in sents if x.start >= c.end]
                        r["before"] = bool(before) and any(x in ctx[before[-1].start:before[-1].end] for x in answers)
                        r["after"] = bool(after) and any(x in ctx[after[0].start:after[0].end] for x in answers)
                    if r["typed"]:  # the product points inside the sentence alone; here also inside the quote shown
                        r["span_alone"] = None if a.span is None else normal(a.span.text) in golds(answers)
                        r["span"] = r["span_alone"]
                        if c is not None and own != qt.text:
                            sq = idx.searcher.query(q)
                            sp = idx.searcher.point(analyse(sq.text, sq.lang), sq.lang, shown)
                            r["span"] = None if sp is None else normal(sp.text) in golds(answers)
                rows.append(r)
    finally:
        searcher_mod.widen, answer_mod.cut_by_length = _WIDEN, _CUT
    return summarise(rows)


def golds(answers: list[str]) -> set[str]:
    return {normal(x) for x in answers}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for part, held in (("training", False), ("held out", True)):
        rs = [r for r in rows if r["held"] == held]
        n = max(len(rs), 1)
        shown = [r for r in rs if r.get("span") is not None]
        shown_alone = [r for r in rs if r.get("span_alone") is not None]
        out[part] = {"n": len(rs), "quote alone": round(sum(r["ok_alone"] for r in rs) / n, 3),
                     "quote shown": round(sum(r["ok"] for r in rs) / n, 3),
                     "widened": round(sum(r["joined"] for r in rs) / n, 3),
                     "chars alone": round(sum(r.get("chars_alone", 0) for r in rs) / n),
                     "chars shown": round(sum(r.get("chars", 0) for r in rs) / n),
                     "missed, answer before": sum(r["before"] for r in rs),
                     "missed, answer after": sum(r["after"] for r in rs),
                     "typed": sum(r["typed"] for r in rs),
                     "span shown alone / in the quote": [len(shown_alone), len(shown)],
                     "span exact alone / in the quote": [sum(r["span_alone"] for r in shown_alone),
                                                         sum(r["span"] for r in shown)]}
    p = mcnemar([r["ok_alone"] for r in rows], [r["ok"] for r in rows])
    out["paired"] = {"n": p.n, "alone": round(p.a, 3), "shown": round(p.b, 3), "lost": p.a_only,
                     "gained": p.b_only, "p": float(f"{p.p:.2g}")}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m research.quote_widen", description=__doc__.splitlines()[0])
    ap.add_argument("--langs", default="all")
    ap.add_argument("--variants", default="antecedent,widen,reads_on")
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--out", default="results/quote_widen.json")
    a = ap.parse_args(argv)
    langs = list(ALL_LANGS) if a.langs == "all" else a.langs.split(",")
    res: dict = {}
    for variant in a.variants.split(","):
        for lang in langs:
            res.setdefault(variant, {})[lang] = measure(a.data, lang, a.cache, variant)
            print(variant, lang, res[variant][lang], flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
