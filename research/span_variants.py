"""Rules for the answer pointed out that were tried on 2026-12-07 and left out (issue 27's spans).

Each variant patches one step of rag/span.py for the run and asks every typed question of
XQuAD's training articles and held-out ones (eval.quotes.typed_gold, eval.xquad.HELD_OUT) with
ask() at today's settings (eval.quotes' indexes): the span shown and exact (casefolded,
punctuation dropped), as docs/results/quotes.md counts them.

- `ratio:R`: a span shown where the best pull is R times the next one's, as well as 0.2 ahead;
- `distinct`: each of the question's words pulls once, from its occurrence nearest the candidate;
- `derived`: a sentence word whose stem holds a question stem of 5 letters or more ("проголосовало"
  for "голосов") pulls too;
- `titles`: a name inside a longer quoted title ("Flung to the Heedless Winds") is no candidate;
- `places`: a who-question's candidate that names a country or city (rag/places.py) after "of",
  "из", "de"… is none;
- `dictionary-runs`: a who-question's run of dictionary words only ("Communist Party") is none.

    python -m research.span_variants [--langs en,ru,de,es,zh] [--variants base,ratio:1.5,distinct] [--out results/span_variants.json]
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from eval.quotes import CACHE, normal, paragraphs, typed_gold, xquad_index
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import write_json

VARIANTS = ("base", "ratio:1.3", "ratio:1.5", "ratio:2", "ratio:3", "distinct", "derived", "titles", "places",
            "dictionary-runs")
_QUOTED = re.compile(r"«[^«»\n]{1,160}»|“[^“”\n]{1,160}”|„[^„“”\n]{1,160}[“”]|\"[^\"\n]{1,160}\"")
_OF = re.compile(r"(?i)(?:\b(?:of|from|in|at|to|von|aus|im|nach|de|del|en|desde)|(?<!\w)(?:из|в|во|на|до|от|с|со|к))\s+$")


def _patched(variant: str):
    """The functions of rag.span to replace for `variant`: {name: function}."""
    import rag.span as S
    from rag.analyze import analyze
    from rag.places import places

    pull, anchors, typed = S.pull, S._anchors, S.typed

    def point_ratio(sentence, q, min_margin=0.2, common=None, translate=None):
        ratio = float(variant.split(":")[1])
        cands = S.typed(sentence, q, common, translate)
        if len(cands) <= 1 or (q.kind in ("person", "place") and q.lang in S._NOUNS_CAPITALISED):
            return S_point(sentence, q, min_margin, common, translate)
        found = S._anchors(sentence, q, translate)
        if not found:
            return None
        measure = frozenset(q.measured)
        if translate is not None:
            measure = measure.union(*(translate(m) for m in q.measured))
        pulls = [S.pull(sentence, c, q, found, measure) for c in cands]
        ranked = sorted(range(len(cands)), key=lambda i: (-pulls[i], cands[i].start))
        a, b = pulls[ranked[0]], pulls[ranked[1]]
        if a - b < min_margin and a < ratio * b:
            return None
        c = cands[ranked[0]]
        return S.Pointed(c.start, c.end, c.text)

    def pull_distinct(sentence, c, q, found, measure=None):
        nearest: dict[str, tuple[int, int]] = {}
        for a in found:
            key = S._stem(S._WORD.match(sentence, a).group().lower())
            between = sentence[min(a, c.end) : max(a, c.start)]
            d = len(S._WORD.findall(between)) + len(S._CLAUSE.findall(between))
            if key not in nearest or d < nearest[key][0]:
                nearest[key] = (d, a)
        return pull(sentence, c, q, sorted(a for _, a in nearest.values()), measure)

    def anchors_derived(sentence, q, translate=None):
        out = anchors(sentence, q, translate)
        stems = [s.split(":", 1)[-1] for s in set(q.stems) | S._translated(q, translate)]
        stems = [s for s in stems if len(s) >= 5]
        have = set(out)
        for m in S._TOKEN.finditer(sentence):
            w = m.group().lower()
            st = S._stem(w)
            if m.start() not in have and w not in S._STOP and len(st) >= 5 and any(
                    x in st or (len(st) >= 6 and st in x) for x in stems):
                out.append(m.start())
        return sorted(out)

    def dropping(drop):
        def typed_drop(sentence, q, common=None, translate=None):
            out = typed(sentence, q, common, translate)
            return out if q.kind not in ("person", "place") else [c for c in out if not drop(sentence, c, q, common)]
        return typed_drop

    def in_title(sentence, c, q, common):
        return any(m.start() < c.start and c.end < m.end() and sentence[m.start() + 1 : m.end() - 1].strip(" ,.") != c.text
                   for m in _QUOTED.finditer(sentence))

    def place_after_of(sentence, c, q, common):
        toks = [t for t in analyze(c.text, q.lang) if t not in ("и", "and", "und", "y")]
        return (q.kind == "person" and bool(toks) and all(places([t]) for t in toks)
                and _OF.search(sentence[max(0, c.start - 12) : c.start]) is not None)

    def dictionary_run(sentence, c, q, common):
        words = [w for w in c.text.split() if w.lower() not in S._STOP]
        return q.kind == "person" and common is not None and len(words) >= 2 and all(common(w) for w in words)

    S_point = S.point
    return {"base": {}, "distinct": {"pull": pull_distinct}, "derived": {"_anchors": anchors_derived},
            "titles": {"typed": dropping(in_title)}, "places": {"typed": dropping(place_after_of)},
            "dictionary-runs": {"typed": dropping(dictionary_run)}}.get(variant, {"point": point_ratio})


def figures(idx, questions: list[tuple[bool, str, list[str]]]) -> dict:
    c: Counter = Counter()
    for held, q, answers in questions:
        a = idx.ask(q)
        part = "held out" if held else "training"
        c[(part, "typed")] += 1
        if a.span is not None:
            c[(part, "shown")] += 1
            c[(part, "exact")] += normal(a.span.text) in {normal(x) for x in answers}
    return {p: {"typed": c[(p, "typed")], "shown": c[(p, "shown")], "exact": c[(p, "exact")],
                "exact where shown": round(c[(p, "exact")] / max(c[(p, "shown")], 1), 3)}
            for p in ("training", "held out")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="en,ru,de,es,zh")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--out", default="results/span_variants.json")
    a = ap.parse_args(argv)
    import rag.searcher
    import rag.span as S

    res = {}
    for lang in a.langs.split(","):
        idx = xquad_index(a.data, lang, CACHE)
        questions = [(p["article"] in HELD_OUT, q, ans) for p in paragraphs(a.data, lang)
                     for _, q, ans in p["qas"] if typed_gold(q, ans)]
        for v in a.variants.split(","):
            saved = {name: getattr(S, name) for name in ("point", "pull", "_anchors", "typed")}
            try:
                for name, f in _patched(v).items():
                    setattr(S, name, f)
                rag.searcher.point = S.point  # ask() holds its own name for it
                res[f"{lang} {v}"] = f = figures(idx, questions)
            finally:
                for name, f0 in saved.items():
                    setattr(S, name, f0)
                rag.searcher.point = S.point
            print(f"{lang} {v}: " + "; ".join(f"{k} {x['shown']}/{x['typed']} shown, {x['exact']} exact "
                                              f"({x['exact where shown']:.3f})" for k, x in f.items()), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
