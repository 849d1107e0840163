"""From scale measurements to the thresholds of bench.scale.choose_index_type (pure arithmetic).

`sizes` are bench.scale's per-size results: {"n", "indexes": {"flat"|"hnsw"|"ivf": {"p50_ms",
"build_seconds", "reached", ...}}}. Costs are interpolated between measured sizes, never
assumed: flat's p50 as a power law, HNSW's build as c * n ln n.
"""
from __future__ import annotations

import math

import numpy as np


def crossing(ns, costs, limit: float) -> float:
    """The size at which a cost measured at sizes `ns` reaches `limit`: a power law through the
    two measured sizes around it (straight line in log-log), or through the nearest two outside
    the measured range. One point: cost taken as proportional to size."""
    pts = sorted((float(n), float(c)) for n, c in zip(ns, costs) if n > 0 and c and c > 0)
    if not pts:
        return float("inf")
    if len(pts) == 1:
        return pts[0][0] * limit / pts[0][1]
    i = next((j for j in range(len(pts) - 1) if pts[j + 1][1] >= limit), len(pts) - 2)
    (n0, c0), (n1, c1) = pts[i], pts[i + 1]
    slope = math.log(c1 / c0) / math.log(n1 / n0) if c1 > c0 and n1 > n0 else 1.0
    return math.exp(math.log(n0) + math.log(limit / c0) / slope)


def round_down(n: float, digits: int = 2) -> int:
    """Two significant figures, downwards: a threshold should not promise more than was measured."""
    if not math.isfinite(n):
        return 10**12
    if n <= 0:
        return 0
    e = 10 ** max(0, math.floor(math.log10(n)) - digits + 1)
    return int(n // e * e)


def solve_nlogn(c: float) -> float:
    """The n with n ln n = c (Newton's method; c > e)."""
    n = max(c / max(math.log(c), 1.0), 3.0)
    for _ in range(50):
        n -= (n * math.log(n) - c) / (math.log(n) + 1)
    return n


def build_seconds(x: dict) -> float:
    """A partial HNSW build counts at its extrapolated full time."""
    return x.get("build_seconds_extrapolated", x["build_seconds"])


def ann_pick(size: dict, budget_ms: float) -> str | None:
    """Of HNSW and IVF, the cheaper to build among those reaching the recall target within the
    query budget at this size; None when neither does."""
    ok = {t: x for t, x in size["indexes"].items()
          if t in ("hnsw", "ivf") and x["reached"] and x["p50_ms"] <= budget_ms}
    return min(ok, key=lambda t: build_seconds(ok[t])) if ok else None


def thresholds(sizes: list[dict], flat_budget_ms: float, build_budget_s: float) -> dict:
    """flat_max_n: where flat's measured p50 reaches flat_budget_ms. hnsw_max_n: where HNSW's
    build reaches build_budget_s -- unless IVF is the cheaper adequate index at every measured
    size, in which case HNSW never gets a band (hnsw_max_n = flat_max_n)."""
    ns = [z["n"] for z in sizes]
    flat_max = round_down(crossing(ns, [z["indexes"]["flat"]["p50_ms"] for z in sizes], flat_budget_ms))
    h = [(z["indexes"]["hnsw"]["build_seconds"], z["indexes"]["hnsw"]["added"]) for z in sizes]
    per = float(np.median([sec / (add * math.log(add)) for sec, add in h if add > 1 and sec > 0]))
    hnsw_fit_max = solve_nlogn(build_budget_s / per) if per > 0 else float("inf")
    picks = {str(z["n"]): ann_pick(z, flat_budget_ms) for z in sizes}
    ivf_everywhere = all(p == "ivf" for p in picks.values())
    hnsw_max = flat_max if ivf_everywhere else max(flat_max, round_down(hnsw_fit_max))
    return {"flat_budget_ms": flat_budget_ms, "flat_max_n": flat_max, "build_budget_s": build_budget_s,
            "hnsw_seconds_per_nlogn": per, "hnsw_build_budget_n": round_down(hnsw_fit_max),
            "ann_pick_by_size": picks, "ivf_everywhere": ivf_everywhere, "hnsw_max_n": hnsw_max}
