"""Threads and batch shapes of the ONNX encoder on this machine: python -m research.shapes

The bundled corpus's passages and sentences, as a build embeds them, in a fixed
sample (every k-th text of the length-sorted list, so short sentences and long
passages are both in it). For each intra-op thread count, batch size and token
budget (the padded tokens a batch may hold, rag/embed.py `OnnxEmbedder._batches`):
texts per second, the ratio to the default shape measured in the same run, and the
largest cosine distance of any vector to the default's (padding must not change a
vector). Each shape is timed once after a short warm-up; the default three times (first,
in the grid, last): ratios are to its best, and its spread says how far to trust them.
Writes results/shapes.json.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench.children import ROOT
from bench.stats import ratio

from .common import DEFAULT_SHAPE as DEFAULT
from .common import corpus_texts, timed

GRID = [{"threads": t, "batch": b, "token_budget": tb}
        for t in (1, 2) for b in (32, 64) for tb in (256, 512, 1024, 2048)]


def main(argv: list[str] | None = None) -> int:
    from rag.convert import ensure_e5_small, ensure_onnx
    from rag.embed import DEFAULT_MODEL, OnnxEmbedder, e5_fingerprint

    ap = argparse.ArgumentParser(prog="python -m research.shapes", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=300, help="texts per shape")
    ap.add_argument("--out", default=str(ROOT / "results" / "shapes.json"))
    a = ap.parse_args(argv)
    texts = corpus_texts(a.sample)
    folder = ensure_e5_small()
    onnx = ensure_onnx(folder)

    def make(s: dict) -> OnnxEmbedder:
        return OnnxEmbedder(folder, onnx, DEFAULT_MODEL, e5_fingerprint(), threads=s["threads"], batch=s["batch"],
                            token_budget=s["token_budget"])

    first, base_v = timed(make(DEFAULT), texts)
    times = {}
    for s in GRID:
        secs, vecs = timed(make(s), texts)
        times[json.dumps(s)] = (secs, float(1 - (vecs * base_v).sum(1).min()))
        print(json.dumps({**s, "seconds": round(secs, 2)}), flush=True)
    again, _ = timed(make(DEFAULT), texts)
    base_s = min(first, again, times[json.dumps(DEFAULT)][0])  # the default's best of three
    rows = [{**json.loads(k), "texts_per_s": round(len(texts) / secs, 1), "time_over_default": ratio(secs, base_s),
             "max_cosine_distance": dist} for k, (secs, dist) in times.items()]
    best = min(rows, key=lambda r: r["time_over_default"])
    out = {"default_runs_s": [round(first, 2), round(times[json.dumps(DEFAULT)][0], 2), round(again, 2)],"cpus": os.cpu_count(), "loadavg": os.getloadavg(), "texts": len(texts),
           "chars": sum(map(len, texts)), "default": DEFAULT, "default_texts_per_s": round(len(texts) / base_s, 1),
           "best": best, "shapes": rows}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "shapes"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
