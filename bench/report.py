"""bench.md from bench.json and scale.json (whichever exist in the folder)."""
from __future__ import annotations

import json
from pathlib import Path


def fmt(v, digits: int = 3) -> str:
    """Numbers for a table: None -> '—', floats trimmed, big ints with thousands separators."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.{digits}g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def table(head: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return out + ["| " + " | ".join(fmt(c) for c in r) + " |" for r in rows]


def machine_line(r: dict) -> str:
    a, b = r.get("machine_start", {}), r.get("machine_end", {})
    return (f"Measured {a.get('date')} on {a.get('cpus')} CPUs (shared with other agents), Python "
            f"{a.get('python')}; `uptime` before the run: `{a.get('uptime')}`; load average at the end "
            f"{b.get('loadavg')}.")


def build_md(r: dict) -> list[str]:
    b, k = r["build"], r["backends"]
    lines = ["## 1. Index build of the bundled corpus", "",
             (f"{b['files']} files, {b['chars']:,} characters -> {b['chunks']:,} chunks and {b['sentences']:,} "
              f"sentences. Pipeline = `rag.build` in a child process with the default embedder (ONNX Runtime) "
              f"loaded beforehand (import rag {b['import_seconds']} s, model load {b['model_load_seconds']} s; "
              f"the whole cold build {b['cold_build_seconds']} s). Baseline = `embed_passages` alone on the same "
              f"chunk and sentence texts, in fresh processes run just before and just after the build "
              f"({b['raw_encoder_runs_wall']} s; the faster one counts: other processes only add time)."), ""]
    lines += table(["figure", "pipeline", "baseline: raw encoder", "ratio raw / pipeline (target ≥ 0.9)"], [
        ["seconds (wall)", b["pipeline_seconds"], b["raw_encoder_seconds"], b["raw_over_pipeline"]],
        ["CPU seconds (of that process)", b["pipeline_cpu_seconds"], b["raw_encoder_cpu_seconds"],
         b["raw_over_pipeline_cpu"]],
        ["chunks/s", b["pipeline_chunks_per_s"], None, None],
        ["texts/s (chunks + sentences)", None, b["raw_encoder_texts_per_s"], None],
        ["tokens/s", None, b["raw_encoder_tokens_per_s"], None],
        ["embedding inside the build, wall s", b["build_embed_calls_seconds"], None, b["build_embed_over_pipeline"]],
        ["embedding inside the build, CPU s", b["build_embed_calls_cpu_seconds"], None,
         b["build_embed_over_pipeline_cpu"]],
    ])
    total = b["pipeline_seconds"]
    lines += ["", "Stages, each stage function timed alone on the same files (share = of the pipeline seconds):", ""]
    lines += table(["stage", "seconds", "share"], [[s, v, pct(v / total)] for s, v in b["stages"].items()])
    lines += ["", ("Stages inside the real `rag.build` (progress callback; embedding from the wrapped embedder): "
                   "chunk = clean + chunk + spans + language; write = FAISS + BM25 + files."), ""]
    lines += table(["stage", "seconds", "share"], [[s, v, pct(v / total)] for s, v in b["build_stages"].items()])
    lines += ["", ("On this shared CPU wall-clock ratios between processes carry the load drift between them "
                   "(see the load averages and the two baseline runs); CPU seconds move less, and the in-build "
                   "ratio (embedding inside the build / the whole build: one process, one time) not at all.")]
    lines += ["", (f"Backends on the same {k['texts']:,} texts (chunks + sentences), each in a fresh process "
                   f"(torch once, between the two ONNX runs {k['onnx_runs_wall']} s; the faster ONNX run counts):"), ""]
    lines += table(["backend", "model load s", "encode s", "texts/s", "speed vs torch", "encode CPU s",
                    "CPU speed vs torch"], [
        ["torch (sentence-transformers)", k["torch_load_seconds"], k["torch_seconds"], k["torch_texts_per_s"], 1.0,
         k.get("torch_cpu_seconds"), 1.0],
        ["ONNX Runtime (default: documents through the int8 student)", k["onnx_load_seconds"], k["onnx_seconds"], k["onnx_texts_per_s"],
         k["onnx_speedup_over_torch"], k.get("onnx_cpu_seconds"), k.get("onnx_cpu_speedup_over_torch")],
    ])
    lines += ["", f"max \\|cos − 1\\| between the two backends' vectors: {k['max_abs_cos_minus_1']:.2e} (torch encodes "
                  "documents with e5 in fp32, the default with its int8 student: not the same model by design; ONNX "
                  "in fp32 against torch is held to cosine ≥ 0.9999 by tests/test_onnx_slow.py)"]
    return lines


def queries_md(r: dict) -> list[str]:
    q, c = r["queries"], r["cold_start"]
    lines = ["## 2. Queries", "", (f"Warm, on the built index, {q['questions']} eval questions "
             f"({q['answerable']} answerable), one call at a time; baseline = the query encoder alone."), ""]
    rr = q["ratios"]
    lines += table(["call", "p50 ms", "p95 ms", "p50 / encoder p50", "recall@5"], [
        ["query encoder (embed_queries, 1 question)", q["encoder"]["p50_ms"], q["encoder"]["p95_ms"], 1.0, None],
        ["search, hybrid (default)", q["search"]["p50_ms"], q["search"]["p95_ms"], rr["search_over_encoder"],
         q["recall@5"]["hybrid"]],
        ["search, dense only", q["search_dense"]["p50_ms"], q["search_dense"]["p95_ms"],
         rr["search_dense_over_encoder"], q["recall@5"]["dense"]],
        ["ask", q["ask"]["p50_ms"], q["ask"]["p95_ms"], rr["ask_over_encoder"], None],
    ])
    bd = c["breakdown_s"]
    lines += ["", (f"Cold start: a fresh `python -c` that imports rag, loads the index and asks one question "
              f"(median of {c['runs']}; all runs {c['all_wall_s']} s); baseline = a bare interpreter."), ""]
    lines += table(["part", "seconds"], [
        ["import rag", bd["import_s"]], ["rag.load", bd["load_s"]], ["first ask", bd["first_ask_s"]],
        ["whole child (wall, parent's view)", c["wall_s"]], ["bare python -c (baseline)", c["bare_python_s"]],
    ])
    cr = c["ratios"]
    lines += ["", (f"cold / bare python: {fmt(cr['cold_over_bare_python'])}×; "
              f"first ask / warm ask p50: {fmt(cr['first_ask_over_warm_ask'])}×.")]
    return lines


def peer_md(r: dict) -> list[str]:
    p, q = r["peer"], r["queries"]
    lines = ["## 3. Peer: LangChain vector store, same chunks, same embedder", "",
             (f"`{p['peer']}` (versions {p['versions']}) over our {p['chunks']:,} chunk texts with "
              "source/start/end in the Document metadata and our chunk vectors (`from_embeddings`); queries go "
              "through a LangChain `Embeddings` wrapper of our embedder (embed_query → embed_queries, "
              "embed_documents → embed_passages). recall@5 by eval.run's overlap rule."), ""]
    lp = p["search"]["p50_ms"]
    lines += table(["system", "search p50 ms", "p95 ms", "recall@5", "p50 / peer p50"], [
        ["LangChain FAISS (peer)", lp, p["search"]["p95_ms"], p["recall@5"], 1.0],
        ["ours, dense only", q["search_dense"]["p50_ms"], q["search_dense"]["p95_ms"], q["recall@5"]["dense"],
         p["ratios"]["ours_dense_p50_over_peer"]],
        ["ours, hybrid (default)", q["search"]["p50_ms"], q["search"]["p95_ms"], q["recall@5"]["hybrid"],
         p["ratios"]["ours_hybrid_p50_over_peer"]],
    ])
    lines += ["", (f"Filling the peer store with the same chunk vectors (no re-encoding): {p['build_seconds']} s, "
              f"{fmt(p['ratios'].get('peer_fill_over_ours_structures'))}× our FAISS + BM25 build.")]
    return lines


def tutorial_md(r: dict) -> list[str]:
    t = r.get("tutorial")
    if not t:
        return []
    lines = ["## 3b. The tutorial pipeline (LangChain splitter + sentence-transformers + FAISS)", "",
             ("RecursiveCharacterTextSplitter 1000/150 over each file, multilingual-e5-small on "
              "sentence-transformers (torch, the same weights and prompts), FAISS flat inner product; "
              "a query = encode + search (bench/tutorial.py). Both builds timed cold in their own child "
              "process, imports and model load included, in the same run."), ""]
    lines += table(["figure", "tutorial", "ours", "ours / tutorial", "target"], [
        ["cold build s", round(t["cold_seconds"], 1), round(t["ours_cold_build_seconds"], 1),
         t["build_ratio"], f"≤ {t['target_build_ratio']}"],
        ["search p50 ms", round(t["search_p50_ms"], 2), t["ours_search_p50_ms"], t["search_ratio"],
         f"≤ {t['target_search_ratio']}"],
        ["recall@5 (eval questions)", t["recall@5"], t["ours_recall@5"], "", ""],
        ["texts embedded", f"{t['chunks']:,} chunks", "chunks + sentences (section 1)", "", ""],
    ])
    return lines


def memory_md(r: dict) -> list[str]:
    m = r["memory"]
    lines = ["## 5. Memory (peak RSS of a child process, VmHWM)", "",
             (f"Baseline: the same child's peak right after `import rag`. Index on disk: "
              f"{m['index_on_disk_mb']} MiB."), ""]
    b, q = m["build"], m["load_and_ask"]
    lines += table(["child", "peak RSS MiB", "after import rag MiB (baseline)", "ratio", "seconds (cold)"], [
        ["builds the index", b["peak_rss_mb"], b["rss_import_mb"], m["ratios"]["build_over_import"],
         b["seconds_cold"]],
        ["only embeds the same texts (section 1's baseline)", b.get("encoder_alone_peak_rss_mb"), None,
         m["ratios"].get("build_over_encoder_alone"), None],
        ["loads it and asks one question", q["peak_rss_mb"], q["rss_import_mb"],
         m["ratios"]["load_and_ask_over_import"], q["seconds_cold"]],
    ])
    lines += ["", "The build's ratio in the middle row is build peak / encoder-alone peak."]
    return lines


def scale_md(s: dict) -> list[str]:
    real = s["real"]
    lines = ["## 4. Scale study (synthetic e5-like vectors, dim 384)", "", machine_line(s), "",
             (f"v = normalize(base[random] + σ·N(0, I)) over the {real['chunks'] + real['sentences']:,} real chunk "
             f"and sentence vectors; σ per size by bisection so the median nearest-neighbour cosine matches the "
             f"real index's. {s['queries']} queries = the eval questions' vectors perturbed with the same σ. "
             f"Single-query latency, 2 OpenMP threads; recall@10 against exact search; efSearch / nprobe "
             f"raised until recall@10 ≥ {s['target_recall']}. Baseline: IndexFlatIP of the same size."), ""]
    rows = [["real index", None, *real["nn_cos"].values(), real["query_top1_cos"]["p50"]]]
    rows += [[f"{z['n']:,}", z["sigma"], *z["nn_cos"].values(), z["query_top1_cos"]["p50"]] for z in s["sizes"]]
    lines += table(["set", "σ", "NN cos p5", "p25", "p50", "p75", "p95", "query top-1 cos p50"], rows)
    big, n_base = s["sizes"][-1], real["chunks"] + real["sentences"]
    lines += ["", (f"Caveat of this generator: at N = {big['n']:,} each real vector has ~{big['n'] / n_base:.0f} "
                   f"perturbed copies, so nearest neighbours are near-tied siblings (NN cos p5–p95 "
                   f"{big['nn_cos']['p5']}–{big['nn_cos']['p95']} against the real {real['nn_cos']['p5']}–"
                   f"{real['nn_cos']['p95']}). That layout suits IVF (a sibling group falls into one list) and "
                   f"hurts HNSW (its neighbour lists fill with siblings); flat's cost does not depend on it.")]
    for z in s["sizes"]:
        lines += ["", f"**N = {z['n']:,}**", ""]
        rows = []
        for name, x in z["indexes"].items():
            param = {"hnsw": f"efSearch {x.get('efSearch')}",
                     "ivf": f"nlist {x.get('nlist')}, nprobe {x.get('nprobe')}",
                     "ivfpq": f"nlist {x.get('nlist')}, nprobe {x.get('nprobe')}, m {s['pq_m']}"}.get(name, "")
            if name == "hnsw" and not x["complete"]:
                param += (f"; stopped at {x['added']:,} rows after {x['build_seconds']} s, "
                          f"full build extrapolated {x['build_seconds_extrapolated']} s")
            if not x.get("reached", True):
                param += "; recall target not reached"
            v = x["vs_flat"]
            rows.append([name, param, x.get("build_seconds_extrapolated", x["build_seconds"]),
                         x["bytes_per_vector"], x["p50_ms"], x["p95_ms"], x["p50_ms_1thread"], x["recall@10"],
                         v["p50"], v["bytes"], v["build"]])
        lines += table(["index", "parameters", "build s", "bytes/vector", "p50 ms", "p95 ms", "p50 ms, 1 thread",
                        "recall@10", "p50 / flat", "bytes / flat", "build / flat"], rows)
    ru = s["rule"]
    lines += ["", (f"**Rule** (`bench.scale.choose_index_type`): flat while its measured p50 (interpolated as a "
                   f"power law between sizes) ≤ {ru['flat_budget_ms']} ms, i.e. N ≤ {ru['flat_max_n']:,}. Above "
                   f"that, the cheaper-to-build of HNSW / IVF among those reaching recall@10 ≥ "
                   f"{s['target_recall']} within {ru['flat_budget_ms']} ms, per size: {ru['ann_pick_by_size']}. "
                   f"HNSW's build fits {ru['hnsw_seconds_per_nlogn']:.3g} s · N ln N and reaches the "
                   f"{ru['build_budget_s']} s build budget at N ≈ {ru['hnsw_build_budget_n']:,}; "
                   f"HNSW up to N = {ru['hnsw_max_n']:,}, IVF above."),
              "", "Examples: " + ", ".join(f"{int(n):,} → {t}" for n, t in ru["examples"].items()) + ".",
              "", f"Constants in bench/scale.py: {ru['constants_in_code']}."]
    return lines


def render(bench: dict | None, scale: dict | None) -> str:
    lines = ["# Performance benchmark", ""]
    if bench:
        if bench.get("quick"):
            lines += ["**--quick run: tiny sizes to check the suite, not figures to quote.**", ""]
        lines += [machine_line(bench) + f" Whole run {bench['seconds']} s.", ""]
        lines += build_md(bench) + [""] + queries_md(bench) + [""] + peer_md(bench) + [""] + tutorial_md(bench) + [""]
    if scale:
        lines += scale_md(scale) + [""]
    if bench:
        lines += memory_md(bench) + [""]
    return "\n".join(lines)


def write_markdown(out: Path) -> Path:
    load = lambda name: json.loads((out / name).read_text(encoding="utf-8")) if (out / name).is_file() else None
    path = out / "bench.md"
    path.write_text(render(load("bench.json"), load("scale.json")), encoding="utf-8")
    return path
