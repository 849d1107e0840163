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

from eval.adopt import LANGS
from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.xquad_langs import CACHE, ask_rows, current, language_index
from research.common import write_json


def figures(idx, data: Path, lang: str, weight: float) -> dict[str, dict]:
    # lex_by_lang emptied: the weight swept is every question's, the language's own table's too
    rows = ask_rows(idx, data, lang, "mono", {"lex_weight": weight, "lex_by_lang": ()}, articles=range(32))
    out = {}
    for part, held in (("training", False), ("held out", True)):
        rs = [r for r in rows if (r["article"] in HELD_OUT) == held]
        out[part] = {"n": len(rs), "r@1": round(sum(r["hit@1"] for r in rs) / len(rs), 3),
                     "quote": round(sum(r["quote"] for r in rs) / len(rs), 3)}
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
            res.setdefault(lang, {})[str(w)] = f = figures(idx, a.data, lang, w)
            print(f"{lang} lex_weight {w:g}: " + "; ".join(f"{k} r@1 {v['r@1']:.3f} quote {v['quote']:.3f}"
                                                         for k, v in f.items()), flush=True)
    res["chosen"] = chosen(res)
    print("chosen (Settings.lex_by_lang): " + ", ".join(f'"{c}"' for c in res["chosen"]), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
