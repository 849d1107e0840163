"""Our search as a LlamaIndex retriever (pip install "rag-offline[llamaindex]").

    from rag.integrations.llama_index import RagRetriever
    retriever = RagRetriever(index="index/", k=4, langs=["en"])
    nodes = retriever.retrieve("Кто предложил альтернативные выборы?")
    nodes[0].node.metadata  # {"source": …, "start": …, "end": …, "page": …, "lang": …, "score": …, "chunk_id": …}

A NodeWithScore per Hit of Index.search (hybrid + cross-lingual bridge), best first: a TextNode
whose id is the chunk's (the same on every call), whose metadata is the Hit's citation, whose
start_char_idx/end_char_idx are its span in the source file, with the file as its SOURCE.
k, sources, langs and retriever are Index.search's; set them on the retriever.
"""
from __future__ import annotations

import asyncio

from . import SEARCH_PARAMS, citation, missing, open_index, search
from ..types import Hit

try:
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
except ImportError as e:
    raise missing("llamaindex", "LlamaIndex", e) from e

# what a prompt needs to cite a passage is its file, page and span; the score and the chunk id
# are for the program, and an LLM given them only has more to copy wrongly
NOT_FOR_THE_LLM = ["score", "chunk_id"]


def to_node(hit: Hit) -> NodeWithScore:
    node = TextNode(
        id_=hit.chunk_id or f"{hit.source}:{hit.start}-{hit.end}", text=hit.text, metadata=citation(hit),
        start_char_idx=hit.start, end_char_idx=hit.end,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=hit.source)},
        excluded_llm_metadata_keys=list(NOT_FOR_THE_LLM), excluded_embed_metadata_keys=list(NOT_FOR_THE_LLM),
    )
    return NodeWithScore(node=node, score=hit.score)


class RagRetriever(BaseRetriever):
    """Index.search as a LlamaIndex retriever: `retrieve`, `aretrieve`, and wherever one goes
    (RetrieverQueryEngine, a chat engine, a tool)."""

    def __init__(self, index, k=10, sources=None, langs=None, retriever=None,
                 callback_manager: CallbackManager | None = None, verbose: bool = False) -> None:
        """`index`: a loaded rag.Index or its folder; the rest as Index.search takes them, and
        checked by it at each query (a bad one gets the Python API's QueryError and message)."""
        super().__init__(callback_manager=callback_manager, verbose=verbose)
        self.index = open_index(index)
        self.k, self.sources, self.langs, self.retriever = k, sources, langs, retriever

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        params = {p: getattr(self, p) for p in SEARCH_PARAMS}
        return [to_node(h) for h in search(self.index, query_bundle.query_str, params)]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        # the base class runs _retrieve on the event loop; search is CPU work, so a thread
        return await asyncio.to_thread(self._retrieve, query_bundle)
