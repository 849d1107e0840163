"""Our build and search against the tutorial pipeline's, alternating in one run (issue 29).

    python -m bench.versus [--rounds 2] [--out results/bench]

Each round runs, each in a fresh child process: our cold `rag.build` of the bundled corpus
(bench/pipeline.py's BUILD child: imports and model load included, with the build's stage
split), then our search over the index just built (SEARCH: warm p50 of the corpus questions),
then the tutorial pipeline (bench/tutorial.py: LangChain splitter + sentence-transformers +
FAISS, its cold build and search p50). Alternating rounds spread a shared CPU's load over
both systems; the ratios are of the medians. The full suite (`python -m bench.run`) has the
same comparison once, among much else; this is the quick one a build-speed change is judged by.
Writes OUT/versus.json and OUT/versus.md.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from .children import PEAK_RSS, run_child
from .pipeline import BUILD
from .run import CORPUS, log, machine
from .stats import ratio
from .tutorial import TUTORIAL

SEARCH = PEAK_RSS + r"""
import json, sys, time
import rag
idx = rag.load(sys.argv[1])
items = json.load(open(sys.argv[2], encoding="utf-8"))
idx.search("warm-up", k=10)
lat = []
for it in items:
    t = time.perf_counter()
    idx.search(it["q"], k=10)
    lat.append(time.perf_counter() - t)
lat.sort()
print(json.dumps({"search_p50_ms": 1000 * lat[len(lat) // 2], "docs": idx.settings.docs}))
"""


def run(rounds: int, out: Path) -> dict:
    from eval.run import load_questions

    files = sorted(str(f) for f in CORPUS.iterdir() if f.is_file())
    items = [{"q": it.question, "source": it.source, "start": it.span[0] if it.span else 0,
              "end": it.span[1] if it.span else 0} for it in load_questions()]
    res: dict = {"machine_start": machine(), "rounds": []}
    with tempfile.TemporaryDirectory(prefix="rag-versus-") as tmp:
        qfile = Path(tmp) / "questions.json"
        qfile.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        for r in range(rounds):
            folder = Path(tmp) / f"index-{r}"
            log(f"round {r + 1}/{rounds}: our build ...")
            ours = run_child(BUILD, [str(folder), *files])
            log(f"round {r + 1}/{rounds}: our search ...")
            search = run_child(SEARCH, [str(folder), str(qfile)])
            log(f"round {r + 1}/{rounds}: the tutorial pipeline ...")
            tut = run_child(TUTORIAL, [str(qfile), *files])
            res["rounds"].append({"ours_build_s": round(ours["cold_seconds"], 2), "ours_search_p50_ms":
                                  round(search["search_p50_ms"], 2), "docs": search["docs"],
                                  "ours_stages": ours["stages"], "ours_embed_s": ours["embed_calls_seconds"],
                                  "ours_model_load_s": round(ours["model_load_s"], 2),
                                  "tutorial_build_s": round(tut["cold_seconds"], 2),
                                  "tutorial_search_p50_ms": round(tut["search_p50_ms"], 2)})
    med = {k: statistics.median(x[k] for x in res["rounds"])
           for k in ("ours_build_s", "tutorial_build_s", "ours_search_p50_ms", "tutorial_search_p50_ms")}
    res["median"] = med
    res["build_ratio"] = ratio(med["ours_build_s"], med["tutorial_build_s"])
    res["search_ratio"] = ratio(med["ours_search_p50_ms"], med["tutorial_search_p50_ms"])
    res["machine_end"] = machine()
    out.mkdir(parents=True, exist_ok=True)
    (out / "versus.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    (out / "versus.md").write_text(markdown(res) + "\n", encoding="utf-8")
    return res


def markdown(res: dict) -> str:
    m = res["machine_start"]
    lines = ["# Ours against the tutorial pipeline (`python -m bench.versus`)", "",
             f"Measured {m['date']} on {m['cpus']} CPUs, load average at the start {m['loadavg']}, at the end "
             f"{res['machine_end']['loadavg']}; {len(res['rounds'])} alternating rounds, each build cold in its "
             f"own process (imports and model load included); our documents: {res['rounds'][0]['docs']}.", "",
             "| round | our build s | tutorial build s | our search p50 ms | tutorial search p50 ms |",
             "|---|---|---|---|---|"]
    for i, r in enumerate(res["rounds"], 1):
        lines.append(f"| {i} | {r['ours_build_s']} | {r['tutorial_build_s']} | {r['ours_search_p50_ms']} | "
                     f"{r['tutorial_search_p50_ms']} |")
    med = res["median"]
    lines += [f"| median | {med['ours_build_s']} | {med['tutorial_build_s']} | {med['ours_search_p50_ms']} | "
              f"{med['tutorial_search_p50_ms']} |", "",
              f"**Build: ours / tutorial = {res['build_ratio']}** (issue 29: ≤ 0.8; the project's goal ≤ 0.5). "
              f"**Search p50: ours / tutorial = {res['search_ratio']}** (≤ 1.0).", "",
              "Where our build's time goes (first round; seconds from each stage's first progress call to the "
              "next stage's, and the encoder calls' own total):", "",
              "| stage | seconds |", "|---|---|"]
    r0 = res["rounds"][0]
    lines += [f"| {k} | {round(v, 2)} |" for k, v in r0["ours_stages"].items()]
    lines += [f"| (model load, before the build) | {r0['ours_model_load_s']} |",
              f"| (inside the encoder, all stages) | {r0['ours_embed_s']} |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.versus", description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path("results/bench"))
    a = p.parse_args(argv)
    res = run(a.rounds, a.out)
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
