"""Retrieval evaluation on the corpus question set.

    python -m eval [QUESTIONS] [--index index] [--config SETTINGS] [--corpus data/corpus] [--out results]
    python -m eval.run ...                       # the same

    from eval.run import run_eval
    res = run_eval("eval/questions", "index", config={"lex_weight": 2}, out="results")

QUESTIONS is a .jsonl file or a folder of them (default eval/questions);
SETTINGS is a JSON file or inline JSON of query-time settings for
Index.reconfigure (rag/settings.py). A question counts as found at rank r
when the r-th passage's source span overlaps the span of the question's
verbatim evidence quote. Seven configurations are compared over the same
model: dense, BM25, BM25 + the cross-lingual bridge, hybrid without the
sentence rerank, the default hybrid with the bridge off and on, and the
LangChain tutorial baseline (eval/baseline.py); the bridge rows are left out,
with a notice, when the dictionary is missing. Writes
OUT/corpus_eval.json, OUT/corpus_eval.md and OUT/recall_at_k.png.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

from rag.lang import detect
from rag.types import Hit

from .metrics import abstention_scores, latency, metrics, recall_curve

HERE = Path(__file__).parent
DEFAULT_QUESTIONS = HERE / "questions"
DEFAULT_CORPUS = HERE.parent / "data" / "corpus"
DOC_LANG = {"000": "ru", "001": "ru", "003": "ru", "002": "en", "004": "en"}
DEFAULT = "hybrid"
LABELS = {
    "dense": "dense only (FAISS)",
    "bm25": "BM25 only",
    "bm25+bridge": "BM25 + cross-lingual bridge (lexical only)",
    "hybrid_norerank": "hybrid, no sentence rerank",
    "hybrid_nobridge": "hybrid + sentence rerank, bridge off",
    "hybrid": "hybrid + sentence rerank (default)",
    "hybrid+reader": "hybrid + the reader, a cross-encoder (opt-in)",
    "baseline": "tutorial baseline (LangChain 1000/150, raw text, dense)",
}
Search = Callable[[str, int], list[Hit]]


@dataclass(frozen=True)
class Item:
    id: str
    lang: str
    question: str
    source: str | None
    evidence: str | None
    answer: str | None
    kind: str
    paraphrase: bool
    span: tuple[int, int] | None = None
    doc_lang: str | None = None

    @property
    def answerable(self) -> bool:
        return self.source is not None


def load_questions(questions: str | os.PathLike = DEFAULT_QUESTIONS,
                   corpus: str | os.PathLike = DEFAULT_CORPUS) -> list[Item]:
    """A .jsonl file or a folder of them; evidence located in the raw file text. `corpus`:
    a folder, or a list of them (each question's source is looked up in each in turn)."""
    questions, roots = Path(questions), corpus_roots(corpus)
    files = [questions] if questions.is_file() else sorted(questions.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no questions (.jsonl) at {questions}")
    items = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            span = doc_lang = None
            if d["source"]:
                raw = next((r / d["source"] for r in roots if (r / d["source"]).is_file()),
                           roots[0] / d["source"]).read_text(encoding="utf-8")
                s = raw.find(d["evidence"])
                if s < 0:
                    raise ValueError(f"{f}: {d['id']}: evidence not found verbatim in {d['source']}")
                span = (s, s + len(d["evidence"]))
                # the bundled documents' languages; other files: the evidence's script
                doc_lang = DOC_LANG.get(d["source"][:3]) or detect(d["evidence"])
            items.append(Item(d["id"], d["lang"], d["question"], d["source"], d["evidence"], d["answer"],
                              d["kind"], bool(d.get("paraphrase")), span, doc_lang))
    return items


def corpus_roots(corpus) -> list[Path]:
    """One folder, or several as a list (rag names each file relative to its own folder)."""
    return [Path(c) for c in corpus] if isinstance(corpus, (list, tuple)) else [Path(corpus)]


def overlaps(h: Hit, item: Item) -> bool:
    """The passage's source span shares at least one character with the evidence."""
    return h.source == item.source and h.start < item.span[1] and item.span[0] < h.end


def judge(hits: list[Hit], item: Item) -> list[bool]:
    return [overlaps(h, item) for h in hits]


def rank_of(hits: list[Hit], item: Item) -> int | None:
    return next((r for r, ok in enumerate(judge(hits, item), 1) if ok), None)


def slice_groups(items: list[Item]) -> dict[str, dict[str, list[int]]]:
    """group -> slice name -> positions in `items` (answerable ones)."""
    groups: dict[str, dict[str, list[int]]] = {}

    def add(group: str, name: str, pred) -> None:
        rows = [i for i, it in enumerate(items) if pred(it)]
        if rows or group == "overall":
            groups.setdefault(group, {})[name] = rows

    add("overall", "all", lambda i: True)
    add("overall", "cross", lambda i: i.lang != i.doc_lang)
    add("overall", "same", lambda i: i.lang == i.doc_lang)
    add("overall", "paraphrase", lambda i: i.paraphrase)
    add("overall", "literal", lambda i: not i.paraphrase)
    for lang in sorted({i.lang for i in items}):
        add("question language", f"q_{lang}", lambda i, lang=lang: i.lang == lang)
    for q, d in sorted({(i.lang, i.doc_lang) for i in items}):
        add("language pair", f"{q}->{d}", lambda i, q=q, d=d: (i.lang, i.doc_lang) == (q, d))
    for kind in sorted({i.kind for i in items}):
        add("kind", f"kind:{kind}", lambda i, kind=kind: i.kind == kind)
    for src in sorted({i.source for i in items}):
        add("document", f"doc:{src}", lambda i, src=src: i.source == src)
    return groups


def _brief(h: Hit) -> dict:
    return {"source": h.source, "start": h.start, "end": h.end, "text": " ".join(h.text.split())[:120]}


def evaluate_search(search: Search, items: list[Item], name: str = DEFAULT, k: int = 10) -> dict:
    """Score one search function on the answerable questions: slices, recall curve, latency, misses."""
    ans = [i for i in items if i.answerable]
    if ans:
        search(ans[0].question, k)  # warm-up, untimed: first calls pay for lazy loading
    judged, lat, missed = [], [], []
    for it in ans:
        t = time.perf_counter()
        hits = search(it.question, k)
        lat.append(time.perf_counter() - t)
        rels = judge(hits, it)
        judged.append(rels)
        rank = next((r for r, ok in enumerate(rels, 1) if ok), None)
        if rank is None or rank > 5:
            missed.append({"id": it.id, "q": it.question, "lang": it.lang, "kind": it.kind, "rank": rank,
                           "want": {"source": it.source, "start": it.span[0], "end": it.span[1],
                                    "text": " ".join(it.evidence.split())[:120]},
                           "got": [_brief(h) for h in hits[:5]]})
    groups = slice_groups(ans)
    slices = {s: metrics([judged[i] for i in rows]) for g in groups.values() for s, rows in g.items()}
    lt = latency(lat)
    return {"name": name, "label": LABELS.get(name, name), "retriever": name, "slices": slices,
            "recall_at_k": recall_curve(judged), "search": lt, "p50_ms": lt["p50_ms"], "missed": missed}


def evaluate(index, items: list[Item], retriever: str = "hybrid", k: int = 10) -> dict:
    """One retriever of the index ("dense", "bm25", "hybrid") at its current settings."""
    return evaluate_search(lambda q, n: index.search(q, k=n, retriever=retriever), items, retriever, k)


# ----------------------------------------------------------------- ask()
def ask_all(index, items: list[Item]) -> list[tuple]:
    """(Answer, seconds) per question; abstention and quotes both read it."""
    if items:
        index.ask(items[0].question)  # warm-up, untimed
    out = []
    for it in items:
        t = time.perf_counter()
        a = index.ask(it.question)
        out.append((a, time.perf_counter() - t))
    return out


def abstention(index, items: list[Item], asked: list[tuple] | None = None) -> dict:
    """Precision/recall of "not in the documents" on the unanswerable questions; answerable answered."""
    asked = asked if asked is not None else ask_all(index, items)
    return {"threshold": index.settings.abstain_below, "threshold_cross": index.settings.abstain_below_cross,
            **abstention_scores([(it.answerable, a.found) for it, (a, _) in zip(items, asked)])}


def quote_hits(index, items: list[Item], asked: list[tuple] | None = None) -> dict:
    """Share of answerable questions whose first quote (a sentence) overlaps the evidence; ask latency."""
    asked = asked if asked is not None else ask_all(index, items)
    pairs = [(it, a, s) for it, (a, s) in zip(items, asked) if it.answerable]
    hit = sum(bool(a.quotes) and overlaps(a.quotes[0], it) for it, a, _ in pairs)
    lt = latency([s for _, s in asked])
    return {"quote@1": round(hit / max(1, len(pairs)), 3), "ask_p50_ms": lt["p50_ms"], "ask_p95_ms": lt["p95_ms"]}



TYPED = ("number", "date", "name")  # eval/questions kinds with a typed answer


def answer_layer(items: list[Item], asked: list[tuple]) -> dict:
    """The answer layer (issue 27) on the question set: the answer pointed out (for the
    typed kinds: shown, and inside the evidence), partial matches (a found answer with
    something of the question missing near its quote, or declined for it) as a detector of
    the unanswerable, and false abstentions (answerable questions declined)."""
    typed = [(it, a) for it, (a, _) in zip(items, asked) if it.answerable and it.kind in TYPED]
    shown = [(it, a) for it, a in typed if a.span is not None]
    inside = sum(a.span.source == it.source and it.span[0] <= a.span.start and a.span.end <= it.span[1]
                 for it, a in shown)
    flagged = [it for it, (a, _) in zip(items, asked) if a.missing]
    una = [it for it in items if not it.answerable]
    ans = [a for it, (a, _) in zip(items, asked) if it.answerable]
    r = lambda x, n: round(x / n, 3) if n else None
    return {"typed": len(typed), "span_shown": r(len(shown), len(typed)), "span_in_evidence": r(inside, len(shown)),
            "partial_precision": r(sum(not it.answerable for it in flagged), len(flagged)),
            "partial_recall": r(sum(1 for it in flagged if not it.answerable), len(una)),
            "false_abstention": r(sum(not a.found for a in ans), len(ans))}


def headline(index, items: list[Item]) -> dict:
    """The figures a change of the index is judged by, at its current settings: hybrid
    r@1/r@5/MRR@10 overall, cross- and same-language; declined/answered; quote@1."""
    s = evaluate(index, items)["slices"]
    asked = ask_all(index, items)
    ab = abstention(index, items, asked)
    return {**{f"{k} r@1/r@5/mrr@10": (s[k]["r@1"], s[k]["r@5"], s[k]["mrr@10"]) for k in ("all", "cross", "same")},
            "declined / answered": (ab["abstain_unanswerable"], ab["answer_answerable"]),
            "quote@1": quote_hits(index, items, asked)["quote@1"]}

# ------------------------------------------------------------ the run
def parse_config(config) -> dict:
    """None, a dict, inline JSON or a JSON file -> settings for Index.reconfigure (names checked)."""
    from rag.settings import Settings

    if config is None:
        return {}
    if not isinstance(config, dict):
        text = str(config)
        config = json.loads(text if text.lstrip().startswith("{") else Path(text).read_text(encoding="utf-8"))
    if not isinstance(config, dict):
        raise TypeError("config must be a JSON object of settings")
    names = {f.name for f in fields(Settings)}
    unknown = sorted(set(config) - names)
    if unknown:
        raise ValueError(f"unknown settings {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    return config


@contextmanager
def reconfigured(index, **settings) -> Iterator[None]:
    """Query-time settings for the duration of a block, then the previous ones back."""
    before = index.settings
    index.reconfigure(**settings)
    try:
        yield
    finally:
        index.reconfigure(**before.to_dict())


@contextmanager
def swapped(idx, chunk_vectors, sent_vectors) -> Iterator[None]:
    """The loaded index searching with these vectors in place of its own (this process only,
    nothing written); its own vectors back on exit."""
    from rag.generation import Generation
    from rag.searcher import Searcher

    p = idx.payload
    cv0, sv0, searcher = p.chunk_vectors, p.sent_vectors, idx.searcher
    p.chunk_vectors, p.sent_vectors = chunk_vectors, sent_vectors
    idx.searcher = Searcher(Generation.of(p), idx.settings, idx.embedder)
    try:
        yield
    finally:
        p.chunk_vectors, p.sent_vectors, idx.searcher = cv0, sv0, searcher


def open_index(index, corpus: Path):
    import rag

    if isinstance(index, rag.Index):
        return index
    try:
        return rag.load(index)
    except rag.IndexFormatError:
        print(f"building {index} from {corpus} ...", file=sys.stderr)
        return rag.build(corpus_roots(corpus), index)


def run_eval(questions=DEFAULT_QUESTIONS, index="index", config=None, out="results",
             corpus=DEFAULT_CORPUS, xquad=None, reader: bool | None = False) -> dict:
    """Compare the configurations; write OUT/corpus_eval.{json,md} and OUT/recall_at_k.png.

    `index` is an Index or a folder (built from `corpus` when missing or invalid);
    `xquad` is an XQuAD result file for the report (default OUT/xquad.json, if present);
    `reader`: add "hybrid+reader" (rag/read.py; needs an index of the default model);
    None: add it when the index is one.
    """
    from .baseline import Baseline
    from .report import write_report

    corpus, out = corpus_roots(corpus), Path(out)
    settings = parse_config(config)
    items = load_questions(questions, corpus)
    idx = open_index(index, corpus)
    if reader is None:
        from rag.read import reads_with

        reader = reads_with(idx.embedder)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)
    res = {"questions": len(items), "answerable": sum(i.answerable for i in items),
           "questions_path": str(questions), "index": str(getattr(idx, "folder", index)),
           "model": idx.embedder.name, "config": settings, "default": DEFAULT, "configs": []}
    t0 = time.perf_counter()
    with reconfigured(idx, **settings):
        res["settings"] = idx.settings.to_dict()
        res["notices"] = list(idx.notices)  # e.g. the bridge is off: no dictionary
        for r in ("dense", "bm25", "bm25+bridge"):
            if r == "bm25+bridge" and idx.searcher.bridge is None:
                continue
            log(f"{r} ...")
            res["configs"].append(evaluate(idx, items, r))
        variants = [("hybrid_norerank", {"sent_weight": 0.0}), ("hybrid_nobridge", {"bridge_weight": 0.0}), (DEFAULT, {})]
        variants += [("hybrid+reader", {"reader": True})] if reader else []
        for name, kw in [v for v in variants if v[0] != "hybrid_nobridge" or idx.searcher.bridge is not None]:
            log(f"{name} ...")
            with reconfigured(idx, **kw):
                c = evaluate(idx, items, "hybrid+reader" if kw.get("reader") else "hybrid")
                asked = ask_all(idx, items)
                c.update(name=name, label=LABELS[name], ask=latency([s for _, s in asked]),
                         abstention=abstention(idx, items, asked), quotes=quote_hits(idx, items, asked),
                         answers=answer_layer(items, asked))
            res["configs"].append(c)
        log("baseline: splitting and embedding the raw corpus ...")
        t = time.perf_counter()
        base = Baseline.build(corpus, idx.embedder)
        res["baseline_build_seconds"] = round(time.perf_counter() - t, 1)
        res["baseline_chunks"] = len(base.chunks)
        res["configs"].append(evaluate_search(base.search, items, "baseline"))
    default = next(c for c in res["configs"] if c["name"] == DEFAULT)
    res["abstention"], res["quotes"], res["answers"] = default["abstention"], default["quotes"], default["answers"]
    res["slice_groups"] = {g: list(s) for g, s in slice_groups([i for i in items if i.answerable]).items()}
    res["seconds"] = round(time.perf_counter() - t0, 1)
    xq = Path(xquad) if xquad else out / "xquad.json"
    res["xquad"] = json.loads(xq.read_text(encoding="utf-8")) if xq.is_file() else None
    out.mkdir(parents=True, exist_ok=True)
    (out / "corpus_eval.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    write_report(res, out)
    return res


def summary(res: dict) -> str:
    """The side-by-side table for a terminal."""
    head = f"{'config':16} {'r@1':>6} {'r@5':>6} {'r@10':>6} {'mrr@10':>7} {'ndcg@10':>8} {'cross@5':>8} " \
           f"{'same@5':>7} {'p50 ms':>7} {'p95 ms':>7} {'missed@5':>8}"
    lines = [head]
    for c in res["configs"]:
        a, s = c["slices"]["all"], c["slices"]
        lines.append(f"{c['name']:16} {a['r@1']:6.3f} {a['r@5']:6.3f} {a['r@10']:6.3f} {a['mrr@10']:7.3f} "
                     f"{a['ndcg@10']:8.3f} {s['cross']['r@5']:8.3f} {s['same']['r@5']:7.3f} "
                     f"{c['search']['p50_ms']:7.1f} {c['search']['p95_ms']:7.1f} {len(c['missed']):8d}")
    ab, q, an = res["abstention"], res["quotes"], res["answers"]
    lines.append(f"abstention ({DEFAULT}): precision {ab['precision']}, recall {ab['recall']}, "
                 f"answerable answered {ab['answer_answerable']}; quote@1 {q['quote@1']}; "
                 f"ask p50/p95 {q['ask_p50_ms']}/{q['ask_p95_ms']} ms")
    lines.append(f"answers: span shown {an['span_shown']} of {an['typed']} typed, inside the evidence "
                 f"{an['span_in_evidence']}; partial matches precision {an['partial_precision']}, recall "
                 f"{an['partial_recall']}; false abstentions {an['false_abstention']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval", description="Retrieval quality on a question set.")
    p.add_argument("questions", nargs="?", default=str(DEFAULT_QUESTIONS),
                   help="a .jsonl file or a folder of them (default: eval/questions)")
    p.add_argument("--index", default="index", help="index folder; built from --corpus if missing or invalid")
    p.add_argument("--config", default=None,
                   help='query-time settings: JSON file or inline JSON, e.g. \'{"lex_weight": 2}\'')
    p.add_argument("--corpus", nargs="+", default=[str(DEFAULT_CORPUS)],
                   help="the folder(s) the questions' sources are in, and an index is built from")
    p.add_argument("--out", default="results")
    p.add_argument("--xquad", default=None, help="XQuAD results to include (default: OUT/xquad.json if present)")
    p.add_argument("--no-reader", action="store_true",
                   help="leave out hybrid+reader (the opt-in cross-encoder, added for an index of the default "
                        "model: about a minute more per run)")
    a = p.parse_args(argv)
    if not Path(a.questions).exists():
        p.error(f"no questions at {a.questions}")
    try:
        parse_config(a.config)
    except (ValueError, TypeError, OSError) as e:
        p.error(f"--config: {e}")
    res = run_eval(a.questions, a.index, a.config, a.out, a.corpus, a.xquad, reader=False if a.no_reader else None)
    print(summary(res))
    print(f"report: {Path(a.out) / 'corpus_eval.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
