"""Int8 encoder (ONNX Runtime dynamic quantization), judged by retrieval figures (issue 14).

    python -m bench.int8 [--variants model-int8-pc,model-int8] [--out results/int8.json] [--speed-only]

Our model is already a 4-bit reconstruction, so the cosine to the fp32 export says little;
what counts is whether retrieval holds. For the fp32 export and each int8 variant
(quantized once into the model's cache folder, beside onnx/model.onnx): the vectors of
a sample of the corpus' passages and sentences against fp32 (cosine), encoding speed
on that sample and per query, the bundled corpus built and `python -m eval`'s default figures
(r@5, MRR@10, cross/same r@5), and XQuAD recall@1 per direction. The variants:
  model-int8-pc  QInt8 weights, per output channel
  model-int8     QInt8 weights, one scale per tensor
  model-int8-ffn per channel, only the feed-forward matrices (two thirds of the weights'
                 FLOPs); attention projections stay fp32
  model-int8-l0-8 per channel, layers 0-8 only; the last three layers, which shape the
                 pooled vector most directly, stay fp32
  NAME:docs      the variant NAME for passages and sentences (the build's 99 %), queries
                 through fp32 (DocSide): the build's speed, queries as exact as before
--skip-fp32-eval: the fp32 build and figures are not redone (they are the README's; their
speed and vectors still are, as the reference of the others).
Adoption rule (issue 14): each of r@5, MRR@10 and XQuAD recall@1 within 0.01 of fp32.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.embed import Embedder

VARIANTS = {"model-int8-pc": {"per_channel": True}, "model-int8": {"per_channel": False},
            "model-int8-ffn": {"per_channel": True}, "model-int8-l0-8": {"per_channel": True}}
# which weight MatMuls a variant quantizes (by ONNX node name); the others stay fp32
ONLY = {"model-int8-ffn": lambda n: "/intermediate/" in n or ("/output/dense/" in n and "/attention/" not in n),
        "model-int8-l0-8": lambda n: any(f"/layer.{i}/" in n for i in range(9))}


def excluded(src: Path, name: str) -> list[str]:
    """MatMul nodes a partial variant leaves in fp32."""
    import onnx

    keep = ONLY.get(name)
    if keep is None:
        return []
    model = onnx.load(str(src), load_external_data=False)
    return [n.name for n in model.graph.node if n.op_type == "MatMul" and not keep(n.name)]


def quantized(folder: Path, name: str) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from rag.convert import ensure_onnx

    src = ensure_onnx(folder)
    dst = src.parent / f"{name}.onnx"
    if not dst.exists():
        tmp = dst.with_suffix(".tmp.onnx")
        quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8, nodes_to_exclude=excluded(src, name),
                         **VARIANTS[name])
        tmp.replace(dst)
    return dst


def embedder(folder: Path, name: str):
    from rag.embed import E5_FINGERPRINT_PREFIX, OnnxEmbedder

    if name.endswith(":docs"):
        return DocSide(embedder(folder, name.removesuffix(":docs")), embedder(folder, "fp32"))
    path = folder / "onnx" / "model.onnx" if name == "fp32" else quantized(folder, name)
    return OnnxEmbedder(folder, path, "multilingual-e5-small", f"{E5_FINGERPRINT_PREFIX}bench-{name}")


class DocSide(Embedder):
    """Passages and sentences through `doc`, queries through `query` (the same e5 space)."""

    def __init__(self, doc: Embedder, query: Embedder):
        self.doc, self.query = doc, query
        self.name, self.dim = query.name, query.dim
        self.fingerprint = f"{doc.fingerprint}:docs"

    def embed(self, texts, kind):
        return (self.query if kind == "query" else self.doc).embed(texts, kind)

    def embed_passages(self, texts, progress=None, batch=64):
        return self.doc.embed_passages(texts, progress=progress, batch=batch)


def speed(emb, texts: list[str], sents: list[str], queries: list[str]) -> tuple[dict, np.ndarray]:
    emb.embed_passages(texts[:4])  # first shapes
    t = time.perf_counter()
    v = emb.embed_passages(texts)
    tt = time.perf_counter() - t
    t = time.perf_counter()
    s = emb.embed_passages(sents)
    ts = time.perf_counter() - t
    t = time.perf_counter()
    for q in queries:
        emb.embed_queries([q])
    tq = (time.perf_counter() - t) / len(queries)
    return {"passages_s": round(tt, 2), "sentences_s": round(ts, 2), "query_ms": round(1000 * tq, 2)}, np.vstack([v, s])


def main(argv: list[str] | None = None) -> int:
    import rag
    from eval.run import DEFAULT_CORPUS, run_eval
    from eval.xquad import DEFAULT_DATA
    from eval.xquad import load as load_xquad
    from eval.xquad import run as run_xquad
    from eval.xquad import source
    from rag.convert import ensure_e5_small
    from rag.chunk import process
    from rag.ingest import discover, read_document
    from rag.settings import Settings

    p = argparse.ArgumentParser(prog="python -m bench.int8")
    p.add_argument("--variants", default="model-int8-pc,model-int8")
    p.add_argument("--out", default="results/int8.json")
    p.add_argument("--speed-only", action="store_true", help="vectors and encoding speed only (a minute)")
    p.add_argument("--skip-fp32-eval", action="store_true", help="no fp32 build and figures (see above)")
    a = p.parse_args(argv)
    folder = ensure_e5_small()
    chunked = [process(read_document(path, src), Settings()) for path, src in discover([DEFAULT_CORPUS])[0]]
    texts = [c.text for pr in chunked for c in pr.chunks][:120]  # the first 120 passages, 600 sentences
    sents = [s for pr in chunked for s in pr.sentences][:600]
    queries = ["Кто предложил проводить альтернативные выборы?", "What was the turnout in 1924?"] * 20
    paras = load_xquad(Path(DEFAULT_DATA)) if (Path(DEFAULT_DATA) / "xquad.en.dev.json").exists() else None
    res, ref = {}, None
    for name in ["fp32", *a.variants.split(",")]:
        emb = embedder(folder, name)
        r, vecs = speed(emb, texts, sents, queries)
        ref = vecs if ref is None else ref
        cos = (vecs * ref).sum(1)
        r["cos_to_fp32_min"], r["cos_to_fp32_mean"] = round(float(cos.min()), 4), round(float(cos.mean()), 4)
        if a.speed_only or (a.skip_fp32_eval and name == "fp32"):
            res[name] = r
            print(name, json.dumps(r), flush=True)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            idx = rag.build([DEFAULT_CORPUS], Path(tmp) / "index", model=emb)
            r["build_s"] = round(time.perf_counter() - t, 1)
            ev = run_eval("eval/questions", idx, out=Path(tmp) / "eval")
            d = next(c for c in ev["configs"] if c["name"] == "hybrid")["slices"]
            r["corpus"] = {"r@5": d["all"]["r@5"], "mrr@10": d["all"]["mrr@10"], "cross r@5": d["cross"]["r@5"],
                           "same r@5": d["same"]["r@5"], "answered": ev["abstention"]["answer_answerable"]}
            if paras:
                docs = Path(tmp) / "docs"
                for lang, ps in paras.items():
                    (docs / lang).mkdir(parents=True)
                    for i, par in enumerate(ps):
                        (docs / source(lang, i)).write_text(par["context"], encoding="utf-8")
                xq = run_xquad(rag.build([docs], Path(tmp) / "xq", model=emb), paras)
                r["xquad_r@1"] = {k: v["r@1"] for k, v in xq.items() if "->" in k}
        res[name] = r
        print(name, json.dumps(r), flush=True)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
