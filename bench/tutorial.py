"""Section 3b: the tutorial pipeline, built and queried in its own child process.

What a newcomer would write from the LangChain tutorial: RecursiveCharacterTextSplitter
(1000 characters, 150 overlap) over each file, sentence-transformers multilingual-e5-small
on torch (the same converted weights; e5's query:/passage: prompts), a FAISS flat
inner-product index, and a query = encode the question + search. Its build is timed cold,
from the child's first line (imports and model load included), as our build child is
(section 1), so the two are measured the same way in the same run. Our figures over its:
the build (target ≤ 0.5) and the search p50 (target ≤ 1.0).
"""
from __future__ import annotations

import json
from pathlib import Path

from .children import PEAK_RSS, run_child
from .stats import ratio

TUTORIAL = PEAK_RSS + r"""
import json, sys, time
t0 = time.perf_counter()
import faiss
import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter
from sentence_transformers import SentenceTransformer
from rag.convert import ensure_e5_small  # the only offline copy of the weights (already converted)
model = SentenceTransformer(str(ensure_e5_small()), device="cpu", local_files_only=True)
t1 = time.perf_counter()
splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=150, add_start_index=True)
chunks = []
for path in sys.argv[2:]:
    name = path.rsplit("/", 1)[-1]
    with open(path, encoding="utf-8") as f:
        for d in splitter.create_documents([f.read()]):
            chunks.append((name, d.metadata["start_index"], d.page_content))
vecs = model.encode(["passage: " + c[2] for c in chunks], batch_size=32, normalize_embeddings=True)
index = faiss.IndexFlatIP(vecs.shape[1])
index.add(np.asarray(vecs, dtype=np.float32))
t2 = time.perf_counter()
items = json.load(open(sys.argv[1], encoding="utf-8"))
model.encode(["query: warm-up"], normalize_embeddings=True)
lat, found = [], []
for it in items:
    t = time.perf_counter()
    qv = model.encode(["query: " + it["q"]], normalize_embeddings=True)
    _, ids = index.search(np.asarray(qv, dtype=np.float32), 10)
    lat.append(time.perf_counter() - t)
    if it["source"] is not None:
        top = [chunks[i] for i in ids[0] if i >= 0][:5]
        found.append(any(s == it["source"] and a < it["end"] and it["start"] < a + len(x) for s, a, x in top))
print(json.dumps({"cold_seconds": t2 - t0, "model_load_s": t1 - t0, "chunks": len(chunks),
                  "search_p50_ms": 1000 * float(np.percentile(lat, 50)),
                  "search_p95_ms": 1000 * float(np.percentile(lat, 95)),
                  "recall@5": round(float(np.mean(found)), 3) if found else None, "peak_rss_mb": peak_rss_mb()}))
"""


def tutorial_section(paths: list[Path], items: list, tmp: Path, build: dict, queries: dict) -> dict:
    """Run the tutorial child; our cold build and hybrid search p50 over its (same run)."""
    files = sorted(str(f) for p in paths for f in ([p] if p.is_file() else sorted(p.iterdir())) if f.is_file())
    qfile = tmp / "tutorial-questions.json"
    qfile.write_text(json.dumps([{"q": it.question, "source": it.source,
                                  "start": it.span[0] if it.span else 0, "end": it.span[1] if it.span else 0}
                                 for it in items], ensure_ascii=False), encoding="utf-8")
    t = run_child(TUTORIAL, [str(qfile), *files])
    ours_build, ours_p50 = build["cold_build_seconds"], queries["search"]["p50_ms"]
    return {**{k: (round(v, 3) if isinstance(v, float) else v) for k, v in t.items()},
            "ours_cold_build_seconds": ours_build, "ours_search_p50_ms": ours_p50,
            "ours_recall@5": queries["recall@5"]["hybrid"],
            "build_ratio": ratio(ours_build, t["cold_seconds"]), "target_build_ratio": 0.5,
            "search_ratio": ratio(ours_p50, t["search_p50_ms"]), "target_search_ratio": 1.0}

