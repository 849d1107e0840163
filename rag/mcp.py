"""An MCP server over stdio: an AI assistant searches and asks one index, with citations
(pip install "rag-offline[mcp]"; the official SDK's MCPServer).

    rag mcp --index index/ [--allow-writes]

Tools: `search`, `ask` and `list_documents`; with --allow-writes also `add_documents` and
`remove_documents`. Their parameters are the HTTP API's (query, k, sources, langs, retriever;
history for ask) and their results its JSON: quotes and passages with file, page and character
span, and for ask `found`, `span` and `missing`. A bad call is a tool error (isError) whose text
is the CLI's and HTTP's message: the parameters reach rag/limits.py's checks as given, so the
SDK's own validation never answers in other words. docs/mcp.md has the details.

The index loads once, before serving; a missing one is the CLI's error and exit code 3. Every
tool is a plain function that the SDK runs on a worker thread, so calls run side by side on the
one Index (searches read an immutable Searcher; writes take turns), as in rag/server.py.
"""
# no `from __future__ import annotations`: the SDK reads the tools' parameter types from their signatures
import contextlib
import functools
import json
import sys
from dataclasses import asdict
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import WithJsonSchema

from .index import Index
from .ingest import IngestError
from .limits import MAX_HISTORY, MAX_K, MAX_QUERY_CHARS
from .searcher import RETRIEVERS
from .store import IndexFormatError
from .types import QueryError


def _param(schema: dict) -> Any:
    """A parameter published with `schema` but handed to the tool as sent: the checks of
    rag/limits.py then refuse a bad value in the words of every other way in (the SDK's
    pydantic validation would refuse k=-1 or k="five" in its own)."""
    return Annotated[Any, WithJsonSchema(schema)]


_TEXTS = {"type": "array", "items": {"type": "string"}}
QueryParam = _param({"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS,
                     "description": "the question or search words, in Russian or English (either finds both)"})
SourcesParam = _param({"anyOf": [_TEXTS, {"type": "null"}], "default": None,
                       "description": "only these documents, by their `source` as list_documents gives it"})
LangsParam = _param({"anyOf": [_TEXTS, {"type": "null"}], "default": None,
                     "description": "only passages in these languages, e.g. [\"ru\"] or [\"en\"]"})


def _k_param(default: int) -> Any:
    return _param({"type": "integer", "minimum": 0, "maximum": MAX_K, "default": default,
                   "description": f"how many passages to consider, 0 to {MAX_K}"})


RetrieverParam = _param({"anyOf": [{"type": "string", "enum": list(RETRIEVERS)}, {"type": "null"}], "default": None,
                         "description": "how to search; leave it out for the index's default (hybrid)"})
PathsParam = _param({"type": "array", "items": {"type": "string"}, "minItems": 1,
                     "description": "files or folders on this machine"})
NamesParam = _param({"type": "array", "items": {"type": "string"}, "minItems": 1,
                     "description": "documents by their source, as list_documents gives it"})
HistoryParam = _param({"type": "array", "items": {"type": "string"}, "maxItems": MAX_HISTORY, "default": [],
                       "description": "the conversation's earlier questions, oldest first, for a follow-up "
                                      "such as 'And in 1923?'"})

CITE = ("Quote a passage's text exactly as given, never paraphrased inside quotation marks, and cite it as "
        "given: file (source), page and character span (start-end), e.g. «…» — report.pdf, p. 3, chars 120-260.")

SEARCH = f"""Search the user's own documents (a local, offline index) for the passages that best match a query.
Use it to look through the documents on a topic, to find where something is mentioned, or when `ask`
found nothing. A question in Russian finds English passages and the other way round.
Returns {{"hits": [...]}}: each passage's text, source (file), page (null for a file without pages),
start and end (its character span in the file), lang and score, best first. {CITE}"""

ASK = f"""Answer a question from the user's own documents (a local, offline index) with quotes: every word
of the answer is a sentence of a document, never generated. Use it for a factual question about the
documents (who, when, how many, where, what happened); a question in Russian is answered from English
documents and the other way round.
Returns the answer as JSON: `found` (false: the documents do not answer it; say so instead of answering
from memory, `hits` then holds the nearest passages), `quotes` (the answering sentences, each with
source, page, start and end), `span` (the answer inside the first quote when the question asks for a
number, date, person or place), `missing` (what the question names that is not near the first quote:
a partial match, say what is missing), `searched_as` and `hits`. {CITE}"""

LIST = """List the documents in the index: `source` (the file name that quotes cite and that `sources`
filters by), `chunks` (passages), `langs` and `sha256`. Use it to learn what the documents are, or
to restrict search or ask to some of them."""

ADD = """Index files or folders on this machine (by path) into the index, so that search and ask find
them; unchanged files are skipped. Returns what was indexed, skipped (with the reason) and how long it took."""

REMOVE = """Remove documents from the index, by `source` as list_documents gives it (the files themselves
stay on disk). Returns what was removed."""


def _result(data: dict) -> CallToolResult:
    """The JSON of HTTP's reply, as text for the assistant and as structured content."""
    plain = json.loads(json.dumps(data))  # tuples as lists, exactly what HTTP sends
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(plain, ensure_ascii=False))],
                          structured_content=plain)


def _refused(message: str) -> CallToolResult:
    """A tool error with the message of the CLI and HTTP ({"error": message} there)."""
    return CallToolResult(content=[TextContent(type="text", text=message)], structured_content={"error": message},
                          is_error=True)


def _answering(fn):
    """Run a tool; the errors that say what was wrong with the call come back as its result."""
    @functools.wraps(fn)  # its signature is the tool's parameters
    def run(**kw) -> CallToolResult:
        try:
            return _result(fn(**kw))
        except (QueryError, IngestError, IndexFormatError) as e:
            return _refused(str(e))
    return run


def make_server(index: Index, allow_writes: bool = False) -> MCPServer:
    """The MCP server over `index` (run it with .run("stdio"), or connect mcp.Client to it in-process)."""
    server = MCPServer("rag", instructions=f"Search and cited, extractive answers over the user's documents, "
                                           f"offline. {CITE}", log_level="WARNING")
    read = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @_answering
    def search(query: QueryParam, k: _k_param(10) = 10, sources: SourcesParam = None, langs: LangsParam = None,
               retriever: RetrieverParam = None) -> dict:
        return {"hits": [asdict(h) for h in index.search(query, k, sources, langs, retriever)]}

    @_answering
    def ask(query: QueryParam, k: _k_param(5) = 5, sources: SourcesParam = None, langs: LangsParam = None,
            history: HistoryParam = None, retriever: RetrieverParam = None) -> dict:
        return asdict(index.ask(query, k, sources, langs, history=history, retriever=retriever))

    @_answering
    def list_documents() -> dict:
        return {"documents": [asdict(d) for d in index.documents()]}

    _add(server, search, "search", SEARCH, read)
    _add(server, ask, "ask", ASK, read)
    _add(server, list_documents, "list_documents", LIST, read)
    if allow_writes:
        @_answering
        def add_documents(paths: PathsParam) -> dict:
            return asdict(index.add(_texts(paths, "paths")))

        @_answering
        def remove_documents(sources: NamesParam) -> dict:
            return asdict(index.remove(_texts(sources, "sources")))

        write = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                                open_world_hint=False)
        _add(server, add_documents, "add_documents", ADD, write)
        _add(server, remove_documents, "remove_documents", REMOVE, write.model_copy(update={"destructive_hint": True}))
    return server


def _add(server: MCPServer, run, name: str, description: str, annotations: ToolAnnotations) -> None:
    # structured_output=False: each tool builds its own CallToolResult (rag's JSON, or the error)
    server.add_tool(run, name=name, description=description, annotations=annotations, structured_output=False)


def _texts(value, name: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise QueryError(f"{name} must be a list of names, not {type(value).__name__}")
    return value


def serve(folder: str, allow_writes: bool = False, model: str | None = None) -> None:
    """Load the index, then serve it over stdin/stdout until the client closes them."""
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the protocol: nothing else may print there
        index = Index.load(folder, model=model)
    for note in index.notices:
        print(f"note: {note}", file=sys.stderr)
    print(f"serving {folder} ({len(index.documents())} documents) over MCP on stdio"
          f"{'; writes allowed' if allow_writes else ''}", file=sys.stderr, flush=True)
    make_server(index, allow_writes).run("stdio")
