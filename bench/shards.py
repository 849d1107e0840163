"""Sharded vs one-shard search: python -m bench.shards [--index index] [--shards 3] [--out results/shards.json]

Copies a one-shard index of the bundled corpus (built into a temporary folder
when --index has none), reshards the copy (nothing is re-embedded) and runs
every eval question through both: search with each retriever and with a
language and a document filter (k=10), and ask (k=5). Reports how many result
lists are identical, the largest score difference, and the sharded index's
search and ask p50 as a ratio to the one-shard index, measured in the same
run, interleaved.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .children import ROOT

VARIANTS = ({}, {"retriever": "dense"}, {"retriever": "bm25"}, {"langs": ["ru"]}, "ru_doc")


@dataclass
class Snapshot:
    """Everything a user sees, per question: hit lists of each retriever, filtered
    hit lists, and the answer (found, passages, quotes); scores kept apart."""

    lists: list[list] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)

    def add(self, ids: list, scores: list[float]) -> None:
        self.lists.append(ids)
        self.scores.extend(scores)


def snapshot(idx, questions: list[str]) -> Snapshot:
    ru_doc = next(d.source for d in idx.documents() if "ru" in d.langs)
    out = Snapshot()
    for q in questions:
        for kw in VARIANTS:
            hits = idx.search(q, k=10, **({"sources": [ru_doc]} if kw == "ru_doc" else kw))
            out.add([h.chunk_id for h in hits], [h.score for h in hits])
        a = idx.ask(q, k=5)
        out.add([a.found, a.evidence is None] + [h.chunk_id for h in a.hits]
                + [(h.source, h.start, h.end) for h in a.quotes],
                [a.evidence or 0.0] + [h.score for h in a.hits + a.quotes])
    return out


def compare(a: Snapshot, b: Snapshot, atol: float = 0.0) -> dict:
    """Same passages and quotes in the same order everywhere, scores within `atol`.

    Exact (flat) shards give bit-identical scores: every cosine is a function
    of its row alone (rag.retrieve.base.cosines), each shard selects by the
    same total order as one index (rag.retrieve.base.top) and BM25 shards
    carry the whole index's statistics. ANN shards (IVF/HNSW, large shards
    only) are approximate and are compared with a tolerance, if at all."""
    same_lists = sum(x == y for x, y in zip(a.lists, b.lists))
    diff = float(np.max(np.abs(np.subtract(a.scores, b.scores)))) if len(a.scores) == len(b.scores) else float("inf")
    return {"lists": len(a.lists), "identical_lists": same_lists, "max_score_diff": diff,
            "identical": same_lists == len(a.lists) == len(b.lists) and diff <= atol}


def p50_ms(fn, questions: list[str]) -> float:
    times = []
    for q in questions:
        t0 = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    import rag
    from eval.run import load_questions

    ap = argparse.ArgumentParser(prog="python -m bench.shards", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default=str(ROOT / "index"), help="a one-shard index of the bundled corpus")
    ap.add_argument("--shards", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "results" / "shards.json"))
    a = ap.parse_args(argv)
    questions = [it.question for it in load_questions()]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(a.index)
        if not (src / "manifest.json").exists():
            print(f"no index at {src}: building the bundled corpus into a temporary folder")
            src = rag.build([ROOT / "data" / "corpus"], Path(tmp) / "one").folder
        one = rag.load(src)
        if one.settings.shards != 1:
            raise SystemExit(f"{src} has {one.settings.shards} shards; give a one-shard index")
        shutil.copytree(src, Path(tmp) / "sharded")
        sharded = rag.load(Path(tmp) / "sharded")
        sharded.reshard(a.shards)
        sharded = rag.load(sharded.folder)  # searched from the shard files, as a user would
        res = compare(snapshot(one, questions), snapshot(sharded, questions))
        for idx in (one, sharded):  # warm up both before timing
            idx.ask(questions[0])
        timing = {}
        for name, call in (("search", lambda i: lambda q: i.search(q, k=10)), ("ask", lambda i: lambda q: i.ask(q))):
            base, shard = [], []
            for q in questions:  # interleaved: both see the same machine load
                base.append(p50_ms(call(one), [q]))
                shard.append(p50_ms(call(sharded), [q]))
            timing[name] = {"one_shard_p50_ms": round(statistics.median(base), 2),
                            "sharded_p50_ms": round(statistics.median(shard), 2),
                            "ratio": round(statistics.median(shard) / statistics.median(base), 2)}
        rows = [len(r) for r in rag.store.shard_rows(sharded.payload.chunks, a.shards)]
    out = {"questions": len(questions), "shards": a.shards, "chunks_per_shard": rows, **res, **timing}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0 if res["identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
