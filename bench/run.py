"""The benchmark suite: python -m bench.run [--out results/bench] [--quick].

Builds the bundled corpus into a temporary folder (never into index/), then
measures the build (section 1), queries (2), the LangChain peer (3) and
memory (5); the scale study (4) is `python -m bench.scale`, whose
scale.json in the same folder is folded into bench.md. --quick runs the
same code on the two smallest documents and a handful of questions, to
check the suite itself, not to report figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .children import ROOT
from .report import write_markdown
from .stats import ratio

CORPUS = ROOT / "data" / "corpus"
QUICK_FILES = 2  # the smallest documents
QUICK_QUESTIONS = 12


def machine() -> dict:
    """What the figures were measured on; the load average matters, the CPU is shared."""
    up = subprocess.run(["uptime"], check=False, capture_output=True, text=True).stdout.strip()
    return {"uptime": up, "loadavg": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
            "python": platform.python_version(), "backend": os.environ.get("RAG_BACKEND", "onnx"),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def corpus_paths(quick: bool) -> list[Path]:
    """The whole corpus folder, or (--quick) its smallest files, named as the folder names them."""
    if not quick:
        return [CORPUS]
    files = sorted((p for p in CORPUS.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    return sorted(files[:QUICK_FILES])


def questions(paths: list[Path], quick: bool) -> list:
    """eval's questions; --quick keeps those about the indexed files plus unanswerable ones."""
    from eval.run import load_questions

    items = load_questions()
    if quick:
        names = {p.name for p in paths}
        items = [it for it in items if it.source is None or it.source in names][:QUICK_QUESTIONS]
    return items


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(out: Path, quick: bool = False, cold_runs: int = 3) -> dict:
    import rag
    from rag.embed import load_embedder

    from .memory import memory_section
    from .peer import peer_section
    from .pipeline import build_section
    from .queries import cold_section, warm_section
    from .tutorial import tutorial_section

    res = {"quick": quick, "machine_start": machine()}
    paths = corpus_paths(quick)
    items = questions(paths, quick)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        tmp = Path(tmp)
        log("loading the default embedder ...")
        emb = load_embedder()  # for the write stage, the warm queries and the peer
        log("1. stage functions; children: ONNX alone, rag.build, torch alone, ONNX alone ...")
        sec = build_section(paths, tmp, emb)
        res["build"], res["backends"] = sec["build"], sec["backends"]
        log("2. warm queries ...")
        idx = rag.load(tmp / "index", model=emb)  # as the app opens it: from disk
        res["queries"] = warm_section(idx, items)
        log("2. cold start children ...")
        first = next((it.question for it in items if it.answerable), items[0].question)
        res["cold_start"] = cold_section(tmp / "index", first, 1 if quick else cold_runs,
                                         res["queries"]["ask"]["p50_ms"])
        log("3. LangChain peer ...")
        res["peer"] = peer_section(idx, items, res["queries"])
        res["peer"]["ratios"]["peer_fill_over_ours_structures"] = ratio(
            res["peer"]["build_seconds"], res["build"]["stages"]["search structures (FAISS+BM25)"], 2)
        log("3b. the tutorial pipeline (child) ...")
        res["tutorial"] = tutorial_section(paths, items, tmp, res["build"], res["queries"])
        res["memory"] = memory_section(sec["memory_build"], res["cold_start"], tmp / "index")
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["machine_end"] = machine()
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    write_markdown(out)
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--out", default="results/bench", help="folder for bench.json and bench.md")
    p.add_argument("--quick", action="store_true", help="tiny sizes: check the suite, not the figures")
    p.add_argument("--cold-runs", type=int, default=3, help="fresh processes for the cold start median")
    a = p.parse_args(argv)
    run(Path(a.out), a.quick, a.cold_runs)
    print(f"report: {Path(a.out) / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
