"""The quote's token head as a passage feature too (issues 27, 30; DEVELOPERS' retrieval targets).

The hybrid ranks passages by their mean vector, BM25 and their best sentence's cosine
(rag/retrieve/hybrid.py). The token head (rag/tokens.py) reads a question against a sentence
token by token, from codes every student index keeps, and was trained to pick the sentence
that answers among a question's candidates. Here each of the hybrid's first passages gets the
head's score of its best sentence, standardised over the passages, added with a weight:

    score'(p) = hybrid(p) + w * (h(p) - mean_P h) / sd_P h,    h(p) = max_{s in p} head(q, s)

    python -m research.head_rerank collect [--langs all] [--dirs mono,mixed] [--depth 20]
    python -m research.head_rerank eval [--weights 0,0.1,0.2,0.3,0.5] [--top 10]

`collect` asks every XQuAD question (all 48 articles, less the calibration paragraphs) of the
xquad_langs indexes and the corpus set of eval.adopt's corpus index, and keeps each question's
first `depth` passages: the hybrid's score, the head's best sentence and whether the passage
holds the evidence. `eval` re-ranks offline: the weight is chosen on the training articles of
the languages the head never trained on (ar, el, hi, ro, th, tr, vi), and judged paired
(McNemar, hit@1) on the held-out articles of every language and on the corpus set.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(tempfile.gettempdir()) / "head_rerank.jsonl"  # each question's passages, as collected
HEAD_LANGS = ("en", "ru", "de", "es", "zh")  # the head's training languages (research/recipes/quote_head.py)


def passage_heads(s, q, rows: list[int]) -> list[float]:
    """The head's score of each passage's best sentence (NaN where nothing can be read)."""
    states = q.cache.get(("tokens", q.text))
    codes = s.payload.sent_codes
    if s.head is None or states is None or codes is None:
        return [float("nan")] * len(rows)
    out = []
    for r in rows:
        sents = s.chunk_sents[r]
        v = s.head.scores(states, [codes.row(int(x)) for x in sents]) if len(sents) else np.array([np.nan])
        out.append(float(np.nanmax(v)) if np.isfinite(v).any() else float("nan"))
    return out


def ask_one(s, text: str, depth: int, ok) -> dict:
    q = s.query(text)
    scored = s.hybrid.search(q, depth, None)
    rows = [x.row for x in scored]
    return {"qlang": q.lang, "plang": [str(s.langs[r]) for r in rows], "score": [round(x.score, 5) for x in scored], "head": [round(h, 5) for h in passage_heads(s, q, rows)],
            "ok": [bool(ok(s.hit(x.row, x.score))) for x in scored]}


def collect(a) -> int:
    from eval import xquad_langs as xl
    from eval.adopt import CACHE, tag
    from eval.quotes import at_defaults, paragraphs
    from eval.run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, load_questions, overlaps
    from eval.xquad import DEFAULT_DATA, HELD_OUT

    import rag

    langs = xl.parse_langs(a.langs)
    where = xl.current()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as f:
        corpus = at_defaults(rag.load(a.corpus_index or CACHE / tag({}) / "corpus")).searcher
        for it in load_questions(DEFAULT_QUESTIONS, DEFAULT_CORPUS):
            if it.answerable:
                rec = ask_one(corpus, it.question, a.depth, lambda h, it=it: overlaps(h, it))
                f.write(json.dumps({"set": "corpus", "id": it.id, "held": True, **rec}) + "\n")
        mixed = None
        for lang in langs:
            for d in a.dirs.split(","):
                if d == "mixed":
                    mixed = mixed or at_defaults(rag.load(where / "mixed"))
                    idx = mixed
                else:
                    idx = at_defaults(xl.language_index(DEFAULT_DATA, lang if d == "mono" else "en", where))
                s = idx.searcher
                for i, p in enumerate(paragraphs(DEFAULT_DATA, lang)):
                    if i % 10 == 0:
                        continue
                    name = f"p{i:03d}.txt"
                    want = {f"{g}/{name}" for g in xl.MIXED} if d == "mixed" else {name}
                    for qid, question, _ in p["qas"]:
                        rec = ask_one(s, question, a.depth, lambda h, want=want: h.source in want)
                        f.write(json.dumps({"set": f"{lang}-{d}", "id": qid, "held": p["article"] in HELD_OUT,
                                            **rec}) + "\n")
                print(f"{lang}-{d} done", file=sys.stderr, flush=True)
    return 0


def reranked(rec: dict, w: tuple[float, float], top: int, by_lang: bool = True) -> list[bool]:
    """The passages' evidence flags in the order of hybrid + w * the head's standardised score;
    w = (weight in the question's language, weight in others), each group standardised apart
    (`by_lang`: across languages the head's scores run lower, as e5's cosines do)."""
    score, head, ok = (np.asarray(rec[k][:top], float) for k in ("score", "head", "ok"))
    if not len(score) or not any(w) or not np.isfinite(head).any():
        return list(ok.astype(bool)) + [bool(x) for x in rec["ok"][top:]]
    h = np.where(np.isfinite(head), head, np.nanmin(head))
    same = np.asarray(rec["plang"][:top]) == rec["qlang"]
    add = np.zeros(len(h))
    for group, weight in ((same, w[0]), (~same, w[1])):
        sel = group if by_lang else np.ones(len(h), bool)
        if weight and group.any():
            z = (h - h[sel].mean()) / max(h[sel].std(), 1e-6) if sel.sum() > 1 else np.zeros(len(h))
            add[group] = weight * z[group]
    order = np.argsort(-(score + add), kind="stable")
    return list(ok[order].astype(bool)) + [bool(x) for x in rec["ok"][top:]]


def evaluate(a) -> int:
    from eval.paired import mcnemar

    recs = [json.loads(line) for line in OUT.read_text(encoding="utf-8").splitlines()]
    weights = [float(x) for x in a.weights.split(",")]
    grid = [(ws, wc) for ws in weights for wc in weights]
    fit = [r for r in recs if not r["held"] and r["set"].split("-")[0] not in HEAD_LANGS]
    judged = [r for r in recs if r["held"]]
    print(f"{len(fit)} fitting questions, {len(judged)} judged")

    def hit1(rs, w):
        return [reranked(r, w, a.top, not a.pooled)[0] if r["ok"] else False for r in rs]

    def mrr(rs, w):
        out = []
        for r in rs:
            flags = reranked(r, w, a.top, not a.pooled)[:10]
            out.append(next((1 / (i + 1) for i, x in enumerate(flags) if x), 0.0))
        return float(np.mean(out))

    fits = {w: float(np.mean(hit1(fit, w))) for w in grid}
    groups = {g: [r for r in judged if r["set"].endswith(g)] for g in ("mono", "mixed", "corpus")}
    for w in grid:  # the held-out figures of every weight too: whether any weight would have helped
        print(f"w {w}: fit r@1 {fits[w]:.4f}; held out " +
              ", ".join(f"{g} {np.mean(hit1(rs, w)):.4f}" for g, rs in groups.items()))
    best = max(grid, key=lambda w: (fits[w], -sum(w)))
    print(f"chosen w {best}")
    sets = sorted({r["set"] for r in judged})
    base, new = hit1(judged, (0.0, 0.0)), hit1(judged, best)
    print("all held", mcnemar(base, new))
    for name in sets:
        rs = [r for r in judged if r["set"] == name]
        b, n = hit1(rs, (0.0, 0.0)), hit1(rs, best)
        print(f"{name:10} n {len(rs):4}  r@1 {np.mean(b):.3f} -> {np.mean(n):.3f}  "
              f"MRR {mrr(rs, (0.0, 0.0)):.3f} -> {mrr(rs, best):.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m research.head_rerank")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--langs", default="all")
    c.add_argument("--dirs", default="mono,mixed")
    c.add_argument("--depth", type=int, default=20)
    c.add_argument("--corpus-index", default=None, help="a corpus index with token codes (default: eval.adopt's)")
    e = sub.add_parser("eval")
    e.add_argument("--weights", default="0,0.05,0.1,0.2,0.3,0.5,0.8")
    e.add_argument("--top", type=int, default=10)
    e.add_argument("--pooled", action="store_true", help="standardise all passages together, not by language")
    a = p.parse_args(argv)
    return collect(a) if a.cmd == "collect" else evaluate(a)


if __name__ == "__main__":
    sys.exit(main())
