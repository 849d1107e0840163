"""A prebuilt index of the bundled corpus, shipped in git, used on a first start only when provably current.

Building the bundled corpus's index is most of a newcomer's wait (about two
minutes of encoder time on a 2-core machine). `data/corpus-index/` holds that
index as `rag index data/corpus` writes it. It is used, by copying it into
an empty index folder, only when its manifest matches what a build would
write now: the index format, the model's weights (fingerprint), every
setting at its current default, and the corpus files' sha256 (none added,
removed or changed). Anything else and the caller builds as before, with the
reason. The content behind those names (cleaning, chunking, the encoder's
code) is proven by tests/test_seed_slow.py, which rebuilds the corpus and
compares chunks and vectors, so a change that forgets to regenerate the seed
fails CI. Regenerate with `python -m rag.seed`, best on the machine kind CI runs on (AVX2
without VNNI): ONNX Runtime's int8 products take another path on a CPU with VNNI (exact
integer sums, where AVX2's saturate), and e5's int8 vectors built on one kind differed from
the other's by up to 0.002 in cosine (tests/test_seed_slow.py). The seed still serves either kind; `data/corpus-index.origin.json`
records which kind built it, and the test allows for the difference across kinds. A change to what a chunk record holds beside its text (its
`shifts`, 2026-12-04) needs no encoder: `python -m rag.seed --chunks-only` rewrites the
records alone, on any machine, and refuses when a text differs.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from . import store
from .embed import docs_choice, docs_fingerprint
from .files import sha256_file
from .index import Index
from .settings import Settings
from .tokens import build_head

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "corpus-index"
ORIGIN = ROOT / "data" / "corpus-index.origin.json"  # the CPU kind that built the seed (main)
CORPUS = ROOT / "data" / "corpus"


def built_fingerprint() -> str:
    """The fingerprint a build of the default model writes now: its document encoder is
    Settings.docs's default unless RAG_DOCS says otherwise (rag/embed.py docs_choice)."""
    return docs_fingerprint(docs_choice(Settings().docs))


def why_stale(seed: Path = SEED, corpus: Path = CORPUS, fingerprint: str | None = None) -> str | None:
    """None when `seed` is what building `corpus` now would write; else the reason it is not."""
    try:
        m = store.read_manifest(seed)
    except store.IndexFormatError as e:
        return str(e)
    if m.model.get("fingerprint") != (fingerprint or built_fingerprint()):
        return f"the seed index was built with other model weights ({m.model.get('fingerprint')})"
    head = build_head(fingerprint or built_fingerprint())
    if m.model.get("quote_head") != (head.digest if head is not None else None):
        return "the seed index's token codes are not the shipped token head's (rag/tokens.py)"
    if m.settings != Settings().to_dict():
        changed = sorted(k for k, v in Settings().to_dict().items() if m.settings.get(k) != v)
        return f"the seed index has other settings than today's defaults ({', '.join(changed) or 'names'})"
    files = sorted(p.name for p in corpus.iterdir() if p.is_file()) if corpus.is_dir() else []
    if files != sorted(m.files):
        return "the corpus folder's files are not the ones the seed index holds"
    for name in files:
        if sha256_file(corpus / name) != m.files[name].get("sha256"):
            return f"{name} changed since the seed index was built"
    return None


def origin() -> dict:
    """This CPU, as far as the seed's vectors depend on it: whether its int8 sums are exact."""
    import platform

    from .quantize import exact_int8_kernels

    return {"machine": platform.machine(), "exact_int8_kernels": exact_int8_kernels()}


def install(seed: Path, target: Path) -> None:
    """Copy the seed's files into `target`, the manifest last: until it lands, `target` holds no index."""
    target.mkdir(parents=True, exist_ok=True)
    m = store.read_manifest(seed)
    for entry in m.data.values():
        src, dst = seed / entry["name"], target / entry["name"]
        tmp = dst.with_name(f".seed-{entry['name']}")
        for old in (tmp, dst):  # left by an interrupted install
            if old.is_dir():
                shutil.rmtree(old)
        if src.is_dir():  # the BM25 parts are folders
            shutil.copytree(src, tmp, copy_function=shutil.copyfile)
        else:
            shutil.copyfile(src, tmp)
        tmp.replace(dst)
    tmp = target / ".seed-manifest.json"
    shutil.copyfile(seed / "manifest.json", tmp)
    tmp.replace(target / "manifest.json")


def rechunk(seed: Path = SEED, corpus: Path = CORPUS) -> int:
    """Rewrite the seed's chunk records from the corpus chunked today, its vectors kept: for a
    change to what a record holds beside its text (ChunkRecord.shifts came so), made on any
    machine, since the encoder does not run. Refuses (returns how many records differ) when a
    chunk's text, spans or sentences differ: then the vectors must be rebuilt (main)."""
    from dataclasses import replace

    from .chunk import process
    from .ingest import read_document

    m = store.read_manifest(seed)
    if m.settings.get("shards", 1) != 1:
        raise SystemExit(f"{seed}: a sharded seed; rebuild it with python -m rag.seed")
    path = seed / m.data["chunks"]["name"]
    old = store.read(seed, manifest=m).chunks  # one shard: its sentence rows are the seed's own
    fresh = {c.id: c for name in sorted(m.files)
             for c in process(read_document(corpus / name, source=name), Settings()).chunks}
    # all but the sentences' rows (a fresh document's are its own) and the shifts must agree
    bare = lambda c: (replace(c, sents=(), shifts=None), [s[:4] for s in c.sents])
    differ = sum(c.id not in fresh or bare(c) != bare(fresh[c.id]) for c in old) + abs(len(old) - len(fresh))
    if differ:
        print(f"{differ} chunk records differ from today's chunking: rebuild with python -m rag.seed", file=sys.stderr)
        return differ
    path.write_bytes(store.chunk_lines([replace(c, shifts=fresh[c.id].shifts) for c in old]))
    m.data["chunks"]["sha256"] = sha256_file(path)
    (seed / store.MANIFEST).write_text(m.to_json(), encoding="utf-8")
    print(f"rewrote {path.name} ({len(old)} records); why_stale: {why_stale(seed, corpus)}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Rebuild data/corpus-index from data/corpus (maintainers, after a change the slow test
    flags); `--chunks-only`: rewrite its chunk records alone (rechunk)."""
    if "--chunks-only" in (sys.argv[1:] if argv is None else argv):
        return rechunk()
    with tempfile.TemporaryDirectory(prefix=".seed-", dir=SEED.parent) as tmp:
        Index.build([CORPUS], Path(tmp) / "index")
        if SEED.exists():
            shutil.rmtree(SEED)
        # the writer's lock file is no part of an index: install() copies the manifest's files only
        shutil.copytree(Path(tmp) / "index", SEED, ignore=shutil.ignore_patterns(store.LOCK_FILE))
    ORIGIN.write_text(json.dumps(origin(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {SEED}; why_stale: {why_stale()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
