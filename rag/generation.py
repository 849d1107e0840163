"""One generation of an index: what the two paths share.

A generation is the payload (manifest, chunk records, vectors) plus the search
structures derived from it, per shard: a FAISS index and the BM25 fields. The
write path (rag/writer.py) makes one and commits it to the folder; the read path
(rag/index.py, rag/searcher.py) loads one and searches it. Neither path knows
the other's internals: this module and rag/store.py are all they have in common.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import store
from .embed import Embedder, docs_encoder
from .retrieve import LexicalRetriever
from .retrieve.dense import choose_index_type, index_type_of, make_faiss
from .settings import Settings
from .store import IndexFormatError, Manifest, Payload

LEXICAL_FIELDS = ("words", "names")


def settings_of(m: Manifest) -> Settings:
    """The settings a manifest stores; one written before Settings.docs existed gets the
    document encoder its model fingerprint names (fp32, then)."""
    return Settings.from_dict({"docs": docs_encoder(m.model.get("fingerprint")), **m.settings})

LOAD_ATTEMPTS = 5  # reads of an index that other processes keep committing to


@dataclass(frozen=True)
class Generation:
    payload: Payload
    parts: dict  # "rows": chunk rows per shard; "faiss": one per shard; one LexicalRetriever per field

    @property
    def manifest(self) -> Manifest:
        return self.payload.manifest

    @classmethod
    def of(cls, p: Payload) -> Generation:
        """The search structures derived from a payload, per shard: FAISS (its type
        chosen by the shard's size) and the BM25 fields (with global statistics)."""
        rows = store.shard_rows(p.chunks, p.shards)
        vectors = p.chunk_vectors.reshape(-1, p.manifest.dim)
        indexes = [make_faiss(vectors[r], choose_index_type(len(r))) for r in rows]
        texts = [c.text for c in p.chunks]
        langs = [c.lang for c in p.chunks]
        lexical = {f: LexicalRetriever.build(texts, f, rows, langs) for f in LEXICAL_FIELDS} if texts else {}
        return cls(p, {"rows": rows, "faiss": indexes, **lexical})

    @classmethod
    def empty(cls, embedder: Embedder, settings: Settings) -> Generation:
        """Nothing indexed yet: what a build starts from (never written as it is)."""
        m = Manifest(store.FORMAT_VERSION, {"name": embedder.name, "fingerprint": embedder.fingerprint},
                     embedder.dim, settings.to_dict(), {})
        no = np.zeros((0, embedder.dim), np.float32)
        return cls.of(Payload(m, [], no, no.copy()))


def faiss_write(index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))  # BM25 fields, see rag/retrieve/lexical.py


def index_types(indexes: list) -> str:
    """The manifest's `index_type`: one FAISS type per shard, comma-separated."""
    return ",".join(index_type_of(i) for i in indexes)


def writers(parts: dict) -> dict:
    """store.write's writers for the search structures: role -> write(path), per shard."""
    out = {}
    for s, index in enumerate(parts["faiss"]):
        out[store.role("faiss", s)] = lambda path, index=index: faiss_write(index, path)
        for f in LEXICAL_FIELDS:
            if f in parts:
                out[store.role(f"bm25_{f}", s)] = lambda path, s=s, r=parts[f]: r.save(s, path)
    return out


def commit(folder: Path, p: Payload) -> Generation:
    """Derive the search structures of `p` and write everything as the folder's next
    generation; returns it with the manifest as committed (generation, file hashes)."""
    gen = Generation.of(p)
    p = replace(p, manifest=replace(p.manifest, index_type=index_types(gen.parts["faiss"])))
    p = replace(p, manifest=store.write(folder, p, writers(gen.parts)))
    return Generation(p, gen.parts)


def check_model(folder: Path, m: Manifest, emb: Embedder) -> None:
    """The vectors of `folder` came from `emb`'s weights: same fingerprint and dimension."""
    if emb.fingerprint != m.model.get("fingerprint") or emb.dim != m.dim:
        raise IndexFormatError(
            f"{folder} was built with different weights of '{m.model.get('name')}' "
            f"({m.model.get('fingerprint')}, dim {m.dim}) than loaded now ({emb.fingerprint}, dim {emb.dim}); "
            f"rebuild with: rag index PATH -o {folder}"
        )


def load(folder: Path, m: Manifest | None = None) -> Generation:
    """The generation the folder's manifest names (`m`: one already read)."""
    m = m or store.read_manifest(folder)
    attempts = 1
    while True:
        try:
            return _open(folder, m)
        except IndexFormatError:
            # Another process may have committed a new generation and removed the files of
            # the one being read: read again from the new manifest, not "rebuild the index".
            again = store.read_manifest(folder)
            if again.generation == m.generation or again.model != m.model or attempts >= LOAD_ATTEMPTS:
                raise
            m, attempts = again, attempts + 1


def _open(folder: Path, m: Manifest) -> Generation:
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
        raise IndexFormatError(f"{folder}: search index missing or unreadable ({e}); rebuild the index") from e
    if index_types(parts["faiss"]) != m.index_type:
        raise IndexFormatError(f"{folder}: FAISS index is not the '{m.index_type}' the manifest names; rebuild the index")
    if [f.ntotal for f in parts["faiss"]] != [len(r) for r in rows]:
        raise IndexFormatError(f"{folder}: FAISS index and chunk records disagree; rebuild the index")
    return Generation(payload, parts)
