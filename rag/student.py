"""The document student (stage 4): multilingual-e5-small without two of its twelve layers,
trained to put passages and sentences where e5 puts them (issue 29).

A build spends almost all its time encoding documents. Questions stay on e5 itself; the
student encodes only the documents, in 10 layers (e5's 0-2, 4 and 6-11, fully fine-tuned)
for 0.82x e5's encoding time. It was judged by the paired rule of docs/adoption.md on 3,779
questions against e5's own int8 documents (docs/results/distill10-int8/adopt.md: hit@1
0.901 -> 0.903, quote 0.700 -> 0.697, p 0.43: no significant loss). Model card:
rag/models/README.md; made by research/distill_gpu.py.

`models/student10.safetensors` holds what the student adds to e5's own weights (its
"deltas"), not the weights: 17 MB in git instead of 90. Each matrix's delta is int8 with one
fp32 scale a row (`name.int8`, `name.scale`), biases and LayerNorms fp32; the kept layers are
in the file's metadata. Keys are "layer{i}.{part}.{w|b}", i the layer's place among the kept.
rag/quantize.py makes the int8 ONNX encoder from it on the first build that needs it.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

STUDENT = Path(__file__).resolve().parent / "models" / "student10.safetensors"
# made by research/recipes/smooth_stats.py --student (the student's own activations)
STUDENT_SMOOTH = Path(__file__).resolve().parent / "models" / "smooth-student10.safetensors"
# the parts of a BERT layer a delta names, as transformers calls them
PARTS = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
         "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense",
         "aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def info(path: Path = STUDENT) -> dict:
    """The student's metadata: at least `keep`, e5's layers it keeps, in order."""
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        return json.loads((f.metadata() or {})["student"])


def deltas(path: Path = STUDENT) -> dict[str, np.ndarray]:
    """The file's deltas as fp32 arrays under their names ("layer3.fi.w"): int8 rows times
    their scales, the rest as stored."""
    from safetensors.numpy import load_file

    t = load_file(str(path))
    out = {k: v.astype(np.float32) for k, v in t.items() if not k.endswith((".int8", ".scale"))}
    for k in (k for k in t if k.endswith(".int8")):
        name = k.removesuffix(".int8")
        out[name] = t[k].astype(np.float32) * t[name + ".scale"].astype(np.float32)[:, None]
    return out


def keep_layers(model, keep: list[int]) -> None:
    """`model` (a transformers BERT) with only the layers `keep`, in that order."""
    import torch

    model.encoder.layer = torch.nn.ModuleList([model.encoder.layer[i] for i in keep])
    model.config.num_hidden_layers = len(keep)


def apply(model, path: Path = STUDENT):
    """`model` (e5, transformers, fp32) made the student of file `path` in place. Returns it."""
    return add(model, info(path)["keep"], deltas(path), str(path))


def add(model, keep: list[int], delta: dict[str, np.ndarray], source: str = "the deltas"):
    """`model`'s layers cut to `keep`, then `delta` added to its weights. A delta that names no
    weight, or one of another size, is an error: the deltas belong to another model."""
    import torch

    keep_layers(model, keep)
    with torch.no_grad():
        for key, d in delta.items():
            layer, part, kind = key.split(".")
            i = int(layer.removeprefix("layer"))
            if part not in PARTS or kind not in ("w", "b") or not 0 <= i < len(keep):
                raise ValueError(f"{source}: {key!r} names no weight of a {len(keep)}-layer student")
            mod = model.encoder.layer[i].get_submodule(PARTS[part])
            target = mod.weight if kind == "w" else mod.bias
            if d.size != target.numel():
                raise ValueError(f"{source}: {key!r} has {d.size} values, the model's weight {target.numel()}")
            target += torch.as_tensor(np.asarray(d, np.float32)).reshape(target.shape)
    return model
