"""`rag mcp` over the shipped index of the bundled corpus, with the real model, started by the
official MCP client as an assistant starts it: a Russian question is answered with the cited
English quote (issue 31's "done means")."""
from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mcp")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INDEX = ROOT / "data" / "corpus-index"
QUESTION = "Сколько голосов против Сталина было подано на XVII съезде по словам Шатуновской?"

pytestmark = pytest.mark.slow


def test_ask_over_stdio_gives_the_cited_quote_across_languages(tmp_path):
    assert (INDEX / "manifest.json").exists(), f"the shipped index is missing at {INDEX}"
    rag = Path(sys.executable).parent / "rag"  # the console script, as an assistant's config starts it
    params = StdioServerParameters(command=str(rag), args=["mcp", "--index", str(INDEX)], cwd=ROOT)

    async def scenario():
        t0 = time.perf_counter()
        with open(tmp_path / "stderr.log", "w") as log:
            async with stdio_client(params, errlog=log) as (read, write), ClientSession(read, write) as s:
                await s.initialize()
                names = {t.name for t in (await s.list_tools()).tools}
                t1 = time.perf_counter()
                first = await s.call_tool("ask", {"query": QUESTION})
                t2 = time.perf_counter()
                again = await s.call_tool("ask", {"query": QUESTION, "k": 5})
                t3 = time.perf_counter()
                docs = await s.call_tool("list_documents", {})
        print(f"\nrag mcp over data/corpus-index: started and listed in {t1 - t0:.1f} s, "
              f"first ask {t2 - t1:.2f} s, second {t3 - t2:.2f} s")
        return names, first, again, docs

    names, first, again, docs = asyncio.run(scenario())
    assert names == {"search", "ask", "list_documents"}
    assert not first.is_error, first.content
    ans = json.loads(first.content[0].text)
    assert ans == first.structured_content == json.loads(again.content[0].text)
    assert ans["found"] and ans["query_lang"] == "ru"
    quote = ans["quotes"][0]
    assert "292" in quote["text"] and quote["lang"] == "en"  # a Russian question, the English document's words
    assert quote["source"] == "002_cc85b1e9376323c6.txt" and quote["end"] > quote["start"]  # file and span
    assert "page" in quote and "span" in ans and "missing" in ans
    raw = (ROOT / "data" / "corpus" / quote["source"]).read_text(encoding="utf-8")
    assert "292 votes against Stalin" in raw[quote["start"]:quote["end"]]  # the citation points at the words
    sources = {d["source"] for d in json.loads(docs.content[0].text)["documents"]}
    assert quote["source"] in sources
