"""More features for choosing the quote, tried and left out (issue 27).

    python -m eval.quotes collect      # once: the candidates of every question
    python -m research.answer_features

Refits the quote's conditional logit (eval/quotes.py fit) with each group of extra
sentence features appended to rag/evidence.py's, and prints the share of questions whose
first quote holds the answer: XQuAD's held-out articles 24-31 per language, and the
corpus set (in-sample). Groups: length (log words), novelty (share of the sentence's
words not in the question), first sentence of its passage; question bigrams found,
the rarest matched word's idf over the question's rarest, matched words' density; the pull
of the sentence's best typed candidate (rag/span.py pull, capped at 3: how near the question's
words stand to a phrase of the asked type) and whether one is a counted noun's number or a
doer after "by" (pull 10); the neighbours' similarity (the z of the sentence before and after in
its passage) and the sentence's z below its passage's best.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from eval.quotes import CACHE, HELD_OUT, fit, refeature, searchers_of, top_is_gold
from rag.evidence import Words, common_word, translator
from rag.lang import detect
from rag.question import analyse
from rag.span import _anchors, pull, typed
from rag.analyze import _STOP, _TOKEN, _stem


def _stems(text: str) -> list[str]:
    return [_stem(w) for w in _TOKEN.findall(text.lower())]


def shape(r: dict, _searcher) -> list[list[float]]:
    q = analyse(r["question"])
    out = []
    for j, t in enumerate(r["texts"]):
        w = Words.of(t)
        first = float(j == 0 or r["pidx"][j - 1] != r["pidx"][j])
        out.append([np.log1p(len(w.stems)), len(w.stems - q.stems) / max(len(w.stems), 1), first])
    return out


def phrases(r: dict, searcher) -> list[list[float]]:
    idf = searcher.idf
    qt = _stems(r["question"])
    qb, qc = set(zip(qt, qt[1:])), [w for w in qt if w not in _STOP]
    top = max([idf(w) for w in qc], default=1.0)
    out = []
    for t in r["texts"]:
        st = _stems(t)
        pos = [i for i, w in enumerate(st) if w in set(qc)]
        out.append([len(qb & set(zip(st, st[1:]))) / max(len(qb), 1),
                    max([idf(w) for w in qc if w in set(st)], default=0.0) / top,
                    len(pos) / (pos[-1] - pos[0] + 1) if len(pos) > 1 else 0.0])
    return out


def pulls(r: dict, searcher) -> list[list[float]]:
    ql = detect(r["question"])
    q = analyse(r["question"], ql)
    out = []
    for t, lg in zip(r["texts"], r["langs"]):
        cands = typed(t, q, common_word(searcher.lexicon, lg)) if q.kind != "other" else []
        anchors = _anchors(t, q, translator(searcher.lexicon, ql, lg)) if cands else []
        best = max((pull(t, c, q, anchors) for c in cands), default=0.0) if anchors else 0.0
        out.append([min(best, 3.0), float(best >= 10)])
    return out


def neighbours(r: dict, _searcher) -> list[list[float]]:
    z, p = np.asarray(r["features"])[:, 0], r["pidx"]
    n, best = len(z), {}
    for i in range(n):
        best[p[i]] = max(best.get(p[i], -np.inf), z[i])
    return [[z[i - 1] if i and p[i - 1] == p[i] else 0.0, z[i + 1] if i + 1 < n and p[i + 1] == p[i] else 0.0,
             z[i] - best[p[i]]] for i in range(n)]


def main() -> int:
    path = CACHE / "features.jsonl"
    if not path.exists():
        print(f"no {path}: run python -m eval.quotes collect first", file=sys.stderr)
        return 1
    recs = [r for r in (json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines()) if r["labels"]]
    refeature(recs, CACHE, "data/corpus-index")
    searchers = searchers_of(recs, CACHE, "data/corpus-index")
    base = {id(r): np.asarray(r["features"]) for r in recs}
    for name, extra in (("rag/evidence.py features", None), ("+ length, novelty, first", shape),
                        ("+ bigrams, rarest match, density", phrases), ("+ typed candidate's pull", pulls),
                        ("+ neighbours' z, z below the passage's best", neighbours)):
        for r in recs:
            x = base[id(r)]
            r["features"] = x if extra is None else np.hstack([x, np.asarray(extra(r, searchers[r["set"]]))])
        w = fit([r for r in recs if r["article"] not in HELD_OUT])
        cells = [f"{s} {top_is_gold([r for r in recs if r['set'] == s and (s == 'corpus' or r['article'] in HELD_OUT)], w):.3f}"
                 for s in sorted({r["set"] for r in recs})]
        print(f"{name:34} " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
