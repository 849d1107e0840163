"""The encoders alone, each in a fresh child: the baseline of section 1 and the backend comparison.

A child per run because that is how the build meets the model: a fresh
process whose ONNX session sees every input shape for the first time
(ONNX Runtime's first run of a shape is the slow one). Timed in this
process next to torch instead, ONNX came out ~1.4x slower than inside
the build, for reasons that have nothing to do with the pipeline.
Texts go in as JSON, vectors come back as .npy (no pickle).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .children import PEAK_RSS, run_child
from .stats import cos_error, rate, ratio

ENCODE = PEAK_RSS + r"""
import json, sys, time
import numpy as np
from rag.embed import load_embedder
backend, texts_file, out = sys.argv[1:4]
t0 = time.perf_counter()
emb = load_embedder(backend=backend)
res = {"load_s": time.perf_counter() - t0}
data = json.loads(open(texts_file, encoding="utf-8").read())
for key in ("texts", "sents"):
    w, c = time.perf_counter(), time.process_time()
    v = emb.embed_passages(data[key])
    res[key] = {"wall": time.perf_counter() - w, "cpu": time.process_time() - c}
    np.save(f"{out}.{key}.npy", v, allow_pickle=False)
print(json.dumps({**res, "peak_rss_mb": peak_rss_mb()}))
"""


def write_texts(data: dict, path: Path) -> Path:
    path.write_text(json.dumps({"texts": data["texts"], "sents": data["sents"]}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def encode_child(backend: str, texts_file: Path, out: Path) -> dict:
    """One fresh process: load `backend`, embed_passages on the chunk texts, then on the sentences."""
    r = run_child(ENCODE, [backend, str(texts_file), str(out)])
    r["wall"] = r["texts"]["wall"] + r["sents"]["wall"]
    r["cpu"] = r["texts"]["cpu"] + r["sents"]["cpu"]
    return r


def vectors(out: Path) -> np.ndarray:
    return np.vstack([np.load(f"{out}.{k}.npy", allow_pickle=False) for k in ("texts", "sents")])


def raw_figures(runs: list[dict]) -> dict:
    """The ONNX baseline: the faster of the runs bracketing the build (one before, one after).
    Other processes on this shared CPU only ever add time, so the faster run is the closer to
    the encoder's own cost; both are kept to show the spread."""
    best = min(runs, key=lambda r: r["wall"])
    return {"embed chunks": best["texts"]["wall"], "embed sentences": best["sents"]["wall"],
            "wall": best["wall"], "cpu": best["cpu"], "load_s": best["load_s"],
            "runs_wall": [round(r["wall"], 2) for r in runs], "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def backend_figures(onnx: dict, torch: dict, n: int, drift: float) -> dict:
    """torch (one child, run between the two ONNX children) vs the faster ONNX run."""
    o_s, t_s = onnx["wall"], torch["wall"]
    return {"texts": n, "torch_load_seconds": round(torch["load_s"], 3), "onnx_load_seconds": round(onnx["load_s"], 3),
            "torch_seconds": round(t_s, 3), "torch_texts_per_s": rate(n, t_s),
            "onnx_seconds": round(o_s, 3), "onnx_texts_per_s": rate(n, o_s), "onnx_runs_wall": onnx["runs_wall"],
            "onnx_speedup_over_torch": ratio(t_s, o_s, 2),
            "torch_cpu_seconds": round(torch["cpu"], 3), "onnx_cpu_seconds": round(onnx["cpu"], 3),
            "onnx_cpu_speedup_over_torch": ratio(torch["cpu"], onnx["cpu"], 2),
            "torch_peak_rss_mb": torch["peak_rss_mb"], "onnx_peak_rss_mb": onnx["peak_rss_mb"],
            "max_abs_cos_minus_1": float(f"{drift:.2e}")}


def drift_between(a: Path, b: Path) -> float:
    return cos_error(vectors(a), vectors(b))
