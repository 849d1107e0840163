"""Ways not to encode text twice, judged by retrieval figures (issue 14).

    python -m research.reuse [--index index]
    python -m research.reuse --adopt [--langs all] [--out results]   # the paired rule (issue 29)

The build encodes every passage and, separately, every sentence (section 1 of
bench/REPORT.md: the encoder is 99 % of it). Two ways to encode less, each
swapped into a loaded index in memory and run through eval's default figures
(hybrid r@1/r@5/MRR@10 overall, cross- and same-language; abstention; quote@1):
  sentence-mean  passage vectors = the normalised mean of their sentences'
                 vectors (no passage encoding: ~55 % of the build), uniform or
                 weighted by sentence length
                 (--adopt: by length, judged by docs/adoption.md's rule on the
                 same 3,800 questions as eval.adopt, B = today's default index with
                 its passage vectors swapped in memory for the sentence means)
  token-pooled   sentence vectors = the passage's token states mean-pooled over
                 the sentence's characters (no sentence encoding: ~45 %)
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from research.common import adopt_swapped, write_json


def sentence_mean(p, weighted: bool) -> np.ndarray:
    cv = p.chunk_vectors.copy()
    for i, c in enumerate(p.chunks):
        if not c.sents:
            continue
        w = np.array([(b - a) if weighted else 1.0 for a, b, *_ in c.sents])
        v = (p.sent_vectors[[x[4] for x in c.sents]] * w[:, None]).sum(0)
        cv[i] = v / np.linalg.norm(v)
    return cv


def token_pooled(p, emb) -> np.ndarray:
    """Each sentence pooled from the first passage that holds it (ONNX embedder's token states)."""
    sv, done = p.sent_vectors.copy(), np.zeros(len(p.sent_vectors), bool)
    prefix = emb.prompts.get("passage", "")
    for c in p.chunks:
        e = emb.tokenizer.encode((prefix + c.text).strip())
        ids = np.array([e.ids])
        h = emb.session.run(["hidden"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
        offs = np.array(e.offsets)
        for a, b, _s, _e, r in c.sents:
            sel = (offs[:, 0] >= a + len(prefix)) & (offs[:, 1] <= b + len(prefix)) & (offs[:, 1] > offs[:, 0])
            if sel.any() and not done[r]:
                x = h[sel].mean(0)
                sv[r], done[r] = x / np.linalg.norm(x), True
    return sv


def adopt(langs: str, out: Path) -> int:
    """Default index (A) against the same index with sentence-mean passage vectors (B), over
    eval.adopt's sets: A is eval.adopt's own cached default; B reuses A's indexes."""
    from eval.xquad_langs import parse_langs

    return adopt_swapped(parse_langs(langs), "reuse-sentence-mean", lambda idx: (sentence_mean(idx.payload, True), idx.payload.sent_vectors),
                         {"passages": "encoded"}, {"passages": "sentence-mean, by length"}, out / "reuse_adopt.json")


def main(argv: list[str] | None = None) -> int:
    from eval.run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, headline, load_questions, open_index, swapped

    ap = argparse.ArgumentParser(prog="python -m research.reuse")
    ap.add_argument("--index", default="index")
    ap.add_argument("--out", default="results/reuse.json")
    ap.add_argument("--adopt", action="store_true", help="judge sentence-mean passages by the paired rule")
    ap.add_argument("--langs", default="all")
    a = ap.parse_args(argv)
    if a.adopt:
        return adopt(a.langs, Path(a.out).parent if a.out.endswith(".json") else Path(a.out))
    idx = open_index(a.index, Path(DEFAULT_CORPUS))
    items = load_questions(DEFAULT_QUESTIONS, DEFAULT_CORPUS)
    p = idx.payload
    cv0, sv0 = p.chunk_vectors.copy(), p.sent_vectors.copy()
    res = {"encoded (default)": headline(idx, items)}
    print(json.dumps(res), flush=True)
    for name, make in (("sentence-mean, uniform", lambda: (sentence_mean(p, False), sv0)),
                       ("sentence-mean, by length", lambda: (sentence_mean(p, True), sv0)),
                       ("token-pooled sentences", lambda: (cv0, token_pooled(p, idx.embedder)))):
        t = time.perf_counter()
        cv, sv = make()
        secs = time.perf_counter() - t
        with swapped(idx, cv, sv):
            r = headline(idx, items)
        r["seconds to make the vectors"] = round(secs, 1)
        r["mean cosine to encoded: passages / sentences"] = (
            round(float((cv * cv0).sum(1).mean()), 4), round(float((sv * sv0).sum(1).mean()), 4))
        res[name] = r
        print(name, json.dumps(r), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
