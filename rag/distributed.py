"""Distributed index build on Ray Data (optional: pip install "ray[data]==2.60.0").

Ray Data runs the two stages that parallelise: reading + cleaning + chunking
(a `map` over the files) and embedding (`map_batches` on an actor pool, one
model per actor: embedding is 99 % of a build, bench/REPORT.md). Each row
given to `map_batches` is one of the batches the local build forms (sorted by
length), so padding, hence every vector, is the same. The driver then orders,
deduplicates, canonicalises and writes ONE index through the writer's own
code path (rag/writer.py: an Executor whose read and chunk steps return what
the workers computed and whose Embedder's embed_passages runs on Ray), so the
index equals a single-process build of the same files. This module plugs into
the writer from above: `rag.build(..., ray=True)` and `Index.add(..., ray=True)`
open `on_ray` and hand its Executor down.

On a remote cluster the workers need this package installed and the files at
the same paths (a shared filesystem).
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .chunk import process
from .embed import Embedder, docs_choice, load_embedder, passage_batches
from .ingest import Document, IngestError, discover, read_document
from .settings import Settings
from .types import Progress
from .writer import Executor

RAY_HINT = 'pip install "ray[data]==2.60.0"'
RETRIES = 2  # a killed worker's task is re-run by Ray this many times


class RayUnavailable(RuntimeError):
    """`--ray` asked for but Ray is not installed or the cluster is unreachable."""


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 (needs pyarrow and pandas: the [data] extra)
    except ImportError as e:
        raise RayUnavailable(f"the distributed build needs Ray: {RAY_HINT}") from e
    return ray


# ------------------------------------------------------------- workers
def _read_row(row: dict, settings: Settings) -> dict:
    """One file on a worker (a Ray Data map): its Document and chunks, or the reason
    it cannot be read. The error travels as its message, not the exception, so the
    driver re-raises it exactly where the local build reads the file."""
    source = row["source"]
    try:
        doc = read_document(Path(row["path"]), source)
    except IngestError as e:
        return {"source": source, "error": str(e), "doc": None, "processed": None}
    return {"source": source, "error": "", "doc": doc, "processed": process(doc, settings)}


class _EmbedBatches:
    """The map_batches callable: one model per actor, loaded once, with as many
    threads as CPUs the actor reserved (more would fight the other actors).
    Each row is one of the local build's batches, embedded as a whole."""

    def __init__(self, model, threads: int, docs: str):
        self.emb = load_embedder(model, threads=threads, docs=docs)

    def __call__(self, batch: dict) -> dict:
        out: dict = {"b": batch["b"], "vecs": [], "states": [], "spans": [], "lengths": []}
        for texts, tokens in zip(batch["texts"], batch["tokens"]):
            got: dict[int, tuple[np.ndarray, np.ndarray]] = {}
            kw = {"states": lambda i, h, sp: got.__setitem__(i, (h, sp))} if tokens else {}
            out["vecs"].append(self.emb.embed(list(texts), "passage", **kw))
            # each text's token states (rag/tokens.py), concatenated: rows of one width travel
            rows = [got[i] for i in range(len(texts))] if tokens else []
            out["lengths"].append(np.asarray([len(h) for h, _ in rows], dtype=np.int64))
            out["states"].append(np.concatenate([h for h, _ in rows]).astype(np.float32) if rows
                                 else np.zeros((0, self.emb.dim), np.float32))
            out["spans"].append(np.concatenate([sp for _, sp in rows]).astype(np.int64) if rows
                                else np.zeros((0, 2), np.int64))
        return out


def _model_info(model, threads: int, docs: str) -> tuple[str, str, int, bool]:
    emb = load_embedder(model, threads=threads, docs=docs)
    return emb.name, emb.fingerprint, emb.dim, emb.reads_tokens


def _retries(**kw) -> dict:
    """Bounded retries: Ray Data's default (-1) retries a dying worker forever, so a
    build that cannot succeed would hang. Ray 2.60 takes them as remote args
    (deprecated for 2.64; ray is pinned)."""
    import warnings

    warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
    return kw


class RayEmbedder(Embedder):
    """Passages on a Ray Data actor pool while building; queries (and a later add,
    once the build is over) run locally, the model loaded on first use."""

    def __init__(self, model, info: tuple[str, str, int, bool], actors: int, cpus_per_actor: float, docs: str):
        self.model, self.actors, self.cpus, self._local, self.docs = model, actors, cpus_per_actor, None, docs
        self.name, self.fingerprint, self.dim, self.reads_tokens = info  # as the workers' model
        self.on_ray = True

    def embed(self, texts: Sequence[str], kind, states=None) -> np.ndarray:
        if self._local is None:
            self._local = load_embedder(self.model, docs=self.docs)
        return self._local.embed(texts, kind) if states is None else self._local.embed(texts, kind, states=states)

    def embed_passages(self, texts: Sequence[str], progress=None, batch: int = 64, states=None) -> np.ndarray:
        if not self.on_ray:
            return super().embed_passages(texts, progress, batch, states)
        import ray.data
        from ray.exceptions import RayError

        # the very batches the local build forms: padding, hence vectors, come out the same
        batches = passage_batches(texts, batch)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not batches:
            return out
        rows = [{"b": b, "texts": [texts[i] for i in idx], "tokens": states is not None} for b, idx in enumerate(batches)]
        ds = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _EmbedBatches, fn_constructor_args=(self.model, max(1, int(self.cpus)), self.docs), batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=min(self.actors, len(rows))), num_cpus=self.cpus,
            **_retries(max_restarts=RETRIES, max_task_retries=RETRIES))
        try:
            for row in ds.iter_rows():
                idx = batches[int(row["b"])]
                out[idx] = row["vecs"]
                if states is not None:  # the writer keeps the chunks' token codes (rag/writer.py codes_sink)
                    ends = np.cumsum(row["lengths"])
                    for j, (a, b) in enumerate(zip(ends - row["lengths"], ends)):
                        states(idx[j], np.asarray(row["states"][a:b]), np.asarray(row["spans"][a:b]))
                if progress:
                    progress(len(idx))
        except RayError as e:  # nothing is written before embedding ends
            raise RayUnavailable(
                f"the embedding workers died ({type(e).__name__}) after {RETRIES} retries; "
                "the previous index is unchanged") from e
        return out


# --------------------------------------------------------------- driver
def _connect(ray, address):
    """Join the given cluster (True: RAY_ADDRESS or a new local one); True if we started it."""
    if ray.is_initialized():
        return False
    try:
        ray.init(address=None if address is True else str(address), include_dashboard=False,
                 log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise RayUnavailable(f"cannot connect to the Ray cluster at {address}: {e}") from e
    return True


def _quiet_ray_data() -> None:
    """Our progress callback reports; Ray Data's own bars and logs would interleave."""
    import logging

    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def _read_all(found: list[tuple[Path, str]], settings: Settings, progress: Progress | None) -> dict:
    """source -> (Document or error message, chunks): a Ray Data map over the files."""
    import ray.data

    first: dict[str, Path] = {}
    for path, source in found:  # a source given twice is read once, as locally
        first.setdefault(source, path)
    if not first:
        return {}
    items = [{"path": str(p), "source": s} for s, p in first.items()]
    ds = ray.data.from_items(items, override_num_blocks=len(items)).map(
        _read_row, fn_kwargs={"settings": settings}, **_retries(max_retries=RETRIES))
    out: dict = {}
    for row in ds.iter_rows():
        out[row["source"]] = (row["error"] or row["doc"], row["processed"])
        if progress:
            progress("read", len(out), len(first))
    return out


@contextmanager
def on_ray(paths: list, model, settings: Settings, progress: Progress | None, address: str | bool = True,
           actors: int | None = None, cpus_per_actor: float = 1, expect: Embedder | None = None):
    """Read and chunk every file as Ray tasks and start the embedding actors; yields the
    Executor of the writer's one build-and-update path. `model`: a name (each actor loads
    it) or an Embedder, which Ray serialises to the actors (its class must be importable
    there); `expect`: the index's own model, which the workers' must equal (an add)."""
    ray = _import_ray()
    started = _connect(ray, address)
    try:
        _quiet_ray_data()
        found, _ = discover(paths)  # the writer discovers again and reports what is skipped here
        done = _read_all(found, settings, progress)
        n = actors or max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_actor))
        threads = max(1, int(cpus_per_actor))
        docs = docs_choice(settings.docs)  # the workers' environment may lack RAG_DOCS
        info = ray.get(ray.remote(num_cpus=cpus_per_actor)(_model_info).remote(model, threads, docs))
        emb = RayEmbedder(model, info, n, cpus_per_actor, docs)
        if expect is not None and (emb.fingerprint, emb.dim) != (expect.fingerprint, expect.dim):
            raise RayUnavailable(f"the Ray workers loaded {emb.name} ({emb.fingerprint}, dim {emb.dim}), "
                                 f"not the index's model ({expect.fingerprint}, dim {expect.dim})")

        def read(path, source) -> Document:
            doc = done[source][0] if source in done else read_document(path, source)
            if isinstance(doc, str):
                raise IngestError(doc)  # the worker's message, reported as the local build does
            return doc

        def chunk(doc: Document, s: Settings):
            got = done.get(doc.source)
            return got[1] if got and got[1] is not None and s == settings else process(doc, s)

        yield Executor(read, chunk, emb)
        emb.on_ray = False  # the cluster may go below; later embedding runs locally
    finally:
        if started:
            ray.shutdown()
