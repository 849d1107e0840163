"""Calibration statistics of the int8 document encoder (rag/quantize.py, SmoothQuant):

    python -m research.recipes.smooth_stats [--data ../shared/xquad] [--out rag/models/smooth-e5-small.safetensors]
    python -m research.recipes.smooth_stats --student   # rag/models/smooth-student10.safetensors

For each input of e5's weight matrices (per layer: the attention's q/k/v input, its output
projection's, the feed-forward's two), the largest |activation| of each channel over
calibration text. rag/quantize.py turns them into per-channel scales that move the
activations' outlier channels into the weights before int8. Calibration text: XQuAD's
contexts ("passage: ") and first questions ("query: ") in its ten languages other than
English and Russian, every tenth paragraph (16 each in ../shared/xquad: 320 texts): never our corpus, never eval/questions, and no
en/ru benchmark figure is calibrated on. The fp32 model (rag/convert.py) runs one text at
a time (padding adds nothing); about a minute on 2 cores. `--student`: the same for the
10-layer document student (rag/student.py), whose activations are its own.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rag.quantize import SMOOTH_STATS, document_model
from rag.student import STUDENT_SMOOTH

from eval.xquad import DEFAULT_DATA

LANGS = ("ar", "de", "el", "es", "hi", "ro", "th", "tr", "vi", "zh")
# the input of which module stands for which matrix group of rag/quantize.py
GROUPS = {"attention.self.query": "qkv", "attention.output.dense": "ao", "intermediate.dense": "fi",
          "output.dense": "fo"}


def calibration_texts(data: Path, per_lang: int = 24) -> list[str]:
    """Every tenth paragraph of each language, at most `per_lang` (its context, its first question)."""
    out = []
    for lang in LANGS:
        d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
        paras = [p for a in d["data"] for p in a["paragraphs"]][::10][:per_lang]
        out += ["passage: " + p["context"] for p in paras] + ["query: " + p["qas"][0]["question"] for p in paras]
    return out


def activation_maxima(folder: Path, texts: list[str], model=None) -> dict[str, np.ndarray]:
    """{"layer.{i}.{group}": per-channel max |input|} of `folder`'s model on `texts` (or of
    `model`, read with `folder`'s tokenizer: research/distill_gpu.py's students)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = model or AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    amax: dict[str, torch.Tensor] = {}

    def hook(key):
        def f(_m, inp, _out):
            x = inp[0].detach().abs().reshape(-1, inp[0].shape[-1]).max(0).values
            amax[key] = x if key not in amax else torch.maximum(amax[key], x)
        return f

    for i, layer in enumerate(model.encoder.layer):
        for path, group in GROUPS.items():
            layer.get_submodule(path).register_forward_hook(hook(f"layer.{i}.{group}"))
    with torch.no_grad():
        for t in texts:
            model(**tok(t, return_tensors="pt", truncation=True, max_length=512))
    return {k: v.numpy().astype(np.float32) for k, v in sorted(amax.items())}


def main(argv: list[str] | None = None) -> int:
    from safetensors.numpy import save_file

    from rag.convert import ensure_e5_small

    p = argparse.ArgumentParser(prog="python -m research.recipes.smooth_stats", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--out", help=f"default: {SMOOTH_STATS}, or {STUDENT_SMOOTH} with --student")
    p.add_argument("--student", action="store_true", help="the document student's statistics")
    a = p.parse_args(argv)
    a.out = a.out or str(STUDENT_SMOOTH if a.student else SMOOTH_STATS)
    texts = calibration_texts(Path(a.data))
    # the student as rag/quantize.py exports it (eager attention, the deltas added)
    model = document_model(ensure_e5_small(), "student") if a.student else None
    stats = activation_maxima(ensure_e5_small(), texts, model=model)
    per_lang = len(texts) // (2 * len(LANGS))
    save_file(stats, a.out, metadata={"model": "student10" if a.student else "multilingual-e5-small", "texts": str(len(texts)), "languages": ",".join(LANGS),
                                      "source": f"XQuAD dev (CC BY-SA 4.0), {per_lang} paragraphs a language"})
    print(f"wrote {a.out}: {len(stats)} inputs, {len(texts)} texts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
