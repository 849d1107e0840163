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
    ({"query": Q, "k": MAX_K + 1}, 422, "k must be a whole number from 0 to 100, not 101"),  # rag/limits.py's
    ({"query": Q, "k": -1}, 422, "k must be a whole number from 0 to 100, not -1"),
    ({"k": 3}, 422, "query: "),
    ({"query": Q, "history": "not a list"}, 422, "history must be a list of earlier questions"),
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


# ------------------------------------------------------------ hardening (issue 31's black-box probe)
@pytest.fixture
def writer(idx, tmp_path):
    return TestClient(make_app(idx, allow_writes=True, uploads=tmp_path / "uploads"))


def test_a_reupload_is_refused_unless_asked_and_cleaned_names_are_said(idx, writer, tmp_path):  # probe 3
    first = writer.post("/documents", files=[("files", ("x.txt", "Первая версия о выборах.".encode()))]).json()
    assert first["accepted"] == [{"name": "x.txt", "saved_as": "x.txt", "replaced": False}]
    for name in ("x.txt", "../x.txt", "dir/x.txt"):
        r = writer.post("/documents", files=[("files", (name, "Вторая версия о колхозах.".encode()))])
        assert r.status_code == 400 and "x.txt is already uploaded" in r.json()["error"] and "replace=true" in \
            r.json()["error"], name
    assert (tmp_path / "uploads" / "x.txt").read_text(encoding="utf-8") == "Первая версия о выборах."
    r = writer.post("/documents?replace=true", files=[("files", ("../x.txt", "Вторая версия о колхозах.".encode()))])
    assert r.status_code == 200
    assert r.json()["accepted"] == [{"name": "../x.txt", "saved_as": "x.txt", "replaced": True}]
    assert r.json()["report"]["indexed"] == ["x.txt"]
    assert "колхозах" in idx.search("колхозах", k=1, sources=["x.txt"])[0].text


def test_a_document_in_a_subfolder_can_be_removed(tmp_path):  # probe 6
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "note.txt").write_text("Заметка о выборах в сельсоветы.", encoding="utf-8")
    (docs / "top.txt").write_text("Another document about farms.", encoding="utf-8")
    sub_idx = rag.build([docs], tmp_path / "index", model=FakeEmbedder())
    c = TestClient(make_app(sub_idx, allow_writes=True, uploads=tmp_path / "uploads"))
    assert "sub/note.txt" in [d["source"] for d in c.get("/documents").json()]
    r = c.delete("/documents/sub%2Fnote.txt")
    assert r.status_code == 200 and r.json()["removed"] == ["sub/note.txt"]
    assert [d["source"] for d in c.get("/documents").json()] == ["top.txt"]
    assert (docs / "sub" / "note.txt").is_file()  # not an upload: its file stays


def test_ask_takes_and_checks_retriever(idx, client):  # probe 7
    r = client.post("/ask", json={"query": Q, "retriever": "nonsense"})
    assert r.status_code == 400 and r.json()["error"].startswith("unknown retriever 'nonsense'")
    r = client.post("/ask", json={"query": Q, "retriever": "bm25", "k": 3})
    assert r.status_code == 200
    assert r.json() == json.loads(json.dumps(asdict(idx.ask(Q, k=3, retriever="bm25"))))
    assert r.json()["hits"] != client.post("/ask", json={"query": Q, "retriever": "dense", "k": 3}).json()["hits"]


def test_replies_name_files_not_server_folders(idx, writer, tmp_path):  # probe 9
    r = writer.post("/documents", files=[("files", ("photo.png", os.urandom(4000))),
                                         ("files", ("ok.txt", "Текст о выборах.".encode()))])
    assert r.status_code == 200
    assert dict(map(tuple, r.json()["report"]["skipped"]))["photo.png"]  # unreadable, and says why
    assert str(tmp_path) not in r.text and "/uploads/" not in r.text
    errors = []

    def race(n: int) -> None:  # an upload racing a delete of the same name
        for _ in range(6):
            up = writer.post("/documents?replace=true", files=[("files", ("race.txt", f"Гонка {n}.".encode()))])
            down = writer.delete("/documents/race.txt")
            errors.extend(x.text for x in (up, down) if x.status_code >= 500 or str(tmp_path) in x.text)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    indexed = "race.txt" in [d.source for d in idx.documents()]
    assert indexed == (tmp_path / "uploads" / "race.txt").exists()  # consistent: file and index agree


def test_size_refusals_are_413_with_the_real_size(writer, tmp_path):  # probe 10
    from rag.uploads import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES

    r = writer.post("/documents", files=[("files", ("big.txt", b"a" * (21 * 2**20))),
                                         ("files", ("small.txt", "Маленький.".encode()))])
    assert r.status_code == 413 and r.json()["error"].startswith("big.txt: file too large (21.0 MB > 20 MB)")
    r = writer.post("/documents", files=[("files", ("edge.txt", b"a" * (MAX_UPLOAD_BYTES + 1)))])
    assert r.status_code == 413 and "(20.000001 MB > 20 MB)" in r.json()["error"]
    many = [("files", (f"f{i}.txt", f"Файл {i}.".encode())) for i in range(MAX_UPLOAD_FILES + 1)]
    r = writer.post("/documents", files=many)
    assert r.status_code == 413 and r.json()["error"].startswith("too many files at once (11 > 10)")
    assert not (tmp_path / "uploads").exists()  # nothing saved
    assert writer.post("/documents", files=many[:MAX_UPLOAD_FILES]).status_code == 200


@pytest.mark.parametrize("token", ["", " ", "\t", " padded", "tok\n"])
def test_a_token_no_client_could_send_is_refused_at_start(idx, tmp_path, token, monkeypatch, capsys):  # probe 11
    from rag.cli import main
    from rag.server import EXIT_SERVE, ServeError

    with pytest.raises(ServeError, match="RAG_API_TOKEN"):
        make_app(idx, token=token, uploads=tmp_path / "u")
    monkeypatch.setenv("RAG_API_TOKEN", token)
    assert main(["serve", "--index", str(idx.folder), "--port", str(free_port())]) == EXIT_SERVE
    err = capsys.readouterr().err
    assert err.startswith("error: RAG_API_TOKEN") and err.count("\n") == 1 and "serving" not in err


def test_start_up_errors_are_one_line_and_exit_6(idx, monkeypatch, capsys):  # probe 5
    from rag.cli import main

    monkeypatch.delenv("RAG_API_TOKEN", raising=False)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        for args, words in ((["--port", "99999"], "port must be 1 to 65535, not 99999"),
                            (["--port", str(taken.getsockname()[1])], "the port is in use"),
                            (["--host", "192.0.2.1", "--port", "8000"], "not an address of this machine"),
                            (["--host", "no-such-host.invalid"], "unknown host")):
            assert main(["serve", "--index", str(idx.folder), *args]) == 6, args
            err = capsys.readouterr().err
            assert err.startswith("error: cannot serve") or err.startswith("error: port"), err
            assert words in err and err.count("\n") == 1 and "serving" not in err and "Traceback" not in err
    finally:
        taken.close()


def test_every_error_reply_is_in_the_schema(client):  # probe 13
    schema = client.get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorReply"}
    expected = {("/search", "post"): {"400", "401", "413", "422"}, ("/ask", "post"): {"400", "401", "413", "422"},
                ("/documents", "get"): {"401", "413"}, ("/health", "get"): {"401", "413"},
                ("/documents", "post"): {"400", "401", "403", "413", "422"},
                ("/documents/{source}", "delete"): {"401", "403", "404", "413", "422"}}
    for (path, method), codes in expected.items():
        responses = schema["paths"][path][method]["responses"]
        assert set(responses) - {"200"} == codes, (path, method)
        assert all(responses[c]["content"]["application/json"]["schema"] == error for c in codes), (path, method)
    body = schema["components"]["schemas"]
    assert body["SearchRequest"]["properties"]["query"]["minLength"] == 1  # "" is an error under the schema too
    assert body["SearchRequest"]["additionalProperties"] is False
    upload = next(v for k, v in body.items() if k.startswith("Body_add"))
    assert upload["properties"]["files"]["minItems"] == 1  # an empty multipart too


def test_unknown_document_is_404_and_405_says_allow(writer):  # probe 13
    r = writer.delete("/documents/never-indexed.txt")
    assert r.status_code == 404 and r.json() == {"error": "not in the index: never-indexed.txt"}
    r = writer.put("/documents")
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST" and "allowed: GET, POST" in \
        r.json()["error"]
    r = writer.get("/search")
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_docs_load_nothing_from_outside(client):  # probe 14
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html) + re.findall(r"""url: ?'([^']+)'""", html)
        assert urls and not [u for u in urls if "//" in u], (page, urls)  # no CDN, no other host
        for u in urls:
            assert client.get(u).status_code == 200, u


def test_bad_fields_are_refused_like_everywhere(client):  # probe 14
    r = client.post("/search", json={"query": Q, "langs": ["de"]})
    assert r.status_code == 400 and r.json()["error"].startswith("no passages in language de")
    r = client.post("/search", json={"query": Q, "k": True})
    assert r.status_code == 422 and "not True" in r.json()["error"]
    r = client.post("/search", json={"query": Q, "source": ["ru_elections.txt"]})  # misspelt: not ignored
    assert r.status_code == 422 and r.json()["error"].startswith("source: ")
    assert client.post("/search", json={"query": Q, "k": 3.0}).json() == client.post(
        "/search", json={"query": Q, "k": 3}).json()  # JSON's 3.0 is the integer 3, as the schema reads it


def test_writes_leave_one_generation_behind_and_give_memory_back(idx, tmp_path, monkeypatch):  # probe 15
    import gc

    from rag.generation import Generation
    from rag.searcher import Searcher

    trims = []
    monkeypatch.setattr("rag.server._malloc_trim", lambda: trims.append)  # glibc's malloc_trim, counted
    c = TestClient(make_app(idx, allow_writes=True, uploads=tmp_path / "uploads"))

    def alive() -> tuple[int, int]:  # other tests' indexes may be alive too: compared with before
        gc.collect()
        # type(), not isinstance(): isinstance reads __class__, which raises ReferenceError on a
        # dead weakref.proxy that other tests left among gc's objects
        kinds = [type(o) for o in gc.get_objects()]
        return (sum(issubclass(t, Searcher) for t in kinds), sum(issubclass(t, Generation) for t in kinds))

    before = alive()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            assert c.post("/ask", json={"query": Q, "k": 3}).status_code == 200

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for i in range(5):  # a new generation each time, read from while it is made
            assert c.post("/documents", files=[("files", (f"w{i}.txt", f"Запись {i} о выборах.".encode()))]).status_code \
                == 200
            assert c.delete(f"/documents/w{i}.txt").status_code == 200
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert alive() == before  # ten generations made, the old ones gone with their last readers
    assert trims == [0] * 10  # after every write, the freed heap handed back (bench/serve.py --mixed)
