"""The reader's cost (issue 13, stage 5): search and ask with and without it.

    python -m bench.reader [--index index] [--out results/reader_bench.json]

Warm, one call at a time, over every eval question, on a loaded index of the default
model; the baseline is the query encoder alone (embed_queries of one question), measured
in the same run. The reader loads (and on a first run exports itself to ONNX) before
timing starts. Budget (issue 13): search with the reader p50 <= 250 ms, ask <= 400 ms.
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


def main(argv: list[str] | None = None) -> int:
    import os

    import rag
    from eval.run import load_questions

    p = argparse.ArgumentParser(prog="python -m bench.reader", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", default="index")
    p.add_argument("--out", default="results/reader_bench.json")
    a = p.parse_args(argv)
    idx = rag.load(a.index)
    res = {"questions": 0, "cpus": os.cpu_count(), "loadavg_before": os.getloadavg(),
           "reader_sentences": idx.settings.reader_sentences, "reader_depth": idx.settings.reader_depth}
    qs = [it.question for it in load_questions()]
    res.update(questions=len(qs), calls=measure(idx, qs), loadavg_after=os.getloadavg())
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(f"{'call':28} {'p50 ms':>8} {'p95 ms':>8} {'p50 / encoder':>14}")
    for name, v in res["calls"].items():
        print(f"{name:28} {v['p50_ms']:8.1f} {v['p95_ms']:8.1f} {v['p50 / encoder p50']:14}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
