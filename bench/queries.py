"""Section 2: warm search/ask latency and recall on the built index; cold start in a fresh process.

Warm figures are per call on a loaded index, over every eval question; the
baseline is the query encoder alone (embed_queries of one question), so
search_p50 / encoder_p50 says how much of a search is not the model.
"""
from __future__ import annotations

import time

from .children import PEAK_RSS, run_child
from .stats import hit_rate, latency_ms, median, ratio


def _time_each(fn, questions: list[str]) -> tuple[list, list[float]]:
    out, secs = [], []
    for q in questions:
        t = time.perf_counter()
        out.append(fn(q))
        secs.append(time.perf_counter() - t)
    return out, secs


def warm_section(idx, items: list, k: int = 10) -> dict:
    """p50/p95 of search (default hybrid and dense only), ask and the bare query encoder; recall@5."""
    from eval.run import judge

    qs = [it.question for it in items]
    idx.search(qs[0], k=k)  # warm-up, untimed: first calls pay for lazy set-up
    idx.ask(qs[0])
    _, enc = _time_each(lambda q: idx.embedder.embed_queries([q]), qs)
    hyb, s_h = _time_each(lambda q: idx.search(q, k=k), qs)
    den, s_d = _time_each(lambda q: idx.search(q, k=k, retriever="dense"), qs)
    _, s_a = _time_each(idx.ask, qs)
    ans = [i for i, it in enumerate(items) if it.answerable]
    res = {"questions": len(qs), "answerable": len(ans), "encoder": latency_ms(enc),
           "search": latency_ms(s_h), "search_dense": latency_ms(s_d), "ask": latency_ms(s_a),
           "recall@5": {"hybrid": hit_rate([judge(hyb[i], items[i]) for i in ans], 5),
                        "dense": hit_rate([judge(den[i], items[i]) for i in ans], 5)}}
    enc50 = res["encoder"]["p50_ms"]
    res["ratios"] = {"search_over_encoder": ratio(res["search"]["p50_ms"], enc50, 2),
                     "search_dense_over_encoder": ratio(res["search_dense"]["p50_ms"], enc50, 2),
                     "ask_over_encoder": ratio(res["ask"]["p50_ms"], enc50, 2),
                     "ask_over_search": ratio(res["ask"]["p50_ms"], res["search"]["p50_ms"], 2)}
    return res


COLD = PEAK_RSS + r"""
import json, sys, time
rss = peak_rss_mb
t0 = time.perf_counter()
import rag
t1 = time.perf_counter(); m1 = rss()
idx = rag.load(sys.argv[1])
t2 = time.perf_counter(); m2 = rss()
a = idx.ask(sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "first_ask_s": t3 - t2, "found": a.found,
                  "rss_import_mb": m1, "rss_load_mb": m2, "peak_rss_mb": rss()}))
"""

BARE = "import json; print(json.dumps({}))"  # the interpreter alone: the floor of any cold start


def cold_section(folder, question: str, runs: int, warm_ask_ms: float | None) -> dict:
    """Median of `runs` fresh processes that import rag, load the index and answer one question."""
    kids = [run_child(COLD, [str(folder), question]) for _ in range(runs)]
    bare = median([run_child(BARE, [])["wall_s"] for _ in range(runs)])
    pick = sorted(kids, key=lambda r: r["wall_s"])[len(kids) // 2]  # the median run, whole
    r3 = lambda x: round(x, 3)
    res = {"runs": runs, "question": question, "wall_s": r3(pick["wall_s"]),
           "breakdown_s": {k: r3(pick[k]) for k in ("import_s", "load_s", "first_ask_s")},
           "all_wall_s": [r3(r["wall_s"]) for r in kids], "bare_python_s": r3(bare),
           "peak_rss_mb": pick["peak_rss_mb"], "rss_import_mb": pick["rss_import_mb"],
           "rss_load_mb": pick["rss_load_mb"], "found": pick["found"]}
    res["ratios"] = {"cold_over_bare_python": ratio(res["wall_s"], bare, 1),
                     "first_ask_over_warm_ask": ratio(1000 * pick["first_ask_s"], warm_ask_ms, 1)}
    return res
