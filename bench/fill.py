"""A first start on other documents: the chat's wait, before and after indexing in parts.

    python -m bench.fill [--corpus data/corpus] [--out results/fill.json]

Before issue 14 the app built the whole index before the chat opened; now it fills
it in the background in parts, smallest file first (rag/background.py), and the chat
opens with the first part. Both in fresh child processes on the same files, in one
run, model loaded beforehand in each (the app loads it before starting either):
  build  rag.build (one commit): the chat's wait was all of it
  fill   Index.create + fill: the wait is the first part; the end is when all are done
Reported: seconds to the first searchable document and to the whole index, and the
ratios fill / build (the whole: the price of committing in parts; the first: the gain).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .children import ROOT, run_child
from .stats import ratio

CODE = r"""
import json, sys, tempfile, time
import rag
from rag.embed import load_embedder
emb = load_embedder()
emb.embed_passages(["warm up"])
mode, corpus = sys.argv[1], sys.argv[2]
out = tempfile.mkdtemp()
t0 = time.perf_counter()
marks = []
if mode == "build":
    idx = rag.build([corpus], out, model=emb)
else:
    idx = rag.Index.create(out, model=emb)
    def progress(stage, done, total):
        if stage == "files" and done:
            marks.append([done, total, round(time.perf_counter() - t0, 2)])
    idx.fill([corpus], progress=progress, replace_all=True)
total = time.perf_counter() - t0
first = marks[0][2] if marks else total
print(json.dumps({"seconds": round(total, 2), "first_s": first, "parts": marks,
                  "documents": len(idx.documents()), "chunks": len(idx.payload.chunks)}))
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fill")
    p.add_argument("--corpus", default=str(ROOT / "data" / "corpus"))
    p.add_argument("--out", default="results/fill.json")
    a = p.parse_args(argv)
    runs = {m: run_child(CODE, [m, a.corpus]) for m in ("build", "fill")}
    b, f = runs["build"], runs["fill"]
    if (b["documents"], b["chunks"]) != (f["documents"], f["chunks"]):
        raise SystemExit(f"fill and build differ: {b} / {f}")
    res = {"corpus": a.corpus, **runs,
           "first searchable: fill / build": ratio(f["first_s"], b["seconds"]),
           "whole index: fill / build": ratio(f["seconds"], b["seconds"])}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(f"build (one commit):   whole {b['seconds']:7.1f} s (the chat waited for all of it)")
    print(f"fill (in parts):      first {f['first_s']:7.1f} s, whole {f['seconds']:7.1f} s; parts {f['parts']}")
    print(f"fill / build: first searchable {res['first searchable: fill / build']}, "
          f"whole {res['whole index: fill / build']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
