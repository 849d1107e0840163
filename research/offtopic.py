"""Found or not across languages: the thresholds against questions the documents cannot answer.

    python -m research.offtopic [--cache /tmp/rag-adopt] [--out results/offtopic.json]

`found` holds when a candidate sentence's cosine clears its language pair's threshold
(rag/answer.py decide). The pair for Russian and English questions was calibrated on the
corpus set and on XQuAD within one language; across the two, on XQuAD, far fewer
answerable questions are answered. This measures, per direction (question language ->
document language) on XQuAD's monolingual indexes of python -m eval.adopt (its cache):
- on topic: each question over the whole index (its paragraph is there);
- off topic: the same question with its own article's paragraphs masked out (what a user
  asks of documents on other subjects),
the best candidate's margin over its threshold, and the quote's evidence features. Rules:
  before    the thresholds before 2026-12-03 (BEFORE);
  shipped   margin >= 0 (the thresholds of today's Settings);
  pair      a margin per direction answering 97 % of the training articles' on-topic questions;
  evidence  a logistic score over the margin and the quote's features (rag/evidence.py), fitted
            on the training articles (0-23), its cut answering 97 % of each direction's
            on-topic training questions (the lowest of the directions' cuts);
  z         the best candidate's standardised similarity (rag/retrieve/dense.py LanguageNorm),
            one cut for every direction, chosen as the evidence cut is; and the corpus set's
            answerable questions answered at that cut (does it carry over to other documents?).
Reported on the held-out articles (24-31): on-topic answered, off-topic declined.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.adopt import CACHE, tag
from eval.quotes import at_defaults, paragraphs
from eval.run import load_questions
from eval.xquad import DEFAULT_DATA, HELD_OUT

DIRECTIONS = (("en", "en"), ("ru", "ru"), ("ru", "en"), ("en", "ru"), ("de", "en"), ("es", "en"), ("de", "de"))
RATE = 0.97
# the thresholds before 2026-12-03 (same, across) by question language: the corpus set's pair,
# and Settings.abstain_by_lang's entries then
BEFORE = {"en": (0.8075, 0.7975), "ru": (0.8075, 0.7975), "de": (0.8075, 0.7825), "es": (0.8075, 0.7950)}


def records(idx, data: Path, lang: str, against: str) -> list[dict]:
    """Per question, on and off topic: the decider's margin and the quote's features."""
    from rag.evidence import FEATURES, candidate_features
    from rag.question import analyse

    s = idx.searcher
    names = [f"p{i:03d}.txt" for i in range(len(paragraphs(data, against)))]
    article = [p["article"] for p in paragraphs(data, against)]
    out = []
    for i, p in enumerate(paragraphs(data, lang)):
        others = [n for n, a in zip(names, article) if a != p["article"]]
        for _qid, question, _answers in p["qas"]:
            q = s.query(question)
            qa = analyse(q.text, q.lang)
            for topic, mask in (("on", None), ("off", s.mask(others, None))):
                scored = s.pick(None).search(q, 5, mask)
                cands = s.candidates(q, scored, [s.hit(x.row, x.score) for x in scored])
                if not cands:
                    continue
                feats = candidate_features(qa, q.lang, cands, s.idf, s.lexicon)
                scores = feats @ np.asarray(s.settings.quote_weights, dtype=np.float64)  # as Searcher.weigh
                f = dict(zip(FEATURES, feats[int(np.argmax(scores))]))
                out.append({"topic": topic, "article": p["article"], "held_out": p["article"] in HELD_OUT,
                            "margin": max(c.margin for c in cands), "zmax": max(c.z for c in cands),
                            "same": max((c.cosine for c in cands if c.lang == q.lang), default=0.0),
                            "cross": max((c.cosine for c in cands if c.lang != q.lang), default=0.0),
                            "score": float(scores.max()), **f})
    return out


def corpus_records(idx) -> list[dict]:
    """records()'s fields for every question of eval/questions over the corpus (on topic:
    answerable; "near": its near misses, which the constraint rule, not this one, declines)."""
    from rag.evidence import FEATURES, candidate_features
    from rag.question import analyse

    s = idx.searcher
    out = []
    for it in load_questions():
        q = s.query(it.question)
        qa = analyse(q.text, q.lang)
        scored = s.pick(None).search(q, 5, None)
        cands = s.candidates(q, scored, [s.hit(x.row, x.score) for x in scored])
        if not cands:
            continue
        feats = candidate_features(qa, q.lang, cands, s.idf, s.lexicon)
        scores = feats @ np.asarray(s.settings.quote_weights, dtype=np.float64)
        out.append({"topic": "on" if it.answerable else "near", "margin": max(c.margin for c in cands),
                    "zmax": max(c.z for c in cands), "score": float(scores.max()),
                    **dict(zip(FEATURES, feats[int(np.argmax(scores))]))})
    return out


COLS = ("margin", "score", "z", "overlap", "constraints", "type_fit")


def matrix(rows: list[dict]) -> np.ndarray:
    return np.array([[r[c] for c in COLS] for r in rows], dtype=np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 3000, lr: float = 0.5):
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.column_stack([(x - mu) / sd, np.ones(len(x))])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        w -= lr * (z.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0])
    return lambda a: np.column_stack([(a - mu) / sd, np.ones(len(a))]) @ w


def main(argv: list[str] | None = None) -> int:
    import rag

    ap = argparse.ArgumentParser(prog="python -m research.offtopic")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=Path("results/offtopic.json"))
    ap.add_argument("--index", type=Path, default=Path("data/corpus-index"), help="the corpus index (eval/questions)")
    a = ap.parse_args(argv)
    where = a.cache / tag({})
    kept = a.out.with_name(a.out.stem + "_records.json")  # asked once; delete it to ask anew
    recs = json.loads(kept.read_text(encoding="utf-8")) if kept.exists() else {}
    for lang, against in DIRECTIONS:
        if f"{lang}>{against}" not in recs:
            idx = at_defaults(rag.load(where / f"xquad-{against}"))
            recs[f"{lang}>{against}"] = records(idx, a.data, lang, against)
            print(f"offtopic: {lang}>{against} {len(recs[f'{lang}>{against}'])} records", flush=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps(recs), encoding="utf-8")
    train = {d: [r for r in rs if not r["held_out"]] for d, rs in recs.items()}
    test = {d: [r for r in rs if r["held_out"]] for d, rs in recs.items()}
    allx = np.vstack([matrix(rs) for rs in train.values()])
    ally = np.concatenate([[r["topic"] == "on" for r in rs] for rs in train.values()]).astype(float)
    score = fit_logistic(allx, ally)
    cut = min(float(np.quantile(score(matrix([r for r in rs if r["topic"] == "on"])), 1 - RATE))
              for rs in train.values())
    zcut = min(float(np.quantile([r["zmax"] for r in rs if r["topic"] == "on"], 1 - RATE)) for rs in train.values())
    print(f"offtopic: z cut {zcut:.3f}", flush=True)
    pair = {d: float(np.quantile([r["margin"] for r in rs if r["topic"] == "on"], 1 - RATE)) for d, rs in train.items()}
    res = {}
    corpus = corpus_records(at_defaults(rag.load(a.index)))
    on = [r for r in corpus if r["topic"] == "on"]
    near = [r for r in corpus if r["topic"] == "near"]
    res["corpus"] = {"answerable": len(on), "near misses": len(near),
                     "answered: shipped / z / evidence": [
                         round(float(np.mean([r["margin"] >= 0 for r in on])), 3),
                         round(float(np.mean([r["zmax"] >= zcut for r in on])), 3),
                         round(float(np.mean(score(matrix(on)) >= cut)), 3)],
                     "near misses below the cut: shipped / z / evidence": [
                         int(sum(r["margin"] < 0 for r in near)), int(sum(r["zmax"] < zcut for r in near)),
                         int(np.sum(score(matrix(near)) < cut))]}
    print(f"corpus set: {res['corpus']}")
    print(f"{'direction':10} {'rule':9} answered  off-topic declined")
    for d, rs in test.items():
        on = [r for r in rs if r["topic"] == "on"]
        off = [r for r in rs if r["topic"] == "off"]
        lang = d.split(">")[0]
        rules = {"before": lambda r, t=BEFORE[lang]: r["same"] >= t[0] or r["cross"] >= t[1],
                 "shipped": lambda r: r["margin"] >= 0, "pair": lambda r, d=d: r["margin"] >= pair[d],
                 "evidence": lambda r: float(score(matrix([r]))[0]) >= cut,
                 "z": lambda r: r["zmax"] >= zcut}
        res[d] = {}
        for name, found in rules.items():
            ans = float(np.mean([found(r) for r in on]))
            dec = float(np.mean([not found(r) for r in off]))
            res[d][name] = {"answered": round(ans, 3), "off_declined": round(dec, 3), "n": len(on)}
            print(f"{d:10} {name:9} {ans:.3f}     {dec:.3f}")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps({"pair_margins": pair, "results": res}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
