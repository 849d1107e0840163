"""ONNX Runtime's transformer fusions for the encoder (issue 14, a lever for the build):

    python -m research.fusion [--sample 300] [--out results/fusion.json]

The default export (rag/convert.py) traces e5 with PyTorch's SDPA attention, which the
fusion passes of `onnxruntime.transformers.optimizer` do not recognise; an export with
eager attention fuses fully (12 Attention, 24 SkipLayerNormalization, 12 BiasGelu, one
EmbedLayerNormalization). Each model encodes the same sample of the bundled corpus's
passages and sentences as shapes.py takes it (research/common.py), in interleaved rounds, the fastest counting;
ratios to the default export measured in the same run, and the largest cosine distance to its vectors.
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bench.children import ROOT
from bench.stats import ratio

from .common import DEFAULT_SHAPE, corpus_texts, timed


def fused(folder: Path, out: Path) -> tuple[Path, dict]:
    """The eager-attention export of `folder`'s model and its fused form; the fusion counts."""
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    from rag.convert import export_onnx

    eager = out / "model-eager.onnx"
    if not eager.exists():
        export_onnx(AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager").eval(),
                    eager)
    opt = optimize_model(str(eager), model_type="bert", num_heads=12, hidden_size=384, opt_level=0, use_gpu=False)
    counts = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    target = out / "model-fused.onnx"
    opt.save_model_to_file(str(target))
    return target, counts


def main(argv: list[str] | None = None) -> int:
    from rag.convert import ensure_e5_small, ensure_onnx
    from rag.embed import DEFAULT_MODEL, OnnxEmbedder, e5_fingerprint

    ap = argparse.ArgumentParser(prog="python -m research.fusion", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=int, default=300, help="texts encoded by each model")
    ap.add_argument("--rounds", type=int, default=3, help="timings per model, interleaved; the fastest counts")
    ap.add_argument("--out", default=str(ROOT / "results" / "fusion.json"))
    a = ap.parse_args(argv)
    folder = ensure_e5_small()
    work = Path(a.out).parent / "fusion"
    work.mkdir(parents=True, exist_ok=True)
    target, counts = fused(folder, work)
    texts = corpus_texts(a.sample)
    models = {"default export": ensure_onnx(folder), "eager export": work / "model-eager.onnx", "fused": target}
    embs = {n: OnnxEmbedder(folder, p, DEFAULT_MODEL, e5_fingerprint(), **DEFAULT_SHAPE) for n, p in models.items()}
    secs, vecs = {n: float("inf") for n in models}, {}
    for _ in range(a.rounds):  # interleaved, so that load drifting during the run hits every model alike
        for name, emb in embs.items():
            s, vecs[name] = timed(emb, texts)
            secs[name] = min(secs[name], s)
    base = "default export"
    rows = {n: {"seconds": round(s, 2), "time_over_default": ratio(s, secs[base]),
                "max_cosine_distance": float(1 - (vecs[n] * vecs[base]).sum(1).min())} for n, s in secs.items()}
    res = {"texts": len(texts), "rounds": a.rounds, "cpus": os.cpu_count(), "loadavg": os.getloadavg(), "fused_operators": counts,
           "models": rows}
    Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    for n, r in rows.items():
        print(f"{n:16} {r['seconds']:7.2f} s  x{r['time_over_default']}  max cos distance {r['max_cosine_distance']:.1e}")
    print(f"fused operators: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
