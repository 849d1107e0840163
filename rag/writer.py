"""The write path: build, add, remove and reshard, each a new generation on disk.

The IndexWriter holds the generation it last committed or read. A change reads,
chunks and embeds only what is new, merges it with what is kept, and commits the
result through rag/generation.py under the folder's writer lock (rag/store.py),
so processes that write to the same folder take turns and never undo each other.

Where the reading, chunking and embedding run is an Executor: here by default;
rag/distributed.py plugs in one whose steps run on Ray, from above, so the
ordering, deduplication and writing stay this one code path.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import generation, store
from .chunk import Processed, process
from .embed import Embedder
from .files import sha256_file
from .generation import Generation
from .ingest import Document, IngestError, discover, read_document
from .settings import Settings
from .store import FileEntry, IndexFormatError, Payload
from .tokens import Ragged, TokenHead, build_head, inside
from .types import BuildReport, Progress, QueryError


@dataclass(frozen=True)
class Executor:
    """The steps of a write that may run elsewhere; None: run here."""

    read: Callable[[Path, str], Document] | None = None  # (path, source) -> Document
    chunk: Callable[[Document, Settings], Processed] | None = None
    embedder: Embedder | None = None  # embeds the new passages; queries keep the index's own


@dataclass
class _Outcome:
    """What a write did so far, over all its parts."""

    skipped: list = field(default_factory=list)
    indexed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def once(found: list, skipped: list) -> list:
    """`found` with each source once (a folder and a file in it, given together); the
    repeats go to `skipped`."""
    seen, out = set(), []
    for path, source in found:
        if source in seen:
            skipped.append((source, "given twice"))
        else:
            seen.add(source)
            out.append((path, source))
    return out


def in_parts(found: list) -> list[list]:
    """Smallest files first (the first answers come soonest), in parts of 1, 1, 2, 4, ...
    files: each part's commit rewrites the whole index, and doubling keeps the rewrites'
    total within twice the last one's, however many files there are."""
    def size(f):
        try:
            return Path(f[0]).stat().st_size
        except OSError:
            return 0  # read_document reports it

    order = sorted(found, key=lambda f: (size(f), f[1]))
    parts, i = [], 0
    while i < len(order):
        n = max(1, i)
        parts.append(order[i:i + n])
        i += n
    return parts


def refusal(p: Processed, settings: Settings) -> str | None:
    """Why a chunked document is not indexed, or None."""
    items = len(p.chunks) + len(p.sentences)
    if not p.chunks:
        return "no text after cleaning"
    if items > settings.max_file_items:
        return (f"{items:,} passages and sentences to embed, over the limit of "
                f"{settings.max_file_items:,} per file (setting max_file_items)")
    return None


def codes_plan(embedder: Embedder, p: Payload, keep: bool, new: bool) -> tuple[TokenHead | None, bool, dict]:
    """Whether the next generation keeps token codes: only where every sentence, kept and new,
    has them, written by one head (new ones by `embedder`'s, rag/tokens.py); the head, that,
    and the manifest's model entry naming the head's digest (or none)."""
    head = build_head(embedder.fingerprint) if new and embedder.reads_tokens else None
    digest = head.digest if head is not None else p.manifest.model.get("quote_head")
    ok = (new or keep) and (not new or head is not None) and (
        not keep or (p.sent_codes is not None and p.manifest.model.get("quote_head") == digest))
    model = {k: v for k, v in p.manifest.model.items() if k != "quote_head"}
    return head, ok, {**model, "quote_head": digest} if ok else model


def codes_sink(head: TokenHead, chunks: int, out: dict):
    """embed_passages' `states` for one commit: the chunks' (its first `chunks` rows) token
    codes and spans into `out`; the sentences, read alone after them, are not kept."""
    def sink(i: int, states: np.ndarray, spans: np.ndarray) -> None:
        if i < chunks:
            out[i] = (head.codes(states), spans)
    return sink


def sentence_codes(processed: list[Processed], chunk_codes: dict, width: int) -> Ragged:
    """Each new sentence's token codes, as read in the first chunk holding it (a sentence in
    the overlap of two chunks is one row): the chunk's tokens inside the sentence's span."""
    rows: list[np.ndarray] = []
    i = 0
    for pr in processed:
        mine: dict[int, np.ndarray] = {}
        for c in pr.chunks:
            codes, spans = chunk_codes[i]
            i += 1
            for s in c.sents:
                if s.row not in mine:
                    mine[s.row] = codes[inside(spans, s.text_start, s.text_end)]
        rows += [mine.get(r, np.zeros((0, width), np.uint8)) for r in range(len(pr.sentences))]
    return Ragged.of(rows, width)


def file_entry(p: Processed) -> FileEntry:
    """A document's line in the manifest."""
    return {"sha256": p.doc.sha256, "chunks": len(p.chunks), "encoding": p.doc.encoding,
            "langs": sorted({c.lang for c in p.chunks}), "chars": len(p.doc.text),
            "page_starts": list(p.doc.page_starts) if p.doc.page_starts is not None else None}


def _same_bytes(path: Path, sha256: str) -> bool:
    try:
        return sha256_file(Path(path)) == sha256
    except OSError:
        return False  # read_document says why


class IndexWriter:
    """Not thread-safe on its own: rag/index.py's Index serialises its writes."""

    def __init__(self, folder: Path, embedder: Embedder, settings: Settings, gen: Generation):
        self.folder, self.embedder, self.settings, self.generation = Path(folder), embedder, settings, gen

    def refresh(self) -> None:
        """Under the writer lock: when another process has committed since this generation
        was read (the app keeps one index for its whole life), continue from what is on
        disk now. Writing this process's older view would undo the other process's changes."""
        try:
            m = store.read_manifest(self.folder)
        except IndexFormatError:
            return  # nothing readable on disk: this process's state is what gets written
        if m.generation == self.generation.manifest.generation:
            return
        generation.check_model(self.folder, m, self.embedder)
        self.generation = generation.load(self.folder, m)
        self.settings = generation.settings_of(self.generation.manifest)

    def update(self, paths: list, replace_all: bool = False, progress: Progress | None = None,
               executor: Executor | None = None, sync: bool = False,
               on_commit: Callable[[], None] | None = None) -> BuildReport:
        """Index new and changed files. `replace_all`: these files only, all read anew (a build);
        `sync`: these files only, unchanged ones kept as they are, the others removed (rag sync).
        `on_commit`: index in parts (in_parts), each committed as a generation of its own and
        followed by on_commit(), so that searches answer from the documents done while the
        rest are read (the app's first start); the end result is the same as in one part."""
        if sync and on_commit:
            raise ValueError("sync runs in one part (its removals need every file read)")
        ex = executor or Executor()
        t0 = time.perf_counter()
        missing = [str(p) for p in paths if not Path(p).exists()] if sync else []
        if missing:  # a mistyped folder would otherwise empty the index
            raise IngestError(f"no such file or folder: {', '.join(missing)}; the index is unchanged")
        found, skipped = discover(paths)
        out = _Outcome(skipped=list(skipped))
        found = once(found, out.skipped)
        with store.writer_lock(self.folder):
            if not replace_all:
                self.refresh()
            if on_commit is None:
                self._apply(found, replace_all, sync, ex, progress, out)
            else:
                done = 0
                for part in in_parts(found):
                    if progress:
                        progress("files", done, len(found))
                    if self._apply(part, replace_all, False, ex, progress, out):
                        replace_all = False  # the old index is replaced: later parts add to this one
                        on_commit()
                    done += len(part)
                if progress:
                    progress("files", done, len(found))
        return BuildReport(
            indexed=tuple(out.indexed), unchanged=tuple(out.unchanged), removed=tuple(out.removed),
            skipped=tuple(out.skipped), chunks=len(self.generation.payload.chunks),
            seconds=time.perf_counter() - t0, warnings=tuple(out.warnings),
        )

    def _apply(self, found: list, replace_all: bool, sync: bool, ex: Executor, progress: Progress | None,
               out: _Outcome) -> bool:
        """Read, chunk and embed `found` against the current generation and commit the result;
        what happened goes into `out`. Whether anything was committed."""
        old_files = {} if replace_all else dict(self.generation.manifest.files)
        docs, unchanged, warnings = self._read(found, old_files, ex, out.skipped, progress, fresh=sync)
        processed = []
        for i, d in enumerate(docs):
            if progress:
                progress("chunk", i, len(docs))
            p = (ex.chunk or process)(d, self.settings)
            if why := refusal(p, self.settings):
                out.skipped.append((d.source, why))
            else:
                processed.append(p)
        new_sources = {p.doc.source for p in processed}
        gone = sorted(set(old_files) - new_sources - set(unchanged)) if sync else []
        drop = new_sources | set(gone)
        chunks = self.generation.payload.chunks
        keep = [] if replace_all else [i for i, c in enumerate(chunks) if c.source not in drop]
        files = {k: v for k, v in old_files.items() if k not in drop}
        files.update((p.doc.source, file_entry(p)) for p in processed)
        committed = bool(processed or gone)
        if committed:  # nothing changed: leave what is on disk untouched
            self._commit(keep, processed, files, progress, ex.embedder)
        out.indexed += [p.doc.source for p in processed]
        out.unchanged += unchanged
        out.removed += gone
        out.warnings += warnings
        return committed

    def _read(self, found: list, old_files: dict, ex: Executor, skipped: list, progress: Progress | None,
              fresh: bool = False) -> tuple[list[Document], list[str], list[tuple[str, str]]]:
        """The documents to (re)index; what is unchanged; warnings. Appends to `skipped`.
        `fresh`: duplicates judged among these files only, as a build of them would (sync)."""
        docs, unchanged, warnings = [], [], []
        # same bytes under another name: indexed once, or every answer would be quoted twice
        by_sha = {} if fresh else {v["sha256"]: k for k, v in old_files.items()}
        def read(path, source):  # read_document looked up now: tests patch it
            if ex.read:
                return ex.read(path, source)
            return read_document(path, source, on_page=lambda k, n: progress and progress("ocr", k, n))

        for i, (path, source) in enumerate(found):
            if progress:
                progress("read", i, len(found))
            sha = old_files.get(source, {}).get("sha256")
            if sha is not None and by_sha.get(sha, source) == source and _same_bytes(path, sha):
                by_sha[sha] = source  # unchanged: no need to extract its text again (or OCR it)
                unchanged.append(source)
                continue
            try:
                doc = read(path, source)
            except IngestError as e:
                skipped.append((source, str(e).removeprefix(f"{source}: ")))
                continue
            if by_sha.get(doc.sha256, source) != source:
                skipped.append((source, f"same content as {by_sha[doc.sha256]} (a duplicate)"))
            elif len(doc.text) > self.settings.max_file_chars:
                skipped.append((source, f"{len(doc.text):,} characters of text, over the limit of "
                                        f"{self.settings.max_file_chars:,} per file (setting max_file_chars)"))
            else:
                by_sha[doc.sha256] = source
                warnings.extend((source, w) for w in doc.warnings)
                docs.append(doc)
        return docs, unchanged, warnings

    def remove(self, sources: list[str]) -> BuildReport:
        t0 = time.perf_counter()
        with store.writer_lock(self.folder):
            self.refresh()
            p = self.generation.payload
            unknown = [s for s in sources if s not in p.manifest.files]
            if unknown:
                raise QueryError(f"not in the index: {', '.join(unknown)}")
            keep = [i for i, c in enumerate(p.chunks) if c.source not in sources]
            self._commit(keep, [], {k: v for k, v in p.manifest.files.items() if k not in sources})
        return BuildReport(removed=tuple(sources), chunks=len(self.generation.payload.chunks),
                           seconds=time.perf_counter() - t0)

    def reshard(self, shards: int) -> None:
        """Split by document into `shards` (or merge back with 1), nothing re-embedded."""
        with store.writer_lock(self.folder):
            self.refresh()
            new = self.settings.replace(shards=shards)
            if new == self.settings:
                return
            old, self.settings = self.settings, new
            try:
                p = self.generation.payload
                self._commit(list(range(len(p.chunks))), [], dict(p.manifest.files))
            except BaseException:
                self.settings = old  # nothing written: the old layout stays
                raise

    def _commit(self, keep: list[int], processed: list[Processed], files: dict,
                progress: Progress | None = None, embedder: Embedder | None = None) -> None:
        """Embed what is new (with `embedder`, default the index's own), merge with what
        is kept, and commit it as the next generation."""
        embedder = embedder or self.embedder
        p = self.generation.payload
        chunks = [p.chunks[i] for i in keep]
        cvec = [p.chunk_vectors[keep]] if keep else []
        svec = [p.sent_vectors] if keep else []
        base = len(p.sent_vectors) if keep else 0
        texts = [c.text for pr in processed for c in pr.chunks]
        sents = [s for pr in processed for s in pr.sentences]
        head, with_codes, model = codes_plan(embedder, p, bool(keep), bool(texts))
        codes = [p.sent_codes] if keep else []
        chunk_codes: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            if progress:
                progress("embed", done[0], len(texts) + len(sents))

        if texts:
            # one call for both: on Ray that is one pass over one actor pool (models load once)
            kw = {"states": codes_sink(head, len(texts), chunk_codes)} if with_codes else {}
            vecs = embedder.embed_passages(texts + sents, progress=tick, **kw)
            cvec.append(vecs[: len(texts)])
            svec.append(vecs[len(texts) :])
        if with_codes and texts:
            codes.append(sentence_codes(processed, chunk_codes, head.width))
        for pr in processed:
            for c in pr.chunks:
                chunks.append(replace(c, sents=tuple(s._replace(row=s.row + base) for s in c.sents)))
            base += len(pr.sentences)
        dim = p.manifest.dim
        cv = np.concatenate(cvec) if cvec else np.zeros((0, dim), np.float32)
        sv = np.concatenate(svec) if svec else np.zeros((0, dim), np.float32)
        sc = Ragged.concat(codes, next((c.width for c in codes), 0)) if with_codes else None
        chunks, cv, sv, sc = store.canonical(chunks, cv, sv, sc)
        m = replace(p.manifest, files=files, settings=self.settings.to_dict(), model=model)
        if progress:
            progress("write", 0, 1)
        new = Payload(m, chunks, cv.astype(np.float32), sv.astype(np.float32), sc)
        self.generation = generation.commit(self.folder, new)
