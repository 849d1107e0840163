"""Command line: rag index | add | sync | remove | search | ask | info | reshard | serve | mcp.
Thin: parsing and printing only.

The evaluation is no part of the product: it lives in eval/ with its own entry point,
`python -m eval` from a checkout (eval/ is not in the wheel, and rag never imports it)."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from .export import Turn, partial_line, to_json
from .files import shown_name

EXIT_USAGE, EXIT_INDEX, EXIT_QUERY, EXIT_EMPTY = 2, 3, 4, 5


_UNITS = {"files": "file", "read": "file", "ocr": "page", "chunk": "file", "embed": "text", "write": "step"}


def _progress_bar():
    """One bar for the stage now running. A bar starts at the count its stage stands at
    (`initial`) and moves by update(), so tqdm's rate is of items done since it appeared:
    setting bar.n made the OCR bar's first tick read "127100 item/s" (1 page over the
    microseconds since the bar was made; issue 31). A stage that comes back (read, OCR,
    read) gets a new bar; a closed one never showed again."""
    from tqdm import tqdm

    now: dict = {}

    def cb(stage: str, done: int, total: int) -> None:
        bar = now.get("bar")
        if bar is None or now.get("stage") != stage or done < bar.n:
            if bar is not None:
                bar.close()
            bar = now["bar"] = tqdm(total=total, initial=done, desc=stage, unit=_UNITS.get(stage, "item"),
                                    file=sys.stderr, leave=False)
            now["stage"] = stage
        bar.total = total
        bar.update(done - bar.n)

    cb.close = lambda: now.get("bar") and now["bar"].close()
    return cb


def _where(h) -> str:
    page = f":p{h.page}" if h.page is not None else ""
    return f"{shown_name(h.source)}{page}:{h.start}-{h.end}"


def cmd_index(a) -> int:
    import rag
    from rag.distributed import RayUnavailable  # imports Ray only when --ray is used

    bar = _progress_bar()
    try:
        idx = rag.build(a.paths, a.output, model=a.model, progress=bar, ray=a.ray,
                        settings=rag.Settings(shards=a.shards))
    except RayUnavailable as e:
        bar.close()
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except rag.IndexFormatError as e:
        bar.close()
        print(f"error: {e}", file=sys.stderr)
        return EXIT_EMPTY
    bar.close()
    _report(idx.last_report, a.output)
    return 0


def _report(r, folder) -> None:
    extra = f", {len(r.unchanged)} unchanged" if r.unchanged else ""
    extra += f", {len(r.removed)} removed" if r.removed else ""
    print(f"indexed {len(r.indexed)} files{extra}, {r.chunks} chunks in {r.seconds:.1f} s -> {folder}")
    for src, reason in r.skipped:
        print(f"skipped {shown_name(src)}: {reason}", file=sys.stderr)
    for src, problem in r.warnings:
        print(f"warning {shown_name(src)}: {problem}", file=sys.stderr)


def cmd_add(a) -> int:
    from rag.distributed import RayUnavailable

    idx = _load(a)
    bar = _progress_bar()
    try:
        r = idx.add(a.paths, progress=bar, ray=a.ray)
    except RayUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        bar.close()
    _report(r, a.index)
    return 0


def cmd_sync(a) -> int:
    import rag

    from .store import MANIFEST

    bar = _progress_bar()
    try:
        if not (Path(a.index) / MANIFEST).exists():  # nothing to keep in step yet: a build
            idx = rag.build(a.paths, a.index, model=a.model, progress=bar)
            r = idx.last_report
        else:
            idx = _load(a)
            r = idx.sync(a.paths, progress=bar)
    except rag.IngestError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        bar.close()
    _report(r, a.index)
    if a.watch:
        from .watch import watch

        print(f"watching {', '.join(map(str, a.paths))} (Ctrl-C stops)", file=sys.stderr, flush=True)
        watch(idx, a.paths, lambda rep: _report(rep, a.index) if rep.indexed or rep.removed or rep.skipped else None,
              notice=lambda line: print(line, file=sys.stderr, flush=True))
    return 0


def cmd_remove(a) -> int:
    _report(_load(a).remove(a.sources), a.index)
    return 0


def _load(a):
    import rag

    if getattr(a, "query", None) is not None:  # refused before the model loads, in every way in's words
        from .limits import check_history, check_k, clean_query

        clean_query(a.query)
        check_k(a.k)
        check_history(getattr(a, "history", None))
    idx = rag.load(a.index, model=a.model)
    for note in idx.notices:  # e.g. the cross-lingual bridge is off: said once per command
        print(f"note: {note}", file=sys.stderr)
    if getattr(a, "reader", False):
        idx.reconfigure(reader=True)  # in memory, for this command
    return idx


def cmd_search(a) -> int:
    idx = _load(a)
    hits = idx.search(a.query, k=a.k, sources=a.source, langs=a.lang, retriever=a.retriever)
    if a.json:
        print(json.dumps({"hits": [asdict(h) for h in hits]}, ensure_ascii=False, indent=1))
        return 0
    for i, h in enumerate(hits, 1):
        print(f"{i}. [{h.score:.2f}] {_where(h)} ({h.lang})\n   {h.text[:300]}")
    return 0


def cmd_ask(a) -> int:
    idx = _load(a)
    ans = idx.ask(a.query, k=a.k, sources=a.source, langs=a.lang, history=a.history, retriever=a.retriever)
    if a.json:  # the chat's export format, a conversation of one question
        print(to_json([Turn(a.query, ans)]))
        return 0
    if ans.searched_as != a.query:
        print(f"(a follow-up: searched as «{ans.searched_as}»)")
    if not ans.found:
        print("Not in the documents." + (" Nearest passages:" if ans.hits else ""))
        for h in ans.hits[:3]:
            print(f"  - {_where(h)}: {h.text[:200]}")
        return 0
    if ans.span is not None:
        print(f"Answer: {ans.span.text}")
    if ans.missing:
        print(partial_line(ans.missing))
    for q in ans.quotes:
        print(f"«{q.text}»\n   — {_where(q)} ({q.lang}, {q.score:.2f})")
    return 0


def cmd_info(a) -> int:
    idx = _load(a)
    from rag.embed import docs_encoder

    m = idx.payload.manifest
    # the document encoder by the fingerprint, which says what was used (an older index: fp32)
    docs = docs_encoder(m.model.get("fingerprint"))
    print(f"index {a.index}: model {m.model['name']} ({'int8 student' if docs == 'student' else docs} documents), "
          f"dim {m.dim}, {len(idx.payload.chunks)} chunks, {idx.settings.shards} shard(s) ({m.index_type})")
    for d in idx.documents():
        print(f"  {shown_name(d.source)}: {d.chunks} chunks, {','.join(d.langs)}")
    return 0


def cmd_dictionaries(a) -> int:
    from rag import translate
    from rag.retrieve.bridge import describe
    from rag.settings import Settings

    print(f"bridge: {describe(a.dictionary or Settings().dictionary)}")
    print(f"translation: {translate.describe(Settings().translate_langs)}")
    return 0


def cmd_reshard(a) -> int:
    idx = _load(a)
    idx.reshard(a.shards)
    print(f"{a.index}: {a.shards} shard(s) ({idx.payload.manifest.index_type}), nothing re-embedded")
    return 0


def _shards(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"shards must be a whole number >= 1, not {text!r}")
    return n


def _missing_extra(what: str, extra: str, e: ImportError) -> int:
    """An optional extra's package is not installed: one line naming it and the pip command."""
    print(f'error: {what} ({e.name} is missing): pip install "rag-offline[{extra}]"', file=sys.stderr)
    return EXIT_USAGE


def cmd_serve(a) -> int:
    try:
        from rag.server import EXIT_SERVE, ServeError, serve
    except ImportError as e:
        return _missing_extra("rag serve needs FastAPI and uvicorn", "serve", e)
    try:  # a blank token, a bad port, a taken port or address: one line, before "serving …"
        serve(a.index, host=a.host, port=a.port, allow_writes=a.allow_writes, model=a.model)
    except ServeError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_SERVE
    return 0


def cmd_mcp(a) -> int:
    try:
        from rag.mcp import serve
    except ImportError as e:
        return _missing_extra("rag mcp needs the MCP SDK", "mcp", e)
    serve(a.index, allow_writes=a.allow_writes, model=a.model)  # a missing index: IndexFormatError, exit 3
    return 0


def cmd_eval(a) -> int:
    print("error: the evaluation has its own entry point: python -m eval [QUESTIONS] --index index "
          "(from a checkout of the repository; python -m eval --help)", file=sys.stderr)
    return EXIT_USAGE


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Offline multilingual QA over your documents")
    sub = p.add_subparsers(dest="cmd", required=True)
    _add_index(sub)
    _add_queries(sub)
    _add_changes(sub)
    _add_others(sub)
    return p


def _index_args(s: argparse.ArgumentParser) -> None:
    """--index and --model, which every command but `index` takes."""
    s.add_argument("--index", default="index")
    s.add_argument("--model", default=None)


def _add_index(sub) -> None:
    s = sub.add_parser("index", help="build an index of files/folders")
    s.add_argument("paths", nargs="+")
    s.add_argument("-o", "--output", default="index")
    s.add_argument("--model", default=None, help="sentence-transformers folder or name (default: multilingual-e5-small)")
    s.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                   help="read, chunk and embed on a Ray cluster (default: RAY_ADDRESS or a local one; "
                        "pip install 'ray[data]==2.60.0')")
    s.add_argument("--shards", type=_shards, default=1,
                   help="split the index by document into N shards, searched together (default 1)")
    s.set_defaults(func=cmd_index)


def _add_queries(sub) -> None:
    """search and ask."""
    from .limits import MAX_K, k_arg

    for name, fn, k in (("search", cmd_search, 10), ("ask", cmd_ask, 5)):
        s = sub.add_parser(name)
        s.add_argument("query")
        s.add_argument("-k", type=k_arg, default=k, help=f"passages, 0 to {MAX_K} (default {k})")
        _index_args(s)
        s.add_argument("--source", action="append", help="restrict to this document (repeatable)")
        s.add_argument("--lang", action="append", help="restrict to this language (repeatable)")
        s.add_argument("--json", action="store_true", help="print the result as JSON (as the HTTP API and the chat export)")
        s.add_argument("--reader", action="store_true",
                       help="re-order the top passages by the reader, a cross-encoder (opt-in: slower, "
                            "about 0.4 s; rag/models/README.md)")
        s.add_argument("--retriever", default=None,
                       help="hybrid, hybrid+reader, dense, bm25, bridge or bm25+bridge (default: the index's)")
        if name == "ask":
            s.add_argument("--history", action="append", metavar="QUESTION",
                           help="an earlier question of the conversation (repeatable, oldest first): "
                                "a follow-up such as 'А в 1923 году?' is searched with it")
        s.set_defaults(func=fn)


def _add_changes(sub) -> None:
    """add, sync and remove: changes to an existing index."""
    s = sub.add_parser("add", help="index new or changed files into an existing index (nothing else re-embedded)")
    s.add_argument("paths", nargs="+")
    _index_args(s)
    s.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                   help="read, chunk and embed on a Ray cluster")
    s.set_defaults(func=cmd_add)
    s = sub.add_parser("sync", help="make an index match files/folders: new and changed files indexed, "
                                    "unchanged ones untouched, the rest removed (builds it if missing)")
    s.add_argument("paths", nargs="+")
    _index_args(s)
    s.add_argument("--watch", action="store_true", help="keep syncing as files change (Ctrl-C stops)")
    s.set_defaults(func=cmd_sync)
    s = sub.add_parser("remove", help="remove documents (as `rag info` names them) from an index")
    s.add_argument("sources", nargs="+")
    _index_args(s)
    s.set_defaults(func=cmd_remove)


def _add_others(sub) -> None:
    """info, dictionaries, reshard, serve, and eval's forwarding note."""
    s = sub.add_parser("info")
    _index_args(s)
    s.set_defaults(func=cmd_info)
    s = sub.add_parser("dictionaries", help="the cross-lingual bridge's dictionaries: which languages it translates "
                                            "(reads their tables into the cache once)")
    s.add_argument("--dictionary", default=None, help="the English-Russian dictd dictionary (default: the setting's)")
    s.set_defaults(func=cmd_dictionaries)
    s = sub.add_parser("reshard", help="split an index into N shards by document (1 merges), without re-embedding")
    s.add_argument("shards", type=_shards)
    _index_args(s)
    s.set_defaults(func=cmd_reshard)
    s = sub.add_parser("serve", help="serve the index over HTTP: POST /search, POST /ask, GET /documents (docs at /docs)")
    _index_args(s)
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: this machine only)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--allow-writes", action="store_true",
                   help="allow adding (POST /documents) and removing (DELETE /documents/NAME) documents")
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("mcp", help="serve the index to an AI assistant over MCP (stdio): tools search, ask, "
                                   "list_documents (docs/mcp.md)")
    _index_args(s)
    s.add_argument("--allow-writes", action="store_true",
                   help="also offer the tools add_documents and remove_documents (read-only without it)")
    s.set_defaults(func=cmd_mcp)
    s = sub.add_parser("eval", add_help=False, help="moved: python -m eval (from a checkout)")
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_eval)


def main(argv: list[str] | None = None) -> int:
    import rag

    a = parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return a.func(a)
    except rag.QueryError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_QUERY
    except rag.IndexFormatError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INDEX


if __name__ == "__main__":
    sys.exit(main())
