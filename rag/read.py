"""The reader (stage 6, opt-in): a cross-encoder that reads a question and a sentence together.

multilingual-e5-small, the same weights as the embedder, with rank-16 LoRA on every
matrix of layers 8-11, their biases and LayerNorms retrained, and a linear head over
the mean-pooled token states. It reads "query: Q" and "passage: S" as one pair input
(at most 96 tokens) and scores it residually over the bi-encoder:

    logit = a * (cos(q, s) - c0) + head(mean-pool(states))

Trained by research/recipes/reader_ce.py on XQuAD (never on the bundled corpus or eval/questions);
what it learned, on what and with which held-out figures: rag/models/README.md.
The adapter (1.9 MB, in git) is folded into the base weights and exported to ONNX (int8)
once, beside the embedder's model in the cache; inference is ONNX Runtime and numpy, no torch.
"""
from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .embed import Embedder, docs_fingerprint, mean_states, model_tokenizer, onnx_session, token_batches
from .settings import DOCS

ADAPTER = Path(__file__).resolve().parent / "models" / "reader-cloze.safetensors"
LOWER = 8  # layers 0..LOWER-1 keep the base weights (frozen in training)
RANK, LORA_ALPHA = 16, 32
MAX_LEN = 96  # tokens of the pair: the question and one sentence
# adapter tensor names (research/recipes/reader_ce.py) -> the BERT module they change in each layer
MATS = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
NORMS = {"ln1": "attention.output.LayerNorm", "ln2": "output.LayerNorm"}
HEAD = ("head_w", "head_b", "cos_a", "cos_c")


def reads_with(embedder: Embedder) -> bool:
    """Whether the reader can rerank an index of `embedder`: its score adds the index's
    cosines, which must be multilingual-e5-small's (the weights it was trained over), with
    documents encoded in fp32 or by an int8 document encoder (RAG_DOCS=student or int8: trained
    to put documents where e5 fp32 puts them)."""
    return embedder.fingerprint in {docs_fingerprint(d) for d in DOCS}


def pair_ids(tokenizer, pairs: Sequence[tuple[str, str]]) -> list[list[int]]:
    """Token ids of (question, sentence) pairs as the reader reads them, in training
    (research/recipes/reader_ce.py) and in the product alike."""
    return [e.ids for e in tokenizer.encode_batch([(f"query: {q}".strip(), f"passage: {s}".strip())
                                                   for q, s in pairs])]


def read_adapter(path: Path = ADAPTER) -> dict[str, np.ndarray]:
    """The adapter's tensors; ValueError naming the file when it is not a reader adapter."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        t = load_file(str(path))
    except (OSError, SafetensorError) as e:
        raise ValueError(f"{path}: not a readable reader adapter ({e})") from e
    missing = [k for k in (*HEAD, "A0_q", "B0_q") if k not in t]
    if missing:
        raise ValueError(f"{path}: not a reader adapter (no {', '.join(missing)})")
    return t


def merged_state(state: dict[str, np.ndarray], adapter: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The base BERT weights with the adapter folded in, layer LOWER + i for adapter layer i:
    W + (alpha / rank) * B @ A for each matrix, and the adapter's biases and LayerNorms.
    Folding makes the reader a plain BERT, exported to ONNX like the embedder."""
    out = dict(state)
    layers = sorted({int(k[1:].split("_")[0]) for k in adapter if k[0] == "A" and "_" in k})
    for li in layers:
        pre = f"encoder.layer.{LOWER + li}."
        for m, name in MATS.items():
            w = state[pre + name + ".weight"]
            delta = adapter[f"B{li}_{m}"] @ adapter[f"A{li}_{m}"] * (LORA_ALPHA / RANK)
            out[pre + name + ".weight"] = (w + delta).astype(np.float32)
            out[pre + name + ".bias"] = adapter[f"b{li}_{m}"].astype(np.float32)
        for ln, name in NORMS.items():
            out[pre + name + ".weight"] = adapter[f"{ln}w{li}"].astype(np.float32)
            out[pre + name + ".bias"] = adapter[f"{ln}b{li}"].astype(np.float32)
    return out


def ensure_reader_onnx(folder: Path, adapter: Path = ADAPTER) -> Path:
    """The reader as int8 ONNX in the model's cache folder, made on first use (about 30 s,
    needs torch like rag/convert.py); named by the adapter's hash, so a new adapter is
    exported anew and an old file is never taken for it.

    Why int8 (dynamic, per channel): the reader runs at query time, ten pairs a question, and
    fp32 overran the 250 ms search budget from 8 sentences up; int8 reads 10 in ~180 ms
    (rag/models/README.md has both figures). Its activations keep one scale per tensor (one
    pair per run), the setting its figures were measured with; the document encoder's are
    per token (rag/quantize.py)."""
    digest = hashlib.sha256(Path(adapter).read_bytes()).hexdigest()[:16]
    target = Path(folder) / "onnx" / f"reader-{digest}-int8.onnx"
    if target.exists():
        return target
    import tempfile

    from .quantize import quantize

    with tempfile.TemporaryDirectory(prefix=".reader-", dir=target.parent.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        export_merged(folder, adapter, fp32)
        quantize(fp32, target, per_token_scales=False)
    return target


def export_merged(folder: Path, adapter: Path, target: Path) -> None:
    """The base model of `folder` with `adapter` folded in, exported as fp32 ONNX at `target`."""
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    from .convert import export_onnx

    hf_logging.disable_progress_bar()  # no weight-loading bar in the app's log
    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    merged = merged_state(state, read_adapter(adapter))
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in merged.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's tracer warnings
        export_onnx(model, target)


class Reader:
    """score(question, sentences, cosines) -> one logit per sentence: higher, more likely
    that the sentence answers the question (sigmoid: the training's probability)."""

    def __init__(self, folder: str | Path | None = None, adapter: str | Path = ADAPTER,
                 threads: int | None = None, onnx_file: str | Path | None = None,
                 batch: int = 1, token_budget: int = 2048):
        if folder is None:
            from .convert import ensure_e5_small

            folder = ensure_e5_small()
        folder, adapter = Path(folder), Path(adapter)
        t = read_adapter(adapter)
        self.head_w, self.head_b = t["head_w"].astype(np.float32), float(t["head_b"])
        self.cos_a, self.cos_c = float(t["cos_a"]), float(t["cos_c"])
        self.tokenizer, self.pad_id, self.dim = model_tokenizer(folder, MAX_LEN)
        self.session = onnx_session(onnx_file or ensure_reader_onnx(folder, adapter), threads)
        # one pair per run by default: int8 quantizes activations with one scale per run, so
        # in a batch a sentence's score moved with its neighbours (by up to 2.2 on the logit);
        # alone it depends on the pair only, for ~11 % more time on 10 pairs (bench/reader.py)
        self.batch, self.token_budget = batch, token_budget

    def pairs(self, question: str, sentences: Sequence[str]) -> list[list[int]]:
        """Token ids of each (question, sentence) pair, as the training read them."""
        return pair_ids(self.tokenizer, [(question, s) for s in sentences])

    def score(self, question: str, sentences: Sequence[str], cos: Sequence[float]) -> np.ndarray:
        if not len(sentences):
            return np.zeros(0, dtype=np.float32)
        ids = self.pairs(question, sentences)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # short with short: little padding
        batches = [[order[j] for j in b] for b in token_batches([len(ids[i]) for i in order], self.batch,
                                                                  self.token_budget)]
        pooled = mean_states(self.session, ids, batches, self.pad_id, self.dim)
        return (self.cos_a * (np.asarray(cos, np.float32) - self.cos_c) + pooled @ self.head_w
                + self.head_b).astype(np.float32)


_LOCK = threading.Lock()


@functools.cache
def _shared(threads: int | None) -> Reader:
    return Reader(threads=threads)


def shared_reader(threads: int | None = None) -> Reader:
    """One Reader per process for the default adapter: every Searcher (a new one after each
    write) uses it, and a first use exports it once even when two threads ask together."""
    with _LOCK:
        return _shared(threads)
