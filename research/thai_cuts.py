"""Where Thai sentences are cut, judged by the first quote (issue 30: Thai's 0.61 against 0.75).

    python -m research.thai_cuts [--variants base,cont,bonus,max150,max300] [--out results/thai_cuts.json]

Thai puts only a space at a sentence end, and spaces stand between phrases too; rag/chunk.py cuts
a long Thai stretch at spaces into pieces of at most THAI_MAX characters. On XQuAD's Thai the
first quote misses the answer more often than in any other language, and most often because the
answer is in the next piece: 28 of the 172 held-out questions, against 8 in English
(`python -m research.quote_langs`); the cut fell between a clause and its continuation
("... NFL | โดยทำการแซ็คไป 136 ครั้ง", "by 136 sacks"). Variants of the cut, each index built
anew and asked as eval.quotes collects, the first quote at today's weights:
  base:    the product;
  cont:    a cut before a word that continues a clause (และ "and", ซึ่ง "which", โดย "by",
           ของ "of", ที่ "that", ...) costs THAI_MAX // 5 more;
  bonus:   ... costs that much less (the opposite guess);
  crf:     a cut where pythainlp's CRF splitter ends a sentence costs nothing, elsewhere
           THAI_MAX // 5 more (research only: pythainlp is not a dependency);
  nonum:   a cut by a number, a Latin word or a bracket ("... ในปี | 1263", "in the year | 1263")
           only when nothing else fits, as inside brackets;
  max150, max300: THAI_MAX 150 or 300 (the pieces' length, for scale: a longer quote holds
           the answer more often, and is a longer read).
Training (0-23) and held-out (24-31) articles apart; McNemar against base over all questions.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

import rag.chunk as chunk
from eval.paired import mcnemar
from eval.quotes import collect_xquad
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import write_json

CONTINUING = ("และ", "ซึ่ง", "โดย", "ของ", "ที่", "หรือ", "เพื่อ", "ให้", "กับ", "จาก", "ใน", "แก่", "ต่อ", "ว่า",
              "คือ", "เป็น", "ได้", "จึง", "ก็", "ด้วย", "แต่", "ทำให้", "รวมถึง", "รวมทั้ง", "ตาม", "เช่น")
_CONTINUING = re.compile("|".join(CONTINUING))
PENALTY, THAI_MAX = chunk._thai_gap_penalty, chunk.THAI_MAX


def set_variant(name: str) -> None:
    chunk._thai_gap_penalty, chunk.THAI_MAX = PENALTY, THAI_MAX
    if name.startswith("max"):
        chunk.THAI_MAX = int(name[3:])
    elif name == "crf":
        from functools import lru_cache

        from pythainlp.tokenize import sent_tokenize  # research only: pip install --target DIR pythainlp python-crfsuite

        @lru_cache(maxsize=64)
        def ends(text: str) -> frozenset[int]:
            """Where pythainlp's CRF sentence splitter ends a sentence: the offsets of the spaces after."""
            out, pos = set(), 0
            for piece in sent_tokenize(text, engine="crfcut"):
                pos = text.find(piece, pos) + len(piece.rstrip())
                out.add(pos)
            return frozenset(out)

        def penalty(text: str, a: int, b: int, held) -> int:
            return 0 if a in ends(text) else PENALTY(text, a, b, held) + chunk.THAI_MAX // 5
        chunk._thai_gap_penalty = penalty
    elif name == "nonum":
        def penalty(text: str, a: int, b: int, held) -> int:
            p = PENALTY(text, a, b, held)
            return p + chunk.THAI_MAX if p == chunk.THAI_MAX // 3 else p  # by a number or a Latin word: last resort
        chunk._thai_gap_penalty = penalty
    elif name in ("cont", "bonus"):
        sign = 1 if name == "cont" else -1

        def penalty(text: str, a: int, b: int, held) -> int:
            extra = sign * (chunk.THAI_MAX // 5) if b - a == 1 and _CONTINUING.match(text, b) else 0
            return PENALTY(text, a, b, held) + extra
        chunk._thai_gap_penalty = penalty


def main(argv: list[str] | None = None) -> int:
    from rag.settings import Settings

    ap = argparse.ArgumentParser(prog="python -m research.thai_cuts", description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="base,cont,bonus,max150,max300")
    ap.add_argument("--cache", type=Path, default=Path("results/thai_cuts"))
    ap.add_argument("--out", default="results/thai_cuts.json")
    a = ap.parse_args(argv)
    w = np.asarray(Settings().quote_weights)
    res, got = {}, {}
    for name in a.variants.split(","):
        set_variant(name)
        recs = [r for r in collect_xquad(Path(DEFAULT_DATA), "th", a.cache / name) if r["labels"]]
        got[name] = {r["id"]: bool(r["labels"][int(np.argmax(np.asarray(r["features"]) @ w))]) for r in recs}
        row = {}
        for part, held in (("training", False), ("held out", True)):
            rs = [r for r in recs if (r["article"] in HELD_OUT) == held]
            row[part] = {"n": len(rs), "first quote": round(float(np.mean([got[name][r["id"]] for r in rs])), 3),
                         "sentence chars": round(float(np.mean([len(t) for r in rs for t in r["texts"]])))}
        if name != "base" and "base" in got:
            ids = sorted(set(got["base"]) & set(got[name]))
            p = mcnemar([got["base"][i] for i in ids], [got[name][i] for i in ids])
            row["paired against base"] = {"n": p.n, "base": round(p.a, 3), "variant": round(p.b, 3),
                                          "lost": p.a_only, "gained": p.b_only, "p": float(f"{p.p:.2g}")}
        res[name] = row
        print(name, row, flush=True)
    set_variant("base")
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
