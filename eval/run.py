"""Retrieval evaluation on the corpus question set.

    python -m eval.run [--index index] [--corpus data/corpus] [--out results/]

A question counts as found at rank r when the r-th passage's source span
overlaps the span of the question's verbatim evidence quote.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
DOC_LANG = {"000": "ru", "001": "ru", "003": "ru", "002": "en", "004": "en"}


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


def load_questions(folder: Path = HERE / "questions", corpus: Path = HERE.parent / "data" / "corpus") -> list[Item]:
    items = []
    for f in sorted(folder.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            span = doc_lang = None
            if d["source"]:
                raw = (corpus / d["source"]).read_text(encoding="utf-8")
                s = raw.find(d["evidence"])
                span = (s, s + len(d["evidence"]))
                doc_lang = DOC_LANG.get(d["source"][:3])
            items.append(Item(d["id"], d["lang"], d["question"], d["source"], d["evidence"], d["answer"],
                              d["kind"], bool(d.get("paraphrase")), span, doc_lang))
    return items


def rank_of(hits, item: Item) -> int | None:
    for r, h in enumerate(hits, 1):
        if h.source == item.source and h.start < item.span[1] and item.span[0] < h.end:
            return r
    return None


def metrics(ranks: list[int | None]) -> dict:
    n = len(ranks) or 1
    r = lambda k: sum(1 for x in ranks if x is not None and x <= k) / n  # noqa: E731
    mrr = sum(1 / x for x in ranks if x is not None and x <= 10) / n
    return {"n": len(ranks), "r@1": round(r(1), 3), "r@5": round(r(5), 3), "r@10": round(r(10), 3),
            "mrr@10": round(mrr, 3)}


def evaluate(index, items: list[Item], retriever: str = "hybrid", k: int = 10) -> dict:
    ans = [i for i in items if i.answerable]
    ranks, lat, missed = [], [], []
    for it in ans:
        t = time.perf_counter()
        hits = index.search(it.question, k=k, retriever=retriever)
        lat.append(time.perf_counter() - t)
        r = rank_of(hits, it)
        ranks.append(r)
        if r is None or r > 5:
            missed.append({"id": it.id, "q": it.question, "want": it.source, "got": [h.source for h in hits[:3]]})
    by = {}
    for name, pred in {
        "all": lambda i: True,
        "cross": lambda i: i.lang != i.doc_lang,
        "same": lambda i: i.lang == i.doc_lang,
        "q_ru": lambda i: i.lang == "ru", "q_en": lambda i: i.lang == "en",
        "paraphrase": lambda i: i.paraphrase,
    }.items():
        by[name] = metrics([r for i, r in zip(ans, ranks) if pred(i)])
    return {"retriever": retriever, "slices": by, "p50_ms": round(1000 * float(np.median(lat)), 1),
            "missed": missed}


def quote_hits(index, items: list[Item]) -> dict:
    """Share of answerable questions whose first quote (a sentence) overlaps the evidence."""
    ans = [i for i in items if i.answerable]
    hit, lat = 0, []
    for it in ans:
        t = time.perf_counter()
        a = index.ask(it.question)
        lat.append(time.perf_counter() - t)
        hit += bool(a.quotes) and rank_of(a.quotes[:1], it) == 1
    return {"quote@1": round(hit / max(1, len(ans)), 3), "ask_p50_ms": round(1000 * float(np.median(lat)), 1)}


def abstention(index, items: list[Item]) -> dict:
    """Share of unanswerable questions declined, and of answerable ones answered."""
    found = {i.id: index.ask(i.question).found for i in items}
    una = [i for i in items if not i.answerable]
    ans = [i for i in items if i.answerable]
    return {
        "threshold": index.settings.abstain_below, "threshold_cross": index.settings.abstain_below_cross,
        "abstain_unanswerable": round(sum(not found[i.id] for i in una) / max(1, len(una)), 3),
        "answer_answerable": round(sum(found[i.id] for i in ans) / max(1, len(ans)), 3),
    }


def main(argv: list[str] | None = None) -> int:
    import rag

    p = argparse.ArgumentParser(prog="rag eval")
    p.add_argument("--index", default="index")
    p.add_argument("--corpus", default=str(HERE.parent / "data" / "corpus"))
    p.add_argument("--out", default="results")
    a = p.parse_args(argv)
    items = load_questions(corpus=Path(a.corpus))
    try:
        idx = rag.load(a.index)
    except rag.IndexFormatError:
        print(f"building {a.index} from {a.corpus} ...", file=sys.stderr)
        idx = rag.build([a.corpus], a.index)
    out = {"questions": len(items), "configs": []}
    for r in ("dense", "bm25", "hybrid"):
        out["configs"].append(evaluate(idx, items, r))
    out["abstention"] = abstention(idx, items)
    out["quotes"] = quote_hits(idx, items)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "corpus_eval.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"{'config':10} {'slice':10} {'n':>4} {'r@1':>6} {'r@5':>6} {'r@10':>6} {'mrr@10':>7}")
    for c in out["configs"]:
        for s, m in c["slices"].items():
            print(f"{c['retriever']:10} {s:10} {m['n']:4d} {m['r@1']:6.3f} {m['r@5']:6.3f} {m['r@10']:6.3f} {m['mrr@10']:7.3f}")
        print(f"{c['retriever']:10} p50 {c['p50_ms']} ms; missed@5: {len(c['missed'])}")
    print("abstention:", out["abstention"])
    print("quotes:", out["quotes"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
