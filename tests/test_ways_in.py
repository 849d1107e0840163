"""Every way in refuses the same bad input with the same message: the Python API, the CLI, HTTP
and MCP (rag/limits.py holds the bounds and the checks). Each row here is a row of the table
"Every way in" in docs/bad-inputs.md, and each runs through all four (FakeEmbedder, fast)."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from helpers.docs import EN_MD, RU_TEXT
from helpers.fakes import FakeEmbedder

import rag
from rag.cli import EXIT_QUERY, main
from rag.limits import MAX_HISTORY, MAX_K, MAX_QUERY_CHARS

ROOT = Path(__file__).resolve().parents[1]
Q = "Когда прошли выборы в сельсоветы?"
RETRIEVERS = "hybrid, hybrid+reader, dense, bm25, bridge, bm25+bridge"
K_MESSAGE = f"k must be a whole number from 0 to {MAX_K}, not "

# id: (tool, the call's arguments (as Python and JSON take them), the CLI's arguments after the
# query (None: the CLI cannot say it), HTTP's status, the message)
ROWS = {
    "empty query": ("ask", {"query": ""}, [], 400, "empty query: type a question"),
    "whitespace query": ("search", {"query": " \n\t "}, [], 400, "empty query: type a question"),
    "k negative": ("search", {"query": Q, "k": -1}, ["-k", "-1"], 422, K_MESSAGE + "-1"),
    "k not a number": ("ask", {"query": Q, "k": "five"}, ["-k", "five"], 422, K_MESSAGE + "'five'"),
    "k too large": ("search", {"query": Q, "k": MAX_K + 1}, ["-k", str(MAX_K + 1)], 422, K_MESSAGE + "101"),
    "k a fraction": ("ask", {"query": Q, "k": 5.5}, ["-k", "5.5"], 422, K_MESSAGE + "5.5"),
    "k a bool": ("ask", {"query": Q, "k": True}, None, 422, K_MESSAGE + "True"),
    "unknown source": ("ask", {"query": Q, "sources": ["nope.txt"]}, ["--source", "nope.txt"], 400,
                       "not in the index: nope.txt"),
    "unknown language": ("search", {"query": Q, "langs": ["de"]}, ["--lang", "de"], 400,
                         "no passages in language de; the index has en, ru"),
    "unknown retriever": ("ask", {"query": Q, "retriever": "magic"}, ["--retriever", "magic"], 400,
                          f"unknown retriever 'magic': one of {RETRIEVERS}"),
    "history not a list": ("ask", {"query": Q, "history": "not a list"}, None, 422,
                           "history must be a list of earlier questions, oldest first, not str"),
    "history item not text": ("ask", {"query": Q, "history": [Q, 5]}, None, 422,
                              "history must hold questions as text, not int"),
    "history too long": ("ask", {"query": Q, "history": [Q] * (MAX_HISTORY + 1)},
                         [a for _ in range(MAX_HISTORY + 1) for a in ("--history", Q)], 422,
                         f"history too long: {MAX_HISTORY + 1} questions, at most {MAX_HISTORY} (the latest)"),
    "query too long": ("ask", {"query": "x" * (MAX_QUERY_CHARS + 1)}, [], 422,
                       "query too long: 2,001 characters, at most 2,000"),
}


@pytest.fixture(scope="module")
def idx(tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs")
    (docs / "ru.txt").write_text(RU_TEXT, encoding="utf-8")
    (docs / "en.md").write_text(EN_MD, encoding="utf-8")
    return rag.build([docs], tmp_path_factory.mktemp("ways") / "index", model=FakeEmbedder())


@pytest.fixture(scope="module")
def http(idx, tmp_path_factory):
    from fastapi.testclient import TestClient

    from rag.server import make_app

    return TestClient(make_app(idx, uploads=tmp_path_factory.mktemp("uploads")))


@pytest.fixture(scope="module")
def mcp_server(idx):
    pytest.importorskip("mcp")
    from rag.mcp import make_server

    return make_server(idx)


@pytest.mark.parametrize("row", ROWS)
def test_python_api(idx, row):
    tool, args, _, _, message = ROWS[row]
    with pytest.raises(rag.QueryError) as e:
        getattr(idx, tool)(**args)
    assert str(e.value) == message


@pytest.mark.parametrize("row", ROWS)
def test_cli(idx, row, capsys, monkeypatch):
    tool, args, cli, _, message = ROWS[row]
    if cli is None:
        pytest.skip("the CLI cannot express it (its arguments are text, and --history a list)")
    monkeypatch.setattr(rag.index, "load_embedder", lambda model=None, **kw: FakeEmbedder())
    assert main([tool, args["query"], "--index", str(idx.folder), *cli]) == EXIT_QUERY
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {message}\n"


@pytest.mark.parametrize("row", ROWS)
def test_http(http, row):
    tool, args, _, status, message = ROWS[row]
    r = http.post(f"/{tool}", json=args)
    assert (r.status_code, r.json()) == (status, {"error": message})


@pytest.mark.parametrize("row", ROWS)
def test_mcp(mcp_server, row):
    from mcp import Client

    tool, args, _, _, message = ROWS[row]

    async def call():
        async with Client(mcp_server) as c:  # the SDK's client, connected in-process
            return await c.call_tool(tool, args)

    r = asyncio.run(call())
    assert r.is_error and [c.text for c in r.content] == [message]


def test_the_table_in_docs_lists_every_row_with_its_message():
    text = (ROOT / "docs" / "bad-inputs.md").read_text(encoding="utf-8")
    section = text[text.index("## Every way in"):]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| ([^|]+?) \| `([^`]+)` \|", section, re.M)}
    assert set(rows) == set(ROWS)
    assert rows == {row: message for row, (*_, message) in ROWS.items()}
