"""Markdown report and recall@k plot from the JSON-able results of eval/run.py."""
from __future__ import annotations

from pathlib import Path

PLOT = "recall_at_k.png"


def _f(x, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _ms(lt: dict | None) -> str:
    return "—" if not lt or lt.get("p50_ms") is None else f"{lt['p50_ms']:.1f} / {lt['p95_ms']:.1f}"


def configs_table(res: dict) -> str:
    rows = []
    for c in res["configs"]:
        a, s = c["slices"]["all"], c["slices"]
        name = f"**{c['label']}**" if c["name"] == res["default"] else c["label"]
        rows.append([name, *(_f(a[m]) for m in ("r@1", "r@5", "r@10", "mrr@10", "ndcg@10")),
                     _f(s["cross"]["r@5"]), _f(s["same"]["r@5"]), _ms(c["search"]), _ms(c.get("ask"))])
    return _table(["config", "r@1", "r@5", "r@10", "MRR@10", "nDCG@10", "cross r@5", "same r@5",
                   "search p50 / p95 ms", "ask p50 / p95 ms"], rows)


def slice_tables(res: dict) -> str:
    c = next(c for c in res["configs"] if c["name"] == res["default"])
    parts = []
    for group, names in res["slice_groups"].items():
        rows = [[n, str(c["slices"][n]["n"]), *(_f(c["slices"][n][m]) for m in
                                               ("r@1", "r@5", "r@10", "mrr@10", "ndcg@10"))] for n in names]
        parts.append(f"### {group}\n\n" + _table(["slice", "n", "r@1", "r@5", "r@10", "MRR@10", "nDCG@10"], rows))
    return "\n\n".join(parts)


def xquad_table(x: dict) -> str:
    """XQuAD results (eval/xquad.py): one row per direction, then quote accuracy."""
    dirs = [k for k, v in x.items() if isinstance(v, dict) and "r@1" in v]
    rows = [[d, str(x[d]["n"]), *(_f(x[d].get(m)) for m in ("r@1", "r@5", "r@10", "mrr@10", "ndcg@10"))]
            for d in dirs]
    out = _table(["direction", "n", "r@1", "r@5", "r@10", "MRR@10", "nDCG@10"], rows)
    acc = [f"{k.split()[0]} {v['acc']:.3f} (n={v['n']})" for k, v in x.items()
           if isinstance(v, dict) and "acc" in v]
    if acc:
        out += "\n\nQuote accuracy (top quote contains the gold answer): " + ", ".join(acc) + "."
    extra = [f"{k} {x[k]}" for k in ("chunks", "build_seconds", "search_p50_ms") if k in x]
    if extra:
        out += "\n\n" + "; ".join(extra) + "."
    return out


# The README's and docs/results.md's one table of figures is rendered from eval/expected.json,
# so the landing page cannot drift from what tests/test_quality_slow.py pins
# (tests/test_docs.py checks both pages contain exactly this text).
HEADLINE_SLICES = (("all", "all answerable"), ("cross", "cross-lingual"),
                   ("same", "same language"), ("paraphrase", "paraphrased"))


def headline_table(expected: dict) -> str:
    """eval/expected.json as Markdown: recall and MRR by slice, then answered and quote@1."""
    h = expected["hybrid"]
    rows = [[label, *(_f(h[key][m]) for m in ("r@1", "r@5", "r@10", "mrr@10"))]
            for key, label in HEADLINE_SLICES]
    table = _table(["questions (default search)", "r@1", "r@5", "r@10", "MRR@10"], rows)
    ab, an = expected["abstention"], expected["answers"]
    return (table + f"\n\nAnswerable questions answered: {_f(ab['answer_answerable'])}; near misses declined: "
            f"{_f(ab['recall'])}; top quote is the evidence sentence: {_f(expected['quotes']['quote@1'])}; "
            f"typed answers pointed out: {_f(an['span_shown'])}, inside the evidence: {_f(an['span_in_evidence'])}.")


def missed_list(c: dict) -> str:
    lines = []
    for m in c["missed"]:
        rank = f"rank {m['rank']}" if m["rank"] else "not in top 10"
        w = m["want"]
        lines.append(f"- **{m['id']}** ({m['lang']}, {m['kind']}, {rank}) {m['q']}\n"
                     f"  - want `{w['source']}:{w['start']}-{w['end']}` {w['text']}")
        lines += [f"  - got `{g['source']}:{g['start']}-{g['end']}` {g['text']}" for g in m["got"]]
    return "\n".join(lines) or "(none)"


def plot_recall(res: dict, path: Path) -> None:
    # the Agg canvas directly: no pyplot, no global backend switch, no display needed
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for c in res["configs"]:
        ks = range(1, len(c["recall_at_k"]) + 1)
        ax.plot(ks, c["recall_at_k"], marker="o", lw=2.5 if c["name"] == res["default"] else 1.2, label=c["label"])
    ax.set(xlabel="k (passages)", ylabel="recall@k (evidence in top k)", ylim=(0, 1), xticks=list(ks),
           title=f"{res['answerable']} answerable questions")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)


def render(res: dict) -> str:
    d = next(c for c in res["configs"] if c["name"] == res["default"])
    ab, q = res["abstention"], res["quotes"]
    s = res["settings"]
    parts = [
        "# Corpus evaluation",
        (f"{res['questions']} questions ({res['answerable']} answerable) from `{res['questions_path']}`, "
        f"index `{res['index']}`, model `{res['model']}`. Settings changed by --config: "
        f"`{res['config'] or 'none'}`. A question is found at rank r when the r-th passage's span overlaps "
        "the evidence quote. recall@k = at least one overlapping passage in the top k (ranx `hit_rate@k`); "
        "MRR@10 and nDCG@10 from ranx, every overlapping passage relevant."),
        "## Configurations (same model)",
        configs_table(res),
        (f"Tutorial baseline: {res.get('baseline_chunks')} chunks, split and embedded in "
        f"{res.get('baseline_build_seconds')} s. The hybrid without rerank is the default with `sent_weight=0`; "
        "bridge off is the default with `bridge_weight=0` (rag/retrieve/bridge.py)." + "".join(
            f" Notice: {n}." for n in res.get("notices", []))),
        f"![recall@k]({PLOT})",
        f"## By slice ({d['label']})",
        slice_tables(res),
        "## Abstention",
        (f"\"Not in the documents\" at thresholds {s['abstain_below']} (same language) / "
        f"{s['abstain_below_cross']} (cross-lingual): {ab['declined']} questions declined. "
        f"Precision (declined that are truly unanswerable) {_f(ab['precision'])}; recall (unanswerable declined, "
        f"n={ab['unanswerable']}) {_f(ab['recall'])}; answerable answered (n={ab['answerable']}) "
        f"{_f(ab['answer_answerable'])}."),
        "## Quotes",
        (f"Top quote overlaps the evidence for {_f(q['quote@1'])} of answerable questions; "
        f"ask latency p50 {q['ask_p50_ms']} ms, p95 {q['ask_p95_ms']} ms."),
    ]
    if res.get("xquad"):
        parts += ["## XQuAD (en + ru, `python -m eval.xquad`)", xquad_table(res["xquad"])]
    parts += [f"## Missed: evidence not in the top 5 ({d['label']}, {len(d['missed'])})",
              "What was returned instead: the top 5 passages (source:start-end, first 120 characters).",
              missed_list(d)]
    return "\n\n".join(parts) + "\n"


def write_report(res: dict, out: Path) -> None:
    out = Path(out)
    plot_recall(res, out / PLOT)
    (out / "corpus_eval.md").write_text(render(res), encoding="utf-8")
