"""The MCP server (rag/mcp.py) as an assistant meets it: `rag mcp --index …` started by the SDK's
own stdio client (mcp.client.stdio + ClientSession), over a small index built with the
FakeEmbedder (the child process loads it with the FakeEmbedder, as tests/test_server.py's does)."""
from __future__ import annotations

import asyncio
import json
import sys
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path

import pytest
from helpers.docs import EN_MD, RU_CP1251, RU_TEXT
from helpers.fakes import FakeEmbedder

import rag
from rag.cli import EXIT_INDEX, EXIT_USAGE, main

mcp = pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
Q = "Когда прошли выборы в сельсоветы?"
SERVE = r"""
import sys
sys.path.insert(0, sys.argv[1])
from helpers.docs import EN_MD, RU_CP1251, RU_TEXT
from helpers.fakes import FakeEmbedder
import rag.index
rag.index.load_embedder = lambda model=None, **kw: FakeEmbedder()  # `rag mcp` loads the index's model by name
from rag.cli import main
sys.exit(main(["mcp", "--index", *sys.argv[2:]]))
"""


BAD_CALLS = {  # id: (tool, arguments), refused in the words of the Python API, the CLI and HTTP
    "k-negative": ("search", {"query": Q, "k": -1}),
    "k-not-a-number": ("ask", {"query": Q, "k": "five"}),
    "k-too-large": ("search", {"query": Q, "k": 101}),
    "blank-query": ("search", {"query": "   "}),
    "unknown-source": ("ask", {"query": Q, "sources": ["nope.txt"]}),
    "unknown-lang": ("search", {"query": Q, "langs": ["de"]}),
    "unknown-retriever": ("search", {"query": Q, "retriever": "magic"}),
    "history-not-a-list": ("ask", {"query": Q, "history": "not a list"}),
    "query-too-long": ("ask", {"query": "x" * 2001}),
}
QUERIES = [Q, "collective farms famine", "Кузнецкий округ", "инструкторы ВЦИК", "five-year plan 1928"]
CONCURRENT = [("search" if i % 2 else "ask", QUERIES[i % len(QUERIES)], 1 + i % 4) for i in range(24)]


@pytest.fixture(scope="module")
def idx(tmp_path_factory):
    docs = tmp_path_factory.mktemp("docs")
    (docs / "ru_elections.txt").write_text(RU_TEXT, encoding="utf-8")
    (docs / "en_farms.md").write_text(EN_MD, encoding="utf-8")
    (docs / "ru_cp1251.txt").write_bytes(RU_CP1251.encode("cp1251"))
    return rag.build([docs], tmp_path_factory.mktemp("mcp") / "index", model=FakeEmbedder())


@asynccontextmanager
async def session(folder: Path, *flags: str):
    """`rag mcp --index folder [flags]` as a child process, and a ClientSession to it."""
    params = StdioServerParameters(command=sys.executable, args=["-c", SERVE, str(TESTS), str(folder), *flags],
                                   cwd=ROOT)
    with open(folder.parent / "mcp-stderr.log", "a") as log:
        async with stdio_client(params, errlog=log) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            yield s


@pytest.fixture(scope="module")
def served(idx) -> dict:
    """One read-only `rag mcp` (starting one costs seconds), and what it answered: its tools, a call
    of each, the bad calls, then many calls at once."""
    async def scenario():
        async with session(idx.folder) as s:
            out = {"tools": {t.name: t for t in (await s.list_tools()).tools},
                   "search": await s.call_tool("search", {"query": Q, "k": 3, "langs": ["ru"]}),
                   "bm25": await s.call_tool("search", {"query": Q, "retriever": "bm25"}),
                   "ask": await s.call_tool("ask", {"query": "А в 1925?", "history": [Q]}),
                   "docs": await s.call_tool("list_documents", {}),
                   "writes": await s.call_tool("remove_documents", {"sources": ["en_farms.md"]})}
            out["bad"] = {n: await s.call_tool(tool, args) for n, (tool, args) in BAD_CALLS.items()}
            out["after"] = await s.call_tool("search", {"query": Q, "k": 1})
            out["concurrent"] = await asyncio.gather(*(s.call_tool(t, {"query": q, "k": k})
                                                       for t, q, k in CONCURRENT))
            return out

    return asyncio.run(scenario())


def plain(x):
    """A dataclass as the JSON the server sends (tuples as lists)."""
    return json.loads(json.dumps(asdict(x) if not isinstance(x, list) else [asdict(y) for y in x]))


def reply(result) -> dict:
    assert not result.is_error, result.content
    body = json.loads(result.content[0].text)  # what the assistant reads ...
    assert body == result.structured_content  # ... is the structured result too
    return body


def test_lists_search_ask_and_list_documents_with_when_to_use_and_how_to_cite(served):
    tools = served["tools"]
    assert set(tools) == {"search", "ask", "list_documents"}  # read-only: no writing tool without --allow-writes
    assert all(t.annotations.read_only_hint for t in tools.values())
    for name in ("search", "ask"):
        d = tools[name].description
        assert "Use it" in d and "exactly as given" in d and "character span" in d
        schema = tools[name].input_schema
        assert schema["required"] == ["query"]
        assert schema["properties"]["k"]["maximum"] == 100 and schema["properties"]["query"]["maxLength"] == 2000
    assert set(tools["ask"].input_schema["properties"]) == {"query", "k", "sources", "langs", "history", "retriever"}
    assert tools["ask"].input_schema["properties"]["history"]["maxItems"] == 20
    assert set(tools["search"].input_schema["properties"]) == {"query", "k", "sources", "langs", "retriever"}
    assert served["writes"].is_error and "remove_documents" in served["writes"].content[0].text  # unknown tool


def test_each_tool_answers_as_the_python_api_and_http_do(idx, served):
    assert reply(served["search"]) == {"hits": plain(idx.search(Q, k=3, langs=["ru"]))}
    assert reply(served["bm25"]) == {"hits": plain(idx.search(Q, retriever="bm25"))}
    ans = reply(served["ask"])
    assert ans == plain(idx.ask("А в 1925?", history=[Q]))  # HTTP's JSON: found, quotes, span, missing, ...
    assert {"found", "quotes", "hits", "span", "missing", "searched_as"} <= set(ans)
    assert ans["searched_as"] != "А в 1925?" and ans["hits"]
    assert all({"source", "page", "start", "end"} <= set(h) for h in ans["hits"])
    assert reply(served["docs"]) == {"documents": plain(idx.documents())}


@pytest.mark.parametrize("n", BAD_CALLS)
def test_a_bad_call_is_a_tool_error_with_the_message_of_every_way_in(idx, served, n):
    tool, args = BAD_CALLS[n]
    with pytest.raises(rag.QueryError) as e:  # the Python API's message, word for word
        getattr(idx, tool)(**args)
    bad = served["bad"][n]
    assert bad.is_error and bad.content[0].text == str(e.value)
    assert bad.structured_content == {"error": str(e.value)}  # HTTP's error body
    assert len(reply(served["after"])["hits"]) == 1  # and the server goes on


def test_concurrent_calls_each_get_their_own_answer(idx, served):
    assert len(served["concurrent"]) == len(CONCURRENT)
    for (tool, q, k), r in zip(CONCURRENT, served["concurrent"]):
        expected = {"hits": plain(idx.search(q, k=k))} if tool == "search" else plain(idx.ask(q, k=k))
        assert reply(r) == expected, (tool, q, k)


def test_calls_run_side_by_side_not_in_turn():
    """Each tool runs on a worker thread: four calls of 0.5 s each take about 0.5 s together."""
    import time

    from mcp import Client

    from rag.mcp import make_server

    class Slow:  # an index whose search takes 0.5 s
        def search(self, *args):
            time.sleep(0.5)
            return []

    async def scenario():
        async with Client(make_server(Slow())) as c:
            t = time.perf_counter()
            results = await asyncio.gather(*(c.call_tool("search", {"query": Q}) for _ in range(4)))
            return time.perf_counter() - t, results

    seconds, results = asyncio.run(scenario())
    assert [reply(r) for r in results] == [{"hits": []}] * 4
    assert seconds < 1.5, seconds  # in turn: 2 s


def test_writes_only_with_allow_writes(small_corpus, tmp_path):
    idx = rag.build([small_corpus], tmp_path / "index", model=FakeEmbedder())
    new = tmp_path / "tambov.txt"
    new.write_text("Восстание в Тамбовской губернии началось в августе 1920 года.", encoding="utf-8")

    async def scenario():
        async with session(idx.folder, "--allow-writes") as s:
            names = {t.name for t in (await s.list_tools()).tools}
            added = await s.call_tool("add_documents", {"paths": [str(new)]})
            found = await s.call_tool("search", {"query": "Тамбовской губернии", "k": 1})
            removed = await s.call_tool("remove_documents", {"sources": ["tambov.txt"]})
            again = await s.call_tool("remove_documents", {"sources": ["tambov.txt"]})
            return names, added, found, removed, again

    names, added, found, removed, again = asyncio.run(scenario())
    assert names == {"search", "ask", "list_documents", "add_documents", "remove_documents"}
    assert reply(added)["indexed"] == ["tambov.txt"]
    assert reply(found)["hits"][0]["source"] == "tambov.txt"
    assert reply(removed)["removed"] == ["tambov.txt"]
    assert again.is_error and again.content[0].text == "not in the index: tambov.txt"  # HTTP's DELETE says the same
    assert "tambov.txt" not in {d.source for d in rag.load(idx.folder, model=FakeEmbedder()).documents()}


def test_missing_index_is_the_cli_error_and_exit_3_before_serving(tmp_path, capsys):
    assert main(["mcp", "--index", str(tmp_path / "none")]) == EXIT_INDEX == 3
    out, err = capsys.readouterr()
    assert out == ""  # stdout is the protocol's: nothing printed there
    assert err.startswith("error: no index at ") and "rag index" in err


def test_without_the_sdk_it_says_what_to_install(tmp_path, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "rag.mcp" or m.startswith("mcp.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mcp", None)  # as if `mcp` were not installed
    assert main(["mcp", "--index", str(tmp_path)]) == EXIT_USAGE
    assert "pip install \"rag-offline[mcp]\"" in capsys.readouterr().err
