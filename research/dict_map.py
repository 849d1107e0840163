"""A Chinese question's vector mapped into English by a map learnt from a dictionary (issue 30, zh->en).

research/query_adapter.py learnt maps from XQuAD's own parallel questions (~1,000 distinct), and
they learnt the training articles' topics. A dictionary gives ~85,000 pairs that know no article:
CC-CEDICT's Chinese words (2-4 characters, the product's rag/dictionary.py read_cedict) and their
first English gloss (at most 4 words, letters only), both encoded as e5 questions, and W fitted
from Chinese onto English: orthogonal Procrustes (W = U V^T of svd(X^T Y): a rotation, as for
cross-lingual word embeddings) and ridge (lambda 1). The Chinese question's vector is mapped
(q W), or mapped and added to itself; raw-cosine r@1 over the English paragraphs' chunk vectors
of an eval.xquad_langs index, XQuAD's Chinese questions, training articles (0-23) and held out
(24-31) apart.

    python -m research.dict_map [--index DIR/xquad-en] [--pairs 12000] [--out results/dict_map.json]
"""
from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

import numpy as np

from eval.quotes import paragraphs
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import write_json


def pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    from rag.dictionary import cedict_path, read_cedict

    ced = read_cedict(cedict_path())
    out = [(k, v[0]) for k, v in ced.items()
           if 2 <= len(k) <= 4 and v and len(v[0].split()) <= 4 and re.fullmatch(r"[A-Za-z' -]+", v[0])]
    random.Random(seed).shuffle(out)  # noqa: S311 -- a sample, not a secret
    return out[:n]


def unit(a: np.ndarray) -> np.ndarray:
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def main(argv: list[str] | None = None) -> int:
    import rag
    from eval.xquad_langs import current
    from rag.embed import load_embedder

    p = argparse.ArgumentParser(prog="python -m research.dict_map")
    p.add_argument("--index", type=Path, default=None, help="the English paragraphs' index (default: eval.xquad_langs')")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--pairs", type=int, default=12000)
    p.add_argument("--out", default="results/dict_map.json")
    a = p.parse_args(argv)
    emb = load_embedder()
    words = pairs(a.pairs)
    x, y = emb.embed_queries([z for z, _ in words]), emb.embed_queries([e for _, e in words])
    u, _, vt = np.linalg.svd(x.T @ y)
    maps = {"procrustes": u @ vt, "ridge": np.linalg.solve(x.T @ x + np.eye(x.shape[1]), x.T @ y)}
    idx = rag.load(a.index or current() / "xquad-en")
    vecs, sources = idx.payload.chunk_vectors.astype(np.float32), [c.source for c in idx.payload.chunks]
    qs = [(q, i, para["article"]) for i, para in enumerate(paragraphs(a.data, "zh")) for _, q, _ in para["qas"]]
    q = emb.embed_queries([t for t, _, _ in qs])

    def r1(v: np.ndarray, held: bool) -> float:
        best = np.argmax(unit(v) @ vecs.T, axis=1)
        ok = [sources[b].endswith(f"p{i:03d}.txt") for b, (_, i, art) in zip(best, qs) if (art in HELD_OUT) == held]
        return round(float(np.mean(ok)), 3)

    variants = {"e5": q}
    for name, w in maps.items():
        variants[name] = q @ w
        variants[f"e5 + {name}"] = unit(q) + unit(q @ w)
    res = {"pairs": len(words), "r@1": {k: {"training": r1(v, False), "held out": r1(v, True)} for k, v in variants.items()}}
    for k, v in res["r@1"].items():
        print(f"{k}: training {v['training']}, held out {v['held out']}")
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
