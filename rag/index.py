"""The Index: build, load, search, ask, add, remove.

This module only wires the stages together (ingest -> clean -> chunk ->
embed -> store -> retrieve -> answer); each stage lives in its own module.
"""
from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import store
from .answer import make_answer, quotes_from
from .chunk import SentenceSplitter
from .clean import clean
from .dictionary import DictionaryError
from .embed import Embedder, load_embedder
from .ingest import Document, IngestError, discover, page_at, read_document
from .lang import detect
from .retrieve import DenseRetriever, HybridRetriever, LexicalRetriever, Query
from .retrieve.base import cosines
from .retrieve.bridge import BridgeRetriever, load_lexicon
from .retrieve.dense import choose_index_type, index_type_of, make_faiss
from .retrieve.hybrid import LexicalFusion, SentenceScorer
from .settings import Settings
from .store import ChunkRecord, IndexError_, Manifest, Payload
from .types import Answer, Hit

Progress = Callable[[str, int, int], None]  # (stage, done, total)
LEXICAL_FIELDS = ("words", "names")


def _index_types(indexes: list) -> str:
    """The manifest's `index_type`: one FAISS type per shard, comma-separated."""
    return ",".join(index_type_of(i) for i in indexes)


def faiss_write(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))  # BM25 fields, see rag/retrieve/lexical.py
MAX_QUERY_CHARS = 2000  # longer queries are cut: e5 reads 512 tokens at most
LOAD_ATTEMPTS = 5  # reads of an index that other processes keep committing to
RETRIEVERS = ("hybrid", "dense", "bm25", "bridge", "bm25+bridge")


def _check_k(k) -> int:
    """k: a whole number >= 0 (bool, float, text and None are mistakes, not numbers of passages)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise QueryError(f"k must be a whole number >= 0, not {k!r} ({type(k).__name__})")
    if k < 0:
        raise QueryError(f"k must be a whole number >= 0, not {k}")
    return int(k)


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class BuildReport:
    indexed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (source, reason)
    chunks: int = 0
    seconds: float = 0.0
    warnings: tuple[tuple[str, str], ...] = ()  # (source, problem) of files indexed anyway


@dataclass(frozen=True)
class DocumentInfo:
    source: str
    chunks: int
    langs: tuple[str, ...]
    sha256: str


# ------------------------------------------------------------ processing
@dataclass
class _Processed:
    doc: Document
    chunks: list[ChunkRecord]  # sentence rows are local (into .sentences)
    sentences: list[str] = field(default_factory=list)


def process(doc: Document, settings: Settings) -> _Processed:
    """Clean and chunk one document; sentence rows index `sentences`."""
    splitter = SentenceSplitter(settings.chunk_size, settings.chunk_overlap)
    out = _Processed(doc, [])
    for block in clean(doc.text):
        seen: dict[int, int] = {}  # block offset of a sentence -> local row
        for ch in splitter.chunks(block.text):
            text = block.text[ch.start : ch.end].strip()
            if not text:
                continue
            lead = len(block.text[ch.start : ch.end]) - len(block.text[ch.start : ch.end].lstrip())
            s, e = block.span(ch.start + lead, ch.start + lead + len(text))
            sents = []
            for u in ch.sentences:
                st = block.text[u.start : u.end]
                stext = st.strip()
                if not stext:
                    continue
                us = u.start + (len(st) - len(st.lstrip()))
                if us not in seen:
                    seen[us] = len(out.sentences)
                    out.sentences.append(stext)
                ss, se = block.span(us, us + len(stext))
                rel = us - (ch.start + lead)
                sents.append((rel, rel + len(stext), ss, se, seen[us]))
            out.chunks.append(ChunkRecord(
                id=f"{doc.source}:{s}-{e}", source=doc.source, start=s, end=e, page=doc.page_at(s),
                lang=detect(text), kind=block.kind, text=text, sents=tuple(sents),
            ))
    return out


# ------------------------------------------------------------------ index
class Index:
    def __init__(self, folder: Path, payload: Payload, embedder: Embedder, settings: Settings,
                 parts: dict | None = None):
        self.folder = Path(folder)
        self.payload = payload
        self.embedder = embedder
        self.settings = settings
        self._lock = threading.RLock()  # add/remove swap state; searches read a snapshot
        self._wire(parts or self._build_parts(payload))

    # ----- construction
    @classmethod
    def build(cls, paths: Iterable[str | os.PathLike], folder: str | os.PathLike = "index",
              model: str | Embedder | None = None, settings: Settings | None = None,
              progress: Progress | None = None, reader: Callable | None = None,
              chunker: Callable | None = None) -> Index:
        """`reader`/`chunker` replace read_document/process per file: rag/distributed.py
        passes results computed on Ray, so ordering and writing stay this one code path."""
        emb = load_embedder(model)
        settings = settings or Settings()
        m = Manifest(store.FORMAT_VERSION, {"name": emb.name, "fingerprint": emb.fingerprint}, emb.dim,
                     settings.to_dict(), {})
        empty = Payload(m, [], np.zeros((0, emb.dim), np.float32), np.zeros((0, emb.dim), np.float32))
        idx = cls(Path(folder), empty, emb, settings)
        paths = list(paths)
        idx.last_report = idx._update(paths, replace_all=True, progress=progress, reader=reader, chunker=chunker)
        if not idx.payload.chunks:
            given = ", ".join(str(p) for p in paths) or "(none)"
            reasons = "; ".join(f"{s}: {r}" for s, r in idx.last_report.skipped) or f"no supported files in {given}"
            raise IndexError_(f"nothing to index ({reasons})")
        return idx

    @classmethod
    def load(cls, folder: str | os.PathLike = "index", model: str | Embedder | None = None) -> Index:
        folder = Path(folder)
        m = store.read_manifest(folder)
        name = m.model.get("name")
        if model is not None:
            want = model.name if isinstance(model, Embedder) else model
            if want != name:
                raise IndexError_(
                    f"{folder} was built with model '{name}', not '{want}'; "
                    f"load it with that model or rebuild with: rag index PATH -o {folder} --model {want}"
                )
        emb = load_embedder(model if model is not None else name)
        if emb.fingerprint != m.model.get("fingerprint") or emb.dim != m.dim:
            raise IndexError_(
                f"{folder} was built with different weights of '{name}' "
                f"({m.model.get('fingerprint')}, dim {m.dim}) than loaded now ({emb.fingerprint}, dim {emb.dim}); "
                f"rebuild with: rag index PATH -o {folder}"
            )
        attempts = 1
        while True:
            try:
                return cls._open(folder, emb, m)
            except IndexError_:
                # Another process may have committed a new generation and removed the files of
                # the one being read: read again from the new manifest, not "rebuild the index".
                again = store.read_manifest(folder)
                if again.generation == m.generation or again.model != m.model or attempts >= LOAD_ATTEMPTS:
                    raise
                m, attempts = again, attempts + 1

    @classmethod
    def _open(cls, folder: Path, emb: Embedder, m: Manifest) -> Index:
        """The index of manifest `m`: its payload and search structures."""
        payload = store.read(folder, manifest=m)
        import faiss

        rows = store.shard_rows(payload.chunks, payload.shards)
        parts: dict = {"rows": rows}
        try:
            parts["faiss"] = [faiss.read_index(str(folder / m.data[store.role("faiss", s)]["name"]))
                              for s in range(len(rows))]
            for field in LEXICAL_FIELDS:
                parts[field] = LexicalRetriever.load(
                    [folder / m.data[store.role(f"bm25_{field}", s)]["name"] for s in range(len(rows))], rows, field)
        except (KeyError, OSError, ValueError, RuntimeError) as e:
            raise IndexError_(f"{folder}: search index missing or unreadable ({e}); rebuild the index") from e
        if _index_types(parts["faiss"]) != m.index_type:
            raise IndexError_(f"{folder}: FAISS index is not the '{m.index_type}' the manifest names; rebuild the index")
        if [f.ntotal for f in parts["faiss"]] != [len(r) for r in rows]:
            raise IndexError_(f"{folder}: FAISS index and chunk records disagree; rebuild the index")
        return cls(folder, payload, emb, Settings.from_dict(m.settings), parts)

    @staticmethod
    def _build_parts(p: Payload) -> dict:
        """The search structures derived from a payload, per shard: FAISS (its type
        chosen by the shard's size) and the BM25 fields (with global statistics)."""
        rows = store.shard_rows(p.chunks, p.shards)
        vectors = p.chunk_vectors.reshape(-1, p.manifest.dim)
        indexes = [make_faiss(vectors[r], choose_index_type(len(r))) for r in rows]
        texts = [c.text for c in p.chunks]
        lexical = {f: LexicalRetriever.build(texts, f, rows) for f in LEXICAL_FIELDS} if texts else {}
        return {"rows": rows, "faiss": indexes, **lexical}

    @staticmethod
    def writers(parts: dict) -> dict:
        """store.write's writers for the search structures: role -> write(path), per shard."""
        out = {}
        for s, index in enumerate(parts["faiss"]):
            out[store.role("faiss", s)] = lambda path, index=index: faiss_write(index, path)
            for f in LEXICAL_FIELDS:
                if f in parts:
                    out[store.role(f"bm25_{f}", s)] = lambda path, s=s, r=parts[f]: r.save(s, path)
        return out

    def _wire(self, parts: dict) -> None:
        self.parts = parts
        p = self.payload
        self.rows_by_source: dict[str, np.ndarray] = {}
        for i, c in enumerate(p.chunks):
            self.rows_by_source.setdefault(c.source, []).append(i)
        self.rows_by_source = {k: np.asarray(v) for k, v in self.rows_by_source.items()}
        self.langs = np.asarray([c.lang for c in p.chunks])
        s = self.settings
        self.dense = DenseRetriever(parts["faiss"], parts["rows"], p.chunk_vectors, list(self.langs),
                                    balance=s.balance, pool_correction=s.pool_correction,
                                    hub_correction=s.hub_correction, hub_k=s.hub_k)
        self.lexical = parts.get("words")
        self.names = parts.get("names")
        sent_lang = [""] * len(p.sent_vectors)
        for c in p.chunks:
            for a, b, _s, _e, r in c.sents:
                sent_lang[r] = detect(c.text[a:b])
        self.chunk_sents = [np.asarray([x[4] for x in c.sents], dtype=np.int64) for c in p.chunks]
        self.sent_scorer = (SentenceScorer(p.sent_vectors, sent_lang, s.pool_correction, s.hub_correction, s.hub_k)
                            if len(p.sent_vectors) else None)
        self.bridge, self.notices = self._bridge()
        self.lexical_bridge = LexicalFusion([(r, 1.0) for r in (self.lexical, self.bridge) if r is not None], s.depth)
        self.hybrid = HybridRetriever(self.dense, self.lexical, self.sent_scorer, self.chunk_sents,
                                      lex_weight=s.lex_weight, sent_weight=s.sent_weight, depth=s.depth,
                                      reserve=s.reserve, names=self.names, name_weight=s.name_weight,
                                      bridge=self.bridge, bridge_weight=s.bridge_weight)
        # Queries run on this frozen copy, swapped in by one assignment: a query running
        # while add/remove rewires the index sees the old state or the new one, never a mix
        # (new chunks with the old search structures gave IndexError or wrong passages).
        snap = copy.copy(self)
        snap.__dict__.pop("_snap", None)  # no chain of old snapshots kept alive
        self._snap = snap

    def _bridge(self) -> tuple[BridgeRetriever | None, tuple[str, ...]]:
        """The cross-lingual bridge, or None and a notice saying why it is off."""
        s = self.settings
        if self.lexical is None or not s.bridge_weight or not s.dictionary:
            return None, ()
        try:
            lexicon = load_lexicon(s.dictionary)
        except DictionaryError as e:
            return None, (f"cross-lingual lexical bridge off: {e}; install Debian's mueller7-dict "
                          f"(scripts/setup.sh) or set the dictionary setting",)
        return BridgeRetriever(self.lexical, lexicon, self.langs), ()

    def reconfigure(self, **settings) -> None:
        """Change query-time settings (fusion weights, threshold) in memory, e.g. to tune them."""
        if settings.get("shards", self.settings.shards) != self.settings.shards:
            raise ValueError("the number of shards changes the files: use reshard(n)")
        self.settings = self.settings.replace(**settings)
        self._wire(self.parts)

    def reshard(self, shards: int) -> None:
        """Split the index into `shards` by document (or merge it back with 1), without
        re-embedding anything; written like any other change (a new generation)."""
        with self._lock, store.writer_lock(self.folder):
            self._refresh()
            new = self.settings.replace(shards=shards)
            if new == self.settings:
                return
            old, self.settings = self.settings, new
            try:
                self._commit(list(range(len(self.payload.chunks))), [], dict(self.payload.manifest.files))
            except BaseException:
                self.settings = old  # nothing written: the old layout stays
                raise

    # ----- queries
    def _query(self, text: str) -> Query:
        if not isinstance(text, str):
            raise QueryError(f"query must be text, not {type(text).__name__}")
        clean_text = "".join(ch for ch in text if ch.isprintable() or ch in "\n\t").strip()
        if not clean_text:
            raise QueryError("empty query: type a question")
        clean_text = clean_text[:MAX_QUERY_CHARS]
        return Query(clean_text, embed=lambda t: self.embedder.embed_queries([t])[0])

    def _mask(self, sources, langs) -> np.ndarray | None:
        if sources is None and langs is None:
            return None
        n = len(self.payload.chunks)
        mask = np.ones(n, bool)
        if sources is not None:
            sources = [sources] if isinstance(sources, str) else list(sources)
            unknown = [s for s in sources if s not in self.rows_by_source]
            if unknown:
                raise QueryError(f"not in the index: {', '.join(unknown)}")
            m = np.zeros(n, bool)
            for s in sources:
                m[self.rows_by_source[s]] = True
            mask &= m
        if langs is not None:
            langs = [langs] if isinstance(langs, str) else list(langs)
            mask &= np.isin(self.langs, langs)
        return mask

    def _hit(self, row: int, score: float) -> Hit:
        c = self.payload.chunks[row]
        return Hit(text=c.text, source=c.source, start=c.start, end=c.end, page=c.page, lang=c.lang,
                   score=float(score), chunk_id=c.id)

    def search(self, query: str, k: int = 10, sources=None, langs=None, retriever: str = "hybrid") -> list[Hit]:
        if retriever not in RETRIEVERS:
            raise QueryError(f"unknown retriever {retriever!r}: one of {', '.join(RETRIEVERS)}")
        return self._snap._search(query, _check_k(k), sources, langs, retriever)

    def ask(self, query: str, k: int = 5, sources=None, langs=None) -> Answer:
        return self._snap._ask(query, _check_k(k), sources, langs)

    def _search(self, query: str, k: int, sources, langs, retriever: str) -> list[Hit]:
        q = self._query(query)
        if k <= 0 or not self.payload.chunks:
            return []
        r = {"hybrid": self.hybrid, "dense": self.dense, "bm25": self.lexical, "bridge": self.bridge,
             "bm25+bridge": self.lexical_bridge}[retriever]
        if r is None or not q.has_words:  # punctuation or emoji alone asks nothing
            return []
        return [self._hit(s.row, s.score) for s in r.search(q, k, self._mask(sources, langs))]

    def _ask(self, query: str, k: int, sources, langs) -> Answer:
        q = self._query(query)
        mask = self._mask(sources, langs)
        # a question of punctuation or emoji alone asks nothing the documents could answer
        scored = self.hybrid.search(q, k, mask) if self.payload.chunks and q.has_words else []
        hits = [self._hit(s.row, s.score) for s in scored]
        cands = []
        if scored and self.sent_scorer is not None:
            top = scored[: self.settings.max_quotes]
            rows = [s.row for s in top]
            for hit, row in zip(hits, rows):
                c = self.payload.chunks[row]
                srows = self.chunk_sents[row]
                if not len(srows):
                    continue
                z = self.sent_scorer.scores(q.vector, srows)
                pages = self.payload.manifest.files.get(c.source, {}).get("page_starts")
                for (a, b, s, e, r), zz in zip(c.sents, z):
                    cands.append((hit, r, float(zz), c.text[a:b], (s, e), page_at(pages, s)))
        quotes = quotes_from(cands, self.settings.max_quotes)
        # found-or-not uses the raw cosine of the best sentence: unlike the
        # standardised scores it means the same on a 2-file and a 2,000-file index
        best, best_lang, threshold = None, "", self.settings.abstain_below
        if cands:
            rows = np.array([c[1] for c in cands])
            cos = cosines(self.payload.sent_vectors, rows, q.vector)
            best = float(cos.max())
            best_lang = str(self.sent_scorer.norm.langs[rows[int(cos.argmax())]])
            if q.lang != "und" and best_lang != q.lang:
                # across languages e5's cosines run ~0.04 lower (eval/calibrate.py)
                threshold = self.settings.abstain_below_cross
        return make_answer(hits, quotes, best, best_lang, threshold, q.lang)

    # ----- documents
    def _refresh(self) -> None:
        """Under the writer lock: when another process has committed since this index was
        loaded (the app keeps one for its whole life), apply the change to what is on disk
        now. Writing this process's older view would undo the other process's changes."""
        try:
            m = store.read_manifest(self.folder)
        except IndexError_:
            return  # nothing readable on disk: this process's state is what gets written
        if m.generation == self.payload.manifest.generation:
            return
        fresh = Index.load(self.folder, model=self.embedder)
        self.payload, self.settings = fresh.payload, fresh.settings
        self._wire(fresh.parts)

    def documents(self) -> list[DocumentInfo]:
        out = []
        for src, meta in sorted(self.payload.manifest.files.items()):
            out.append(DocumentInfo(src, meta["chunks"], tuple(meta["langs"]), meta["sha256"]))
        return out

    def add(self, paths: Iterable[str | os.PathLike], progress: Progress | None = None,
            ray: str | bool | None = None) -> BuildReport:
        """Index new or changed files; `ray`: True or a cluster address to read, chunk
        and embed them on Ray (rag/distributed.py), with the same result."""
        if ray:
            from .distributed import add

            return add(self, paths, progress, address=ray)
        return self._update(list(paths), replace_all=False, progress=progress)

    def remove(self, sources: str | Iterable[str]) -> BuildReport:
        sources = [sources] if isinstance(sources, str) else list(sources)
        t0 = time.perf_counter()
        with self._lock, store.writer_lock(self.folder):
            self._refresh()
            unknown = [s for s in sources if s not in self.payload.manifest.files]
            if unknown:
                raise QueryError(f"not in the index: {', '.join(unknown)}")
            keep = [i for i, c in enumerate(self.payload.chunks) if c.source not in sources]
            files = {k: v for k, v in self.payload.manifest.files.items() if k not in sources}
            self._commit(keep, [], files)
        return BuildReport(removed=tuple(sources), chunks=len(self.payload.chunks), seconds=time.perf_counter() - t0)

    def _update(self, paths: list, replace_all: bool, progress: Progress | None,
                reader: Callable | None = None, chunker: Callable | None = None,
                embedder: Embedder | None = None) -> BuildReport:
        reader, chunker = reader or read_document, chunker or process  # looked up now: tests patch them
        t0 = time.perf_counter()
        found, skipped = discover(paths)
        skipped = list(skipped)
        with self._lock, store.writer_lock(self.folder):
            if not replace_all:
                self._refresh()
            old_files = {} if replace_all else dict(self.payload.manifest.files)
            docs: list[Document] = []
            unchanged: list[str] = []
            warnings: list[tuple[str, str]] = []
            seen_sources: set[str] = set()
            # same bytes under another name: indexed once, or every answer would be quoted twice
            by_sha = {} if replace_all else {v["sha256"]: k for k, v in old_files.items()}
            for i, (path, source) in enumerate(found):
                if progress:
                    progress("read", i, len(found))
                if source in seen_sources:
                    skipped.append((source, "given twice"))
                    continue
                seen_sources.add(source)
                try:
                    doc = reader(path, source)
                except IngestError as e:
                    skipped.append((source, str(e).removeprefix(f"{source}: ")))
                    continue
                if old_files.get(source, {}).get("sha256") == doc.sha256:
                    unchanged.append(source)
                    continue
                if len(doc.text) > self.settings.max_file_chars:
                    skipped.append((source, f"{len(doc.text):,} characters of text, over the limit of "
                                            f"{self.settings.max_file_chars:,} per file (setting max_file_chars)"))
                    continue
                if by_sha.get(doc.sha256, source) != source:
                    skipped.append((source, f"same content as {by_sha[doc.sha256]} (a duplicate)"))
                    continue
                by_sha[doc.sha256] = source
                warnings.extend((source, w) for w in doc.warnings)
                docs.append(doc)
            processed = []
            for i, d in enumerate(docs):
                if progress:
                    progress("chunk", i, len(docs))
                p = chunker(d, self.settings)
                if not p.chunks:
                    skipped.append((d.source, "no text after cleaning"))
                    continue
                items = len(p.chunks) + len(p.sentences)
                if items > self.settings.max_file_items:
                    skipped.append((d.source, f"{items:,} passages and sentences to embed, over the limit of "
                                              f"{self.settings.max_file_items:,} per file (setting max_file_items)"))
                    continue
                processed.append(p)
            new_sources = {p.doc.source for p in processed}
            keep = [] if replace_all else [i for i, c in enumerate(self.payload.chunks) if c.source not in new_sources]
            files = {k: v for k, v in old_files.items() if k not in new_sources}
            for p in processed:
                files[p.doc.source] = {
                    "sha256": p.doc.sha256, "chunks": len(p.chunks), "encoding": p.doc.encoding,
                    "langs": sorted({c.lang for c in p.chunks}), "chars": len(p.doc.text),
                    "page_starts": list(p.doc.page_starts) if p.doc.page_starts is not None else None,
                }
            if processed:  # nothing new: leave what is on disk untouched
                self._commit(keep, processed, files, progress, embedder)
        return BuildReport(
            indexed=tuple(p.doc.source for p in processed), unchanged=tuple(unchanged),
            skipped=tuple(skipped), chunks=len(self.payload.chunks), seconds=time.perf_counter() - t0,
            warnings=tuple(warnings),
        )

    def _commit(self, keep: list[int], processed: list[_Processed], files: dict,
                progress: Progress | None = None, embedder: Embedder | None = None) -> None:
        """Embed what is new (with `embedder`, default the index's own), merge with what
        is kept, write, then swap in memory."""
        embedder = embedder or self.embedder
        p = self.payload
        chunks = [p.chunks[i] for i in keep]
        cvec = [p.chunk_vectors[keep]] if keep else []
        svec = [p.sent_vectors] if keep else []
        base = len(p.sent_vectors) if keep else 0
        texts = [c.text for pr in processed for c in pr.chunks]
        sents = [s for pr in processed for s in pr.sentences]
        total = len(texts) + len(sents)
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            if progress:
                progress("embed", done[0], total)

        if texts:
            # one call for both: on Ray that is one pass over one actor pool (models load once)
            vecs = embedder.embed_passages(texts + sents, progress=tick)
            cvec.append(vecs[: len(texts)])
            svec.append(vecs[len(texts) :])
        for pr in processed:
            for c in pr.chunks:
                chunks.append(replace(c, sents=tuple((a, b, s, e, r + base) for a, b, s, e, r in c.sents)))
            base += len(pr.sentences)
        dim = p.manifest.dim
        cv = np.concatenate(cvec) if cvec else np.zeros((0, dim), np.float32)
        sv = np.concatenate(svec) if svec else np.zeros((0, dim), np.float32)
        chunks, cv, sv = store.canonical(chunks, cv, sv)
        m = replace(p.manifest, files=files, settings=self.settings.to_dict())
        new = Payload(m, chunks, cv.astype(np.float32), sv.astype(np.float32))
        if progress:
            progress("write", 0, 1)
        parts = self._build_parts(new)
        new.manifest = replace(m, index_type=_index_types(parts["faiss"]))  # the types _build_parts chose
        new.manifest = store.write(self.folder, new, self.writers(parts))
        self.payload = new
        self._wire(parts)

    # ----- reading around a hit
    def context(self, hit: Hit, chars: int = 800) -> tuple[str, str]:
        """The cleaned document text just before and just after `hit` (a passage or
        a quote), at most `chars` characters each; ("", "") once its source is gone.

        Neighbouring chunks overlap, so the text is rebuilt from their sentences,
        each taken once by its source span, rather than by gluing chunk texts.
        """
        pieces: dict[tuple[int, int], str] = {}  # source span -> cleaned sentence
        gaps: dict[tuple[int, int], str] = {}  # source span -> the text between it and the next one
        for c in self.payload.chunks:  # a snapshot: add/remove swap the whole payload
            if c.source != hit.source:
                continue
            units = c.sents or ((0, len(c.text), c.start, c.end, -1),)
            for i, (a, b, s, e, _row) in enumerate(units):
                pieces.setdefault((s, e), c.text[a:b])
                if i + 1 < len(units):
                    gaps.setdefault((s, e), c.text[b : units[i + 1][0]])
        # a gap no chunk holds is a chunk or block boundary: a line break keeps them apart
        text = {sp: pieces[sp] + gaps.get(sp, "\n") for sp in pieces}
        before = "".join(text[sp] for sp in sorted(pieces) if sp[1] <= hit.start)
        after = "".join(text[sp] for sp in sorted(pieces) if sp[0] >= hit.end)
        if chars <= 0:
            return "", ""
        head, tail = before[-chars:], after[:chars]
        # cut at word boundaries: the context never starts or ends with a broken word
        if len(before) > chars and not before[-chars - 1].isspace() and not head[0].isspace():
            head = head[len(head.split(None, 1)[0]):]
        if len(after) > chars and not after[chars].isspace() and not tail[-1].isspace():
            tail = tail[: len(tail) - len(tail.rsplit(None, 1)[-1])]
        return head.strip(), tail.strip()
