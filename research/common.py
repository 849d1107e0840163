"""Helpers shared by more than one experiment, kept here so that no script imports another.

XQuAD question making (research/reader_mlp.py, research/recipes/reader_ce.py): the
numbers and names a question holds, the near-miss question with one number swapped,
each paragraph's sentence rows in an eval.xquad index, and a ranking AUC.

The encoder's timing sample (research/shapes.py, research/fusion.py): the bundled
corpus's passages and sentences as a build embeds them, and one warm timed encoding.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np

from bench.children import ROOT

NUM = re.compile(r"\d+(?:[.,]\d+)?")
NAME = re.compile(r"\b[A-ZА-ЯЁ][\w-]{2,}")
# the shape every other is timed against: rag/embed.py OnnxEmbedder's batch and token budget, 2 threads (2 cores)
DEFAULT_SHAPE = {"threads": 2, "batch": 32, "token_budget": 512}


# ------------------------------------------------------- XQuAD questions
def paragraph_sentences(idx) -> dict[tuple[str, int], list[tuple[int, int, int]]]:
    """(lang, paragraph) -> sorted (start, end, sentence row) from an eval.xquad index."""
    out: dict = {}
    for c in idx.payload.chunks:
        lang, name = c.source.split("/")
        key = (lang, int(name[1:4]))
        for _a, _b, s, e, r in c.sents:
            out.setdefault(key, {})[(s, e)] = r
    return {k: sorted((s, e, r) for (s, e), r in v.items()) for k, v in out.items()}


def perturb(question: str, article_numbers: set[str], paragraph: str, rng) -> str | None:
    """The question with one number swapped for one of the article's that the paragraph lacks."""
    nums = [m for m in NUM.finditer(question)]
    if not nums:
        return None
    m = nums[rng.integers(len(nums))]
    pool = sorted(n for n in article_numbers if n not in paragraph and len(n) == len(m.group()))
    pool = pool or sorted(n for n in article_numbers if n not in paragraph)
    if not pool:
        return None
    return question[: m.start()] + pool[rng.integers(len(pool))] + question[m.end() :]


def auc(pos: list[float], neg: list[float]) -> float:
    """How often a positive scores above a negative (ties count half); NaN when a side is empty."""
    pos, neg = np.asarray(pos), np.asarray(neg)
    if not len(pos) or not len(neg):
        return float("nan")
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


# ------------------------------------------------- the encoder's sample
def corpus_texts(sample: int) -> list[str]:
    """Every k-th text of the length-sorted list, so short sentences and long passages are both in it."""
    from rag.chunk import process
    from rag.ingest import discover, read_document
    from rag.settings import Settings

    texts = []
    for path, source in discover([ROOT / "data" / "corpus"])[0]:
        p = process(read_document(path, source), Settings())
        texts += [c.text for c in p.chunks] + p.sentences
    texts.sort(key=len)
    step = max(1, len(texts) // sample)
    return texts[::step][:sample]


def timed(emb, texts: list[str]) -> tuple[float, np.ndarray]:
    """Seconds to encode `texts` after a short warm-up, and the vectors."""
    emb.embed_passages(texts[:: max(1, len(texts) // 32)])  # first runs of ONNX shapes are slow
    t = time.perf_counter()
    vecs = emb.embed_passages(texts)
    return time.perf_counter() - t, vecs


def write_json(res: dict, out: str | Path) -> None:
    """An experiment's results as JSON at `out` (its folder made)."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(res, indent=1), encoding="utf-8")

