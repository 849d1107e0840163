"""Section 1: index build of the corpus, stage by stage, against the raw encoder.

The stages are timed by calling rag's own stage functions on the same files
(rag/ is not instrumented). The whole pipeline is a real rag.build in a
child process (which also gives its peak memory, section 5), with the
embedder wrapped so the child knows when embedding starts and how long it
takes. The baseline is the encoder alone (embed_passages) on the very chunk
and sentence texts the build embeds, in children of its own (bench/encoders.py),
run just before and just after the build: raw_encoder_seconds /
pipeline_seconds near 1 means nothing but the model is left to speed up.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rag.embed import Embedder

from .children import PEAK_RSS, run_child
from .encoders import (
    backend_figures,
    drift_between,
    encode_child,
    raw_figures,
    write_texts,
)
from .stats import rate, ratio


def _timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def stage_durations(marks: dict[str, float], end: float) -> dict[str, float]:
    """Stage -> start time, to seconds per stage, each lasting until the next one starts."""
    seen = sorted((t, s) for s, t in marks.items())
    return {s: round((seen[i + 1][0] if i + 1 < len(seen) else end) - t, 3) for i, (t, s) in enumerate(seen)}


def token_count(embedder, texts: list[str]) -> int | None:
    """Tokens the encoder reads (OnnxEmbedder's tokenizer, truncated as it embeds); None if unknown."""
    tok = getattr(embedder, "tokenizer", None)
    if tok is None or not texts:
        return None
    tok.no_padding()  # count real tokens, not the batch padding
    try:
        return sum(len(e.ids) for e in tok.encode_batch(list(texts)))
    finally:
        pad = tok.token_to_id("<pad>")
        tok.enable_padding(pad_id=pad if pad is not None else 0, pad_token="<pad>")


def time_stages(paths: list, settings) -> tuple[dict, dict]:
    """read, clean, chunk and process (all that precedes embedding) on the same files."""
    from rag.chunk import SentenceSplitter
    from rag.clean import clean
    from rag.chunk import process
    from rag.ingest import discover, read_document

    found, _ = discover(paths)
    docs, s_read = _timed(lambda: [read_document(p, s) for p, s in found])
    blocks, s_clean = _timed(lambda: [b for d in docs for b in clean(d.text)])
    splitter = SentenceSplitter(settings.chunk_size, settings.chunk_overlap)
    _, s_chunk = _timed(lambda: [splitter.chunks(b.text) for b in blocks])
    # process() = clean + chunk + source spans + language of each chunk: what the build runs
    processed, s_process = _timed(lambda: [process(d, settings) for d in docs])
    data = {"files": len(docs), "chars": sum(len(d.text) for d in docs),
            "texts": [c.text for p in processed for c in p.chunks],
            "sents": [s for p in processed for s in p.sentences]}
    stages = {"read": s_read, "clean": s_clean, "chunk": s_chunk, "process (clean+chunk+spans+lang)": s_process}
    return {k: round(v, 3) for k, v in stages.items()}, data


class TimedEmbedder(Embedder):
    """Delegates to a real embedder and records each embed_passages call (start, seconds),
    so a build's embedding stage is timed without touching rag/."""

    def __init__(self, inner: Embedder):
        self.inner, self.calls = inner, []
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint

    def embed(self, texts, kind):
        return self.inner.embed(texts, kind)

    def embed_passages(self, texts, progress: Callable[[int], None] | None = None, batch: int = 64):
        t, c = time.perf_counter(), time.process_time()
        out = self.inner.embed_passages(texts, progress=progress, batch=batch)
        self.calls.append((t, time.perf_counter() - t, time.process_time() - c))
        return out


def timed_build(paths: list, folder: Path, embedder: Embedder) -> dict:
    """A real rag.build with a preloaded embedder: seconds, per-stage seconds, sizes."""
    import rag

    emb = TimedEmbedder(embedder)
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, time.perf_counter())

    t0, c0 = time.perf_counter(), time.process_time()
    idx = rag.build(paths, folder, model=emb, progress=progress)
    t1, c1 = time.perf_counter(), time.process_time()
    marks["read"] = t0  # the folder walk before the first callback is reading too
    if emb.calls:  # rag reports "embed" after the first batch; the wrapper saw it start
        marks["embed"] = emb.calls[0][0]
    return {"seconds": t1 - t0, "cpu_seconds": c1 - c0, "stages": stage_durations(marks, t1),
            "embed_calls_seconds": round(sum(c[1] for c in emb.calls), 3),
            "embed_calls_cpu_seconds": round(sum(c[2] for c in emb.calls), 3),
            "chunks": len(idx.payload.chunks), "sentences": len(idx.payload.sent_vectors)}


# The build child: import, load the model, build; what it prints is section 1's pipeline and section 5's memory.
BUILD = PEAK_RSS + r"""
import json, sys, time
t0 = time.perf_counter()
import rag
t1 = time.perf_counter(); m_import = peak_rss_mb()
from rag.embed import load_embedder
from bench.pipeline import timed_build  # after the import figures: they are rag's alone
emb = load_embedder()
t2 = time.perf_counter()
r = timed_build(sys.argv[2:], sys.argv[1], emb)
print(json.dumps({**r, "import_s": t1 - t0, "model_load_s": t2 - t1, "cold_seconds": time.perf_counter() - t0,
                  "rss_import_mb": m_import, "peak_rss_mb": peak_rss_mb()}))
"""


def time_write(folder: Path, out: Path, embedder: Embedder) -> dict:
    """The write stage split: search structures (FAISS + BM25) and the files, from the built payload."""
    import rag
    from rag import generation, store

    payload = rag.load(folder, model=embedder).payload
    gen, s_parts = _timed(generation.Generation.of, payload)
    _, s_files = _timed(store.write, out, payload, generation.writers(gen.parts))
    return {"search structures (FAISS+BM25)": round(s_parts, 3), "files (store.write)": round(s_files, 3)}


def build_figures(data: dict, stages: dict, b: dict, onnx: Embedder, enc: dict) -> dict:
    """Section 1's table: the build child's pipeline against the encoder children."""
    raw, raw_cpu, total = enc["wall"], enc["cpu"], b["seconds"]
    texts, sents = data["texts"], data["sents"]
    tokens = {"chunks": token_count(onnx, texts), "sentences": token_count(onnx, sents)}
    tok = sum(v for v in tokens.values() if v)
    return {
        "files": data["files"], "chars": data["chars"], "chunks": b["chunks"], "sentences": b["sentences"],
        "same_texts_as_build": (b["chunks"], b["sentences"]) == (len(texts), len(sents)),
        "pipeline_seconds": round(total, 3), "pipeline_chunks_per_s": rate(b["chunks"], total),
        "pipeline_cpu_seconds": round(b["cpu_seconds"], 3),
        "build_stages": b["stages"], "build_embed_calls_seconds": b["embed_calls_seconds"],
        "build_embed_calls_cpu_seconds": b["embed_calls_cpu_seconds"], "stages": stages,
        "model_load_seconds": round(b["model_load_s"], 3), "import_seconds": round(b["import_s"], 3),
        "cold_build_seconds": round(b["cold_seconds"], 3), "tokens": tokens,
        "raw_encoder_seconds": round(raw, 3), "raw_encoder_texts_per_s": rate(len(texts) + len(sents), raw),
        "raw_encoder_tokens_per_s": rate(tok, raw) if tok else None, "raw_encoder_cpu_seconds": round(raw_cpu, 3),
        "raw_encoder_runs_wall": enc["runs_wall"],
        "raw_over_pipeline": ratio(raw, total), "target_raw_over_pipeline": 0.9,
        # the same ratio in CPU seconds: little moved by other processes on the shared CPU
        "raw_over_pipeline_cpu": ratio(raw_cpu, b["cpu_seconds"]),
        # and from inside the build alone: one process, one time
        "build_embed_over_pipeline": ratio(b["embed_calls_seconds"], total),
        "build_embed_over_pipeline_cpu": ratio(b["embed_calls_cpu_seconds"], b["cpu_seconds"]),
    }


def build_section(paths: list, tmp: Path, onnx: Embedder) -> dict:
    """Section 1 and the build child of section 5. The index is left at tmp/index.

    Order: ONNX alone, the build, torch alone, ONNX alone again: the two ONNX runs bracket
    the build and torch, so the baseline is not all taken at a quiet (or a busy) moment."""
    from rag.settings import Settings

    stages, data = time_stages(paths, Settings())
    texts_file = write_texts(data, tmp / "texts.json")
    first = encode_child("onnx", texts_file, tmp / "onnx1")
    b = run_child(BUILD, [str(tmp / "index"), *map(str, paths)])
    torch = encode_child("torch", texts_file, tmp / "torch")
    raw = raw_figures([first, encode_child("onnx", texts_file, tmp / "onnx2")])
    stages.update({k: round(raw[k], 3) for k in ("embed chunks", "embed sentences")})
    stages.update(time_write(tmp / "index", tmp / "index_write", onnx))
    n = len(data["texts"]) + len(data["sents"])
    return {"build": build_figures(data, stages, b, onnx, raw),
            "backends": backend_figures(raw, torch, n, drift_between(tmp / "onnx1", tmp / "torch")),
            "memory_build": {"peak_rss_mb": b["peak_rss_mb"], "rss_import_mb": b["rss_import_mb"],
                             "seconds_cold": round(b["cold_seconds"], 3),
                             "encoder_alone_peak_rss_mb": raw["peak_rss_mb"]}}
