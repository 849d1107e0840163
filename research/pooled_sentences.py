"""Sentence vectors from their passage's token states through a trained linear map (issue 29).

    python -m research.pooled_sentences fit  [--langs all] [--lam 1.0 ...] [--neighbours] [--out results/pooled]
    python -m research.pooled_sentences eval [--index index] [--out results/pooled]
    python -m research.pooled_sentences adopt [--langs all] [--out results/pooled]

The build encodes every passage and then every sentence again, alone (about 45 % of the
encoder's work; research/speed.md). research/reuse.py pooled each sentence from its passage's
token states as they are, and lost (quote@1 0.529 -> 0.324): a token read in its passage
carries its context, and e5's mean over a sentence's tokens in context is not the vector of
the sentence read alone. Here a linear map learns the way back, as research/speed.md's last
untried lever names it:

    sentence vector ~ normalise([span mean, passage mean, 1] @ M)   (--neighbours: and the
                      span means of the sentences before and after it, M 1537 x 384)

span mean: the mean of the int8 document model's last states over the sentence's tokens inside
its passage ("passage: P", the first chunk that holds it, as the build encodes P anyway);
passage mean: the passage's own unnormalised mean (what the context added). M (769 x 384) by
ridge regression onto the sentence's own vector (the int8 document model, as the build makes it
today), fitted on XQuAD's training articles (0-23) in every language, chunked and split by the
product's own rag.chunk.process; never on the bundled corpus or eval/questions.

  fit:   the pairs, M, and the held-out articles' cosine to the sentence's own vector: pooled
         as it is (reuse.py) against mapped, per language;
  eval:  the corpus index's sentence vectors swapped in memory for the mapped ones (nothing
         encoded alone): eval.run's headline figures, against the index as built;
  adopt: docs/adoption.md's paired rule on eval.adopt's ~3,800 questions (A: today's default
         indexes; B: the same indexes with mapped sentence vectors).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from eval.xquad_langs import parse_langs
from research.common import adopt_swapped, write_json

OUT = Path("results/pooled")


def embedder():
    """The default embedder with its int8 document model (what a build encodes with)."""
    from rag.embed import load_embedder

    emb = load_embedder(docs="int8")
    if emb.doc_onnx is None:
        raise SystemExit("the default embedder has no int8 document model here")
    return emb


def chunk_states(emb, text: str) -> tuple[np.ndarray, np.ndarray, int]:
    """The int8 document model's last states of "passage: text" (tokens x dim), each token's
    character span, and the prompt's length (offsets are into prompt + text)."""
    prompt = emb.prompts.get("passage", "")
    e = emb.tokenizer.encode((prompt + text).strip())
    ids = np.array([e.ids], dtype=np.int64)
    h = emb._docs().run(["hidden"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
    return h, np.array(e.offsets), len(prompt)


def features(emb, chunks, n_sents: int) -> tuple[np.ndarray, np.ndarray]:
    """[span mean, passage mean, previous sentence's span mean, next one's] of every sentence row
    (the first chunk that holds it; a neighbour outside the chunk: zeros) and a mask of the rows
    found (a sentence cut off by the tokenizer's 512 tokens is not)."""
    dim = emb.dim
    x, got = np.zeros((n_sents, 4 * dim), np.float32), np.zeros(n_sents, bool)
    for c in chunks:
        if all(got[s.row] for s in c.sents):
            continue
        h, offs, lead = chunk_states(emb, c.text)
        whole = h.mean(0)
        real = offs[:, 1] > offs[:, 0]
        spans = []
        for s in c.sents:
            sel = real & (offs[:, 0] >= s.text_start + lead) & (offs[:, 1] <= s.text_end + lead)
            spans.append(h[sel].mean(0) if sel.any() else None)
        zero = np.zeros(dim, np.float32)
        for i, s in enumerate(c.sents):
            if got[s.row] or spans[i] is None:
                continue
            prev = spans[i - 1] if i and spans[i - 1] is not None else zero
            nxt = spans[i + 1] if i + 1 < len(spans) and spans[i + 1] is not None else zero
            x[s.row], got[s.row] = np.concatenate([spans[i], whole, prev, nxt]), True
    return x, got


def article_pairs(emb, lang: str, articles) -> dict[str, np.ndarray]:
    """One language's XQuAD articles, chunked by the product: features, target vectors, langs."""
    from eval.quotes import paragraphs
    from eval.xquad import DEFAULT_DATA
    from rag.chunk import process
    from rag.ingest import Document
    from rag.settings import Settings

    texts: dict[int, list[str]] = {}
    for p in paragraphs(Path(DEFAULT_DATA), lang):
        if p["article"] in articles:
            texts.setdefault(p["article"], []).append(p["context"])
    xs, ys = [], []
    for art, paras in sorted(texts.items()):
        text = "\n\n".join(paras)
        pr = process(Document(f"{lang}-{art}.txt", "", text, "", "utf-8"), Settings())
        x, got = features(emb, pr.chunks, len(pr.sentences))
        y = emb.embed_passages(pr.sentences)
        xs.append(x[got])
        ys.append(y[got])
    return {"x": np.concatenate(xs), "y": np.concatenate(ys)}


BLOCKS = 2  # of features(): 2 = the span and its passage; 4 = and the neighbouring sentences (--neighbours)


def design(x: np.ndarray, blocks: int | None = None) -> np.ndarray:
    width = (blocks or BLOCKS) * (x.shape[1] // 4)
    return np.hstack([x[:, :width], np.ones((len(x), 1), np.float32)])


def ridge(x: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    a = design(x).astype(np.float64)
    reg = lam * np.eye(a.shape[1])
    reg[-1, -1] = 0.0  # the bias is not shrunk
    return np.linalg.solve(a.T @ a + reg, a.T @ y.astype(np.float64)).astype(np.float32)


def mapped(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    v = design(x, (m.shape[0] - 1) // m.shape[1]) @ m
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def pooled_only(x: np.ndarray) -> np.ndarray:
    v = x[:, : x.shape[1] // 4]
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def cmd_fit(a) -> int:
    from eval.xquad import HELD_OUT

    global BLOCKS
    BLOCKS = 4 if a.neighbours else 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    emb, train, held, t0 = None, {}, {}, time.perf_counter()
    for lg in parse_langs(a.langs):
        for part, articles, into in (("train", range(0, 24), train), ("held", HELD_OUT, held)):
            cached = out / f"pairs4-{lg}-{part}.npz"  # the pairs are slow to make, the fit is not
            if cached.is_file():
                with np.load(cached) as z:
                    into[lg] = {"x": z["x"], "y": z["y"]}
                continue
            emb = emb or embedder()
            into[lg] = article_pairs(emb, lg, articles)
            np.savez(cached, **into[lg])
        print(f"{lg}: {len(train[lg]['x'])} training sentences, {len(held[lg]['x'])} held out "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    x = np.concatenate([d["x"] for d in train.values()])
    y = np.concatenate([d["y"] for d in train.values()])
    res = {"training sentences": len(x), "held-out cosine to the sentence's own vector": {}}
    for lam in a.lam:
        m = ridge(x, y, lam)
        got = res["held-out cosine to the sentence's own vector"][str(lam)] = {}
        for lg, d in held.items():
            c0 = float((pooled_only(d["x"]) * d["y"]).sum(1).mean())
            c1 = float((mapped(d["x"], m) * d["y"]).sum(1).mean())
            tr = float((mapped(train[lg]["x"], m) * train[lg]["y"]).sum(1).mean())
            got[lg] = {"pooled": round(c0, 4), "mapped": round(c1, 4), "mapped, training": round(tr, 4)}
            print(f"lambda {lam}, {lg}: pooled {c0:.4f} -> mapped {c1:.4f} (training {tr:.4f})", flush=True)
    np.save(out / "map.npy", m)  # the last lambda's
    write_json(res, out / "fit.json")
    return 0


def corpus_vectors(idx, m: np.ndarray) -> tuple[np.ndarray, float]:
    """The index's sentence vectors made from its passages' states (seconds to make them)."""
    p = idx.payload
    t = time.perf_counter()
    x, got = features(idx.embedder, p.chunks, len(p.sent_vectors))  # the int8 model it was built with
    secs = time.perf_counter() - t
    sv = p.sent_vectors.copy()
    sv[got] = mapped(x[got], m)
    return sv, secs


def cmd_eval(a) -> int:
    from eval.run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, headline, load_questions, open_index, swapped

    m = np.load(Path(a.out) / "map.npy")
    idx = open_index(a.index, Path(DEFAULT_CORPUS))
    items = load_questions(DEFAULT_QUESTIONS, DEFAULT_CORPUS)
    p = idx.payload
    res = {"encoded alone (default)": headline(idx, items)}
    print(json.dumps(res), flush=True)
    sv, secs = corpus_vectors(idx, m)
    with swapped(idx, p.chunk_vectors, sv):
        r = headline(idx, items)
    r["seconds to make the vectors (passages read again here)"] = round(secs, 1)
    r["mean / min cosine to encoded"] = (round(float((sv * p.sent_vectors).sum(1).mean()), 4),
                                         round(float((sv * p.sent_vectors).sum(1).min()), 4))
    res["mapped from the passages' states"] = r
    print(json.dumps(r), flush=True)
    write_json(res, Path(a.out) / "eval.json")
    return 0


def cmd_adopt(a) -> int:
    """eval.adopt's A (its cached default indexes) against B: those indexes, sentence vectors mapped."""
    m = np.load(Path(a.out) / "map.npy")
    return adopt_swapped(parse_langs(a.langs), "pooled-sentences",
                         lambda idx: (idx.payload.chunk_vectors, corpus_vectors(idx, m)[0]),
                         {"sentences": "encoded alone"}, {"sentences": "mapped from the passage's states"},
                         Path(a.out) / "adopt.json")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m research.pooled_sentences", description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("fit", "eval", "adopt"))
    ap.add_argument("--langs", default="all")
    ap.add_argument("--lam", type=float, nargs="+", default=[1.0], help="ridge penalties (the map of the last is kept)")
    ap.add_argument("--neighbours", action="store_true", help="fit: the neighbouring sentences' spans too")
    ap.add_argument("--index", default="index")
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    return {"fit": cmd_fit, "eval": cmd_eval, "adopt": cmd_adopt}[a.command](a)


if __name__ == "__main__":
    raise SystemExit(main())
