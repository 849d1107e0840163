"""The LangChain and LlamaIndex retrievers (rag/integrations/), through the frameworks' own
interfaces, on a tiny index with the fake embedder: the passages and citations of Index.search,
its parameters passed through, its errors and messages, and neither framework imported by rag."""
from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import asdict

import pytest
from helpers.docs import DOC_A, DOC_B, DOC_C, ROOT, SMALL, make_pdf, write
from helpers.fakes import FakeEmbedder
from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import ConfigurableField, RunnablePassthrough
from llama_index.core.schema import MetadataMode, NodeRelationship, NodeWithScore, QueryBundle

import rag
from rag import QueryError
from rag.integrations import langchain as lc
from rag.integrations import llama_index as li

CITATION = {"source", "page", "start", "end", "lang", "score", "chunk_id"}
Q = "collective farms famine"
PDF_PAGES = ["The Politburo met in 1925 to discuss the grain procurement plan. The delegates argued about "
             "prices for a week. Bukharin wanted the peasants to grow rich and sell more grain to the state.",
             "Kulaks were deported to Siberia during the collectivization of 1930. Whole villages were emptied "
             "in a month. The deported families were sent to special settlements in the taiga."]


def _build(folder):
    docs = folder / "docs"
    write(docs, "a.txt", DOC_A)
    write(docs, "b.md", DOC_B)
    write(docs, "c.txt", DOC_C)
    (docs / "d.pdf").write_bytes(make_pdf(PDF_PAGES))
    return rag.build([docs], folder / "index", model=FakeEmbedder(), settings=SMALL)


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> rag.Index:
    return _build(tmp_path_factory.mktemp("integrations"))


def citation(hit: rag.Hit) -> dict:
    return {k: v for k, v in asdict(hit).items() if k != "text"}


def as_hits(docs: list[Document]) -> list[tuple]:
    return [(d.page_content, d.metadata, d.id) for d in docs]


def want(hits: list[rag.Hit]) -> list[tuple]:
    return [(h.text, citation(h), h.chunk_id) for h in hits]


def nodes_as_hits(nodes: list[NodeWithScore]) -> list[tuple]:
    return [(n.node.get_content(MetadataMode.NONE), n.node.metadata, n.node.node_id) for n in nodes]


# the parameters of Index.search, each changing what it returns on this index
PARAMS = [{}, {"k": 1}, {"k": 0}, {"sources": ["c.txt"]}, {"sources": ["a.txt", "d.pdf"], "k": 3},
          {"langs": ["ru"]}, {"langs": ["en"], "k": 2}, {"retriever": "bm25"}, {"retriever": "dense", "k": 4}]


def test_the_parameters_change_the_results(index):
    # else passing them through would be untested
    base = index.search(Q)
    for p in PARAMS[1:]:
        assert index.search(Q, **p) != base, p


# ------------------------------------------------------------------ LangChain
def test_langchain_invoke_gives_index_search_passages_with_their_citations(index):
    docs = lc.RagRetriever(index=index).invoke(Q)
    hits = index.search(Q)
    assert len(hits) >= 3 and all(isinstance(d, Document) for d in docs)
    assert as_hits(docs) == want(hits)
    assert set(docs[0].metadata) == CITATION
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs), reverse=True)


def test_langchain_citation_holds_the_page_of_a_pdf(index):
    docs = lc.RagRetriever(index=index, sources=["d.pdf"]).invoke("kulaks deported to Siberia")
    assert {d.metadata["page"] for d in docs} == {1, 2}
    assert docs[0].metadata["page"] == 2 and "Siberia" in docs[0].page_content


@pytest.mark.parametrize("params", PARAMS, ids=str)
def test_langchain_passes_k_sources_langs_retriever_through(index, params):
    expected = want(index.search(Q, **params))
    assert as_hits(lc.RagRetriever(index=index, **params).invoke(Q)) == expected
    # the same given per call, over the retriever's own
    assert as_hits(lc.RagRetriever(index=index, k=7, langs=["xx"]).invoke(Q, **{"k": 10, "langs": None, **params})) \
        == expected


def test_langchain_ainvoke_and_batch_equal_invoke(index):
    r = lc.RagRetriever(index=index, k=3)
    queries = [Q, "выборы в сельсоветы 1924", "колхозы Кузнецкий округ"]
    sync = [as_hits(r.invoke(q)) for q in queries]
    assert len({str(s) for s in sync}) == 3
    assert [as_hits(d) for d in r.batch(queries)] == sync

    async def together():
        return await asyncio.gather(*(r.ainvoke(q) for q in queries), r.ainvoke(Q, k=1, langs=["en"]))

    *got, one = asyncio.run(together())
    assert [as_hits(d) for d in got] == sync
    assert as_hits(one) == want(index.search(Q, k=1, langs=["en"]))


def test_langchain_configurable_field(index):
    r = lc.RagRetriever(index=index).configurable_fields(k=ConfigurableField(id="k"))
    assert as_hits(r.invoke(Q, config={"configurable": {"k": 2}})) == want(index.search(Q, k=2))


def test_langchain_unknown_parameter_is_named(index):
    with pytest.raises(TypeError, match="unknown search parameter top_k: one of k, sources, langs, retriever"):
        lc.RagRetriever(index=index).invoke(Q, top_k=3)


def test_in_an_lcel_chain_in_place_of_a_vector_store(index):
    """docs/frameworks.md's chain up to the prompt (the LLM step is the user's)."""
    def format_docs(docs):
        return "\n\n".join(f"[{d.metadata['source']}, p. {d.metadata['page'] or '-'}, "
                           f"chars {d.metadata['start']}-{d.metadata['end']}]\n{d.page_content}" for d in docs)

    prompt = ChatPromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}")
    chain = {"context": lc.RagRetriever(index=index, k=2) | format_docs, "question": RunnablePassthrough()} | prompt
    text = chain.invoke(Q).to_string()
    hits = index.search(Q, k=2)
    assert f"Question: {Q}" in text
    for h in hits:
        assert f"[{h.source}, p. -, chars {h.start}-{h.end}]\n{h.text}" in text


# ------------------------------------------------------------------ LlamaIndex
def test_llama_index_retrieve_gives_index_search_passages_with_their_citations(index):
    r = li.RagRetriever(index)
    nodes = r.retrieve(Q)
    hits = index.search(Q)
    assert all(isinstance(n, NodeWithScore) for n in nodes)
    assert nodes_as_hits(nodes) == want(hits)
    assert [n.score for n in nodes] == [h.score for h in hits]
    for n, h in zip(nodes, hits):
        assert (n.node.start_char_idx, n.node.end_char_idx) == (h.start, h.end)
        assert n.node.ref_doc_id == h.source and n.node.relationships[NodeRelationship.SOURCE].node_id == h.source
    # the node ids are the chunks': the same on every call, and from QueryBundle as from text
    assert [n.node.node_id for n in r.retrieve(QueryBundle(Q))] == [h.chunk_id for h in hits]
    assert len({n.node.node_id for n in nodes}) == len(nodes)


def test_llama_index_llm_sees_the_citation_not_the_score(index):
    n = li.RagRetriever(index, k=1, sources=["d.pdf"]).retrieve("kulaks deported to Siberia")[0]
    seen = n.node.get_content(MetadataMode.LLM)
    assert "source: d.pdf" in seen and "page: 2" in seen and f"start: {n.node.start_char_idx}" in seen
    assert "score" not in seen and "chunk_id" not in seen and PDF_PAGES[1][:20] in seen


@pytest.mark.parametrize("params", PARAMS, ids=str)
def test_llama_index_passes_k_sources_langs_retriever_through(index, params):
    assert nodes_as_hits(li.RagRetriever(index, **params).retrieve(Q)) == want(index.search(Q, **params))


def test_llama_index_aretrieve_equals_retrieve(index):
    r = li.RagRetriever(index, k=3)
    queries = [Q, "выборы в сельсоветы 1924", "колхозы Кузнецкий округ"]

    async def together():
        return await asyncio.gather(*(r.aretrieve(q) for q in queries))

    assert [nodes_as_hits(n) for n in asyncio.run(together())] == [nodes_as_hits(r.retrieve(q)) for q in queries]


def test_llama_index_attributes_are_read_at_each_query(index):
    r = li.RagRetriever(index)
    r.k, r.langs = 2, ["ru"]
    assert nodes_as_hits(r.retrieve(Q)) == want(index.search(Q, k=2, langs=["ru"]))


def test_llama_index_query_engine_cites_our_passages(index):
    """A consumer of retrievers: the query engine's sources are ours, and its prompt (which
    MockLLM echoes back, no model) carries each passage with its source and span."""
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine

    response = RetrieverQueryEngine.from_args(li.RagRetriever(index, k=2), llm=MockLLM()).query(Q)
    hits = index.search(Q, k=2)
    assert [n.node.node_id for n in response.source_nodes] == [h.chunk_id for h in hits]
    for h in hits:
        assert f"source: {h.source}\nstart: {h.start}\nend: {h.end}" in str(response)
        assert h.text[:40] in str(response)


# ------------------------------------------------------------------ both
def _langchain(index, query, **params):
    return lc.RagRetriever(index=index, **params).invoke(query)


def _langchain_async(index, query, **params):
    return asyncio.run(lc.RagRetriever(index=index, **params).ainvoke(query))


def _llama_index(index, query, **params):
    return li.RagRetriever(index, **params).retrieve(query)


def _llama_index_async(index, query, **params):
    return asyncio.run(li.RagRetriever(index, **params).aretrieve(query))


WAYS = [_langchain, _langchain_async, _llama_index, _llama_index_async]
BAD = [("", {}), ("  \n\t", {}), ("\x00\x01", {}), (Q, {"k": -1}), (Q, {"k": True}), (Q, {"k": 2.5}),
       (Q, {"k": "3"}), (Q, {"k": None}), (Q, {"k": 101}), ("x" * 2001, {}), (Q, {"sources": ["missing.txt"]}),
       (Q, {"langs": ["de"]}), (Q, {"retriever": "nope"})]


@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.__name__.strip("_"))
@pytest.mark.parametrize(("query", "params"), BAD, ids=lambda v: repr(v)[:24])
def test_bad_input_is_the_python_apis_query_error_and_message(index, way, query, params):
    with pytest.raises(QueryError) as python_api:
        index.search(query, **params)
    with pytest.raises(QueryError) as framework:
        way(index, query, **params)
    assert str(framework.value) == str(python_api.value)


@pytest.mark.parametrize("way", WAYS, ids=lambda w: w.__name__.strip("_"))
def test_index_given_as_a_folder(index, way, monkeypatch):
    monkeypatch.setattr("rag.index.load_embedder", lambda model=None, **kw: FakeEmbedder())
    for folder in (index.folder, str(index.folder)):
        got = way(folder, Q, k=3)
        ids = [d.id for d in got] if way in (_langchain, _langchain_async) else [n.node.node_id for n in got]
        assert ids == [h.chunk_id for h in index.search(Q, k=3)]


@pytest.mark.parametrize("make", [lambda i: lc.RagRetriever(index=i), lambda i: li.RagRetriever(i)])
def test_what_is_not_an_index_is_refused(make, tmp_path):
    with pytest.raises(TypeError, match="index must be an index folder \\(str or Path\\) or a rag.Index, not int"):
        make(3)
    with pytest.raises(rag.IndexFormatError, match="no index at"):
        make(tmp_path / "none")


def test_a_retriever_sees_documents_added_after_it_was_made(tmp_path):
    idx = _build(tmp_path)
    lang, llama = lc.RagRetriever(index=idx, sources=["e.txt"]), li.RagRetriever(idx, sources=["e.txt"])
    with pytest.raises(QueryError, match="not in the index: e.txt"):
        lang.invoke("Politburo")
    idx.add([write(tmp_path / "docs", "e.txt", "The Politburo met in 1926. Trotsky was removed from it.")])
    assert {d.metadata["source"] for d in lang.invoke("Politburo")} == {"e.txt"}
    assert {n.node.metadata["source"] for n in llama.retrieve("Politburo")} == {"e.txt"}


# ------------------------------------------------------------------ imports
def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_import_rag_imports_no_retriever_nor_llama_index():
    r = _python("import sys, rag, rag.integrations\n"
                "print(sorted(m for m in sys.modules if m.startswith(('llama_index', 'langchain_core.retrievers',"
                " 'rag.integrations.'))))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


BLOCK = """import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {missing!r} or name.startswith({missing!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Block())
import rag.integrations.{module}
"""


@pytest.mark.parametrize(("module", "missing", "extra"), [
    ("langchain", "langchain_core.retrievers", "langchain"),  # langchain_core itself comes with the core install
    ("llama_index", "llama_index", "llamaindex"),
])
def test_a_missing_framework_names_the_pip_line(module, missing, extra):
    r = _python(BLOCK.format(module=module, missing=missing))
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ") and f'pip install "rag-offline[{extra}]"' in last, r.stderr
