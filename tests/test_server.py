"""The HTTP API (rag/server.py): each endpoint through FastAPI's test client, the token,
the bounds, errors as JSON with the CLI's messages, writes only when allowed; and one
real `rag serve` over HTTP with concurrent clients (the FakeEmbedder stands in for e5)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest
from helpers.app_server import free_port
from helpers.fakes import FakeEmbedder

import rag

from fastapi.testclient import TestClient

from rag.server import MAX_JSON_BYTES, MAX_K, make_app

TESTS = Path(__file__).resolve().parent
Q = "Когда прошли выборы в сельсоветы?"


@pytest.fixture
def idx(small_corpus, tmp_path):
    return rag.build([small_corpus], tmp_path / "index", model=FakeEmbedder())


@pytest.fixture
def client(idx, tmp_path):
    return TestClient(make_app(idx, uploads=tmp_path / "uploads"))


def test_search_and_ask_return_what_the_python_api_does(idx, client):
    r = client.post("/search", json={"query": Q, "k": 3})
    assert r.status_code == 200
    assert r.json() == {"hits": [asdict(h) for h in idx.search(Q, k=3)]}
    r = client.post("/search", json={"query": Q, "k": 3, "langs": ["en"], "retriever": "bm25"})
    assert r.json()["hits"] == [asdict(h) for h in idx.search(Q, k=3, langs=["en"], retriever="bm25")]
    r = client.post("/ask", json={"query": "А в 1925?", "history": [Q]})
    assert r.status_code == 200
    assert r.json() == json.loads(json.dumps(asdict(idx.ask("А в 1925?", history=[Q]))))  # tuples as lists
    assert r.json()["searched_as"] != "А в 1925?"


def test_documents_and_health(idx, client):
    assert [rag.DocumentInfo(**{**d, "langs": tuple(d["langs"])}) for d in client.get("/documents").json()] == \
        idx.documents()
    h = client.get("/health").json()
    assert h["status"] == "ok" and h["documents"] == 3 and h["chunks"] == len(idx.payload.chunks)
    assert client.get("/openapi.json").json()["paths"].keys() >= {"/search", "/ask", "/documents", "/health"}


@pytest.mark.parametrize("body, status, words", [
    ({"query": ""}, 400, "empty query: type a question"),  # the CLI's message
    ({"query": Q, "sources": ["nope.txt"]}, 400, "not in the index: nope.txt"),
    ({"query": Q, "retriever": "magic"}, 400, "unknown retriever"),
    ({"query": Q, "k": MAX_K + 1}, 422, "k: "),
    ({"query": Q, "k": -1}, 422, "k: "),
    ({"k": 3}, 422, "query: "),
    ({"query": Q, "history": "not a list"}, 422, "history: "),
])
def test_bad_requests_get_json_errors(client, body, status, words):
    r = client.post("/ask" if "history" in body else "/search", json=body)
    assert r.status_code == status
    assert words in r.json()["error"]


def test_bodies_are_bounded(client):
    r = client.post("/search", content=json.dumps({"query": "x" * (MAX_JSON_BYTES + 10)}),
                    headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over" in r.json()["error"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"query": "'
        for _ in range(MAX_JSON_BYTES // 1000 + 2):
            yield b"x" * 1000
        yield b'"}'

    r = client.post("/search", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unknown_route_is_json(client):
    r = client.get("/nope")
    assert r.status_code == 404 and r.json() == {"error": "Not Found"}


def test_token_is_required_on_every_call(idx, tmp_path):
    c = TestClient(make_app(idx, token="s3cret", uploads=tmp_path / "u"))  # noqa: S106 (a test token)
    for method, path in (("get", "/health"), ("get", "/documents"), ("get", "/docs"), ("post", "/search")):
        r = getattr(c, method)(path, **({"json": {"query": Q}} if method == "post" else {}))
        assert r.status_code == 401 and "token" in r.json()["error"], path
    bad = c.post("/search", json={"query": Q}, headers={"authorization": "Bearer wrong"})
    assert bad.status_code == 401
    ok = c.post("/search", json={"query": Q}, headers={"authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.json()["hits"]


def test_writes_need_allow_writes(idx, client, tmp_path):
    r = client.post("/documents", files=[("files", ("new.txt", "Новый текст о выборах 1926 года.".encode()))])
    assert r.status_code == 403 and "--allow-writes" in r.json()["error"]
    assert client.delete("/documents/ru_elections.txt").status_code == 403
    assert "ru_elections.txt" in [d.source for d in idx.documents()]


def test_upload_and_remove_with_allow_writes(idx, tmp_path):
    up = tmp_path / "uploads"
    c = TestClient(make_app(idx, allow_writes=True, uploads=up))
    text = "Перевыборы в Тамбовской губернии прошли в феврале 1925 года при высокой явке."
    r = c.post("/documents", files=[("files", ("tambov.txt", text.encode())), ("files", ("evil.exe", b"MZ"))])
    assert r.status_code == 200
    body = r.json()
    assert body["report"]["indexed"] == ["tambov.txt"] and body["refused"][0][0] == "evil.exe"
    assert (up / "tambov.txt").read_text(encoding="utf-8") == text
    assert c.post("/search", json={"query": "Тамбовской губернии", "k": 1}).json()["hits"][0]["source"] == "tambov.txt"
    r = c.delete("/documents/tambov.txt")
    assert r.status_code == 200 and r.json()["removed"] == ["tambov.txt"]
    assert not (up / "tambov.txt").exists()
    assert c.delete("/documents/tambov.txt").json()["error"] == "not in the index: tambov.txt"


SERVE = r"""
import sys
sys.path.insert(0, sys.argv[1])
from helpers.app_server import free_port
from helpers.fakes import FakeEmbedder
import rag.index
rag.index.load_embedder = lambda model=None, **kw: FakeEmbedder()  # `rag serve` loads the index's model by name
from rag.cli import main
sys.exit(main(["serve", "--index", sys.argv[2], "--port", sys.argv[3]]))
"""


def _post(url: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    r = httpx.post(url, json=body, headers=headers, timeout=30)  # a new connection each time, as separate clients
    return r.status_code, r.json()


def test_rag_serve_over_http_with_concurrent_clients(idx):
    port = free_port()
    env = {**os.environ, "RAG_API_TOKEN": "tok"}
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(TESTS), str(idx.folder), str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                time.sleep(0.1)
        assert _post(f"{base}/search", {"query": Q})[0] == 401  # RAG_API_TOKEN is in force
        queries = [Q, "collective farms famine", "Кузнецкий округ", "инструкторы ВЦИК", "five-year plan 1928"]
        expected = {q: _post(f"{base}/search", {"query": q, "k": 5}, "tok")[1] for q in queries}
        assert expected[Q] == {"hits": [asdict(h) for h in idx.search(Q, k=5)]}
        got, errors = [], []

        def client(n: int) -> None:
            for i in range(25):
                q = queries[(n + i) % len(queries)]
                status, body = _post(f"{base}/search", {"query": q, "k": 5}, "tok")
                (got if status == 200 else errors).append((q, body))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(got) == 8 * 25  # nothing lost
        assert all(body == expected[q] for q, body in got)  # the same as one client alone
    finally:
        proc.terminate()
        proc.wait(timeout=30)
