"""Local vs Ray build of the bundled corpus: python -m bench.ray_build [--actors N] [--out results/ray_build.json]

Builds the same files twice into temporary folders: once in this process
(`rag.build`), once on a local Ray cluster started here (`rag.build(...,
ray=True)`: Ray tasks read and chunk, an actor pool embeds). Reports both
build times (and the Ray start-up apart), their ratio, the largest vector
difference, and whether every eval question's top 10 is the same.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from .children import ROOT
from .stats import ratio


def main(argv: list[str] | None = None) -> int:
    import ray

    import rag
    from eval.run import load_questions
    from rag.distributed import on_ray
    from rag.embed import load_embedder
    from rag.generation import Generation
    from rag.writer import IndexWriter

    ap = argparse.ArgumentParser(prog="python -m bench.ray_build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--actors", type=int, default=None, help="embedding actors (default: one per CPU)")
    ap.add_argument("--out", default=str(ROOT / "results" / "ray_build.json"))
    a = ap.parse_args(argv)
    corpus = ROOT / "data" / "corpus"
    with tempfile.TemporaryDirectory() as tmp:
        load_embedder()  # converts the model into its cache once, outside both timings
        t = time.perf_counter()
        local = rag.build([corpus], Path(tmp) / "local")
        local_s = time.perf_counter() - t
        t = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        start_s = time.perf_counter() - t
        t = time.perf_counter()
        # the writer with the Ray executor, as rag.build(ray=True) composes them, with --actors
        settings = rag.Settings()
        with on_ray([corpus], None, settings, None, actors=a.actors) as ex:
            w = IndexWriter(Path(tmp) / "ray", ex.embedder, settings, Generation.empty(ex.embedder, settings))
            w.update([corpus], replace_all=True, executor=ex)
        ray_s = time.perf_counter() - t
        dist = rag.load(Path(tmp) / "ray")
        ray.shutdown()
        qs = [it.question for it in load_questions()]
        same = sum([h.chunk_id for h in local.search(q, k=10)] == [h.chunk_id for h in dist.search(q, k=10)]
                   for q in qs)
        out = {
            "chunks": len(local.payload.chunks), "cpus": os.cpu_count(), "loadavg": os.getloadavg(),
            "local_build_s": round(local_s, 1), "ray_start_s": round(start_s, 1), "ray_build_s": round(ray_s, 1),
            "ray_over_local": ratio(ray_s, local_s), "ray_with_start_over_local": ratio(ray_s + start_s, local_s),
            "max_vector_diff": float(max(np.abs(local.payload.chunk_vectors - dist.payload.chunk_vectors).max(),
                                         np.abs(local.payload.sent_vectors - dist.payload.sent_vectors).max())),
            "same_chunk_ids": [c.id for c in local.payload.chunks] == [c.id for c in dist.payload.chunks],
            "same_top10": f"{same}/{len(qs)}",
            "driver_peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
