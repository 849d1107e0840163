"""The reader's cost (issue 13, stage 5): search and ask with and without it.

    python -m bench.reader [--index index] [--out results/reader_bench.json] [--variants]

Warm, one call at a time, over every eval question, on a loaded index of the default
model; the baseline is the query encoder alone (embed_queries of one question), measured
in the same run. The reader loads (and on a first run exports itself to ONNX) before
timing starts. Budget (issue 13): search with the reader p50 <= 250 ms, ask <= 400 ms.

--variants: the choices behind the shipped reader, each on the corpus set (r@5, MRR@10, the
slices down by more than 0.02 against the hybrid, search p50): fp32 or int8 ONNX, a batch
of up to 32 pairs or one pair per run, 8 / 10 / 15 sentences. Also how far int8 logits move
when the same pairs are batched (max |batched - alone|), and how far the fp32 export is from
the training's own torch forward (research/recipes/reader_ce.py: full_scorer) on the same pairs.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .queries import _time_each
from .stats import latency_ms, ratio


def measure(idx, questions: list[str]) -> dict:
    idx.search(questions[0], retriever="hybrid+reader")  # loads the reader, untimed
    _, enc = _time_each(lambda q: idx.embedder.embed_queries([q]), questions)
    rows = {"query encoder": enc}
    _, rows["search, hybrid (default)"] = _time_each(lambda q: idx.search(q, k=10), questions)
    _, rows["search, hybrid + reader"] = _time_each(lambda q: idx.search(q, k=10, retriever="hybrid+reader"),
                                                    questions)
    _, rows["ask (default)"] = _time_each(idx.ask, questions)
    idx.reconfigure(reader=True)
    try:
        _, rows["ask, reader on"] = _time_each(idx.ask, questions)
    finally:
        idx.reconfigure(reader=False)
    out = {name: latency_ms(s) for name, s in rows.items()}
    enc50 = out["query encoder"]["p50_ms"]
    for v in out.values():
        v["p50 / encoder p50"] = ratio(v["p50_ms"], enc50, 2)
    return out


VARIANTS = [("fp32", 32, 8), ("fp32", 32, 15), ("int8", 32, 10), ("int8", 1, 10), ("int8", 1, 15)]


def variants(idx, items, work: Path) -> dict:
    """The table of --variants (see the module's doc)."""
    from research.recipes.reader_ce import full_scorer
    from eval.run import evaluate, evaluate_search
    from rag.convert import ensure_e5_small
    from rag.read import ADAPTER, Reader, ensure_reader_onnx, export_merged

    folder = ensure_e5_small()
    files = {"int8": ensure_reader_onnx(folder), "fp32": work / "reader-fp32.onnx"}
    if not files["fp32"].exists():
        work.mkdir(parents=True, exist_ok=True)
        export_merged(folder, ADAPTER, files["fp32"])
    s = idx.searcher
    base = evaluate(idx, items, "hybrid")
    out, calls = {}, []
    for precision, batch, m in VARIANTS:
        reader = Reader(folder, onnx_file=files[precision], batch=batch)

        def score(q, sents, cos, reader=reader):
            calls.append((q, list(sents), list(cos)))
            return reader.score(q, sents, cos)

        rr = s.rerank_by(score, m)
        c = evaluate_search(lambda q, n, rr=rr: [s.hit(x.row, x.score) for x in rr.search(s.query(q), n)],
                            items, "hybrid+reader")
        a = c["slices"]["all"]
        down = {f"{sl} {k}": round(v[k] - base["slices"][sl][k], 3) for sl, v in c["slices"].items()
                for k in ("r@5", "mrr@10") if v[k] - base["slices"][sl][k] < -0.02}
        out[f"{precision}, batch {batch}, {m} sentences"] = {"r@5": a["r@5"], "mrr@10": a["mrr@10"],
                                                            "search_p50_ms": c["search"]["p50_ms"],
                                                            "slices down > 0.02": down}
    sample = calls[:40]  # pairs the rerank really read
    alone, batched = Reader(folder, onnx_file=files["int8"], batch=1), Reader(folder, onnx_file=files["int8"], batch=32)
    fp32, train = Reader(folder, onnx_file=files["fp32"], batch=32), full_scorer(ADAPTER)
    shift = max(float(abs(batched.score(*c) - alone.score(*c)).max()) for c in sample)
    gap = max(float(abs(fp32.score(*c) - train(c[0], c[1], c[2])).max()) for c in sample)
    return {"hybrid": {"r@5": base["slices"]["all"]["r@5"], "mrr@10": base["slices"]["all"]["mrr@10"],
                       "search_p50_ms": base["search"]["p50_ms"]},
            "variants": out, "int8 logit, batched vs alone: max |difference|": round(shift, 3),
            "fp32 export vs training forward: max |difference|": float(f"{gap:.2g}"), "pairs compared": len(sample)}


def main(argv: list[str] | None = None) -> int:
    import os

    import rag
    from eval.run import load_questions

    p = argparse.ArgumentParser(prog="python -m bench.reader", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", default="index")
    p.add_argument("--out", default="results/reader_bench.json")
    p.add_argument("--variants", action="store_true", help="also the fp32/int8, batch and sentence variants")
    a = p.parse_args(argv)
    idx = rag.load(a.index)
    res = {"questions": 0, "cpus": os.cpu_count(), "loadavg_before": os.getloadavg(),
           "reader_sentences": idx.settings.reader_sentences, "reader_depth": idx.settings.reader_depth}
    items = load_questions()
    qs = [it.question for it in items]
    res.update(questions=len(qs), calls=measure(idx, qs), loadavg_after=os.getloadavg())
    if a.variants:
        res.update(variants(idx, items, Path(a.out).parent / "reader-bench"))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(f"{'call':28} {'p50 ms':>8} {'p95 ms':>8} {'p50 / encoder':>14}")
    for name, v in res["calls"].items():
        print(f"{name:28} {v['p50_ms']:8.1f} {v['p95_ms']:8.1f} {v['p50 / encoder p50']:14}")
    if a.variants:
        print(json.dumps({k: v for k, v in res.items() if k not in ("calls",)}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
