"""Distributed index build on Ray (optional: pip install ray==2.60.0).

Ray runs the two stages that parallelise: reading + cleaning + chunking (one
task per file) and embedding (an actor pool, one model per actor: embedding
is 99 % of a build, bench/REPORT.md). The driver then orders, deduplicates,
canonicalises and writes ONE index through Index.build's own code path
(`reader`/`chunker` hooks and an Embedder whose embed_passages runs on the
pool), so the index equals a single-process build of the same files.

Plain Ray tasks and ray.util.ActorPool, not Ray Data: `pip install ray` alone
does not bring the pyarrow/pandas Ray Data needs, and the exact batch layout
that keeps vectors equal to the local build is simpler to keep by hand.

On a remote cluster the workers need this package installed and the files at
the same paths (a shared filesystem).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .embed import Embedder, load_embedder, passage_batches
from .index import BuildReport, Index, Progress, process
from .ingest import Document, IngestError, discover, read_document
from .settings import Settings

RAY_HINT = "pip install ray==2.60.0"
RETRIES = 2  # a killed worker's task is re-run by Ray this many times


class RayUnavailable(RuntimeError):
    """`--ray` asked for but Ray is not installed or the cluster is unreachable."""


def _import_ray():
    try:
        import ray
    except ImportError as e:
        raise RayUnavailable(f"the distributed build needs Ray: {RAY_HINT}") from e
    return ray


# ------------------------------------------------------------- workers
def _read_and_process(path: Path, source: str, settings: Settings):
    """One file on a worker: (source, Document, processed) or (source, error message, None).

    The error travels as its message (not the exception) so the driver can
    re-raise it exactly where the local build reads the file."""
    try:
        doc = read_document(path, source)
    except IngestError as e:
        return source, str(e), None
    return source, doc, process(doc, settings)


class _EmbedActor:
    """One model per actor, loaded once; embeds the driver's batches with as many
    threads as CPUs the actor reserved (more would fight the other actors)."""

    def __init__(self, model, threads: int):
        self.emb = load_embedder(model, threads=threads)

    def info(self) -> tuple[str, str, int]:
        return self.emb.name, self.emb.fingerprint, self.emb.dim

    def embed(self, b: int, texts: list[str]) -> tuple[int, np.ndarray]:
        return b, self.emb.embed(texts, "passage")


class RayEmbedder(Embedder):
    """Passages on the actor pool while building; queries (and a later add, once
    the pool is gone) run locally, the model loaded on first use."""

    def __init__(self, model, info: tuple[str, str, int], pool):
        self.model, self.pool, self._local = model, pool, None
        self.name, self.fingerprint, self.dim = info

    def embed(self, texts: Sequence[str], kind) -> np.ndarray:
        if self._local is None:
            self._local = load_embedder(self.model)
        return self._local.embed(texts, kind)

    def embed_passages(self, texts: Sequence[str], progress=None, batch: int = 64) -> np.ndarray:
        if self.pool is None:
            return super().embed_passages(texts, progress, batch)
        # the very batches the local build forms: padding, hence vectors, come out the same
        from ray.exceptions import RayError

        batches = passage_batches(texts, batch)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        work = [(b, [texts[i] for i in idx]) for b, idx in enumerate(batches)]
        try:
            for b, vecs in self.pool.map_unordered(lambda a, w: a.embed.remote(*w), work):
                out[batches[b]] = vecs
                if progress:
                    progress(len(batches[b]))
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


def _read_all(ray, found: list[tuple[Path, str]], settings: Settings, progress: Progress | None) -> dict:
    """source -> (Document or error message, processed), each file a Ray task."""
    task = ray.remote(max_retries=RETRIES)(_read_and_process)
    first: dict[str, Path] = {}
    for path, source in found:  # a source given twice is read once, as locally
        first.setdefault(source, path)
    pending = [task.remote(p, s, settings) for s, p in first.items()]
    out: dict = {}
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        source, doc, processed = ray.get(ready[0])
        out[source] = (doc, processed)
        if progress:
            progress("read", len(out), len(first))
    return out


def _pool(ray, model, actors: int | None, cpus_per_actor: float):
    n = actors or max(1, int(ray.cluster_resources().get("CPU", 1) // cpus_per_actor))
    cls = ray.remote(num_cpus=cpus_per_actor, max_restarts=RETRIES, max_task_retries=RETRIES)(_EmbedActor)
    handles = [cls.remote(model, max(1, int(cpus_per_actor))) for _ in range(n)]
    from ray.util import ActorPool

    return handles, ActorPool(handles)


@contextmanager
def _on_ray(paths: list, model, settings: Settings, progress: Progress | None, address, actors: int | None,
            cpus_per_actor: float):
    """Read and chunk every file as Ray tasks and start the embedding actors; yields
    (reader, chunker, embedder), the hooks of Index's one build-and-update path."""
    ray = _import_ray()
    started = _connect(ray, address)
    handles = []
    try:
        found, _ = discover(paths)  # Index discovers again and reports what is skipped here
        done = _read_all(ray, found, settings, progress)
        handles, pool = _pool(ray, model, actors, cpus_per_actor)
        emb = RayEmbedder(model, ray.get(handles[0].info.remote()), pool)

        def reader(path, source) -> Document:
            doc = done[source][0] if source in done else read_document(path, source)
            if isinstance(doc, str):
                raise IngestError(doc)  # the worker's message, reported as the local build does
            return doc

        def chunker(doc: Document, s: Settings):
            got = done.get(doc.source)
            return got[1] if got and got[1] is not None and s == settings else process(doc, s)

        yield reader, chunker, emb
        emb.pool = None  # the actors go below; later embedding runs locally
    finally:
        for h in handles:
            ray.kill(h)
        if started:
            ray.shutdown()


def build(paths, folder: str | os.PathLike = "index", model: str | Embedder | None = None,
          settings: Settings | None = None, progress: Progress | None = None,
          address: str | bool = True, actors: int | None = None, cpus_per_actor: float = 1) -> Index:
    """rag.build on a Ray cluster: the same index as the local build, embedded on `actors` models.

    `model` is a model name (each actor loads it) or an Embedder, which Ray
    serialises to the actors (its class must be importable there)."""
    paths = list(paths)  # read twice: here and by Index.build
    settings = settings or Settings()
    with _on_ray(paths, model, settings, progress, address, actors, cpus_per_actor) as (reader, chunker, emb):
        return Index.build(paths, folder, model=emb, settings=settings, progress=progress,
                           reader=reader, chunker=chunker)


def add(index: Index, paths, progress: Progress | None = None, address: str | bool = True,
        actors: int | None = None, cpus_per_actor: float = 1) -> BuildReport:
    """Index.add on a Ray cluster: new and changed files are read, chunked and embedded
    there; the result equals a local add. The index keeps its own model for queries."""
    paths = list(paths)
    with _on_ray(paths, index.embedder.for_workers(), index.settings, progress, address, actors,
                 cpus_per_actor) as (reader, chunker, emb):
        if (emb.fingerprint, emb.dim) != (index.embedder.fingerprint, index.embedder.dim):
            raise RayUnavailable(f"the Ray workers loaded {emb.name} ({emb.fingerprint}, dim {emb.dim}), "
                                 f"not the index's model ({index.embedder.fingerprint}, dim {index.embedder.dim})")
        return index._update(paths, replace_all=False, progress=progress, reader=reader, chunker=chunker,
                             embedder=emb)
