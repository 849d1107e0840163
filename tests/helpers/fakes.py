"""Model-free stand-ins for the embedder: deterministic, fast, importable by child processes
and Ray workers (which unpickle them by reference, so they live in a module, not in a test)."""
from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from rag.embed import Embedder


class FakeEmbedder(Embedder):
    """Hashed character 3-grams: deterministic across processes, no model, fast."""

    name = "fake-hash"
    fingerprint = "fake-hash-v1"
    dim = 256

    def __init__(self) -> None:
        self._bucket: dict[str, int] = {}
        self.calls = 0  # texts embedded so far (lets tests see re-embedding)

    def _slot(self, gram: str) -> int:
        b = self._bucket.get(gram)
        if b is None:
            b = self._bucket[gram] = zlib.crc32(gram.encode("utf-8")) % self.dim
        return b

    def _one(self, text: str) -> np.ndarray:
        t = f" {text.lower()} "
        v = np.zeros(self.dim, dtype=np.float32)
        slots = [self._slot(t[i : i + 3]) for i in range(len(t) - 2)]
        if slots:
            np.add.at(v, slots, 1.0)
        n = float(np.linalg.norm(v))
        if n == 0.0:
            v[0] = 1.0
            return v
        return v / n

    def embed(self, texts: Sequence[str], kind) -> np.ndarray:  # kind is ignored on purpose
        self.calls += len(texts)
        if not len(texts):
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._one(t) for t in texts]).astype(np.float32)


class DyingEmbedder(FakeEmbedder):
    """Kills its own process at its first passage batch (the marker file says it did),
    or at every one without a marker: a worker lost mid-build, as to an OOM kill or a
    lost node."""

    def __init__(self, marker: str | None) -> None:
        super().__init__()
        self.marker = marker

    def embed(self, texts: Sequence[str], kind) -> np.ndarray:
        import os

        if kind == "passage" and self.marker is None:
            os._exit(1)
        if kind == "passage" and not os.path.exists(self.marker):
            with open(self.marker, "w") as f:
                f.write(str(os.getpid()))
            os._exit(1)  # no cleanup, no exception: the process is simply gone
        return super().embed(texts, kind)


class TokenEmbedder(FakeEmbedder):
    """A FakeEmbedder that hands token states as the default model's does (rag/embed.py
    `states`), recorded as the document student's so that a build keeps token codes: each
    word a token, its state the word's own hashed vector (context-free), dim 384 as e5's."""

    name = "fake-tokens"
    fingerprint = "fake-hash-v1+s10int8tok1"
    dim = 384
    reads_tokens = True

    def embed(self, texts: Sequence[str], kind, states=None) -> np.ndarray:
        import re

        if states is not None:
            for i, t in enumerate(texts):
                words = list(re.finditer(r"\S+", t))
                spans = np.array([m.span() for m in words], dtype=np.int64).reshape(-1, 2)
                vecs = np.stack([self._one(m.group()) for m in words]) if words else np.zeros((0, self.dim), np.float32)
                states(i, vecs, spans)
        return super().embed(texts, kind)
