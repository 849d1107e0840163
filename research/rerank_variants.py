"""Where the ranking loses the evidence, and rerank variants tried on it:
python -m research.rerank_variants [--index index]

1. The candidate ceiling: recall@k up to 50 of the default hybrid and of dense
   alone. The evidence is among the first 50 candidates far more often than in
   the top 5, so the shortfall is the ordering, which only a stronger reader
   (a multilingual cross-encoder, none offline) could fix.
2. Variants of the best-sentence rerank, swapped in at query time on the same
   index (no rebuild): the best sentence plus a share of the second best, plus
   a share of the chunk's mean sentence score, and sentence windows (2 or 3
   adjacent sentence vectors summed and renormalised, scored like sentences),
   either replacing the best sentence when higher or added to it.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from eval.run import judge, load_questions


def ranks(index, items, retriever: str = "hybrid", k: int = 50) -> list[int | None]:
    return [next((r for r, ok in enumerate(judge(index.search(it.question, k=k, retriever=retriever), it), 1)
                  if ok), None) for it in items]


def summary(rk: list[int | None], cross: list[bool]) -> dict:
    hit = lambda k, sel=None: round(float(np.mean([bool(r and r <= k) for r, c in zip(rk, cross)  # noqa: E731
                                                   if sel is None or c == sel])), 3)
    return {"r@1": hit(1), "r@5": hit(5), "r@10": hit(10), "mrr@10": round(float(np.mean(
        [1 / r if r and r <= 10 else 0 for r in rk])), 3), "cross r@5": hit(5, True)}


def variant(kind: str, w: float, span: int = 2) -> Callable:
    """A replacement for HybridRetriever.best_sentence."""

    def best_sentence(self, query, rows):
        qv, best = query.vector, np.zeros(len(rows))
        for i, r in enumerate(rows):
            lst = self.chunk_sents[r]
            if not len(lst):
                continue
            vecs = self.sentences.vectors[lst]
            z = self.sentences.norm(qv, lst, vecs @ qv)
            if kind == "top2" and len(z) > 1:
                top = np.sort(z)[::-1]
                best[i] = top[0] + w * top[1]
            elif kind == "mean":
                best[i] = z.max() + w * z.mean()
            elif kind.startswith("window") and len(lst) >= span:
                win = np.stack([vecs[j : j + span].sum(0) for j in range(len(lst) - span + 1)])
                win /= np.linalg.norm(win, axis=1, keepdims=True)
                zw = self.sentences.norm(qv, lst[: len(win)], win @ qv).max()
                best[i] = max(z.max(), w * zw) if kind == "window-max" else z.max() + w * zw
            else:
                best[i] = z.max()
        return best

    return best_sentence


VARIANTS = [("top2", 0.3, 2), ("top2", 0.6, 2), ("mean", 0.3, 2), ("mean", 0.6, 2), ("window-max", 1.0, 2),
            ("window-add", 0.5, 2), ("window-max", 1.0, 3), ("window-add", 0.5, 3)]


def main(argv: list[str] | None = None) -> int:
    import rag
    from rag.retrieve.hybrid import HybridRetriever

    ap = argparse.ArgumentParser(prog="python -m research.rerank_variants", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="index")
    a = ap.parse_args(argv)
    idx = rag.load(a.index)
    items = [i for i in load_questions() if i.answerable]
    cross = [i.lang != i.doc_lang for i in items]  # as eval.run's "cross" slice
    for retriever in ("hybrid", "dense"):
        rk = ranks(idx, items, retriever)
        print(f"ceiling {retriever}: " + ", ".join(
            f"r@{k} {np.mean([bool(r and r <= k) for r in rk]):.3f}" for k in (1, 5, 10, 20, 30, 50)))
    print(f"{'variant':24} {summary(ranks(idx, items, k=10), cross)}  (default: best sentence)")
    original = HybridRetriever.best_sentence
    try:
        for kind, w, span in VARIANTS:
            HybridRetriever.best_sentence = variant(kind, w, span)
            print(f"{kind + f' w={w} n={span}':24} {summary(ranks(idx, items, k=10), cross)}")
    finally:
        HybridRetriever.best_sentence = original
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
