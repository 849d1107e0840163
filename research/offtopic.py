"""Found or not across languages: the thresholds against questions the documents cannot answer.

    python -m research.offtopic [--cache /tmp/rag-adopt] [--out results/offtopic.json]

`found` held when a candidate sentence's cosine cleared its language pair's threshold
(rag/answer.py decide). The pair for Russian and English questions was calibrated on the
corpus set and on XQuAD within one language; across the two, on XQuAD, far fewer answerable
questions were answered. This measures, per direction (question language -> paragraph
language) on XQuAD's monolingual indexes of python -m eval.adopt (its cache), on topic (each
question over the whole index) and off topic (the same question with its own article's
paragraphs masked out: what a user asks of documents on other subjects), eval.calibrate's
topic_records. Rules:
  before    the thresholds before 2026-12-03 (BEFORE);
  shipped   rag/answer.py found_by at today's Settings;
  pair      a margin per direction answering 97 % of the training articles' on-topic questions;
  evidence  eval.calibrate.found_weights (a logistic score over rag/evidence.py FOUND), its cut
            answering 97 % (and 98 %) of each direction's on-topic training questions;
  z         the best candidate's standardised similarity (rag/retrieve/dense.py LanguageNorm),
            one cut for every direction, chosen as the evidence cut is;
and the corpus set's answerable questions answered at those cuts (do they carry over to other
documents?). Reported on the held-out articles (24-31): on-topic answered, off-topic declined.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.adopt import CACHE, tag
from eval.calibrate import FOUND_DIRECTIONS, corpus_found, corpus_records, found_weights, topic_records
from eval.quotes import at_defaults
from eval.xquad import DEFAULT_DATA

# the thresholds before 2026-12-03 (same, across) by question language: the corpus set's pair,
# and Settings.abstain_by_lang's entries then
BEFORE = {"en": (0.8075, 0.7975), "ru": (0.8075, 0.7975), "de": (0.8075, 0.7825), "es": (0.8075, 0.7950)}


def main(argv: list[str] | None = None) -> int:
    import rag
    from rag.answer import found_by
    from rag.settings import Settings

    ap = argparse.ArgumentParser(prog="python -m research.offtopic")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--index", default="data/corpus-index", help="the corpus index (eval/questions)")
    ap.add_argument("--out", type=Path, default=Path("results/offtopic.json"))
    a = ap.parse_args(argv)
    where = a.cache / tag({})
    kept = a.out.with_name(a.out.stem + "_records.json")  # asked once; delete it to ask anew
    recs = json.loads(kept.read_text(encoding="utf-8")) if kept.exists() else {}
    for lang, against in FOUND_DIRECTIONS:
        if f"{lang}>{against}" not in recs:
            idx = at_defaults(rag.load(where / f"xquad-{against}"))
            recs[f"{lang}>{against}"] = topic_records(idx, a.data, lang, against)
            print(f"offtopic: {lang}>{against} {len(recs[f'{lang}>{against}'])} records", flush=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps(recs), encoding="utf-8")
    train = {d: [r for r in rs if not r["held_out"]] for d, rs in recs.items()}
    test = {d: [r for r in rs if r["held_out"]] for d, rs in recs.items()}
    on = lambda rs: [r for r in rs if r["topic"] == "on"]  # noqa: E731
    zcut = min(float(np.quantile([r["zmax"] for r in on(rs)], 0.03)) for rs in train.values())
    pair = {d: float(np.quantile([r["x"][0] for r in on(rs)], 0.03)) for d, rs in train.items()}
    ev97, ev98 = found_weights(train, 0.97).tolist(), found_weights(train, 0.98).tolist()
    shipped = Settings().found_weights
    rules = {
        "before": lambda d, r: r["same"] >= BEFORE[d.split(">")[0]][0] or r["cross"] >= BEFORE[d.split(">")[0]][1],
        "shipped": lambda d, r: found_by(shipped, r["x"]),
        "pair": lambda d, r: r["x"][0] >= pair[d],
        "evidence 97 %": lambda d, r: found_by(ev97, r["x"]),
        "evidence 98 %": lambda d, r: found_by(ev98, r["x"]),
        "z": lambda d, r: r["zmax"] >= zcut,
    }
    res: dict = {"z cut": zcut, "evidence 97 %": ev97, "evidence 98 %": ev98, "directions": {}}
    print(f"{'direction':10} {'rule':14} answered  off-topic declined")
    for d, rs in test.items():
        res["directions"][d] = {}
        for name, found in rules.items():
            ans = float(np.mean([found(d, r) for r in on(rs)]))
            dec = float(np.mean([not found(d, r) for r in rs if r["topic"] == "off"]))
            res["directions"][d][name] = [round(ans, 3), round(dec, 3)]
            print(f"{d:10} {name:14} {ans:.3f}     {dec:.3f}")
    corpus = corpus_records(a.index)
    res["corpus"] = {name: [round(v, 3) for v in corpus_found(corpus, w)]
                     for name, w in (("shipped", shipped), ("evidence 97 %", ev97), ("evidence 98 %", ev98))}
    res["corpus"]["z"] = [round(float(np.mean([r["x"] is not None and r["zmax"] >= zcut for r in corpus
                                               if r["answerable"] == want])), 3) for want in (True, False)]
    res["corpus"]["z"][1] = round(1 - res["corpus"]["z"][1], 3)  # near misses: declined
    print("corpus set, answerable answered / near misses declined (found rule alone):", res["corpus"])
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
