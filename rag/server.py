"""HTTP API over one loaded index (FastAPI + uvicorn; pip install "rag-offline[serve]").

    rag serve --index index/ [--host 127.0.0.1] [--port 8000] [--allow-writes]

POST /search and POST /ask take and give what the Python API does, as JSON;
GET /documents, GET /health; OpenAPI docs at /docs. Binds to localhost unless told
otherwise; with RAG_API_TOKEN set, every call needs `Authorization: Bearer <token>`.
Bodies and k are bounded; errors are JSON {"error": message} with the CLI's messages.
Adding (multipart upload) and removing documents only with --allow-writes.

Every request handler is a plain function: FastAPI runs it on its thread pool, so many
clients share the one Index (searches read an immutable Searcher; writes take turns).
"""
from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import asdict
from pathlib import Path

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from .index import Index
from .store import IndexFormatError
from .types import QueryError
from .uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, UploadError, add_uploads, list_uploads, protected_names, \
    remove_document, upload_dir

MAX_K = 100
MAX_JSON_BYTES = 64 * 1024  # a question, filters and a history fit many times over
MAX_HISTORY = 20
MAX_UPLOAD_BODY = MAX_UPLOAD_FILES * MAX_UPLOAD_BYTES + 1024 * 1024  # the files and multipart framing


class SearchRequest(BaseModel):
    query: str
    k: int = Field(10, ge=0, le=MAX_K)
    sources: list[str] | None = None
    langs: list[str] | None = None
    retriever: str | None = None  # None: the index's default (Settings.reader decides)


class AskRequest(BaseModel):
    query: str
    k: int = Field(5, ge=0, le=MAX_K)
    sources: list[str] | None = None
    langs: list[str] | None = None
    history: list[str] = Field(default_factory=list, max_length=MAX_HISTORY)  # earlier questions, oldest first


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


def make_app(index: Index, allow_writes: bool = False, token: str | None = None, uploads: Path | None = None):
    """The ASGI app over `index` (FastAPI behind the Guard); `uploads`: where uploaded files
    are kept (default: $RAG_UPLOAD_DIR or "uploads" beside the index, as in the chat app)."""
    app = FastAPI(title="rag: offline question answering over documents", version="1",
                  description="Search and cited extractive answers over one index; every word comes from the documents.")
    _add_error_handlers(app)
    _add_read_routes(app, index, allow_writes)
    _add_write_routes(app, index, allow_writes, uploads or upload_dir(index.folder))
    return Guard(app, token)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return _error(422, f"{where}: {first.get('msg', 'invalid request')}" if where else first.get("msg", "invalid"))

    @app.exception_handler(HTTPException)
    async def _http(_req: Request, e: HTTPException):
        if isinstance(e.__cause__, _TooLarge):  # FastAPI reports a failed body read as 400
            return _error(413, str(e.__cause__))
        return _error(e.status_code, str(e.detail))


def _add_read_routes(app: FastAPI, index: Index, allow_writes: bool) -> None:
    @app.get("/health")
    def health() -> dict:
        m = index.payload.manifest
        return {"status": "ok", "documents": len(m.files), "chunks": len(index.payload.chunks),
                "generation": m.generation, "model": m.model.get("name"), "writes": allow_writes,
                "notices": list(index.notices)}

    @app.get("/documents")
    def documents() -> list[dict]:
        return [asdict(d) for d in index.documents()]

    @app.post("/search")
    def search(r: SearchRequest) -> dict:
        return {"hits": [asdict(h) for h in index.search(r.query, r.k, r.sources, r.langs, r.retriever)]}

    @app.post("/ask")
    def ask(r: AskRequest) -> dict:
        return asdict(index.ask(r.query, r.k, r.sources, r.langs, history=r.history))


def _add_write_routes(app: FastAPI, index: Index, allow_writes: bool, folder: Path) -> None:
    """Adding and removing documents (uploads kept in `folder`); 403 without --allow-writes."""

    def writes_allowed() -> None:
        if not allow_writes:
            raise HTTPException(403, "this server was started without --allow-writes")

    @app.post("/documents")
    def add(files: list[UploadFile] = File(...)) -> dict:
        writes_allowed()
        data = [(f.filename or "", f.file.read(MAX_UPLOAD_BYTES + 1)) for f in files]
        indexed = [d.source for d in index.documents()]
        check, report = add_uploads(index, folder, data, protected_names(indexed, list_uploads(folder), []))
        return {"refused": [list(x) for x in check.refused],
                "report": asdict(report) if report is not None else None}

    @app.delete("/documents/{source}")
    def remove(source: str) -> dict:
        writes_allowed()
        return asdict(remove_document(index, folder, source))


def serve(folder: str, host: str = "127.0.0.1", port: int = 8000, allow_writes: bool = False,
          token: str | None = None, model: str | None = None) -> None:
    """Load the index and serve it until interrupted; `token`: default $RAG_API_TOKEN."""
    import uvicorn

    token = token or os.environ.get("RAG_API_TOKEN") or None
    index = Index.load(folder, model=model)
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        print(f"warning: serving on {host} without a token: anyone who can reach it can query"
              f"{' and change' if allow_writes else ''} the index; set RAG_API_TOKEN", file=sys.stderr)
    print(f"serving {folder} ({len(index.documents())} documents) on http://{host}:{port} "
          f"(API docs at /docs){'; writes allowed' if allow_writes else ''}", file=sys.stderr, flush=True)
    uvicorn.run(make_app(index, allow_writes=allow_writes, token=token), host=host, port=port, log_level="warning")
