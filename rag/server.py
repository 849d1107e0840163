"""HTTP API over one loaded index (FastAPI + uvicorn; pip install "rag-offline[serve]").

    rag serve --index index/ [--host 127.0.0.1] [--port 8000] [--allow-writes]

POST /search and POST /ask take and give what the Python API does, as JSON;
GET /documents, GET /health; OpenAPI docs at /docs (served from the package: no CDN).
Binds to localhost unless told otherwise; with RAG_API_TOKEN set, every call needs
`Authorization: Bearer <token>`. Bodies and k are bounded; errors are JSON
{"error": message} with the CLI's messages, and every one is in the OpenAPI schema
(tests/test_fuzz_slow.py fuzzes the API against it). Adding (multipart upload) and
removing documents only with --allow-writes.

Every request handler is a plain function: FastAPI runs it on its thread pool, so many
clients share the one Index (searches read an immutable Searcher; writes take turns).
"""
from __future__ import annotations

import ctypes
import errno
import functools
import json
import os
import secrets
import socket
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from .index import Index
from .limits import MAX_HISTORY, MAX_K, MAX_QUERY_CHARS, validation_message
from .searcher import RETRIEVERS
from .store import IndexFormatError
from .types import Answer, DocumentInfo, Hit, QueryError
from .uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, UploadError, add_uploads, list_uploads, \
    protected_names, remove_document, too_large, too_many, upload_dir

MAX_JSON_BYTES = 64 * 1024  # a question, filters and a history fit many times over
MAX_UPLOAD_BODY = MAX_UPLOAD_FILES * MAX_UPLOAD_BYTES + 1024 * 1024  # the files and multipart framing
EXIT_SERVE = 6  # rag serve could not start: a blank token, a bad port, an address that cannot be bound

# The query's bounds as the schema states them. Empty: rag/limits.py's check (400, the words of
# every way in), which also refuses spaces or control characters alone, within the bounds: JSON
# Schema cannot say "printable" (tests/test_fuzz_slow.py allows that 400). Too long: counted as
# sent, as the schema counts (422).
_QUERY = Field(description="the question or search words", max_length=MAX_QUERY_CHARS,
               json_schema_extra={"minLength": 1})


def _whole(value):
    """k as JSON Schema reads an integer: 5.0 is 5 (a JSON number; the schema's "integer" takes
    it), 5.5, true and "5" are refused by the strict int after it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# strict: true and "5" are refused (the Python API refuses them too), bounded as by rag/limits.py
K = Annotated[int, Field(ge=0, le=MAX_K, strict=True), BeforeValidator(_whole)]  # this order: a valid schema
_NAMES = "documents to search, as GET /documents names them (a name not in the index: 400)"
_LANGS = "languages to search, e.g. ru, en (a language the index has no passage in: 400)"


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field ("source") is refused, not ignored

    query: str = _QUERY
    k: K = 10
    sources: list[str] | None = Field(None, description=_NAMES)
    langs: list[str] | None = Field(None, description=_LANGS)
    retriever: str | None = Field(None, description="None: the index's default (Settings.reader decides)",
                                  json_schema_extra={"enum": [*RETRIEVERS, None]})


class AskRequest(SearchRequest):
    k: K = 5
    history: list[str] = Field(default_factory=list, max_length=MAX_HISTORY,
                               description="earlier questions of the conversation, oldest first")


# the upload's parts (module level: the annotations are read by name, from the module)
_FILES = File(description=f"the files to add, at most {MAX_UPLOAD_FILES} of {MAX_UPLOAD_BYTES >> 20} MB each "
                          f"(more: 413, nothing saved)", json_schema_extra={"minItems": 1, "maxItems": MAX_UPLOAD_FILES})
_REPLACE = Query(description="let a file replace an earlier upload of the same name (without it, such a file is refused)")


class ErrorReply(BaseModel):
    error: str = Field(description="what was wrong, in the CLI's words")


class SearchReply(BaseModel):
    hits: list[Hit]


class Health(BaseModel):
    status: str
    documents: int
    chunks: int
    generation: int
    model: str | None
    writes: bool
    notices: list[str]


# (name, reason): a pair, stated as an array of two strings (schemathesis 4.32 misreads 3.1's prefixItems)
Pair = Annotated[list[str], Field(min_length=2, max_length=2)]


class Report(BaseModel):
    """rag.BuildReport as JSON."""

    indexed: list[str]
    unchanged: list[str]
    removed: list[str]
    skipped: list[Pair] = Field(description="(name, why it was not indexed)")
    chunks: int
    seconds: float
    warnings: list[Pair] = Field(description="(name, problem) of files indexed anyway")


class Saved(BaseModel):
    name: str = Field(description="the file name as sent")
    saved_as: str = Field(description="the name it is kept and indexed under (folders and odd characters dropped)")
    replaced: bool = Field(description="it replaced an earlier upload of that name (only with replace=true)")


class UploadReply(BaseModel):
    accepted: list[Saved]
    refused: list[Pair] = Field(description="(name as sent, reason) of the files not saved")
    report: Report | None = Field(description="what indexing the accepted files did; null when none was")


_WHY = {
    400: "a bad query (empty, a document or language not in the index, an unknown retriever) or body; "
         "an upload of which no file could be added (each file's reason is given)",
    401: "a missing or wrong token (only when the server has RAG_API_TOKEN)",
    403: "writes are not allowed: the server was started without --allow-writes",
    404: "no document of that name in the index",
    413: "the body, a file (over 20 MB) or the number of files (over 10) is too large",
    422: "a field of the wrong type or out of its bounds",
}


def _errors(*codes: int) -> dict:
    """The error replies an operation can give, for its OpenAPI entry: all {"error": ...}."""
    return {c: {"model": ErrorReply, "description": _WHY[c]} for c in (401, 413, *codes)}


class ServeError(Exception):
    """rag serve cannot start (the message says why, in one line); the CLI exits EXIT_SERVE."""


class _TooLarge(Exception):
    pass


async def _send_json(send, status: int, body: dict, headers: list | None = None) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


class Guard:
    """ASGI middleware in front of every route, /docs included: the token, then the body
    size (by Content-Length, and counted as it streams in for a body without one)."""

    def __init__(self, app, token: str | None):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if self.token:
            given = headers.get(b"authorization", b"")
            if not secrets.compare_digest(given, f"Bearer {self.token}".encode()):
                return await _send_json(send, 401, {"error": "missing or wrong token: send Authorization: Bearer "
                                                             "<RAG_API_TOKEN>"}, [(b"www-authenticate", b"Bearer")])
        upload = scope["path"] == "/documents" and scope["method"] == "POST"
        limit = MAX_UPLOAD_BODY if upload else MAX_JSON_BYTES
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _send_json(send, 413, {"error": f"request body over {limit:,} bytes"})
        seen, started = 0, False

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge(f"request body over {limit:,} bytes")
            return message

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge as e:
            if not started:
                await _send_json(send, 413, {"error": str(e)})


def check_token(token: str | None) -> str | None:
    """The API token, or None for none; ServeError for one that no client could send: HTTP
    drops a header value's leading and trailing spaces, so " " or "abc " would refuse every call."""
    if token is None:
        return None
    if not token.strip():
        raise ServeError("RAG_API_TOKEN is set but blank: set a token (e.g. python -c 'import secrets; "
                         "print(secrets.token_urlsafe())') or unset it")
    if token != token.strip() or not token.isprintable():
        raise ServeError("RAG_API_TOKEN starts or ends with a space or holds a control character, which HTTP "
                         "cannot carry: remove it")
    return token


def make_app(index: Index, allow_writes: bool = False, token: str | None = None, uploads: Path | None = None):
    """The ASGI app over `index` (FastAPI behind the Guard); `uploads`: where uploaded files
    are kept (default: $RAG_UPLOAD_DIR or "uploads" beside the index, as in the chat)."""
    token = check_token(token)
    app = FastAPIOffline(title="rag: offline question answering over documents", version="1",
                         description="Search and cited extractive answers over one index; every word comes from "
                                     "the documents. Every error is JSON {\"error\": message}.")
    _add_error_handlers(app)
    _add_read_routes(app, index, allow_writes)
    _add_write_routes(app, index, allow_writes, uploads or upload_dir(index.folder))
    if token:
        _declare_token(app)
    return Guard(app, token)


def _declare_token(app: FastAPI) -> None:
    """With a token, the schema says every operation needs it (a bearer token), so that a
    client, and the fuzzer's auth check, know it is required."""
    made = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = made()
            schema.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
            schema["security"] = [{"bearer": []}]
        return app.openapi_schema

    app.openapi = openapi


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _allowed(request: Request) -> str:
    """The methods some route takes at this path (Starlette's 405 lists only the first route's)."""
    methods = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] != Match.NONE:
            methods |= set(route.methods or ())
    return ", ".join(sorted(methods))


def _add_error_handlers(app: FastAPI) -> None:
    """Every error as JSON {"error": message}, with the status that says whose fault it is."""

    @app.exception_handler(QueryError)
    async def _query_error(_req: Request, e: QueryError):
        return _error(400, str(e))

    @app.exception_handler(UploadError)
    async def _upload_error(_req: Request, e: UploadError):
        return _error(400, str(e))

    @app.exception_handler(IndexFormatError)
    async def _index_error(_req: Request, e: IndexFormatError):
        return _error(500, str(e))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, e: RequestValidationError):
        first = e.errors()[0] if e.errors() else {}
        if known := validation_message(first):  # k, query, history: the words of every way in (rag/limits.py)
            return _error(422, known)
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return _error(422, f"{where}: {first.get('msg', 'invalid request')}" if where else first.get("msg", "invalid"))

    @app.exception_handler(HTTPException)
    async def _http(req: Request, e: HTTPException):
        if isinstance(e.__cause__, _TooLarge):  # FastAPI reports a failed body read as 400
            return _error(413, str(e.__cause__))
        if e.status_code == 405:
            return _error(405, f"{req.method} is not allowed here; allowed: {_allowed(req)}", {"Allow": _allowed(req)})
        return _error(e.status_code, str(e.detail), e.headers)


def _add_read_routes(app: FastAPI, index: Index, allow_writes: bool) -> None:
    @app.get("/health", responses=_errors())
    def health() -> Health:
        m = index.payload.manifest
        return Health(status="ok", documents=len(m.files), chunks=len(index.payload.chunks), generation=m.generation,
                      model=m.model.get("name"), writes=allow_writes, notices=list(index.notices))

    @app.get("/documents", responses=_errors())
    def documents() -> list[DocumentInfo]:
        return index.documents()

    @app.post("/search", responses=_errors(400, 422))
    def search(r: SearchRequest) -> SearchReply:
        return SearchReply(hits=index.search(r.query, r.k, r.sources, r.langs, r.retriever))

    @app.post("/ask", responses=_errors(400, 422))
    def ask(r: AskRequest) -> Answer:
        return index.ask(r.query, r.k, r.sources, r.langs, history=r.history, retriever=r.retriever)


def give_back_memory() -> None:
    """Return the heap a write freed to the system (glibc's malloc_trim; elsewhere nothing).

    A write builds a whole new generation (FAISS, BM25, vectors) on one of the pool's threads
    while readers allocate on others; glibc keeps what each thread's arena freed for reuse, so
    with readers and a writer together the server grew run after run (issue 31: 1228 -> 1643 MB)
    while Python held one Searcher and one generation (tracemalloc: flat). bench/serve.py --mixed."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: its allocator decides
        return None


def _add_write_routes(app: FastAPI, index: Index, allow_writes: bool, folder: Path) -> None:
    """Adding and removing documents (uploads kept in `folder`); 403 without --allow-writes."""
    writing = threading.Lock()  # an upload's save-then-index and a removal's unindex-then-delete take turns

    def writes_allowed() -> None:
        if not allow_writes:
            raise HTTPException(403, "this server was started without --allow-writes")

    @app.post("/documents", responses=_errors(400, 403, 422))
    def add(files: Annotated[list[UploadFile], _FILES], replace: Annotated[bool, _REPLACE] = False) \
            -> UploadReply:
        writes_allowed()
        sizes = [f.size if f.size is not None else len(f.file.read()) for f in files]
        if len(files) > MAX_UPLOAD_FILES:  # the whole upload, as the limits are documented: 413
            raise HTTPException(413, f"{too_many(len(files))}; nothing was saved")
        big = [f"{f.filename}: {too_large(n)}" for f, n in zip(files, sizes) if n > MAX_UPLOAD_BYTES]
        if big:
            raise HTTPException(413, f"{'; '.join(big)}; nothing was saved")
        data = [(f.filename or "", (f.file.seek(0), f.file.read(MAX_UPLOAD_BYTES + 1))[1]) for f in files]
        with writing:
            protected = protected_names([d.source for d in index.documents()], list_uploads(folder), [])
            check, report = add_uploads(index, folder, data, protected, replace=replace)
            give_back_memory()
        if not check.accepted:  # nothing changed: the client's mistake, each file's reason said
            raise HTTPException(400, "nothing added: " + "; ".join(f"{name}: {why}" for name, why in check.refused))
        replaced = set(check.replaced)
        return UploadReply(accepted=[Saved(name=name, saved_as=safe, replaced=safe in replaced)
                                     for name, safe in check.accepted],
                           refused=[list(x) for x in check.refused],
                           report=Report(**asdict(report)) if report is not None else None)

    @app.delete("/documents/{source:path}", responses=_errors(403, 404, 422))
    def remove(source: str) -> Report:
        writes_allowed()
        with writing:
            if source not in {d.source for d in index.documents()}:
                raise HTTPException(404, f"not in the index: {source}")
            report = remove_document(index, folder, source)
            give_back_memory()
        return Report(**asdict(report))


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or ServeError in one line: checked before "serving …" is
    printed, and handed to uvicorn, so no other process can take the port in between."""
    if not 0 < port < 65536:
        raise ServeError(f"port must be 1 to 65535, not {port}")
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                                 flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as e:
        raise ServeError(f"cannot serve on {host}: unknown host ({getattr(e, 'strerror', None) or e})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a restart needs no wait
        sock.bind(address)
    except OSError as e:
        sock.close()
        why = {errno.EADDRINUSE: "the port is in use (another rag serve?): choose another with --port",
               errno.EADDRNOTAVAIL: "not an address of this machine: use 127.0.0.1, or 0.0.0.0 for all of them",
               errno.EACCES: "not allowed (a port below 1024 needs root): choose another with --port"}
        raise ServeError(f"cannot serve on {host}:{port}: {why.get(e.errno, e.strerror or str(e))}") from None
    sock.set_inheritable(True)
    return sock


def serve(folder: str, host: str = "127.0.0.1", port: int = 8000, allow_writes: bool = False,
          token: str | None = None, model: str | None = None) -> None:
    """Load the index and serve it until interrupted; `token`: default $RAG_API_TOKEN.
    ServeError (before anything is served) when the token is blank or host:port cannot be bound."""
    import uvicorn

    token = check_token(os.environ.get("RAG_API_TOKEN") if token is None else token)
    sock = listen(host, port)  # before the index loads: a taken port is said at once
    try:
        index = Index.load(folder, model=model)
        if host not in ("127.0.0.1", "localhost", "::1") and not token:
            print(f"warning: serving on {host} without a token: anyone who can reach it can query"
                  f"{' and change' if allow_writes else ''} the index; set RAG_API_TOKEN", file=sys.stderr)
        shown = f"[{host}]" if ":" in host else host
        print(f"serving {folder} ({len(index.documents())} documents) on http://{shown}:{port} "
              f"(API docs at /docs){'; writes allowed' if allow_writes else ''}", file=sys.stderr, flush=True)
        app = make_app(index, allow_writes=allow_writes, token=token)
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    finally:
        sock.close()
