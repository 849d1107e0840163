"""The benchmark's pure helpers (bench/): no model, no corpus, a second or two."""
from __future__ import annotations

import math

import numpy as np
import pytest

from bench.encoders import raw_figures
from bench.pipeline import stage_durations
from bench.rule import crossing, round_down, solve_nlogn
from bench.scale import choose_index_type, derive_rule
from bench.stats import (
    cos_error,
    distribution,
    hit_rate,
    latency_ms,
    percentile,
    ratio,
    recall_at_k,
)
from bench.synth import normalize, perturbed_queries, synth_vectors, top1_cos


def test_percentile_and_latency():
    assert percentile([], 50) is None
    assert percentile([1, 2, 3, 4], 50) == 2.5
    lat = latency_ms([0.001] * 19 + [0.1])
    assert lat["n"] == 20 and lat["p50_ms"] == 1.0 and lat["p95_ms"] > 1.0
    assert latency_ms([])["p50_ms"] is None


def test_ratio_of_nothing_is_none():
    assert ratio(1, 4) == 0.25
    assert ratio(1, 0) is None and ratio(None, 2) is None and ratio(2, None) is None


def test_hit_rate_is_any_relevant_in_top_k():
    judged = [[False, True], [True], [False, False, False, False, False, True]]
    assert hit_rate(judged, 1) == round(1 / 3, 3)
    assert hit_rate(judged, 5) == round(2 / 3, 3)
    assert hit_rate([], 5) is None


def test_recall_at_k_on_a_toy():
    truth = np.array([[0, 1, 2], [3, 4, 5]])
    found = np.array([[2, 1, 9], [-1, -1, -1]])  # -1: FAISS' "nothing here"
    assert recall_at_k(found, truth, 3) == pytest.approx((2 / 3 + 0) / 2)
    assert recall_at_k(truth, truth, 3) == 1.0


def test_cos_error_and_distribution():
    a = normalize(np.random.default_rng(0).standard_normal((5, 8)))
    assert cos_error(a, a * 3) == pytest.approx(0, abs=1e-6)  # scale does not matter
    assert cos_error(a, -a) == pytest.approx(2, abs=1e-6)
    d = distribution(list(range(101)))
    assert d["p5"] == 5 and d["p50"] == 50 and d["p95"] == 95


def test_choose_index_type_is_monotone():
    order = {"flat": 0, "hnsw": 1, "ivf": 2}
    for flat_max, hnsw_max in ((100_000, 100_000), (50_000, 500_000), (None, None)):
        kw = {} if flat_max is None else {"flat_max": flat_max, "hnsw_max": hnsw_max}
        kinds = [choose_index_type(n, **kw) for n in np.unique(np.logspace(0, 8, 200).astype(int))]
        ranks = [order[k] for k in kinds]
        assert ranks == sorted(ranks) and kinds[0] == "flat" and kinds[-1] == "ivf"
    assert choose_index_type(60_000, 50_000, 500_000) == "hnsw"


def test_synthetic_vectors_shape_norm_and_seed():
    base = normalize(np.random.default_rng(1).standard_normal((30, 16)))
    x = synth_vectors(base, 500, 0.05, seed=7)
    assert x.shape == (500, 16) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-5)
    assert np.array_equal(x, synth_vectors(base, 500, 0.05, seed=7))
    # small noise: every synthetic vector stays next to a base vector
    assert (x @ base.T).max(axis=1).min() > 0.9
    q = perturbed_queries(base[:4], 10, 0.05)
    assert q.shape == (10, 16) and np.allclose(np.linalg.norm(q, axis=1), 1, atol=1e-5)


def test_top1_cos_skips_self():
    x = normalize(np.array([[1, 0], [1, 0.1], [0, 1]], dtype=np.float32))
    assert top1_cos(x, x)[0] == pytest.approx(1)
    nn = top1_cos(x, x, np.arange(3))
    assert nn[0] == pytest.approx(float(x[0] @ x[1]), abs=1e-6) and nn[2] < 0.2


def test_stage_durations():
    d = stage_durations({"read": 0.0, "chunk": 1.0, "embed": 1.5, "write": 4.0}, end=4.5)
    assert d == {"read": 1.0, "chunk": 0.5, "embed": 2.5, "write": 0.5}


def test_raw_baseline_is_the_faster_bracketing_run():
    run = lambda t, s: {"texts": {"wall": t, "cpu": 2 * t}, "sents": {"wall": s, "cpu": 2 * s}, "wall": t + s,
                        "cpu": 2 * (t + s), "load_s": 1.0, "peak_rss_mb": 100 + t}
    r = raw_figures([run(10, 2), run(14, 4)])
    assert r["embed chunks"] == 10 and r["embed sentences"] == 2 and r["wall"] == 12 and r["cpu"] == 24
    assert r["runs_wall"] == [12, 18] and r["peak_rss_mb"] == 114


def test_rule_arithmetic():
    assert crossing([10_000, 100_000], [0.5, 5.0], 5.0) == pytest.approx(100_000)
    assert crossing([10_000, 100_000], [0.5, 5.0], 50.0) == pytest.approx(1_000_000)  # extrapolated
    assert crossing([1000], [1.0], 2.0) == pytest.approx(2000)
    assert round_down(123_456) == 120_000 and round_down(99) == 99 and round_down(0) == 0
    n = solve_nlogn(1e6)
    assert n * math.log(n) == pytest.approx(1e6)


def _size(n, flat_ms, hnsw, ivf):
    idx = lambda build, p50, **kw: {"build_seconds": build, "p50_ms": p50, "reached": True, **kw}
    return {"n": n, "indexes": {"flat": idx(0.01, flat_ms), "hnsw": idx(*hnsw, added=n),
                                "ivf": idx(*ivf)}}


def test_derive_rule_on_toy_measurements():
    sizes = [_size(10_000, 0.5, (1.0, 0.1), (0.5, 0.1)), _size(100_000, 5.0, (15.0, 0.2), (5.0, 0.3))]
    r = derive_rule(sizes)
    assert r["flat_max_n"] == 100_000
    assert r["ivf_everywhere"] and r["hnsw_max_n"] == r["flat_max_n"]  # IVF builds cheaper: no HNSW band
    sizes = [_size(10_000, 0.5, (0.2, 0.1), (0.5, 0.1)), _size(100_000, 5.0, (3.0, 0.2), (5.0, 0.3))]
    r = derive_rule(sizes)
    assert not r["ivf_everywhere"] and r["hnsw_max_n"] > r["flat_max_n"]


def test_langchain_wrapper_keeps_query_and_passage_apart():
    from bench.peer import RagEmbeddings

    class Fake:
        def embed_passages(self, texts):
            return np.ones((len(texts), 3), np.float32)

        def embed_queries(self, texts):
            return np.zeros((len(texts), 3), np.float32)

    e = RagEmbeddings(Fake())
    assert e.embed_documents(["a", "b"]) == [[1.0] * 3] * 2
    assert e.embed_query("q") == [0.0] * 3


def test_versus_report_gives_the_ratios_of_the_medians_and_the_stage_split():
    from bench.versus import markdown

    rounds = [{"ours_build_s": b, "tutorial_build_s": t, "ours_search_p50_ms": 10.0, "tutorial_search_p50_ms": 20.0,
               "docs": "int8", "ours_stages": {"read": 0.1, "embed": 50.0}, "ours_embed_s": 49.5,
               "ours_model_load_s": 1.5} for b, t in ((60.0, 90.0), (70.0, 80.0))]
    res = {"machine_start": {"date": "d", "cpus": 2, "loadavg": [1.0]}, "machine_end": {"loadavg": [1.0]},
           "rounds": rounds, "median": {"ours_build_s": 65.0, "tutorial_build_s": 85.0, "ours_search_p50_ms": 10.0,
                                        "tutorial_search_p50_ms": 20.0},
           "build_ratio": ratio(65.0, 85.0), "search_ratio": ratio(10.0, 20.0)}
    md = markdown(res)
    assert "ours / tutorial = 0.765" in md and "ours / tutorial = 0.5" in md
    assert "| embed | 50.0 |" in md and "our documents: int8" in md and "| 2 | 70.0 | 80.0 |" in md
