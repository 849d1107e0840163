"""Follow-up questions over the bundled corpus: python -m eval.followups [--index index]

eval/followups.jsonl holds questions asked after an earlier one: elliptic ones ("А в
1923-м?", "Who headed it?") whose answer is the evidence of a corpus question, and
complete ones that must be searched as typed. For each, the passages of
`Index.ask(question, k=10, history=[earlier])` against the same question asked alone
and against its written-out standalone form (the ceiling): recall@5, MRR@10, by
language pair, and how often rag/followup.py's detection agrees with the labels.
Writes results/followups.json (results/followups_heldout.json for that set).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from eval.run import DEFAULT_CORPUS, open_index, rank_of

HERE = Path(__file__).parent
PAIRS = HERE / "followups.jsonl"


@dataclass(frozen=True)
class Pair:
    id: str
    history: tuple[str, ...]
    question: str
    standalone: str
    lang: str
    history_lang: str
    elliptic: bool
    source: str
    span: tuple[int, int]


def load_pairs(path: Path = PAIRS, corpus: Path = DEFAULT_CORPUS) -> list[Pair]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        raw = (corpus / d["source"]).read_text(encoding="utf-8")
        s = raw.find(d["evidence"])
        if s < 0:
            raise ValueError(f"{path}: {d['id']}: evidence not found verbatim in {d['source']}")
        out.append(Pair(d["id"], tuple(d["history"]), d["question"], d["standalone"], d["lang"],
                        d["history_lang"], bool(d["elliptic"]), d["source"], (s, s + len(d["evidence"]))))
    return out


def figures(ranks: list[int | None]) -> dict:
    n = len(ranks)
    return {"n": n, "r@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3) if n else None,
            "mrr@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 3) if n else None}


def run(index, pairs: list[Pair]) -> dict:
    from rag.followup import is_elliptic

    rows = []
    for p in pairs:
        with_history = index.ask(p.question, k=10, history=list(p.history))
        rows.append({
            "id": p.id, "elliptic": p.elliptic, "detected": is_elliptic(p.question),
            "pair": f"{p.history_lang}->{p.lang}", "searched_as": with_history.searched_as,
            # rank_of: the first passage overlapping the evidence span (a Pair has source and span)
            "with_history": rank_of(with_history.hits, p),
            "as_typed": rank_of(index.ask(p.question, k=10).hits, p),
            "standalone": rank_of(index.ask(p.standalone, k=10).hits, p),
        })
    res: dict = {"pairs": len(rows)}
    for kind, sel in (("elliptic", True), ("complete", False)):
        part = [r for r in rows if r["elliptic"] is sel]
        res[kind] = {how: figures([r[how] for r in part]) for how in ("with_history", "as_typed", "standalone")}
        res[kind]["by_pair"] = {pair: figures([r["with_history"] for r in part if r["pair"] == pair])
                                for pair in sorted({r["pair"] for r in part})}
    res["detection"] = {
        "elliptic_detected": sum(r["detected"] for r in rows if r["elliptic"]),
        "elliptic": sum(r["elliptic"] for r in rows),
        "complete_detected": sum(r["detected"] for r in rows if not r["elliptic"]),
        "complete": sum(not r["elliptic"] for r in rows),
    }
    res["rows"] = rows
    return res


def summary(res: dict) -> str:
    lines = [f"{'':10} {'':14} {'n':>3} {'r@5':>6} {'mrr@10':>7}"]
    for kind in ("elliptic", "complete"):
        for how in ("with_history", "as_typed", "standalone"):
            f = res[kind][how]
            lines.append(f"{kind:10} {how:14} {f['n']:3d} {f['r@5']:6.3f} {f['mrr@10']:7.3f}")
        for pair, f in res[kind]["by_pair"].items():
            lines.append(f"{kind:10} {'  ' + pair:14} {f['n']:3d} {f['r@5']:6.3f} {f['mrr@10']:7.3f}")
    d = res["detection"]
    lines.append(f"detected as elliptic: {d['elliptic_detected']}/{d['elliptic']} elliptic, "
                 f"{d['complete_detected']}/{d['complete']} complete")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.followups", description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", default="index", help="index folder; built from the corpus if missing")
    ap.add_argument("--pairs", default=str(PAIRS),
                    help="a .jsonl of follow-ups (default eval/followups.jsonl; eval/followups_heldout.jsonl was "
                         "written by someone who had not seen rag/followup.py's rules, and was not used to write them)")
    ap.add_argument("--out", default="results")
    a = ap.parse_args(argv)
    res = run(open_index(a.index, DEFAULT_CORPUS), load_pairs(Path(a.pairs)))
    res["pairs_file"] = Path(a.pairs).name
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / f"{Path(a.pairs).stem}.json").write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    print(summary(res))
    missed = [r for r in res["rows"] if r["elliptic"] and (r["with_history"] is None or r["with_history"] > 5)]
    for r in missed:
        print(f"missed {r['id']} ({r['pair']}): {r['searched_as']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
