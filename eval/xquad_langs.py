"""XQuAD in every language of ../shared/xquad: `python -m eval.xquad --langs all` (issue 30).

For each language L, on the held-out articles (24-31, calibration paragraphs i % 10 == 0 left
out, as eval/adopt.py does), every question is asked three ways:
  - mono:  L's questions over an index of L's 160 paragraphs;
  - en:    L's questions over the index of the English paragraphs (across languages);
  - mixed: L's questions over one index of the en + ru paragraphs, no language filter; the
           question's paragraph in either language counts.
Figures: r@1, r@5, MRR@10 of the question's paragraph among ask()'s passages; quote (the first
quote holds a gold answer in the language of the quote's paragraph); answered (ask().found);
ask p50 ms. Language identification is checked on both sides: the majority language the index
gave L's chunks, and the majority of Answer.query_lang over L's questions.

Indexes are built once under --cache and reused only while their key holds: today's
index-time settings, the document encoder, and a hash of the rag modules that decide what an
index holds (INDEX_MODULES), so that editing rag/lang.py rebuilds them. Answers are never
cached: query-time code changes with every run.
(Named xquad_langs, not langs: eval/langs/ holds the Ukrainian/Kazakh check's files.)
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from .adopt import LANGS, judged, variant_index, xquad_docs
from .quotes import paragraphs
from .xquad import HELD_OUT

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "rag-xquad-langs"
# What decides an index's contents (chunks, sentences, languages, BM25 tokens). analyze.py is
# the per-language analyzer lexical.py calls; a module absent from the tree hashes as absent.
INDEX_MODULES = ("rag/lang.py", "rag/chunk.py", "rag/clean.py", "rag/retrieve/lexical.py", "rag/analyze.py",
                 "rag/ingest.py", "rag/store.py")
DIRECTIONS = ("mono", "en", "mixed")
MIXED = ("en", "ru")  # the languages of the mixed index, as in eval/xquad.py
# The targets (issue 30, "Done means"): the figures the table marks when missed.
TARGET_MONO_R1, TARGET_QUOTE, TARGET_MIXED_R1 = 0.95, 0.75, 0.93
MIXED_TARGET_LANGS = ("de", "es", "zh")


# ------------------------------------------------------------------ the cache key
def code_hash(root: Path = ROOT, modules: tuple[str, ...] = INDEX_MODULES) -> str:
    h = hashlib.sha256()
    for m in modules:
        f = root / m
        h.update(m.encode() + b"\0" + (f.read_bytes() if f.is_file() else b"<absent>") + b"\0")
    return h.hexdigest()


def index_settings() -> dict:
    """Today's index-time settings and the document encoder a build would use (RAG_DOCS wins)."""
    from rag.settings import INDEX_TIME, Settings

    s = Settings().to_dict()
    return {**{k: s[k] for k in INDEX_TIME}, "RAG_DOCS": os.environ.get("RAG_DOCS", "")}


def cache_key(settings: dict, code: str) -> str:
    return hashlib.sha256(json.dumps({"settings": settings, "code": code}, sort_keys=True).encode()).hexdigest()[:12]


# ------------------------------------------------------------------ indexes
def current(cache: Path = CACHE) -> Path:
    """The cache folder of indexes built by today's settings and code."""
    return cache / cache_key(index_settings(), code_hash())


def language_index(data: Path, lang: str, where: Path):
    """The index of `lang`'s XQuAD paragraphs under `where` (a `current` folder), built once."""
    return variant_index(xquad_docs(data, lang, where), where / f"xquad-{lang}", {})


def mixed_docs(data: Path, where: Path) -> Path:
    """en/pNNN.txt and ru/pNNN.txt in one folder: the mixed index's source names say the language."""
    folder = where / "docs" / "mixed"
    if not folder.is_dir():
        tmp = folder.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for lang in MIXED:
            shutil.copytree(xquad_docs(data, lang, where), tmp / lang)
        tmp.replace(folder)
    return folder


def index_lang(idx) -> tuple[str, float]:
    """The language the index gave most of its chunks, and that share."""
    c = Counter(ch.lang for ch in idx.payload.chunks)
    lang, n = c.most_common(1)[0]
    return lang, round(n / sum(c.values()), 3)


# ------------------------------------------------------------------ asking
def ask_rows(idx, data: Path, lang: str, direction: str, settings: dict | None = None,
             articles=HELD_OUT) -> list[dict]:
    """One row per question of `lang` in `articles` (the held-out ones unless told) asked of
    `idx` (the `direction`'s index)."""
    if settings:
        idx.reconfigure(**settings)
    paras = paragraphs(data, lang)
    gold = {g: {q[0]: q[2] for p in paragraphs(data, g) for q in p["qas"]} for g in {lang, *MIXED}}
    rows = []
    idx.ask(paras[0]["qas"][0][1], k=10)  # warm-up, untimed: first calls load lazily
    for i, p in enumerate(paras):
        if p["article"] not in articles or i % 10 == 0:
            continue
        name = f"p{i:03d}.txt"
        want = {f"{g}/{name}" for g in MIXED} if direction == "mixed" else {name}
        for qid, question, _ in p["qas"]:
            t = time.perf_counter()
            a = idx.ask(question, k=10)
            ms = 1000 * (time.perf_counter() - t)
            quote = False
            if a.quotes:
                q = a.quotes[0]
                qlang = q.source.split("/")[0] if direction == "mixed" else ("en" if direction == "en" else lang)
                quote = any(g in q.text for g in gold[qlang][qid])
            rows.append({"lang": lang, "dir": direction, "id": qid, "article": p["article"], "query_lang": a.query_lang,
                         **judged(a.hits, lambda h, want=want: h.source in want),
                         "quote": quote, "answered": a.found, "ms": round(ms, 2)})
    return rows


def figures(rows: list[dict]) -> dict:
    mean = lambda f: round(sum(r[f] for r in rows) / len(rows), 3) if rows else None
    return {"n": len(rows), "r@1": mean("hit@1"), "r@5": mean("hit@5"), "mrr@10": mean("rr@10"),
            "quote": mean("quote"), "answered": mean("answered"),
            "ask_p50_ms": round(statistics.median(r["ms"] for r in rows), 1) if rows else None}


def run_langs(langs: tuple[str, ...], data: Path, cache: Path = CACHE, settings: dict | None = None,
              log=lambda m: print(m, file=sys.stderr, flush=True)) -> dict:
    """Every language's three directions; the result as xquad_langs.json holds it."""
    t0 = time.perf_counter()
    where = current(cache)
    built: dict[str, float] = {}

    def timed(name: str, make):
        t = time.perf_counter()
        idx = make()
        built[name] = round(time.perf_counter() - t, 1)
        return idx

    own = {lang: functools.cache(lambda lang=lang: timed(f"xquad-{lang}", lambda: language_index(data, lang, where)))
           for lang in LANGS}
    mixed = functools.cache(lambda: timed("mixed", lambda: variant_index(mixed_docs(data, where), where / "mixed", {})))
    out: dict[str, dict] = {}
    for lang in langs:
        rows, res = [], {}
        for d in DIRECTIONS:
            if d == "en" and lang == "en":
                continue  # en->en is the monolingual row
            idx = own[lang]() if d == "mono" else own["en"]() if d == "en" else mixed()
            part = ask_rows(idx, data, lang, d, settings)
            rows += part
            res[d] = figures(part)
            log(f"xquad-langs: {lang} {d}: r@1 {res[d]['r@1']}, quote {res[d]['quote']} "
                f"({time.perf_counter() - t0:.0f} s)")
        il, ils = index_lang(own[lang]())
        ql = Counter(r["query_lang"] for r in rows if r["dir"] == "mono")
        top, n = ql.most_common(1)[0]
        out[lang] = {"index_lang": il, "index_lang_share": ils, "query_lang": top,
                     "query_lang_share": round(n / sum(ql.values()), 3), "query_langs": dict(ql.most_common()), **res}
    return {"articles": "24-31 (held out), calibration paragraphs (i % 10 == 0) excluded", "cache": str(where),
            "index_settings": index_settings(), "settings": settings or {}, "build_seconds": built,
            "seconds": round(time.perf_counter() - t0, 1), "langs": out}


# ------------------------------------------------------------------ the report
def _f(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def _missed(lang: str, d: str, figure: str, x) -> bool:
    if x is None:
        return False
    if figure == "r@1":
        return (d == "mono" and x < TARGET_MONO_R1) or (d == "mixed" and lang in MIXED_TARGET_LANGS
                                                         and x < TARGET_MIXED_R1)
    return figure == "quote" and d == "mono" and x < TARGET_QUOTE


def table(res: dict) -> str:
    """One row per language and direction; a target the issue sets and the figure misses is bold."""
    names = {"mono": "mono", "en": "→en", "mixed": "→mixed"}
    lines = ["| lang | direction | n | r@1 | r@5 | MRR@10 | quote | answered | ask p50 ms | index lang | question lang |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    missed = []
    for lang, r in res["langs"].items():
        for d in DIRECTIONS:
            if d not in r:
                continue
            m = r[d]
            cells = []
            for f in ("r@1", "r@5", "mrr@10", "quote", "answered"):
                bad = _missed(lang, d, f, m[f])
                cells.append(f"**{_f(m[f])}**" if bad else _f(m[f]))
                if bad:
                    missed.append(f"{lang} {names[d]} {f} {_f(m[f])}")
            ids = [f"{r['index_lang']} ({r['index_lang_share']:.2f})", f"{r['query_lang']} ({r['query_lang_share']:.2f})"] \
                if d == "mono" else ["", ""]
            ms = "—" if m["ask_p50_ms"] is None else f"{m['ask_p50_ms']:.1f}"
            lines.append(f"| {lang} | {names[d]} | {m['n']} | " + " | ".join(cells) + f" | {ms} | " + " | ".join(ids) + " |")
    lines += ["", f"Targets (issue 30): mono r@1 ≥ {TARGET_MONO_R1}, mono quote ≥ {TARGET_QUOTE}, →mixed r@1 ≥ "
              f"{TARGET_MIXED_R1} for {', '.join(MIXED_TARGET_LANGS)}; missed (bold): "
              + ("; ".join(missed) if missed else "none") + "."]
    return "\n".join(lines)


def render(res: dict) -> str:
    return ("# XQuAD in every language (`python -m eval.xquad --langs ...`)\n\n"
            f"Articles {res['articles']}. mono: the language's questions over an index of its own "
            "paragraphs; →en: over the English paragraphs' index; →mixed: over one index of the en + ru "
            "paragraphs, no language filter, either version counts. quote: the first quote of ask() holds a gold "
            "answer in its paragraph's language; answered: ask() found an answer. index lang: the language the "
            "index gave most of the language's chunks (share); question lang: Answer.query_lang's majority "
            "(share).\n\n" + table(res) + f"\n\nIndex-time settings {json.dumps(res['index_settings'])}; "
            f"query-time changes {json.dumps(res['settings'])}; {res['seconds']:.0f} s in all.\n")


def write(res: dict, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    j, m = out / "xquad_langs.json", out / "xquad_langs.md"
    j.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    m.write_text(render(res), encoding="utf-8")
    return j, m


def parse_langs(text: str) -> tuple[str, ...]:
    """'all' or a comma list of XQuAD's languages; ValueError naming the unknown ones."""
    langs = LANGS if text == "all" else tuple(dict.fromkeys(x.strip() for x in text.split(",") if x.strip()))
    if unknown := [x for x in langs if x not in LANGS]:
        raise ValueError(f"unknown XQuAD language(s) {', '.join(unknown)}; one of {', '.join(LANGS)} or 'all'")
    if not langs:
        raise ValueError("no language given; a comma list such as de,zh or 'all'")
    return langs
