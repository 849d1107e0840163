"""Token codes: the quote read token by token (stage 7's reading feature, issue 27).

The quote's other features compare the question with a sentence as two mean vectors and as
words. Here each question token looks for its best match among the sentence's tokens, as the
document encoder read them *inside the sentence's passage* (so "It" in "It is also known as the
plastome" carries what it refers to): ColBERT's late interaction, through a small head trained
on XQuAD's training articles (research/quote_head.py measured it, research/recipes/quote_head.py
made rag/models/quote-head.safetensors):

    score(q, s) = sum_i a_i * max_t cos(W (q_i - mu), sign(W (s_t - mu)))

A build keeps each sentence's tokens as the d signs of W (s_t - mu), d / 8 bytes a token
(`TokenHead.codes`), and the head's digest in the manifest (codes of another head mean
nothing); a question's tokens come from the encoding it gets anyway. ask() adds the score,
centred over the question's candidates (`TokenHead.column`), to the quote's features, weighed
by Settings.token_quote_weights.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .embed import docs_encoder

HEAD = Path(__file__).resolve().parent / "models" / "quote-head.safetensors"


@dataclass(frozen=True)
class Ragged:
    """Rows of different lengths in one array: row i is data[offsets[i]:offsets[i + 1]]
    (each sentence's token codes, in the order of the sentence vectors' rows)."""

    data: np.ndarray  # uint8 [tokens, bytes a token]
    offsets: np.ndarray  # int64 [rows + 1], offsets[0] == 0

    @classmethod
    def of(cls, rows: list[np.ndarray], width: int) -> Ragged:
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        data = np.concatenate(rows).astype(np.uint8) if rows and lengths.sum() else np.zeros((0, width), np.uint8)
        return cls(data.reshape(-1, width), np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def width(self) -> int:
        return self.data.shape[1]

    def row(self, i: int) -> np.ndarray:
        return self.data[self.offsets[i] : self.offsets[i + 1]]

    def take(self, rows) -> Ragged:
        return Ragged.of([self.row(int(i)) for i in rows], self.width)

    @staticmethod
    def concat(parts: list[Ragged], width: int) -> Ragged:
        return Ragged.of([p.row(i) for p in parts for i in range(len(p))], width)

    def check(self, rows: int) -> str | None:
        """What is wrong with these arrays as codes of `rows` sentences, or None."""
        o = self.offsets
        if self.data.ndim != 2 or self.data.dtype != np.uint8 or o.ndim != 1 or len(o) != rows + 1:
            return f"token codes of shape {self.data.shape} / {o.shape} for {rows} sentences"
        if o[0] != 0 or o[-1] != len(self.data) or (np.diff(o) < 0).any():
            return "token code offsets out of order"
        return None


def inside(spans: np.ndarray, start: int, end: int) -> np.ndarray:
    """Which tokens (character spans in the passage, [n, 2]) lie within [start, end)."""
    return np.flatnonzero((spans[:, 0] >= start) & (spans[:, 1] <= end) & (spans[:, 1] > spans[:, 0]))


class TokenHead:
    """W (dim x d), mu (dim), v (dim): the trained head; `scale`: its centred scores' spread on
    the training questions (the feature is read in those units); `digest`: which file it is."""

    def __init__(self, W: np.ndarray, mu: np.ndarray, v: np.ndarray, scale: float = 1.0, digest: str = ""):
        self.W, self.mu, self.v = (np.asarray(x, dtype=np.float32) for x in (W, mu, v))
        self.d, self.scale, self.digest = self.W.shape[1], float(scale), digest
        if self.d % 8 or self.W.shape[0] != len(self.mu) or len(self.v) != len(self.mu):
            raise ValueError(f"not a token head: W {self.W.shape}, mu {self.mu.shape}, v {self.v.shape}")

    @property
    def width(self) -> int:
        return self.d // 8

    def codes(self, states: np.ndarray) -> np.ndarray:
        """Passage token states [n, dim] -> their signs, packed: uint8 [n, d / 8]."""
        return np.packbits((np.asarray(states, np.float32) - self.mu) @ self.W > 0, axis=1)

    def scores(self, q_states: np.ndarray, rows: list[np.ndarray]) -> np.ndarray:
        """The question's token states [k, dim] against each sentence's codes; NaN for a
        sentence without codes (its tokens were cut off its passage)."""
        q = np.asarray(q_states, np.float32)
        qp = (q - self.mu) @ self.W
        qp /= np.maximum(np.linalg.norm(qp, axis=1, keepdims=True), 1e-12)
        a = np.exp(q @ self.v - (q @ self.v).max())
        a /= a.sum()
        out = np.full(len(rows), np.nan)
        for j, c in enumerate(rows):
            if len(c):
                signs = np.unpackbits(c, axis=1, count=self.d).astype(np.float32) * 2 - 1
                out[j] = float(a @ (qp @ signs.T).max(1)) / np.sqrt(self.d)
        return out

    def column(self, q_states: np.ndarray, rows: list[np.ndarray]) -> np.ndarray:
        """The quote's "tokens" feature of one question's candidates: `scores`, a sentence
        without codes as its least similar, centred over the candidates, in units of `scale`
        (research/quote_head.py head_column)."""
        s = self.scores(q_states, rows)
        if np.isnan(s).all():
            return np.zeros(len(rows))
        s = np.where(np.isnan(s), np.nanmin(s), s)
        return (s - s.mean()) / self.scale


def index_head(model: dict, codes: Ragged | None, sentences: int = 0) -> tuple[TokenHead | None, str | None]:
    """The head to read an index's token codes with (`model`: its manifest's model entry), or
    None; and what a user should know when the codes cannot be read, or are missing where a
    build today would write them (an index of `sentences` sentences read by the student)."""
    if codes is None:
        if sentences and reads_student(model.get("fingerprint")):
            return None, ("this index keeps no token codes (built before 2026-12-05, added to after the token head "
                          "changed, or while its file was unreadable), so the quote is chosen without the token "
                          "head until the index is built again")
        return None, None
    try:
        head = load_head()
    except ValueError as e:
        return None, f"the quote is chosen without the token head: {e}"
    if model.get("quote_head") != head.digest or codes.width != head.width:
        return None, ("this index's token codes were written by another token head; the quote is chosen "
                      "without them until the index is built again")
    return head, None


def question_encoder(embedder, cache: dict):
    """text -> the question's vector (rag/retrieve/base.py Query.embed); where the embedder hands
    token states, each text's tokens' states go into cache[("tokens", text)] from the same run
    (a question's gloss is encoded too, rag/searcher.py cross_vector: kept apart by its text)."""
    if not embedder.reads_tokens:
        return lambda text: embedder.embed_queries([text])[0]

    def encode(text: str) -> np.ndarray:
        return embedder.embed([text], "query", states=lambda _i, states, _spans: cache.__setitem__(("tokens", text), states))[0]
    return encode


def token_column(head: TokenHead | None, q_states: np.ndarray | None, codes: Ragged | None,
                 rows: list[int]) -> np.ndarray | None:
    """The "tokens" feature of ask()'s candidates (their sentence rows), or None where there is
    no head, no question states or no codes to read (the quote then weighs the other features)."""
    if head is None or q_states is None or codes is None or not rows:
        return None
    return head.column(q_states, [codes.row(r) for r in rows])


@lru_cache(maxsize=4)
def load_head(path: Path = HEAD) -> TokenHead:
    """The shipped head; ValueError naming the file when it is missing or not a head."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        raw = Path(path).read_bytes()  # read once: the tensors and the digest
        t = load(raw)
        digest = hashlib.sha256(raw).hexdigest()[:16]
        return TokenHead(t["W"], t["mu"], t["v"], float(t["scale"][0]) if "scale" in t else 1.0, digest)
    except (OSError, SafetensorError, KeyError) as e:
        raise ValueError(f"{path}: not a readable token head ({e})") from e


def reads_student(fingerprint: str | None) -> bool:
    """Whether an index of this fingerprint had its documents read by the student: the states
    the head was trained on, so that a build writes token codes."""
    return docs_encoder(fingerprint) == "student"


def build_head(fingerprint: str) -> TokenHead | None:
    """The head a build writes token codes with: the shipped one where the documents are read
    by the student (the states it was trained on), else None; None too when its file is broken
    (the index then keeps no codes and the quote weighs its other features)."""
    if not reads_student(fingerprint):
        return None
    try:
        return load_head()
    except ValueError:
        return None
