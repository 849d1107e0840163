"""Other views of the question for choosing the quote, tried and left out (issue 27).

    python -m eval.quotes collect      # once: the candidates of every question
    python -m research.quote_views [--out results/quote_views.json]

The quote is chosen by a conditional logit over rag/evidence.py's features, whose only
similarity is the cosine of e5's question vector ("query: Q") to each sentence's stored
vector. Three more, each appended to those features and the weights refitted (eval.quotes fit):
  - as passage:  the question encoded as a passage ("passage: Q"), as the sentences are;
  - statement:   the question without its question words ("Who sang the anthem?" ->
                 "sang the anthem"), encoded as a query: closer to the sentence that states it?
  - passage gap: the hybrid score of the sentence's passage below the top passage's (the
                 passage-rank feature counts places, not how near the second passage came).
Each extra column is a cosine (or score) scaled by its standard deviation over all candidates.
Figures: the first quote holds the answer, (a) fitted on XQuAD's training articles and
eval/questions, on the held-out articles 24-31 and on the corpus set (in-sample), and
(b) two folds of the training articles (even / odd article numbers; fitted on the other fold,
the held-out articles left out of both): the honest check, 320+ questions a language a fold.
The statement and the as-passage views need two more query encodings a question.
"""
from __future__ import annotations

import argparse
import re
import sys

import numpy as np

from eval.quotes import CACHE, indexes_of, question_record
from research.common import CORPUS_INDEX, quote_records, refit_groups, write_json

# The question words dropped for the statement view: the sets' languages (en, ru, de, es, zh's
# questions keep theirs: no spaces to cut at).
QUESTION_WORDS = frozenset("""what who whom whose when where which why how many much did does do is was were are
кто что когда где какой какая какие каком какого каких какому каким сколько как почему зачем ли чем чего кого кому
wer was wann wo welche welcher welches welchen wie viele warum
qué quién quiénes cuándo dónde cuál cuáles cómo cuántos cuántas cuánto por""".split())
GROUPS = {"rag/evidence.py features": [], "+ as passage": [0], "+ statement": [1], "+ as passage, statement": [0, 1],
          "+ passage gap": [2]}


def statement(question: str) -> str:
    words = re.findall(r"\w+|[^\w\s]", question)
    return " ".join(w for w in words if w.lower() not in QUESTION_WORDS and w not in "?¿")


def views(recs: list[dict]) -> dict[str, list[list[float]]]:
    """record key -> one row per candidate: as passage, statement, passage gap; each column over its std."""
    idxs = indexes_of(recs, CACHE, CORPUS_INDEX)
    rows = {}
    for name, idx in idxs.items():
        s = idx.searcher
        m: dict = {}
        for c in s.payload.chunks:
            for t in c.sents:
                m.setdefault((c.source, t.start, t.end), t.row)
        rows[name] = m
    emb = next(iter(idxs.values())).searcher.embedder
    qs = [r["question"] for r in recs]
    print(f"quote-views: encoding {len(qs)} questions twice more", file=sys.stderr, flush=True)
    vp, vs = emb.embed(qs, "passage"), emb.embed([statement(q) for q in qs], "query")
    out = {}
    for r, p, st in zip(recs, vp, vs):
        name = r["set"]
        cands, rec = question_record(idxs[name], r["question"])  # the passages' hybrid scores: ask()'s steps again
        if rec["texts"] != r["texts"]:
            raise SystemExit(f"{r['id']}: the index answers otherwise than when collected: collect again")
        top = max(c.passage.score for c in cands)
        sv = idxs[name].searcher.payload.sent_vectors
        x = np.array([[sv[rows[name][(src, a, b)]] @ p, sv[rows[name][(src, a, b)]] @ st, c.passage.score - top]
                      for src, (a, b), c in zip(r["sources"], r["spans"], cands)])
        out[r["id"] + "|" + name] = x - x.mean(0)  # a per-question shift changes no softmax
    sd = np.concatenate(list(out.values())).std(0)
    return {k: (v / sd).tolist() for k, v in out.items()}


def timing(questions: list[str], rounds: int = 3) -> dict[str, float]:
    """Median ms a question of encoding: the question alone (today), with its statement in one
    batch, and the passage view besides (the int8 document encoder: another model, another call)."""
    import time

    import rag

    emb = rag.load(CORPUS_INDEX).searcher.embedder
    emb.embed(questions[:2], "query"), emb.embed(questions[:2], "passage")  # loaded before timing
    calls = {"question": lambda q: emb.embed([q], "query"),
             "question + statement": lambda q: emb.embed([q, statement(q)], "query"),
             "question + statement + as passage": lambda q: (emb.embed([q, statement(q)], "query"),
                                                             emb.embed([q], "passage"))}
    out = {}
    for name, call in calls.items():
        ts = []
        for _ in range(rounds):
            for q in questions:
                t = time.perf_counter()
                call(q)
                ts.append(1000 * (time.perf_counter() - t))
        out[name] = round(float(np.median(ts)), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/quote_views.json")
    ap.add_argument("--modes", default="held,0,1", help="held (articles 24-31 and the corpus set) and folds 0, 1")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timing-only", action="store_true", help="only the encoder's ms a question, no refits")
    a = ap.parse_args(argv)
    recs = quote_records()
    ms = timing([r["question"] for r in recs if r["set"] == "corpus"])
    print("encoder ms a question, median: " + "; ".join(f"{k} {v}" for k, v in ms.items()), flush=True)
    if a.timing_only:
        write_json({"timing_ms": ms}, a.out)
        return 0
    res = {"timing_ms": ms, **refit_groups(recs, views(recs), GROUPS, a.modes.split(","), a.workers)}
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
