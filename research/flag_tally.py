"""Which words the partial-match line flags when the answer is there (issue 27's line, section 4).

Every question of XQuAD's articles in a language is asked of the English paragraphs' index
(eval.xquad_langs, the one the paired rule's "L>en" sets use); an answered question whose
Answer.missing is not empty carries "Partial match — not found near the quote: …". XQuAD's
questions all have their answer in some paragraph, so most such lines are false: a name
spelled otherwise in English, a common word read as a name. This counts them, the training
articles and the held-out ones (eval.xquad.HELD_OUT) apart, with the words flagged most.

    python -m research.flag_tally [--langs ru] [--out results/flag_tally.json]
"""
from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from eval.quotes import paragraphs
from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.xquad_langs import CACHE, current, language_index
from research.common import write_json


def tally(data: Path, lang: str) -> dict:
    idx = language_index(data, "en", current(CACHE))
    out = {}
    for part, held in (("training", False), ("held out", True)):
        words: Counter = Counter()
        n = flagged = 0
        for p in paragraphs(data, lang):
            if (p["article"] in HELD_OUT) != held:
                continue
            for _, q, _ in p["qas"]:
                a = idx.ask(q)
                n += 1
                if a.found and a.missing:
                    flagged += 1
                    words.update(a.missing)
        out[part] = {"questions": n, "flagged": flagged, "words": words.most_common(30)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="ru")
    ap.add_argument("--out", default="results/flag_tally.json")
    a = ap.parse_args(argv)
    res = {}
    for lang in a.langs.split(","):
        res[lang] = t = tally(a.data, lang)
        for part, x in t.items():
            print(f"{lang}>en {part}: {x['flagged']} of {x['questions']} flagged; "
                  + ", ".join(f"{w} {c}" for w, c in x["words"][:12]), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
