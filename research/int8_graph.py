"""The int8 document model's graph, rewritten for speed (issue 29): where its time goes, and two
rewrites that keep its arithmetic.

    python -m research.int8_graph [--variants base,qkv,fold,fold-qkv] [--rounds 3] [--out results/int8_graph.json]

Profiled (ONNX Runtime's profiler, 100 corpus passages and 700 of its sentences), the int8
matrix products (MatMulIntegerToFloat) take only about a quarter of the model's kernel time;
the rest is fp32 attention, layer norms, GELU, and the per-token quantization that
rag/quantize.py writes as plain ONNX nodes (ReduceMax/ReduceMin/QuantizeLinear before every
product, a Mul of the row scales after it, SmoothQuant's Mul in front). Two rewrites of the fp32
graph before rag.quantize.quantize runs:
  qkv:  the query, key and value products of a layer as one [384, 1152] product, one bias Add
        and a Split (one quantized product and one row-scale Mul instead of three);
  fold: SmoothQuant's Mul before the attention output's product folded into the value
        product's columns and bias (softmax rows sum to one, so the context is scaled alike).
Each model is made from the same eager fp32 export; timed interleaved, best of --rounds, on the
same length-sorted texts as a build batches them; cosine to base's vectors.
"""
from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from research.common import write_json


def fold_ao_into_v(src: Path, dst: Path) -> None:
    """Remove each layer's SmoothQuant Mul in front of the attention output's product; scale the
    value product's columns and bias by its 1 / s instead."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    by_name = {n.name: n for n in g.node}
    keep, rename = [], {}
    for n in g.node:
        layer = re.search(r"layer\.(\d+)_attention_self_Reshape_3", n.name)
        if not (n.op_type == "Mul" and n.name.endswith("_smooth_Mul") and layer):
            keep.append(n)
            continue
        inv = numpy_helper.to_array(inits[n.input[1]])
        vm = by_name[f"/model/encoder/layer.{layer.group(1)}/attention/self/value/MatMul"]
        va = by_name[f"/model/encoder/layer.{layer.group(1)}/attention/self/value/Add"]
        w = numpy_helper.to_array(inits[vm.input[1]])
        inits[vm.input[1]].CopyFrom(numpy_helper.from_array((w * inv[None, :]).astype(np.float32), vm.input[1]))
        bias = next(i for i in va.input if i in inits)
        b = numpy_helper.to_array(inits[bias])
        inits[bias].CopyFrom(numpy_helper.from_array((b * inv).astype(np.float32), bias))
        rename[n.output[0]] = n.input[0]
    for n in keep:
        for i, x in enumerate(n.input):
            n.input[i] = rename.get(x, x)
    del g.node[:]
    g.node.extend(keep)
    onnx.save(m, str(dst))


def fuse_qkv(src: Path, dst: Path) -> None:
    """Each layer's query, key and value MatMul + bias Add as one MatMul, one Add and a Split."""
    import onnx
    from onnx import helper, numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    by_name = {n.name: n for n in g.node}
    out, dead = [], set()
    for n in g.node:
        hit = re.fullmatch(r"/model/encoder/layer\.(\d+)/attention/self/query/MatMul", n.name)
        if not hit:
            out.append(n)
            continue
        p = f"/model/encoder/layer.{hit.group(1)}/attention/self"
        mms = [by_name[f"{p}/{x}/MatMul"] for x in ("query", "key", "value")]
        adds = [by_name[f"{p}/{x}/Add"] for x in ("query", "key", "value")]
        w = np.concatenate([numpy_helper.to_array(inits[x.input[1]]) for x in mms], axis=1)
        b = np.concatenate([numpy_helper.to_array(inits[next(i for i in a.input if i in inits)]) for a in adds])
        g.initializer.extend([numpy_helper.from_array(w, f"{p}/qkv/weight"), numpy_helper.from_array(b, f"{p}/qkv/bias"),
                              numpy_helper.from_array(np.array([w.shape[1] // 3] * 3, np.int64), f"{p}/qkv/split")])
        out += [helper.make_node("MatMul", [mms[0].input[0], f"{p}/qkv/weight"], [f"{p}/qkv/mm"], f"{p}/qkv/MatMul"),
                helper.make_node("Add", [f"{p}/qkv/mm", f"{p}/qkv/bias"], [f"{p}/qkv/sum"], f"{p}/qkv/Add"),
                helper.make_node("Split", [f"{p}/qkv/sum", f"{p}/qkv/split"], [a.output[0] for a in adds],
                                 f"{p}/qkv/Split", axis=-1)]
        dead |= {x.name for x in mms + adds}
    del g.node[:]
    g.node.extend(x for x in out if x.name not in dead)
    used = {i for n in g.node for i in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    onnx.save(m, str(dst))


def make(variant: str, folder: Path, eager: Path) -> Path:
    import rag.quantize as q

    target = folder / f"int8-{variant}.onnx"
    if target.exists():
        return target
    src = folder / "smooth.onnx"
    q.smooth(eager, src, q.smooth_stats())
    if "fold" in variant:
        fold_ao_into_v(src, folder / "fold.onnx")
        src = folder / "fold.onnx"
    if "qkv" in variant:
        fuse_qkv(src, folder / "qkv.onnx")
        src = folder / "qkv.onnx"
    q.quantize(src, target, per_token_scales=True)
    return target


def texts(index: str) -> tuple[list[str], list[str]]:
    """100 passages and 700 sentences of the shipped index, each list sorted by length."""
    from rag import store

    random.seed(0)
    rows = random.sample(store.read(Path(index)).chunks, 150)
    sents = [c.text[s.text_start : s.text_end] for c in rows for s in c.sents][:700]
    return sorted((c.text for c in rows[:100]), key=len), sorted(sents, key=len)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m research.int8_graph", description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="base,qkv,fold,fold-qkv")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--index", default="data/corpus-index")
    ap.add_argument("--out", default="results/int8_graph.json")
    a = ap.parse_args(argv)
    from transformers import AutoModel

    from rag.convert import ensure_e5_small, export_onnx
    from rag.embed import load_embedder, mean_states, onnx_session

    variants = a.variants.split(",")
    emb = load_embedder(docs="int8")
    res: dict = {"variants": variants, "rounds": a.rounds}
    with tempfile.TemporaryDirectory(prefix="int8-graph-") as tmp:
        folder = Path(tmp)
        eager = folder / "eager.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            export_onnx(AutoModel.from_pretrained(str(ensure_e5_small()), local_files_only=True,
                                                  attn_implementation="eager").eval(), eager)
        sessions = {v: onnx_session(make(v, folder, eager), 2) for v in variants}
        for name, batch in zip(("passages", "sentences"), texts(a.index)):
            ids = [e.ids for e in emb.tokenizer.encode_batch(["passage: " + t for t in batch])]
            shapes = emb._batches([len(x) for x in ids])
            secs: dict[str, list[float]] = {v: [] for v in variants}
            vecs: dict[str, np.ndarray] = {}
            for _ in range(a.rounds):
                for v in variants:
                    t = time.perf_counter()
                    x = mean_states(sessions[v], ids, shapes, emb.pad_id, emb.dim)
                    secs[v].append(time.perf_counter() - t)
                    vecs[v] = x / np.linalg.norm(x, axis=1, keepdims=True)
            base = min(secs[variants[0]])
            res[name] = {v: {"best s": round(min(secs[v]), 3), "x base": round(min(secs[v]) / base, 3),
                             "cosine to base, min": round(float((vecs[v] * vecs[variants[0]]).sum(1).min()), 6)}
                         for v in variants}
            for v, r in res[name].items():
                print(f"{name} {v}: {r}", flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
