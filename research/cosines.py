"""Row-wise cosines: python -m research.cosines [--out results/cosines.json]

Why rag.retrieve.base.cosines uses einsum and not `@`: a shard scores a
subset of the whole index's rows, and a passage must get the same cosine
either way, bit for bit, or two equal passages can swap places. Counts, on
random unit vectors of e5's dimension, the rows whose cosine differs between
the whole matrix and random row subsets, for the BLAS matrix-vector product
and for einsum, and times both on the whole matrix (baseline: `@`).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.children import ROOT
from bench.stats import median, ratio

DIM = 384


def mismatches(product, vectors: np.ndarray, qv: np.ndarray, rng, subsets: int = 8) -> int:
    whole = product(vectors, qv)
    bad = 0
    for _ in range(subsets):
        rows = np.sort(rng.choice(len(vectors), len(vectors) // 3, replace=False))
        bad += int(np.sum(product(vectors[rows], qv) != whole[rows]))
    return bad


def ms(product, vectors: np.ndarray, qv: np.ndarray, repeat: int = 20) -> float:
    product(vectors, qv)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        product(vectors, qv)
        times.append((time.perf_counter() - t) * 1000)
    return median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m research.cosines", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "results" / "cosines.json"))
    a = ap.parse_args(argv)
    products = {"matmul": lambda v, q: v @ q, "einsum": lambda v, q: np.einsum("ij,j->i", v, q)}
    rng = np.random.default_rng(0)
    out = []
    for n in (600, 4_000, 88_000):
        v = rng.standard_normal((n, DIM)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        q = v[0] + 0.1 * rng.standard_normal(DIM).astype(np.float32)
        row = {"rows": n}
        for name, f in products.items():
            row[f"{name}_mismatched_rows"] = mismatches(f, v, q, rng)
            row[f"{name}_ms"] = round(ms(f, v, q), 3)
        row["einsum_over_matmul"] = ratio(row["einsum_ms"], row["matmul_ms"])
        out.append(row)
        print(json.dumps(row))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
