"""The Index: one index folder, read through a Searcher and written through an IndexWriter.

    ingest -> clean -> chunk -> embed      rag/writer.py      (the write path)
                                  |
                      store <- generation                      (what both share)
                                  |
    retrieve -> answer                    rag/searcher.py    (the read path)

This class only joins the two: reads go to the current Searcher, writes go to
the writer, and after each write a new Searcher over the new generation is
swapped in by one assignment.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from . import generation, store
from .embed import Embedder, docs_choice, docs_encoder, load_embedder
from .files import sha256_file
from .ingest import discover
from .searcher import Searcher
from .settings import Settings
from .store import IndexFormatError, Payload
from .types import Answer, BuildReport, DocumentInfo, Hit, Progress
from .writer import IndexWriter


@contextmanager
def _executor(ray, paths: list, model, settings: Settings, progress: Progress | None, expect=None):
    """None, or with `ray` (True or a cluster address) the Ray executor of rag/distributed.py:
    imported only then, as Ray is an optional extra."""
    if not ray:
        yield None
        return
    from .distributed import on_ray

    with on_ray(paths, model, settings, progress, address=ray, expect=expect) as ex:
        yield ex


class Index:
    def __init__(self, writer: IndexWriter):
        self.folder, self.embedder = writer.folder, writer.embedder
        self.last_report: BuildReport | None = None
        self._writer = writer
        self._lock = threading.RLock()  # writes take turns; searches read self.searcher
        self.searcher = Searcher(writer.generation, writer.settings, writer.embedder)

    # ----- construction
    @classmethod
    def build(cls, paths: Iterable[str | os.PathLike], folder: str | os.PathLike = "index",
              model: str | Embedder | None = None, settings: Settings | None = None,
              progress: Progress | None = None, ray: str | bool | None = None) -> Index:
        """Index `paths` into `folder` (its previous index, if any, is replaced on commit).
        `ray`: True or a cluster address to read, chunk and embed on Ray, same result."""
        settings, paths = settings or Settings(), list(paths)
        with _executor(ray, paths, model, settings, progress) as ex:
            idx = cls.create(folder, ex.embedder if ex else model, settings)
            idx.last_report = idx._write(idx._writer.update, paths, replace_all=True, progress=progress, executor=ex)
        idx._check_filled(paths)
        return idx

    @classmethod
    def create(cls, folder: str | os.PathLike = "index", model: str | Embedder | None = None,
               settings: Settings | None = None) -> Index:
        """An empty index of `folder`, nothing written yet: fill() (or build()) gives it documents."""
        settings = settings or Settings()
        settings = settings.replace(docs=docs_choice(settings.docs))  # RAG_DOCS, when set, is what is recorded
        emb = load_embedder(model, docs=settings.docs)
        return cls(IndexWriter(Path(folder), emb, settings, generation.Generation.empty(emb, settings)))

    def fill(self, paths: Iterable[str | os.PathLike], progress: Progress | None = None,
             replace_all: bool = False) -> BuildReport:
        """Index `paths` a few files at a time (rag/writer.py: in_parts), each part searchable as
        soon as it is committed, so that a chat can answer from the documents done while the
        rest are read; the result equals build() (`replace_all`) or add(). The stage "files"
        of `progress` counts the files done. rag/background.py runs it in a thread."""
        paths = list(paths)
        self.last_report = self._write(self._writer.update, paths, replace_all=replace_all, progress=progress,
                                       on_commit=self._swap)
        if replace_all:
            self._check_filled(paths)
        return self.last_report

    def _check_filled(self, paths: list) -> None:
        if not self.payload.chunks:
            given = ", ".join(str(p) for p in paths) or "(none)"
            reasons = "; ".join(f"{s}: {r}" for s, r in self.last_report.skipped) or f"no supported files in {given}"
            raise IndexFormatError(f"nothing to index ({reasons})")

    @classmethod
    def load(cls, folder: str | os.PathLike = "index", model: str | Embedder | None = None) -> Index:
        folder = Path(folder)
        m = store.read_manifest(folder)
        name = m.model.get("name")
        if model is not None:
            want = model.name if isinstance(model, Embedder) else model
            if want != name:
                raise IndexFormatError(
                    f"{folder} was built with model '{name}', not '{want}'; "
                    f"load it with that model or rebuild with: rag index PATH -o {folder} --model {want}"
                )
        emb = load_embedder(model if model is not None else name, docs=docs_encoder(m.model.get("fingerprint")))
        generation.check_model(folder, m, emb)
        gen = generation.load(folder, m)
        return cls(IndexWriter(folder, emb, generation.settings_of(gen.manifest), gen))

    # ----- the read path
    @property
    def payload(self) -> Payload:
        return self.searcher.payload

    @property
    def settings(self) -> Settings:
        return self.searcher.settings

    @property
    def notices(self) -> tuple[str, ...]:
        """Why a part of the search is off (e.g. the cross-lingual bridge without its dictionary)."""
        return self.searcher.notices

    def search(self, query: str, k: int = 10, sources=None, langs=None, retriever: str | None = None) -> list[Hit]:
        return self.searcher.search(query, k, sources, langs, retriever)

    def ask(self, query: str, k: int = 5, sources=None, langs=None, history=None,
            retriever: str | None = None) -> Answer:
        """`history`: the conversation's earlier questions, oldest first (rag/followup.py);
        `retriever`: as for search (None: the index's default)."""
        return self.searcher.ask(query, k, sources, langs, history, retriever)

    def context(self, hit: Hit, chars: int = 800) -> tuple[str, str]:
        """The cleaned text just before and after `hit`, at most `chars` characters each."""
        return self.searcher.context(hit, chars)

    def outdated(self, paths: Iterable[str | os.PathLike]) -> tuple[str, ...]:
        """The files under `paths` that add() would index: not in the index, or changed since
        (by sha256; a copy of an indexed file under another name is not counted, add() skips it)."""
        known = {m["sha256"] for m in self.payload.manifest.files.values()}
        out = []
        for path, source in discover(list(paths))[0]:
            try:
                if sha256_file(path) in known:
                    continue
            except OSError:
                pass  # add() says why it cannot read it
            out.append(source)
        return tuple(out)

    def documents(self) -> list[DocumentInfo]:
        files = self.payload.manifest.files
        return [DocumentInfo(src, m["chunks"], tuple(m["langs"]), m["sha256"]) for src, m in sorted(files.items())]

    # ----- the write path
    def add(self, paths: Iterable[str | os.PathLike], progress: Progress | None = None,
            ray: str | bool | None = None) -> BuildReport:
        """Index new or changed files; `ray`: True or a cluster address to read, chunk
        and embed them on Ray (rag/distributed.py), with the same result."""
        paths, model = list(paths), self.embedder.for_workers() if ray else None
        with _executor(ray, paths, model, self.settings, progress, expect=self.embedder) as ex:
            return self._write(self._writer.update, paths, progress=progress, executor=ex)

    def sync(self, paths: Iterable[str | os.PathLike], progress: Progress | None = None) -> BuildReport:
        """Make the index match `paths` (files or folders): new and changed files indexed,
        unchanged ones untouched, every other document removed; equal to a fresh build."""
        return self._write(self._writer.update, list(paths), progress=progress, sync=True)

    def remove(self, sources: str | Iterable[str]) -> BuildReport:
        return self._write(self._writer.remove, [sources] if isinstance(sources, str) else list(sources))

    def reshard(self, shards: int) -> None:
        """Split the index into `shards` by document (or merge it back with 1), without
        re-embedding anything; written like any other change (a new generation)."""
        self._write(self._writer.reshard, shards)

    def reconfigure(self, **settings) -> None:
        """Change query-time settings (fusion weights, threshold) in memory, e.g. to tune them;
        a later write stores them."""
        if settings.get("shards", self.settings.shards) != self.settings.shards:
            raise ValueError("the number of shards changes the files: use reshard(n)")
        with self._lock:
            self._writer.settings = self._writer.settings.replace(**settings)
            self.searcher = Searcher(self._writer.generation, self._writer.settings, self.embedder)

    def _write(self, op, *args, **kw):
        """Run a writer operation, then swap in a Searcher over what it left (also when it
        only read another process's newer generation, or failed after reading one)."""
        with self._lock:
            try:
                return op(*args, **kw)
            finally:
                self._swap()

    def _swap(self) -> None:
        """A new Searcher when the writer holds another generation or settings than it."""
        w, now = self._writer, self.searcher
        if w.generation is not now.generation or w.settings != now.settings:
            self.searcher = Searcher(w.generation, w.settings, self.embedder)
