"""The adoption rule applied (docs/adoption.md): two variants, the same 2,000+ questions, paired tests.

    python -m eval.adopt --a '{"docs": "fp32"}' --b '{"docs": "int8"}' [--langs all] [--out docs/results]

A variant is a set of Settings fields over today's defaults: index-time ones (rag/settings.py
INDEX_TIME, e.g. docs, chunk_size) build their own indexes, query-time ones reconfigure.
Every question is asked of both; per question we keep whether the evidence is the first
passage (hit@1) or in the top 5 (hit@5), its reciprocal rank within 10 (rr@10), whether
the first quote holds the answer (quote), whether an answerable question was answered
(answered) or an unanswerable one declined (declined), and the partial-match line: an
unanswerable question flagged ("not found near the quote: …") or declined (flagged), an
answerable one answered without such a flag (clean). The sets:
  - corpus: eval/questions over the bundled corpus (data/corpus);
  - followups: eval/followups*.jsonl, asked with their history, over the same index;
  - xquad-L: XQuAD's held-out articles (24-31, never trained or fitted on) in each language
    L of ../shared/xquad, over a monolingual index of that language's 160 paragraphs, less
    every tenth paragraph (the int8 encoder's calibration text, research/recipes/smooth_stats.py);
  - xquad-L>en: the same questions over the English index (across languages).
B is adopted when no figure, pooled over all questions, is significantly worse than A's
(eval/paired.py: McNemar's exact test, a paired bootstrap for rr@10; p < 0.05). Per-set rows
are shown with Holm's correction across sets, for where to look, not for the verdict.
Writes OUT/adopt.json and OUT/adopt.md; indexes are cached under --cache, by the variant's
index-time fields alone (a query-time variant is asked of the baseline's indexes).

A change of query-time code rather than of settings: ask A before the change (`--only a`),
then B after it with `--answers-b DIR` (B's outcomes kept apart, the same indexes), and
compare (`--answers-b DIR --cached`).
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from .followups import PAIRS, load_pairs
from .paired import ALPHA, Paired, bootstrap, mcnemar
from .quotes import paragraphs
from .run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, load_questions, overlaps, rank_of
from .xquad import DEFAULT_DATA, HELD_OUT

LANGS = ("en", "ru", "de", "es", "zh", "ar", "el", "hi", "ro", "th", "tr", "vi")
FIGURES = ("hit@1", "hit@5", "rr@10", "quote", "answered", "declined", "clean", "flagged")
CACHE = Path(tempfile.gettempdir()) / "rag-adopt"
FOLLOWUPS = [PAIRS, PAIRS.with_name("followups_heldout.jsonl")]


# ------------------------------------------------------------------ indexes of a variant
def variant_settings(variant: dict):
    from rag.settings import Settings

    return Settings().replace(**variant)


def variant_index(docs: Path, folder: Path, variant: dict):
    """The index of `docs` under `variant`: built once into `folder`, reused while its
    index-time settings are the variant's; asked at the variant's query-time settings."""
    import rag
    from rag.settings import INDEX_TIME

    want = variant_settings(variant)
    try:
        idx = rag.load(folder)
        if any(getattr(idx.settings, k) != getattr(want, k) for k in INDEX_TIME):
            raise rag.IndexFormatError("other index-time settings")
    except rag.IndexFormatError:
        print(f"adopt: building {folder}", file=sys.stderr, flush=True)
        idx = rag.build([docs], folder, settings=want)
    idx.reconfigure(**{k: v for k, v in want.to_dict().items() if k not in INDEX_TIME})
    return idx


def tag(variant: dict) -> str:
    return hashlib.sha256(json.dumps(variant, sort_keys=True).encode()).hexdigest()[:10]


def xquad_docs(data: Path, lang: str, cache: Path) -> Path:
    folder = cache / "docs" / lang
    if not folder.is_dir():
        folder.mkdir(parents=True)
        for i, p in enumerate(paragraphs(data, lang)):
            (folder / f"p{i:03d}.txt").write_text(p["context"], encoding="utf-8")
    return folder


# ------------------------------------------------------------------ per-question outcomes
def judged(hits, ok) -> dict:
    """hit@1, hit@5, rr@10 of a ranked list, `ok(hit)` saying which passages hold the evidence."""
    rank = next((r for r, h in enumerate(hits[:10], 1) if ok(h)), None)
    return {"hit@1": rank == 1, "hit@5": rank is not None and rank <= 5, "rr@10": 1 / rank if rank else 0.0}


def corpus_rows(idx, questions: Path, followups: list[Path], corpus: Path) -> list[dict]:
    rows = []
    for it in load_questions(questions, corpus):
        a = idx.ask(it.question, k=10)
        row = {"set": "corpus", "id": it.id}
        if it.answerable:
            row.update(judged(idx.search(it.question, k=10), lambda h, it=it: overlaps(h, it)),
                       quote=bool(a.quotes) and overlaps(a.quotes[0], it), answered=a.found,
                       clean=a.found and not a.missing)
        else:
            row.update(declined=not a.found, flagged=not a.found or bool(a.missing))
        rows.append(row)
    for path in followups:
        for p in load_pairs(path, corpus):
            r = rank_of(idx.ask(p.question, k=10, history=list(p.history)).hits, p)
            rows.append({"set": "followups", "id": p.id, "hit@1": r == 1, "hit@5": r is not None and r <= 5,
                         "rr@10": 1 / r if r and r <= 10 else 0.0})
    return rows


def xquad_rows(idx, data: Path, lang: str, against: str) -> list[dict]:
    """`lang`'s held-out questions over the index of `against`'s paragraphs (the same
    paragraphs: XQuAD is parallel), less the calibration paragraphs."""
    rows = []
    gold_text = {i: p for i, p in enumerate(paragraphs(data, against))}
    for i, p in enumerate(paragraphs(data, lang)):
        if p["article"] not in HELD_OUT or i % 10 == 0:
            continue
        for (qid, question, _), (_, _, answers) in zip(p["qas"], gold_text[i]["qas"]):
            a = idx.ask(question, k=10)
            name = f"p{i:03d}.txt"
            rows.append({"set": f"xquad-{lang}" + (f">{against}" if against != lang else ""), "id": qid,
                         **judged(idx.search(question, k=10), lambda h, name=name: h.source.endswith(name)),
                         "quote": bool(a.quotes) and any(x in a.quotes[0].text for x in answers),
                         "answered": a.found, "clean": a.found and not a.missing})
    return rows


def outcomes(variant: dict, langs: tuple[str, ...], data: Path, cache: Path, corpus: Path,
             questions: Path, followups: list[Path], cached_only: bool = False,
             answers: Path | None = None) -> list[dict]:
    """Every question's outcome under `variant`, cached per part as JSON lines, so that an
    interrupted run resumes (delete the variant's folder under --cache to ask anew).
    `cached_only`: the parts already asked, nothing more. `answers`: the outcomes under
    this folder instead of --cache (a change of code judged on the same indexes)."""
    from rag.settings import INDEX_TIME

    # indexes by the variant's index-time fields alone: a query-time variant asks A's indexes
    built = {k: v for k, v in variant.items() if k in INDEX_TIME}
    where, kept = cache / tag(built), (answers or cache) / tag(variant)
    for folder, v in ((where, built), (kept, variant)):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "variant.json").write_text(json.dumps(v, sort_keys=True), encoding="utf-8")
    t = time.perf_counter()
    # the English index, loaded once for the monolingual part and the 11 parts across languages
    english = functools.cache(lambda: variant_index(xquad_docs(data, "en", cache), where / "xquad-en", variant))
    parts = [("corpus", lambda: corpus_rows(variant_index(corpus, where / "corpus", variant), questions,
                                            followups, corpus))]
    for lang in langs:
        own = english if lang == "en" else (
            lambda lang=lang: variant_index(xquad_docs(data, lang, cache), where / f"xquad-{lang}", variant))
        parts.append((f"xquad-{lang}", lambda own=own, lang=lang: xquad_rows(own(), data, lang, lang)))
        if lang != "en":
            parts.append((f"xquad-{lang}-en", lambda lang=lang: xquad_rows(english(), data, lang, "en")))
    rows: list[dict] = []
    for name, ask in parts:
        done = kept / f"{name}.jsonl"
        if not done.exists():
            if cached_only:
                continue
            part = ask()
            tmp = done.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
            tmp.replace(done)  # a killed run leaves no half part
            print(f"adopt: {json.dumps(variant)} {name}: {len(part)} questions, {time.perf_counter() - t:.0f} s",
                  file=sys.stderr, flush=True)
        rows += [json.loads(x) for x in done.read_text(encoding="utf-8").splitlines()]
    return rows


# ------------------------------------------------------------------ the comparison
def compare(a_rows: list[dict], b_rows: list[dict]) -> dict:
    """{set or "all": {figure: Paired}} over the questions both variants were asked."""
    b_of = {(r["set"], r["id"]): r for r in b_rows}
    pairs = [(r, b_of[(r["set"], r["id"])]) for r in a_rows if (r["set"], r["id"]) in b_of]
    out: dict[str, dict[str, Paired]] = {}
    for name in ["all", *dict.fromkeys(r["set"] for r, _ in pairs)]:
        part = [(x, y) for x, y in pairs if name == "all" or x["set"] == name]
        out[name] = {}
        for f in FIGURES:
            vals = [(x[f], y[f]) for x, y in part if f in x and f in y]
            if vals:
                test = bootstrap if f == "rr@10" else mcnemar
                out[name][f] = test([v[0] for v in vals], [v[1] for v in vals])
    return out


def holm(ps: list[float]) -> list[float]:
    """Holm's step-down adjustment of p-values (for the per-set rows)."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    adj, running = [1.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(ps) - rank) * ps[i]))
        adj[i] = running
    return adj


def record(res: dict, a: dict, b: dict) -> dict:
    """What adopt.json holds: the variants, the verdict and every set's paired figures."""
    adopt, worse = verdict(res)
    return {"a": a, "b": b, "adopt": adopt, "worse": worse,
            "sets": {s: {f: p._asdict() for f, p in figs.items()} for s, figs in res.items()}}


def verdict(res: dict) -> tuple[bool, list[str]]:
    """Adopt B unless a pooled figure is significantly worse; the reasons when not."""
    worse = [f"{f}: {p.a:.3f} -> {p.b:.3f} (p = {p.p:.3g})" for f, p in res["all"].items() if p.worse]
    return not worse, worse


def table(res: dict, a: dict, b: dict) -> str:
    adopt, worse = verdict(res)
    lines = [f"A = {json.dumps(a)}, B = {json.dumps(b)}; B − A with its 95 % interval and the paired test's p "
             f"(McNemar's exact test; rr@10: paired bootstrap). Per-set p-values Holm-adjusted across sets.", "",
             "| set | n | figure | A | B | B − A [95 %] | p | only A / only B |", "|---|---|---|---|---|---|---|---|"]
    sets = [s for s in res if s != "all"]
    adjusted = {}
    for f in FIGURES:
        named = [s for s in sets if f in res[s]]
        adjusted.update({(s, f): p for s, p in zip(named, holm([res[s][f].p for s in named]))})
    for s in ["all", *sets]:
        for f, p in res[s].items():
            pv = p.p if s == "all" else adjusted[(s, f)]
            flag = " **worse**" if p.diff < 0 and pv < ALPHA else (" better" if p.diff > 0 and pv < ALPHA else "")
            only = f"{p.a_only} / {p.b_only}" if p.a_only is not None else ""
            lines.append(f"| {s} | {p.n} | {f} | {p.a:.3f} | {p.b:.3f} | {p.diff:+.3f} [{p.low:+.3f}, {p.high:+.3f}] "
                         f"| {pv:.3g}{flag} | {only} |")
    lines += ["", f"**Verdict: {'adopt B' if adopt else 'keep A'}**" + ("" if adopt else ": " + "; ".join(worse))
              + f" ({res['all']['hit@1'].n} questions with a passage to find)."]
    return "\n".join(lines)


def pooled_table(saved: dict) -> str:
    """docs/adoption.md's summary, from adopt.json as written: the pooled row of every figure,
    the question count and the verdict (tests/test_docs.py checks the page carries it)."""
    rows = saved["sets"]["all"]
    n, una = rows["hit@1"]["n"], rows.get("declined", {}).get("n", 0)
    lines = [f"A = `{json.dumps(saved['a'])}`, B = `{json.dumps(saved['b'])}`: {n + una:,} questions, {n:,} with a "
             f"passage to find and {una} unanswerable, in {len(saved['sets']) - 1} sets; pooled:", "",
             "| figure | questions | A | B | B − A [95 %] | p | only A / only B |", "|---|---|---|---|---|---|---|"]
    for f, r in rows.items():
        only = f"{r['a_only']} / {r['b_only']}" if r["a_only"] is not None else "—"
        lines.append(f"| {f} | {r['n']:,} | {r['a']:.3f} | {r['b']:.3f} | {r['diff']:+.3f} "
                     f"[{r['low']:+.3f}, {r['high']:+.3f}] | {r['p']:.3g} | {only} |")
    lines += ["", f"Verdict: **{'adopt B' if saved['adopt'] else 'keep A'}**"
              + ("" if saved["adopt"] else " (" + "; ".join(saved["worse"]) + ")") + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.adopt", description=__doc__.split("\n\n")[0])
    p.add_argument("--a", default='{"docs": "fp32"}', help="variant A as JSON Settings fields (the baseline)")
    p.add_argument("--b", default='{"docs": "int8"}', help="variant B as JSON Settings fields (the change)")
    p.add_argument("--langs", default="all", help="XQuAD languages, comma-separated, or 'all'")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    p.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    p.add_argument("--cache", type=Path, default=CACHE)
    p.add_argument("--out", type=Path, default=Path("results"))
    p.add_argument("--cached", action="store_true", help="compare the parts both variants have asked so far, "
                   "asking nothing (the sets are named in the output)")
    p.add_argument("--answers-b", type=Path, default=None, help="B's outcomes under this folder, not --cache: "
                   "a change of query-time code (A asked before it, B after, on the same indexes)")
    p.add_argument("--only", choices=("a", "b"), help="ask one variant's questions and stop (to run A and B "
                   "in two processes; a last run without --only compares them from the cache)")
    args = p.parse_args(argv)
    if os.environ.get("RAG_DOCS"):
        p.error("unset RAG_DOCS: the variants say which document encoder each uses")
    a, b = json.loads(args.a), json.loads(args.b)
    langs = LANGS if args.langs == "all" else tuple(x.strip() for x in args.langs.split(","))
    if unknown := [x for x in langs if x not in LANGS]:
        p.error(f"unknown XQuAD language(s) {', '.join(unknown)}; one of {', '.join(LANGS)}")
    answers = {"a": None, "b": args.answers_b}
    rows = {name: outcomes(v, langs, args.data, args.cache, args.corpus, args.questions, FOLLOWUPS, args.cached,
                           answers[name])
            for name, v in (("a", a), ("b", b)) if args.only in (None, name)}
    if args.only:
        return 0
    res = compare(rows["a"], rows["b"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "adopt.json").write_text(json.dumps(record(res, a, b), indent=1) + "\n", encoding="utf-8")
    code = " (B: the code after a change, A: before it)" if args.answers_b else ""
    (args.out / "adopt.md").write_text("# Adoption rule: " + f"{json.dumps(b)} against {json.dumps(a)}{code}\n\n"
                                       + "Written by `python -m eval.adopt` (docs/adoption.md).\n\n"
                                       + table(res, a, b) + "\n", encoding="utf-8")
    print(table(res, a, b))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
