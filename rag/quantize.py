"""Int8 ONNX models for the CPU: the document encoder (stage 4) and the reader (stage 6).

ONNX Runtime's dynamic quantization stores each weight matrix as int8 with one scale per
output channel and quantizes the activations on the fly, with one scale per tensor: one
outlier token sets the scale of every token in the batch. For e5 that cost ~4e-3 of cosine
to fp32 (most of it at the feed-forward output's input, after GELU), while the weights'
int8 cost ~1e-4; corpus MRR@10 fell by 0.011 and r@5 by 0.015, so it was not adopted.
The document encoder here differs in three ways (`python -m research.int8`, research/README.md):
  - `per_token`: every token gets its own activation scale (max |x| / 127); a text's
    vector no longer depends on the other rows of its batch;
  - `smooth` (SmoothQuant): per-channel scales, from statistics shipped in rag/models
    (research/recipes/smooth_stats.py, calibrated on XQuAD in ten languages other than en/ru), move the
    activations' outlier channels into the weights;
  - the eager-attention export, without the SDPA trace's NaN guard.
Cosine to fp32 0.9995 mean, 0.9982 min on the corpus's texts, at about 2x fp32's speed
(`python -m research.int8 --speed-only --rounds 3 --variants docs`).
The default since issue 29 (Settings.docs; RAG_DOCS=fp32 opts out, rag/embed.py), made the same
way for e5 ("int8") and, since, for its 10-layer student ("student", rag/student.py, with its
own statistics): the documents' passages and sentences go through it, questions keep fp32 (one question is cheap,
and quantizing the query side too dropped r@5). Adopted by the paired rule of
docs/adoption.md (`python -m eval.adopt`, docs/results/adopt.md), which also covers CPUs
without VNNI, where ONNX Runtime's int8 sums saturate (exact_int8_kernels).
"""
from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

# The default model's int8 document encoders, by Settings.docs, and the name each records in
# an index's model fingerprint (rag/embed.py): e5 itself, or its 10-layer student (rag/student.py,
# the default since it passed the paired rule). An index keeps the encoder it was built with.
DOCS_VARIANTS = {"int8": "int8tok1", "student": "s10int8tok1"}
# made by research/recipes/smooth_stats.py (model card: rag/models/README.md)
SMOOTH_STATS = Path(__file__).resolve().parent / "models" / "smooth-e5-small.safetensors"
ALPHA = 0.5  # SmoothQuant's migration strength (its paper's default; 0.7 measured no better)
# which weight matrices share an input, by the exporter's node names
GROUP = re.compile(r"/encoder/layer\.(\d+)/(?:attention/self/(?:query|key|value)|(attention/output|intermediate|output)/dense)"
                   r"/MatMul$")
GROUP_NAMES = {None: "qkv", "attention/output": "ao", "intermediate": "fi", "output": "fo"}


def quantize(fp32: Path, target: Path, per_token_scales: bool, **options) -> None:
    """`fp32` as int8 ONNX at `target` (weights per output channel; activations per tensor,
    or per token). Written beside `target` and renamed: a killed run leaves no half file.
    `options` go to quantize_dynamic over these defaults (research/int8.py's variants)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    level = root.level
    with tempfile.TemporaryDirectory(prefix=".int8-", dir=target.parent) as tmp:
        out = Path(tmp) / "int8.onnx"
        root.setLevel(logging.ERROR)  # the quantizer's advice to pre-process, on the root logger
        try:
            quantize_dynamic(str(fp32), str(out), **{"weight_type": QuantType.QInt8, "per_channel": True, **options})
        finally:
            root.setLevel(level)
        if per_token_scales:
            per_token(out, Path(tmp) / "tok.onnx")
            out = Path(tmp) / "tok.onnx"
        os.replace(out, target)


def doc_onnx_path(folder: Path, docs: str = "int8") -> Path:
    """Where `folder`'s int8 document encoder `docs` ("int8": e5's, "student") is kept."""
    return Path(folder) / "onnx" / f"docs-{DOCS_VARIANTS[docs]}.onnx"


def ensure_doc_onnx(folder: Path, docs: str = "int8") -> Path:
    """The document encoder `docs` of a converted model folder (rag/convert.py), made on first
    use: e5, or its student (rag/student.py: e5's weights, two layers cut, the shipped deltas
    added), exported with eager attention (the SDPA trace of rag/convert.py adds a masking and
    a NaN guard over every [batch, heads, tokens, tokens] tensor, 16 % of the per-token int8
    model's kernel time, `python -m research.int8 --profile`; same vectors otherwise),
    SmoothQuant with the statistics of that model's own activations, quantized with
    per-token activations. About 25 s, once."""
    target = doc_onnx_path(folder, docs)
    if target.exists():
        return target
    from transformers.utils import logging as hf_logging

    from .student import STUDENT_SMOOTH

    what = "the 10-layer student's" if docs == "student" else "e5's"
    print(f"model: preparing {what} int8 document encoder (once, about 25 s) in {target.parent}",
          file=sys.stderr, flush=True)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    int8_document_model(document_model(folder, docs),
                        smooth_stats(STUDENT_SMOOTH if docs == "student" else SMOOTH_STATS), target)
    return target


def document_model(folder: Path, docs: str = "int8"):
    """The fp32 transformer behind document encoder `docs`, with eager attention as it is
    exported: `folder`'s e5, made the student (rag/student.py) for "student"."""
    from transformers import AutoModel

    from . import student

    model = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager").eval()
    return student.apply(model) if docs == "student" else model


def int8_document_model(model, stats: dict[str, np.ndarray], target: Path) -> None:
    """`model` (transformers, eager attention) exported to ONNX, SmoothQuant with `stats` (its
    own activations' maxima), then per-token int8, written to `target` (via a temporary folder
    beside it: a killed run leaves no half file)."""
    import warnings

    from .convert import export_onnx

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".docs-", dir=target.parent) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracer warnings
        export_onnx(model, Path(tmp) / "eager.onnx")
        smooth(Path(tmp) / "eager.onnx", Path(tmp) / "smooth.onnx", stats)
        quantize(Path(tmp) / "smooth.onnx", target, per_token_scales=True)


def smooth(src: Path, dst: Path, stats: dict[str, np.ndarray], alpha: float = ALPHA) -> None:
    """SmoothQuant (Xiao et al., 2023) on an fp32 export, the same function in fp32: for each
    input x shared by weight matrices W (q/k/v share one), s_j = a_j^alpha / w_j^(1-alpha)
    (a_j: channel j's largest |x| in `stats`, w_j: the largest |weight| of row j over the
    group), x is divided by s (one Mul) and W's row j multiplied by s_j. Outlier channels
    shrink in x, which per-token int8 serves better, and grow in W, whose int8 scale is per
    output column. The 1e-2..1e2 clamp keeps a dead channel from exploding."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    groups: dict[str, list] = {}  # input -> its MatMuls
    for n in g.node:
        m = GROUP.search(n.name) if n.op_type == "MatMul" else None
        if m and n.input[1] in inits:
            groups.setdefault(n.input[0], []).append((f"layer.{m.group(1)}.{GROUP_NAMES[m.group(2)]}", n))
    if len(groups) != len(stats):
        raise ValueError(f"{src}: {len(groups)} weight inputs, but the statistics have {len(stats)}")
    nodes = []
    for x, members in groups.items():
        key = members[0][0]
        ws = [numpy_helper.to_array(inits[n.input[1]]) for _, n in members]  # [K, N] each
        w = np.max([np.abs(b).max(1) for b in ws], axis=0)
        s = (np.maximum(stats[key], 1e-5) ** alpha / np.maximum(w, 1e-5) ** (1 - alpha)).clip(1e-2, 1e2)
        name = x.strip("/").replace("/", "_") + "_smooth"
        g.initializer.append(numpy_helper.from_array((1 / s).astype(np.float32), name + "_inv"))
        nodes.append(helper.make_node("Mul", [x, name + "_inv"], [name], name + "_Mul"))
        for (_, n), b in zip(members, ws):
            inits[n.input[1]].CopyFrom(numpy_helper.from_array((b * s[:, None]).astype(np.float32), n.input[1]))
            n.input[0] = name
    # each Mul goes right before the first node that reads it (the graph stays in order)
    first = {}
    for n in g.node:
        for i in n.input:
            first.setdefault(i, n.name)
    by_reader = {}
    for m in nodes:
        by_reader.setdefault(first[m.output[0]], []).append(m)
    out = []
    for n in g.node:
        out += by_reader.get(n.name, [])
        out.append(n)
    del g.node[:]
    g.node.extend(out)
    onnx.save(model, str(dst))


def smooth_stats(path: Path = SMOOTH_STATS) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except (OSError, ValueError, SafetensorError) as e:
        raise ValueError(f"{path}: cannot read the int8 encoder's calibration statistics ({e}); "
                         "reinstall the package or rerun python -m research.recipes.smooth_stats") from e


def per_token(src: Path, dst: Path) -> None:
    """Rewrite a quantize_dynamic graph so that activations get one scale per token (row).

    Each DynamicQuantizeLinear(x) becomes: x as rows [tokens, C]; max |x| / 127 per row as
    its scale; one QuantizeLinear along axis 0 (zero point 128: uint8, as the kernels want).
    Each MatMulInteger -> Cast -> Mul(a_scale * b_scale) becomes MatMulIntegerToFloat with
    a_scale 1 (its kernel reads a non-scalar a_scale as per column, not per row: cosine 0.80
    when ONNX Runtime fused our first version into it), then the row scales multiply the
    result and the rows are shaped back."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    g = model.graph
    g.initializer.extend([numpy_helper.from_array(np.array(v, dt), n) for n, v, dt in
                          [("pt_127", 127.0, np.float32), ("pt_eps", 1e-8, np.float32), ("pt_one", 1.0, np.float32),
                           ("pt_zp", 128, np.uint8), ("pt_axis1", [1], np.int64)]])
    inits = {i.name: i for i in g.initializer}
    rows = {}  # quantized input -> (its row scales, the shape of x without its last axis)
    nodes = []
    for n in g.node:
        if n.op_type != "DynamicQuantizeLinear":
            nodes.append(n)
            continue
        q = n.output[0]
        width = next(inits[m.input[1]].dims[0] for m in g.node if m.op_type == "MatMulInteger" and m.input[0] == q)
        added, rows[q] = _quantize_rows(g, n, width)
        nodes += added
    producer = {o: n for n in nodes for o in n.output}
    dead, out = set(), []
    for n in nodes:
        if not (n.op_type == "Mul" and n.name.endswith("_output_scale_mul")):
            out.append(n)
            continue
        cast = producer[n.input[0]]
        mmi = producer[cast.input[0]]
        scales = producer[n.input[1]]  # Mul(a_scale, b_scale)
        dead |= {id(cast), id(mmi), id(scales)}
        out += _scale_rows(g, n, mmi, scales.input[1], rows[mmi.input[0]], inits[mmi.input[1]].dims[1])
    if len(dead) != 3 * sum(1 for n in nodes if n.op_type == "MatMulInteger"):
        raise ValueError(f"{src}: not the graph of quantize_dynamic this rewrite knows")
    del g.node[:]
    g.node.extend(n for n in out if id(n) not in dead)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(model, str(dst))


def _quantize_rows(g, n, width: int) -> tuple[list, tuple[str, str]]:
    """The nodes that replace DynamicQuantizeLinear `n`: its input as rows of `width`, each
    quantized with its own scale; its per-tensor scale and zero point outputs become constants.
    Also the names of the row scales and of the input's shape without its last axis."""
    from onnx import TensorProto, helper, numpy_helper

    x, (q, scale, zp) = n.input[0], n.output
    p = n.name + "_pt"
    g.initializer.append(numpy_helper.from_array(np.array([-1, width], np.int64), p + "_rowshape"))
    return [
        helper.make_node("Reshape", [x, p + "_rowshape"], [p + "_rows"], p + "_Rows"),
        helper.make_node("Shape", [x], [p + "_lead"], p + "_Lead", end=-1),
        helper.make_node("ReduceMax", [p + "_rows"], [p + "_hi"], p + "_Hi", axes=[1], keepdims=0),
        helper.make_node("ReduceMin", [p + "_rows"], [p + "_lo"], p + "_Lo", axes=[1], keepdims=0),
        helper.make_node("Neg", [p + "_lo"], [p + "_nlo"], p + "_Neg"),
        helper.make_node("Max", [p + "_hi", p + "_nlo", "pt_eps"], [p + "_amax"], p + "_Amax"),
        helper.make_node("Div", [p + "_amax", "pt_127"], [p + "_scale"], p + "_Scale"),
        helper.make_node("Shape", [p + "_scale"], [p + "_n"], p + "_N"),
        helper.make_node("ConstantOfShape", [p + "_n"], [p + "_zps"], p + "_Zps",
                         value=helper.make_tensor("v", TensorProto.UINT8, [1], [128])),
        helper.make_node("QuantizeLinear", [p + "_rows", p + "_scale", p + "_zps"], [q], p + "_Q", axis=0),
        helper.make_node("Identity", ["pt_one"], [scale], p + "_One"),
        helper.make_node("Identity", ["pt_zp"], [zp], p + "_Zp"),
    ], (p + "_scale", p + "_lead")


def _scale_rows(g, n, mmi, b_scale: str, row: tuple[str, str], width: int) -> list:
    """The nodes that replace Mul `n` (with the MatMulInteger `mmi` and the Cast and scale Mul
    feeding it): MatMulIntegerToFloat with a_scale 1 and `b_scale`, times the row scales, in
    x's shape again. `row`: the (row scales, leading shape) of `mmi`'s quantized input."""
    from onnx import helper, numpy_helper

    row_scale, lead = row
    p = n.name + "_pt"
    g.initializer.append(numpy_helper.from_array(np.array([width], np.int64), p + "_width"))
    return [helper.make_node("MatMulIntegerToFloat",
                             [mmi.input[0], mmi.input[1], "pt_one", b_scale, mmi.input[2], mmi.input[3]],
                             [p + "_unscaled"], p + "_MM", domain="com.microsoft"),
            helper.make_node("Unsqueeze", [row_scale, "pt_axis1"], [p + "_col"], p + "_Col"),
            helper.make_node("Mul", [p + "_unscaled", p + "_col"], [p + "_scaled"], p + "_Mul"),
            helper.make_node("Concat", [lead, p + "_width"], [p + "_shape"], p + "_Shape", axis=0),
            helper.make_node("Reshape", [p + "_scaled", p + "_shape"], [n.output[0]], p + "_Back")]


def exact_int8_kernels() -> bool:
    """Whether ONNX Runtime's int8 matrix products are exact integer sums on this CPU. On
    x86 without VNNI (AVX2 only) its u8s8 kernel adds pairs of products in 16 bits, which
    saturate: measured on such a CPU (tests/test_quantize.py), per-token int8 is off by up
    to 3,000 on a row with an outlier and by 2.7 on ordinary rows, where VNNI gives < 0.2."""
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686"):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True  # not Linux: cannot tell, assume the common case
    return any(f in flags for f in ("avx512_vnni", "avx_vnni", "amx_int8"))



if __name__ == "__main__":  # scripts/setup.sh all: make the document encoders before the tests need them
    from .convert import ensure_e5_small

    for name in DOCS_VARIANTS:
        ensure_doc_onnx(ensure_e5_small(), name)
