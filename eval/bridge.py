"""The cross-lingual bridge, measured: weight sweep and BM25-only figures on the corpus set.

    python -m eval.bridge [--index index] [--weights 0,0.5,1,2,3,4] [--out results/bridge.json]

For each bridge weight (all other settings at their defaults): r@5, MRR@10
and r@1 overall, cross-lingual, same-language and per language pair; then
BM25 alone, the bridge alone and BM25 + bridge, so the lexical side's
cross-lingual recall is visible without the dense retriever; last, the search
p50 with the bridge off and on at the index's settings, timed in alternation.
With --variants, also the dictionary rules that were tried and left out (only
the first 2/4/8 translations of each headword; every word of phrase translations).
"""
from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np

from .run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, evaluate, load_questions, open_index, reconfigured

PAIRS = ("ru->ru", "ru->en", "en->en", "en->ru")


def row(res: dict) -> dict:
    s = res["slices"]
    out = {"r@1": s["all"]["r@1"], "r@5": s["all"]["r@5"], "mrr@10": s["all"]["mrr@10"],
           "cross@5": s["cross"]["r@5"], "same@5": s["same"]["r@5"], "p50_ms": res["p50_ms"]}
    out.update({f"{p}@5": s[p]["r@5"] for p in PAIRS if p in s})
    return out


def variant_table(pairs: dict, first: int | None, phrase_words: bool) -> dict:
    """Lexicon._table with another rule: only each headword's `first` translations, or every
    word of phrase translations too (the product keeps all translations, phrases only as a
    fallback)."""
    from rag.retrieve.lexical import tokenize

    out: dict = {}
    for head, trs in pairs.items():
        src = tokenize(head)
        if len(src) != 1:
            continue
        words = [tokenize(t) for t in trs[:first]]
        single = {w[0] for w in words if len(w) == 1}
        everything = {t for w in words for t in w}
        out.setdefault(src[0], set()).update(everything if phrase_words else (single or everything))
    return {k: frozenset(v) for k, v in out.items()}


VARIANTS = {"first2": (2, False), "first4": (4, False), "first8": (8, False), "phrase-words": (None, True)}


def variants(idx, items) -> dict:
    """The dictionary rules that were tried, each swapped into the loaded bridge and measured."""
    from rag.dictionary import load_dictionary
    from rag.retrieve.bridge import Lexicon

    d, base, out = load_dictionary(idx.settings.dictionary), idx.searcher.bridge.lexicon, {}
    for name, (first, phrase_words) in VARIANTS.items():
        idx.searcher.bridge.lexicon = Lexicon(variant_table(d.en_ru, first, phrase_words),
                                     variant_table(d.ru_en, first, phrase_words))
        out[name] = {"hybrid": row(evaluate(idx, items, "hybrid")), "bridge": row(evaluate(idx, items, "bridge"))}
        print(f"{name:12}: hybrid " + " ".join(f"{k} {v:.3f}" for k, v in out[name]["hybrid"].items()
                                           if k in ("r@5", "cross@5", "en->ru@5")) +
              " | bridge alone " + " ".join(f"{k} {v:.3f}" for k, v in out[name]["bridge"].items()
                                            if k in ("cross@5", "en->ru@5", "ru->en@5")), flush=True)
    idx.searcher.bridge.lexicon = base  # the hybrid holds the same bridge object
    return out


def lexicon_figures(prefix: str) -> dict:
    """The dictionary's size, and the bridge's load time parsed anew and opened from its cache
    file (read a word at a time since 2026-12-06)."""
    from rag.dictionary import _load, load_dictionary
    from rag.retrieve.bridge import Lexicon, _lexicon, load_lexicon

    _load.cache_clear()
    t = time.perf_counter()
    d = load_dictionary(prefix)
    lex = Lexicon.from_dictionary(d)
    parse_s = time.perf_counter() - t
    load_lexicon(prefix)  # writes the cache file if missing
    _lexicon.cache_clear()
    t = time.perf_counter()
    load_lexicon(prefix)
    cached_s = time.perf_counter() - t
    return {"en_headwords": len(d.en_ru), "ru_words": len(d.ru_en), "en_stems": len(lex.to_ru),
            "ru_stems": len(lex.to_en), "parse_and_stem_s": round(parse_s, 2), "from_cache_s": round(cached_s, 2)}


def latency(idx, items, rounds: int = 3) -> dict:
    """Search p50 with the bridge off and on, timed question by question in alternation
    (so that load from other processes falls on both alike), and their difference."""
    off = copy.copy(idx)
    off.reconfigure(bridge_weight=0.0)  # the copy rewires itself; `idx` keeps its bridge
    qs = [i.question for i in items if i.answerable]
    times: dict[str, list[float]] = {"off": [], "on": []}
    for q in qs[:3]:
        off.search(q), idx.search(q)  # warm-up
    for _ in range(rounds):
        for q in qs:
            for name, ix in (("off", off), ("on", idx)):
                t = time.perf_counter()
                ix.search(q, k=10)
                times[name].append(time.perf_counter() - t)
    p50 = {k: 1000 * float(np.median(v)) for k, v in times.items()}
    return {"p50_off_ms": round(p50["off"], 2), "p50_on_ms": round(p50["on"], 2),
            "added_ms": round(p50["on"] - p50["off"], 2), "ratio": round(p50["on"] / p50["off"], 3),
            "n": len(times["on"])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.bridge")
    p.add_argument("--index", default="index")
    p.add_argument("--questions", default=str(DEFAULT_QUESTIONS))
    p.add_argument("--weights", default="0,0.5,1,1.5,2,3,4")
    p.add_argument("--config", default="{}", help="other settings held fixed, inline JSON")
    p.add_argument("--out", default="results/bridge.json")
    p.add_argument("--variants", action="store_true", help="also the dictionary rules that were tried")
    a = p.parse_args(argv)
    items = load_questions(a.questions, DEFAULT_CORPUS)
    idx = open_index(a.index, Path(DEFAULT_CORPUS))
    fixed = json.loads(a.config)
    res = {"sweep": {}, "lexical": {}}
    with reconfigured(idx, **fixed):
        if idx.searcher.bridge is None and idx.notices:
            print(idx.notices[0])
        for w in (float(x) for x in a.weights.split(",")):
            with reconfigured(idx, bridge_weight=w):
                res["sweep"][w] = r = row(evaluate(idx, items, "hybrid"))
            print(f"bridge_weight {w:4}: " + " ".join(f"{k} {v:.3f}" for k, v in r.items()), flush=True)
        for name in ("bm25", "bridge", "bm25+bridge"):
            res["lexical"][name] = r = row(evaluate(idx, items, name))
            print(f"{name:12}: " + " ".join(f"{k} {v:.3f}" for k, v in r.items()), flush=True)
        if idx.searcher.bridge is not None:
            res["lexicon"] = lx = lexicon_figures(idx.settings.dictionary)
            print("dictionary: {en_headwords} English headwords, {ru_words} Russian words ({en_stems} / "
                  "{ru_stems} stems); parsed and stemmed in {parse_and_stem_s} s, from the cache in "
                  "{from_cache_s} s".format(**lx))
        if idx.searcher.bridge is not None and a.variants:
            res["variants"] = variants(idx, items)
        if idx.searcher.bridge is not None:
            res["latency"] = lat = latency(idx, items)
            print("search p50 bridge off / on: {p50_off_ms} / {p50_on_ms} ms (+{added_ms} ms, {ratio}x, "
                  "n={n})".format(**lat))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
