"""Does a lexicon induced from the corpus itself add anything to the dictionary bridge?

    python -m research.induced_lexicon [--index index] [--threshold 0.88,0.9,0.92] [--weight 4]

For every word of the corpus that the dictionary cannot translate into a
word of the corpus, its nearest word of the other language in the e5 space
(each stem embedded once, by its most frequent surface form, as "query: word")
becomes its translation when the cosine clears the threshold. The corpus
question set is then searched with the bridge on the dictionary alone and on
the dictionary plus the induced pairs (the bridge weight fixed); the report
also lists a sample of the induced pairs, so their quality can be read.
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import numpy as np

from rag.retrieve.bridge import Lexicon
from rag.analyze import _CYR, _STOP, _TOKEN, _stem

from eval.bridge import row
from eval.run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, evaluate, load_questions, open_index

_WORD = re.compile(r"^[^\W\d_]{3,}$")


def corpus_words(texts: list[str]) -> dict[str, str]:
    """stem -> its most frequent surface form (letters only, 3+ characters, no stop words)."""
    forms: dict[str, Counter] = {}
    for t in texts:
        for w in _TOKEN.findall(t.lower()):
            if w not in _STOP and _WORD.match(w):
                forms.setdefault(_stem(w), Counter())[w] += 1
    return {s: c.most_common(1)[0][0] for s, c in forms.items()}


def induce(idx, threshold: float) -> tuple[dict[str, set[str]], list[tuple[str, str, float]]]:
    words = corpus_words([c.text for c in idx.payload.chunks])
    lexicon, vocab = idx.searcher.bridge.lexicon, idx.searcher.lexical.vocab
    stems = sorted(words)
    cyr = np.array([bool(_CYR.search(s)) for s in stems])
    vecs = idx.embedder.embed_queries([words[s] for s in stems])
    pairs, shown = {}, []
    for side in (True, False):
        src = np.flatnonzero(cyr == side)
        dst = np.flatnonzero(cyr != side)
        missing = [i for i in src if not any(t in vocab for t in lexicon.translate(stems[i]))]
        if not missing or not len(dst):
            continue
        sims = vecs[missing] @ vecs[dst].T
        best = sims.argmax(1)
        for i, j, s in zip(missing, dst[best], sims[np.arange(len(missing)), best]):
            if s >= threshold:
                pairs.setdefault(stems[i], set()).add(stems[j])
                shown.append((words[stems[i]], words[stems[j]], float(s)))
    return pairs, shown


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m research.induced_lexicon")
    p.add_argument("--index", default="index")
    p.add_argument("--threshold", default="0.88,0.9,0.92")
    p.add_argument("--weight", type=float, default=None, help="bridge weight (default: the index's setting)")
    a = p.parse_args(argv)
    items = load_questions(DEFAULT_QUESTIONS, DEFAULT_CORPUS)
    idx = open_index(a.index, Path(DEFAULT_CORPUS))
    if a.weight is not None:
        idx.reconfigure(bridge_weight=a.weight)
    if idx.searcher.bridge is None:
        print("the bridge is off:", *idx.notices)
        return 1
    base = idx.searcher.bridge.lexicon
    print("dictionary only  :", " ".join(f"{k} {v:.3f}" for k, v in row(evaluate(idx, items, "hybrid")).items()))
    print("  bridge alone   :", " ".join(f"{k} {v:.3f}" for k, v in row(evaluate(idx, items, "bridge")).items()))
    for t in (float(x) for x in a.threshold.split(",")):
        pairs, shown = induce(idx, t)
        aug = Lexicon.__new__(Lexicon)
        aug.to_ru = {**base.to_ru, **{k: frozenset(v) for k, v in pairs.items() if not _CYR.search(k)}}
        aug.to_en = {**base.to_en, **{k: frozenset(v) for k, v in pairs.items() if _CYR.search(k)}}
        idx.searcher.bridge.lexicon = aug  # the hybrid holds the same bridge object
        print(f"+ induced >= {t}: {len(pairs)} words;", " ".join(
            f"{k} {v:.3f}" for k, v in row(evaluate(idx, items, "hybrid")).items()))
        print("  bridge alone   :", " ".join(f"{k} {v:.3f}" for k, v in row(evaluate(idx, items, "bridge")).items()))
        rng = np.random.default_rng(0)
        for i in rng.choice(len(shown), size=min(12, len(shown)), replace=False):
            print("   ", "%s -> %s (%.3f)" % shown[i])
        idx.searcher.bridge.lexicon = base
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
