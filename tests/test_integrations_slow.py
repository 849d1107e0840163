"""The LangChain and LlamaIndex retrievers on the shipped index with the real model (slow):
a Russian question whose answer is an English passage comes back with its citation through
each framework, and docs/frameworks.md's LCEL chain runs as printed."""
from __future__ import annotations

import asyncio
import re
import runpy
from dataclasses import asdict

import pytest
from helpers.docs import ROOT

import rag
from rag import seed
from rag.integrations import langchain as lc
from rag.integrations import llama_index as li

pytestmark = pytest.mark.slow

Q = "Сколько голосов против Сталина было подано на XVII съезде по словам Шатуновской?"
ANSWER = "292 votes against Stalin"


@pytest.fixture(scope="module")
def shipped() -> rag.Index:
    # whether it is current is tests/test_seed_slow.py's; here the retrievers only have to
    # give what Index.search gives on it
    return rag.load(seed.SEED)


@pytest.fixture(scope="module")
def expected(shipped) -> rag.Hit:
    """The Python API's passage with the answer: English, for the Russian question."""
    hit = next(h for h in shipped.search(Q, k=4) if ANSWER in h.text)
    assert hit.lang == "en"
    return hit


def citation(hit: rag.Hit) -> dict:
    return {k: v for k, v in asdict(hit).items() if k != "text"}


def test_langchain_gives_the_english_passage_and_its_citation(shipped, expected):
    r = lc.RagRetriever(index=shipped, k=4)
    for docs in (r.invoke(Q), asyncio.run(r.ainvoke(Q))):
        doc = next(d for d in docs if ANSWER in d.page_content)
        assert doc.metadata == citation(expected) and doc.id == expected.chunk_id


def test_llama_index_gives_the_english_passage_and_its_citation(shipped, expected):
    r = li.RagRetriever(shipped, k=4)
    for nodes in (r.retrieve(Q), asyncio.run(r.aretrieve(Q))):
        n = next(n for n in nodes if ANSWER in n.node.text)
        assert n.node.metadata == citation(expected) and n.node.node_id == expected.chunk_id
        assert n.score == expected.score


def test_the_lcel_chain_of_the_docs_runs_as_printed(shipped, expected, monkeypatch, tmp_path):
    page = (ROOT / "docs" / "frameworks.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- tested: [^>]*-->\n```python\n(.*?)\n```", page, re.S).group(1)
    # the block names the shipped index by its folder: that folder, loaded once for the module
    monkeypatch.chdir(ROOT)
    loaded = []

    def load(cls, folder, model=None):
        loaded.append((ROOT / folder).resolve())
        return shipped

    monkeypatch.setattr(rag.index.Index, "load", classmethod(load))
    example = tmp_path / "frameworks_example.py"
    example.write_text(block, encoding="utf-8")
    env = runpy.run_path(str(example))  # in this process, so that the patched load holds
    assert loaded == [seed.SEED.resolve()]
    text = env["messages"].to_string()
    assert f"[{expected.source}, p. -, chars {expected.start}-{expected.end}]" in text and ANSWER in text
