"""Choose chunk size and fusion weights by measurement on the corpus set.

    python -m eval.tune --sizes 600,900,1500        # rebuilds per chunk size
    python -m eval.tune --index index               # weights only, on a built index
    python -m eval.tune --sizes 1500 --overlaps 300,150,0 --headline   # overlap, default weights

Embeddings are cached by (text, kind) across chunk sizes, so every size costs
only the texts it has not seen yet. Prints r@5 / MRR@10 per configuration,
overall and cross-lingual; the best by r@5 + cross-lingual r@5. --headline instead gives
each build eval.run's headline figures at the default weights (abstention and quotes too)
and the characters its chunks hold (the passage encoder's work).
"""
from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

import numpy as np

from rag.embed import Embedder, load_embedder

from .run import evaluate, headline, load_questions

GRID = {"lex_weight": (0.5, 1.0, 2.0, 4.0, 8.0), "sent_weight": (0.5, 1.0, 2.0), "name_weight": (1.0, 2.0, 4.0)}


class CachingEmbedder(Embedder):
    def __init__(self, inner: Embedder):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.cache: dict[tuple[str, str], np.ndarray] = {}

    def embed(self, texts, kind):
        todo = [t for t in dict.fromkeys(texts) if (t, kind) not in self.cache]
        if todo:
            for t, v in zip(todo, self.inner.embed(todo, kind)):
                self.cache[(t, kind)] = v
        return np.stack([self.cache[(t, kind)] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def sweep(idx, items, extra: dict) -> list[dict]:
    rows = []
    for values in itertools.product(*GRID.values()):
        kw = dict(zip(GRID, values))
        idx.reconfigure(**kw)
        r = evaluate(idx, items, "hybrid")
        row = {**extra, **kw, **{f"{s}_{m}": v for s, d in r["slices"].items() for m, v in d.items()
                                  if m in ("r@5", "mrr@10")}}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    import rag

    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="600,900,1500")
    p.add_argument("--index", default=None, help="tune weights only, on this built index")
    p.add_argument("--corpus", default="data/corpus")
    p.add_argument("--overlaps", default=None, help="chunk overlaps to try (default: a fifth of the size)")
    p.add_argument("--headline", action="store_true", help="headline figures at the default weights, no sweep")
    p.add_argument("--out", default="results/tune.json")
    a = p.parse_args()
    items = load_questions()
    rows = []
    if a.index:
        rows = sweep(rag.load(a.index), items, {"size": "index"})
    else:
        emb = CachingEmbedder(load_embedder())
        for size in [int(s) for s in a.sizes.split(",")]:
            for overlap in [int(o) for o in a.overlaps.split(",")] if a.overlaps else [size // 5]:
                with tempfile.TemporaryDirectory() as tmp:
                    idx = rag.build([a.corpus], tmp, model=emb,
                                    settings=rag.Settings(chunk_size=size, chunk_overlap=overlap))
                    extra = {"size": size, "overlap": overlap}
                    if not a.headline:
                        rows += sweep(idx, items, extra)
                        continue
                    row = {**extra, "chunks": len(idx.payload.chunks),
                           "chunk characters": sum(len(c.text) for c in idx.payload.chunks), **headline(idx, items)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(rows, indent=1))
    if a.headline:
        return
    best = max(rows, key=lambda r: (r["all_r@5"] + r["cross_r@5"], r["all_mrr@10"]))
    print("best:", json.dumps(best))


if __name__ == "__main__":
    main()
