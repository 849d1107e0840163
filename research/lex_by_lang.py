"""BM25's weight in the fusion, language by language (issue 30's monolingual r@1).

    python -m research.lex_by_lang [--langs all] [--weights 8,12,16,24] [--out results/lex_by_lang.json]

Settings.lex_weight (rag/retrieve/hybrid.py) was chosen on the corpus set, Russian and English
questions over Russian and English documents, half of them across languages. Monolingual
questions in a language e5 reads less well (Arabic, Greek, Hindi, Thai...) might want more of
BM25. For each language, its questions over the index of its own XQuAD paragraphs
(eval.xquad_langs' indexes, built once under /tmp/rag-xquad-langs), at each weight: r@1 of the
question's paragraph and the first quote holding the answer, on the training articles (0-23,
where a weight per language would be chosen) and the held-out ones (24-31) apart; the
calibration paragraphs (i % 10 == 0) are left out, as eval.adopt does.
Each language's choice (`chosen`: the best training r@1, a tie to the smaller weight) is
Settings.lex_by_lang. The global weight's cost on the corpus set is eval.adopt's: `python -m eval.adopt --b '{"lex_weight": 12}'`.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from eval.adopt import LANGS, judged
from eval.quotes import paragraphs
from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.xquad_langs import CACHE, current, language_index
from research.common import write_json


def figures(idx, data: Path, lang: str) -> dict[str, dict]:
    paras = paragraphs(data, lang)
    rows = []
    for i, p in enumerate(paras):
        if i % 10 == 0:
            continue
        name = f"p{i:03d}.txt"
        for _qid, q, golds in p["qas"]:
            a = idx.ask(q, k=10)
            rows.append((p["article"] in HELD_OUT, judged(a.hits, lambda h, name=name: h.source == name)["hit@1"],
                         bool(a.quotes) and any(g in a.quotes[0].text for g in golds)))
    out = {}
    for part, held in (("training", False), ("held out", True)):
        rs = [r for r in rows if r[0] == held]
        out[part] = {"n": len(rs), "r@1": round(sum(r[1] for r in rs) / len(rs), 3),
                     "quote": round(sum(r[2] for r in rs) / len(rs), 3)}
    return out


def chosen(res: dict) -> list[str]:
    """Each language's weight with the best training r@1, a tie to the smaller; none where that is
    the default (8) and none for Russian and English, which the corpus set decides."""
    out = []
    for lang, by_w in res.items():
        if lang in ("ru", "en"):
            continue
        w = max(by_w, key=lambda k: (by_w[k]["training"]["r@1"], -float(k)))
        if float(w) != 8.0:
            out.append(f"{lang}:{float(w):g}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="all")
    ap.add_argument("--weights", default="8,12,16,24")
    ap.add_argument("--out", default="results/lex_by_lang.json")
    a = ap.parse_args(argv)
    langs = LANGS if a.langs == "all" else tuple(a.langs.split(","))
    where = current(CACHE)
    res: dict = {}
    for lang in langs:
        idx = language_index(a.data, lang, where)
        for w in (float(x) for x in a.weights.split(",")):
            idx.reconfigure(lex_weight=w)
            res.setdefault(lang, {})[str(w)] = f = figures(idx, a.data, lang)
            print(f"{lang} lex_weight {w:g}: " + "; ".join(f"{k} r@1 {v['r@1']:.3f} quote {v['quote']:.3f}"
                                                         for k, v in f.items()), flush=True)
    res["chosen"] = chosen(res)
    print("chosen (Settings.lex_by_lang): " + ", ".join(f'"{c}"' for c in res["chosen"]), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
