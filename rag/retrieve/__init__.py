"""Retrievers (stage 6). Each backend has its own module; all share `Retriever`."""
from .base import Query, Retriever
from .dense import DenseRetriever
from .hybrid import HybridRetriever
from .lexical import LexicalRetriever

__all__ = ["DenseRetriever", "HybridRetriever", "LexicalRetriever", "Query", "Retriever"]
