"""When to point out the answer at all: the first quote's share of the evidence (issue 27's spans).

rag/span.py points out a typed candidate inside the first quote. When the quote itself was a
close call between sentences, the span inside it may be a guess as well. This measures a gate
that would point out an answer only in a first quote holding at least a threshold's share of
the evidence: the softmax of the candidates' scores (rag/evidence.py's weighted features, the
conditional logit eval.quotes fits), each sentence counted once (overlapping passages hold the
same sentence twice). `--top N` takes the share among the best N sentences only (a long
passage's many sentences lower every share). On XQuAD's typed questions
(eval.quotes.typed_gold), with the first quote ask() gives at today's settings:

- by bins of the share, training articles: spans shown, right (the span inside the gold answer
  or around it, casefolded, punctuation dropped) and exact;
- per threshold: the spans it would remove on the training articles, right and exact, and the
  shown share / exactness per language on the training and the held-out articles;
- the corpus set (eval/questions' typed questions, the bundled corpus's index): by bins, the
  spans shown and those inside the evidence.

Tried and rejected on 2026-12-04 (research/README.md has the figures): on XQuAD's training
articles a span in a quote under 0.4 of the evidence is mostly wrong, but on the corpus set,
whose long passages hold many sentences alike, it is mostly right ("37,2 %" for the 1923
turnout, at 0.21, among the 1922 and 1924 figures).

    python -m research.span_share [--langs en,ru,de,es,zh] [--thresholds 0.3,0.4,0.45,0.5,0.6] [--top 0]
        [--out results/span_share.json]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from eval.quotes import CACHE, LANGS, normal, paragraphs, typed_gold, xquad_index
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import write_json

BINS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def right(span: str, answers: list[str]) -> bool:
    """The span is the gold answer, inside it or around it ("1943 года" for "1943")."""
    s = normal(span)
    return bool(s) and any(s in normal(a) or normal(a) in s for a in answers)


def share(cands, scores, quote, top: int = 0) -> float:
    """The quote's share of the evidence: the softmax of the candidates' scores, each sentence
    once, among the best `top` sentences (0: all; a quote outside them: 0)."""
    best: dict[tuple[str, int, int], float] = {}
    for c, s in zip(cands, scores):
        key = (c.passage.source, c.start, c.end)
        best[key] = max(best.get(key, -np.inf), float(s))
    u = np.sort(np.fromiter(best.values(), dtype=np.float64))[::-1]
    u = u[:top] if top else u
    own = best.get((quote.source, quote.start, quote.end), -np.inf)
    return float(np.exp(own - u[0]) / np.exp(u - u[0]).sum()) if own >= u[-1] else 0.0


def asked(idx, questions, top: int) -> list[tuple[object, float]]:
    """ask() each question; with each answer, its first quote's share (ask's candidates and
    scores taken where rag/searcher.py hands them to quote_rows)."""
    import rag.searcher

    seen = []

    def recording(cands, scores, *a):
        seen.append((cands, scores))
        return quote_rows(cands, scores, *a)

    quote_rows, rag.searcher.quote_rows = rag.searcher.quote_rows, recording
    out = []
    try:
        for q in questions:
            seen.clear()
            a = idx.ask(q)
            out.append((a, share(*seen[0], a.quotes[0], top) if seen and a.quotes else 0.0))
    finally:
        rag.searcher.quote_rows = quote_rows
    return out


def spans(data: Path, lang: str, top: int) -> list[dict]:
    """Per typed question: its first quote's share, and whether a span is shown, right and exact."""
    idx = xquad_index(data, lang, CACHE)
    qs = [(p["article"] in HELD_OUT, q, answers) for p in paragraphs(data, lang)
          for _, q, answers in p["qas"] if typed_gold(q, answers)]
    rows = []
    for (held, _, answers), (a, sh) in zip(qs, asked(idx, [q for _, q, _ in qs], top)):
        rows.append({"lang": lang, "held": held, "share": sh, "shown": a.span is not None,
                     "right": a.span is not None and right(a.span.text, answers),
                     "exact": a.span is not None and normal(a.span.text) in {normal(x) for x in answers}})
    return rows


def corpus(top: int) -> list[dict]:
    """The corpus set's typed questions: the share, and the span shown and inside the evidence."""
    from eval.run import DEFAULT_CORPUS, TYPED, load_questions, open_index

    items = [it for it in load_questions() if it.answerable and it.kind in TYPED]
    rows = []
    for it, (a, sh) in zip(items, asked(open_index("index", DEFAULT_CORPUS), [it.question for it in items], top)):
        s = a.span
        rows.append({"share": sh, "shown": s is not None,
                     "inside": s is not None and s.source == it.source and it.span[0] <= s.start and s.end <= it.span[1]})
    return rows


def by_bins(rows: list[dict], keys=("right", "exact")) -> list[dict]:
    out = []
    for lo, hi in zip(BINS, BINS[1:]):
        b = [r for r in rows if r["shown"] and lo <= r["share"] < hi]
        out.append({"share": f"{lo}-{min(hi, 1.0)}", "shown": len(b), **{k: sum(r[k] for r in b) for k in keys}})
    return out


def at(rows: list[dict], t: float, langs: list[str]) -> dict:
    shown = [r for r in rows if r["shown"]]
    gone = [r for r in shown if not r["held"] and r["share"] < t]
    out = {"removed on the training articles": {"spans": len(gone), "right": sum(r["right"] for r in gone),
                                                "exact": sum(r["exact"] for r in gone)}}
    for lang in langs:
        for part, held in (("training", False), ("held out", True)):
            typed = [r for r in rows if r["lang"] == lang and r["held"] == held]
            kept = [r for r in typed if r["shown"] and r["share"] >= t]
            exact = sum(r["exact"] for r in kept)
            out[f"{lang} {part}"] = {"typed": len(typed), "shown": len(kept), "exact": exact,
                                     "shown share": round(len(kept) / max(len(typed), 1), 3),
                                     "exact where shown": round(exact / max(len(kept), 1), 3)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default=",".join(LANGS))
    ap.add_argument("--thresholds", default="0.3,0.4,0.45,0.5,0.6")
    ap.add_argument("--top", type=int, default=0, help="the share among the best N sentences (0: all)")
    ap.add_argument("--out", default="results/span_share.json")
    a = ap.parse_args(argv)
    langs = a.langs.split(",")
    rows = [r for lang in langs for r in spans(a.data, lang, a.top)]
    res = {"top": a.top, "bins, training articles": by_bins([r for r in rows if not r["held"]]),
           "bins, corpus set": by_bins(corpus(a.top), ("inside",))}
    for b in res["bins, training articles"]:
        print(f"share {b['share']}: {b['shown']} shown, {b['right']} right, {b['exact']} exact")
    for b in res["bins, corpus set"]:
        print(f"corpus set, share {b['share']}: {b['shown']} shown, {b['inside']} inside the evidence")
    for t in (float(x) for x in a.thresholds.split(",")):
        res[f"threshold {t}"] = f = at(rows, t, langs)
        g = f["removed on the training articles"]
        print(f"threshold {t}: removes {g['spans']} training spans ({g['right']} right, {g['exact']} exact); "
              + "; ".join(f"{k} {v['shown share']}/{v['exact where shown']}" for k, v in f.items() if k[:2] in langs))
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
