"""A question word the index never saw, looked up by its spelling variants (issue 30, rag/retrieve/lexical.py).

    python -m research.spellings [--langs all] [--candidates sound|fuzzy|skeleton] [--out results/spellings.json]

A translator writes a foreign name as they hear it: XQuAD's Arabic question asks of "جيجن" (Gegeen)
where the paragraph writes "جيجين", its Spanish one of "Ghandi" where the paragraph has "Gandhi".
BM25 then matches nothing of the name, the word that mattered most. rag/retrieve/lexical.py looks
such a word up among the index's words of its language that share its sound key
(rag/translit.py) and are spelled nearly alike (SPELLING_RATIO), words of SPELLING_LETTERS letters
or more. For each language, its questions over the index of its own XQuAD paragraphs
(eval.xquad_langs' indexes), and the English and Russian questions over the en + ru index too:
r@1 of the question's paragraph without (SPELLING_RATIO above 1: no variant is that near) and
with, training articles (0-23) and held-out ones (24-31) apart, calibration paragraphs
(i % 10 == 0) left out, and the questions each gains or loses. `--candidates fuzzy` looks
beyond the sound key: every index word of the language with the same first letter and a length
within 3 is a candidate ("अयूबारवाड़ा" for "अयुरबरवाड़ा", a letter dropped that the key keeps):
no better on the training articles, so not adopted (research/README.md). `--candidates skeleton`
keys the words by a sound key that keeps a consonant repeated across a vowel ("جيجين" and
"Gegeen" key to "jn" and "kn", under the 3 consonants a key needs; kept, "jjn" and "kkn"):
the training articles exactly as the sound key, so not adopted either.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from eval.adopt import LANGS
from eval.quotes import paragraphs
from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.xquad_langs import CACHE, MIXED, current, language_index, mixed_docs, variant_index
from rag.analyze import NGRAMS, tagged, untagged
from rag.retrieve import lexical
from research.common import write_json

OFF = 2.0  # a ratio no two different words reach


def fuzzy_like(self, word: str, token: str) -> list[str]:
    """lexical.LexicalRetriever._spelled_like with candidates beyond the sound key."""
    from difflib import SequenceMatcher

    tag, forms = tagged(token), {word, untagged(token)}
    by_tag = self.__dict__.setdefault("_fuzzy", {})
    if tag not in by_tag:
        by_tag[tag] = [t for t in self.vocab if tagged(t) == tag and tag not in NGRAMS and not untagged(t).isdigit()]
    near = {}
    for c in by_tag[tag]:
        u = untagged(c)
        if any(u[:1] == f[:1] and abs(len(u) - len(f)) <= 3 for f in forms):
            near[c] = max(SequenceMatcher(None, u, f).ratio() for f in forms)
    best = max(near.values(), default=0.0)
    return sorted(c for c, r in near.items() if r == best) if best >= lexical.SPELLING_RATIO else []


def skeleton(word: str) -> str | None:
    """rag/translit.py name_sound with doubled letters merged before the vowels go, not after."""
    from anyascii import anyascii

    from rag import translit as t

    if t._ARABIC.search(word):
        word = t._ARABIC_ARTICLE.sub("", word).translate(t._ARABIC_VOWELS)
    k = t._NASAL_M.sub("n", anyascii(word).lower())
    for a, b in t._SOUND_PAIRS:
        k = k.replace(a, b)
    k = t._NOT_CONSONANT.sub("", t._DOUBLE.sub(r"\1", k.translate(t._SOUND_MERGE))).removesuffix("s")
    return k if len(k) >= t.MIN_SOUND else None


def outcomes(idx, data: Path, lang: str, mixed: bool) -> dict[str, tuple[bool, bool, str]]:
    """question id -> (held out?, r@1, question)."""
    out = {}
    for i, p in enumerate(paragraphs(data, lang)):
        if i % 10 == 0:
            continue
        want = {f"{g}/p{i:03d}.txt" for g in MIXED} if mixed else {f"p{i:03d}.txt"}
        for qid, q, _ in p["qas"]:
            hits = idx.search(q, k=1)
            out[qid] = (p["article"] in HELD_OUT, bool(hits) and hits[0].source in want, q)
    return out


def compare(idx, data: Path, lang: str, mixed: bool = False) -> dict:
    on = lexical.SPELLING_RATIO
    res = {}
    for name, ratio in (("off", OFF), ("on", on)):
        lexical.SPELLING_RATIO = ratio
        res[name] = outcomes(idx, data, lang, mixed)
    lexical.SPELLING_RATIO = on
    row = {}
    for part, held in (("training", False), ("held out", True)):
        ids = [k for k, v in res["off"].items() if v[0] == held]
        row[part] = {"n": len(ids), **{f"r@1 {n}": round(sum(res[n][k][1] for k in ids) / len(ids), 3) for n in res}}
    row["gained"] = [res["on"][k][2] for k in res["on"] if res["on"][k][1] and not res["off"][k][1]]
    row["lost"] = [res["on"][k][2] for k in res["on"] if res["off"][k][1] and not res["on"][k][1]]
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="all")
    ap.add_argument("--candidates", choices=("sound", "fuzzy", "skeleton"), default="sound")
    ap.add_argument("--out", default="results/spellings.json")
    a = ap.parse_args(argv)
    if a.candidates == "fuzzy":
        lexical.LexicalRetriever._spelled_like = fuzzy_like
    if a.candidates == "skeleton":
        lexical.name_sound = skeleton
    langs = LANGS if a.langs == "all" else tuple(a.langs.split(","))
    where = current(CACHE)
    res: dict = {}
    runs = [(lang, False) for lang in langs] + [(lang, True) for lang in MIXED if lang in langs]
    for lang, mixed in runs:
        idx = variant_index(mixed_docs(a.data, where), where / "mixed", {}) if mixed \
            else language_index(a.data, lang, where)
        name = f"{lang}->mixed" if mixed else lang
        res[name] = row = compare(idx, a.data, lang, mixed)
        print(f"{name}: " + "; ".join(f"{p} r@1 {row[p]['r@1 off']:.3f} -> {row[p]['r@1 on']:.3f}"
                                      for p in ("training", "held out"))
              + f"; {len(row['lost'])} lost / {len(row['gained'])} gained", flush=True)
        for q in row["lost"]:
            print(f"   lost: {q}", flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
