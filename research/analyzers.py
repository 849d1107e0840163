"""BM25's analyzer per language (issue 30), measured without the encoder.

    python -m research.analyzers [--data ../shared/xquad] [--out results/analyzers.json]

For each of XQuAD's 12 languages: one BM25 index (bm25s, the product's parameters) over the
language's 240 dev paragraphs, every question asked, recall@1 and @5 of its paragraph. The
analyzers compared:
  script      what rag had before issue 30: \\w+ runs, stemmed as Russian if Cyrillic else
              English (Chinese and Thai runs are whole clauses; Hindi words cut at vowel signs)
  language    rag/analyze.py: the paragraph's and question's identified language, tagged
              tokens, Snowball where PyStemmer has it, stopwordsiso, character n-grams for
              zh/ja/th (the first run: bigrams for all three)
and for Chinese and Thai, in place of their n-grams:
  unigrams+bigrams, jieba (zh; `pip install jieba==0.42.1`), bigrams and trigrams (th; trigrams
  adopted);
and for Arabic the usual IR normalisation before it (alef and hamza forms to bare alef, ta
marbuta to ha, alef maqsura to ya, tatweel and diacritics dropped; not adopted), and Larkey's
light10 stemmer in place of Snowball or beside it (2026-12-06; not adopted);
and, for the languages whose monolingual r@1 stayed under 0.95 (2026-12-03), besides
rag/analyze.py's tokens: word bigrams within a clause (Vietnamese writes a word's syllables
apart), words cut to 5 letters in place of Snowball (the classic for Turkish), Greek with its
accents dropped. None adopted: bigrams move r@1 by -0.016 to +0.007, 5-letter prefixes lose
0.02-0.06 but in Turkish (+0.002), Greek without accents -0.006. Hindi's IR normalisation (nukta,
chandrabindu, nasals; and long i / u as short), 2026-12-06: r@1 0.902 -> 0.899 / 0.904 on the
training articles' 644 questions, 0.913 -> 0.913 / 0.919 on the held-out 172: not adopted.
`--langs vi,el,tr,ar` runs a subset.
No vectors: this isolates the lexical half; the hybrid figures are eval.xquad --langs all's.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

from research.common import write_json

LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
_CYR = re.compile(r"[\u0400-\u04FF]")


def load(data: Path, lang: str) -> tuple[list[str], list[tuple[str, int]]]:
    d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
    paras, qs = [], []
    for a in d["data"]:
        for p in a["paragraphs"]:
            qs += [(q["question"], len(paras)) for q in p["qas"]]
            paras.append(p["context"])
    return paras, qs


def script_analyzer(text: str, lang: str) -> list[str]:
    import Stemmer

    from rag.analyze import _STOP

    ru, en = Stemmer.Stemmer("russian"), Stemmer.Stemmer("english")
    return [(ru if _CYR.search(w) else en).stemWord(w) for w in re.findall(r"\w+", text.lower()) if w not in _STOP]


def grams(n_min: int, n_max: int):
    """rag/analyze.py with a run of zh/ja/th letters cut into n_min..n_max-grams instead of bigrams."""
    import rag.analyze as A

    def analyzer(text: str, lang: str) -> list[str]:
        out = []
        for tok in A.analyze(text, lang):
            head, sep, body = tok.partition(":")
            if sep and head in A.NGRAMS:
                continue
            out.append(tok)
        for run in A._RUN.findall(text.lower()):
            for piece in A._pieces(run):
                own = lang if lang in A.NGRAMS and A.char_script(piece[0]) == A.script_of(lang) else None
                if own:
                    out += [f"{own}:{piece[i:i + n]}" for n in range(n_min, n_max + 1)
                            for i in range(max(len(piece) - n + 1, 1 if n == n_min else 0))]
        return out

    return analyzer


_AR_NORM = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي", "ـ": None,
                         **{chr(c): None for c in range(0x064B, 0x0653)}})


def arabic_normalised(text: str, lang: str) -> list[str]:
    from rag.analyze import analyze

    return analyze(text.translate(_AR_NORM), lang)


_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
_RUN = re.compile(r"[^\W_]+")


def light10(word: str) -> str:
    """Larkey's light10 Arabic stemmer: normalised, "and" dropped, one article (with its
    preposition), then each suffix once. Snowball's Arabic stems "برلمان" to "رلم" but
    "البرلمان" to "برلم"; light10 both to "برلم"."""
    w = word.translate(_AR_NORM)
    if len(w) > 3 and w.startswith("و"):
        w = w[1:]
    for p in _AR_PREFIXES:
        if w.startswith(p) and len(w) - len(p) > 1:
            w = w[len(p):]
            break
    for s in _AR_SUFFIXES:
        if w.endswith(s) and len(w) - len(s) > 1:
            w = w[: -len(s)]
    return w


def arabic_light(text: str, lang: str, keep_snowball: bool = False) -> list[str]:
    """rag/analyze.py's tokens with each Arabic word's light10 stem in place of Snowball's
    (or beside it: `keep_snowball`)."""
    from rag.analyze import analyze

    out: list[str] = []
    for w in _RUN.findall(text.lower()):
        toks = analyze(w, lang)
        light = [f"ar~{light10(w)}" for t in toks if t.startswith("ar:")]
        out += (toks + light) if keep_snowball else [t for t in toks if not t.startswith("ar:")] + light
    return out


def arabic_both(text: str, lang: str) -> list[str]:
    return arabic_light(text, lang, keep_snowball=True)


_HI_NASAL = re.compile("[\u0919\u091e\u0923\u0928\u092e]\u094d(?=[\u0915-\u0939])")  # a nasal + virama before a consonant
_HI_NORM = str.maketrans({"\u093c": None, "\u0901": "\u0902", "\u200c": None, "\u200d": None})  # nukta, chandrabindu
_HI_LONG = str.maketrans({"\u0940": "\u093f", "\u0942": "\u0941", "\u0908": "\u0907", "\u090a": "\u0909"})


def hindi_normalised(text: str, lang: str) -> list[str]:
    """Hindi's IR normalisation (Larkey et al. 2003, as Lucene's HindiNormalizer): nukta and
    zero-width joiners dropped, chandrabindu and a nasal consonant before another as anusvara."""
    from rag.analyze import analyze

    return analyze(_HI_NASAL.sub("\u0902", text.translate(_HI_NORM)), lang)


def hindi_short(text: str, lang: str) -> list[str]:
    """hindi_normalised, and long i and u as short ones (spelling varies between them)."""
    from rag.analyze import analyze

    return analyze(_HI_NASAL.sub("\u0902", text.translate(_HI_NORM)).translate(_HI_LONG), lang)


def jieba_analyzer(text: str, lang: str) -> list[str]:
    import jieba

    from rag.analyze import analyze

    if lang != "zh":
        return analyze(text, lang)
    return [f"zh:{w}" for w in jieba.cut_for_search(text.lower()) if w.strip() and re.search(r"\w", w)]


def word_bigrams(text: str, lang: str) -> list[str]:
    """rag/analyze.py's tokens and, besides them, each pair of neighbouring words in one clause
    (Vietnamese writes a word's syllables apart: "quốc ca" is one word, "national anthem")."""
    from rag.analyze import analyze

    out = analyze(text, lang)
    for clause in re.split(r"[^\w\s]+", text):
        toks = analyze(clause, lang)
        out += [f"{a}_{b.partition(':')[2] or b}" for a, b in zip(toks, toks[1:])]
    return out


def prefix5(text: str, lang: str) -> list[str]:
    """Words cut to their first 5 letters in place of Snowball (the classic for Turkish)."""
    from rag.analyze import _stopwords

    return [f"{lang}:{w[:5]}" for w in re.findall(r"\w+", text.lower()) if w not in _stopwords(lang)]


def unaccented(text: str, lang: str) -> list[str]:
    """Combining accents dropped before analysis (Greek's tonos and dialytika)."""
    import unicodedata

    from rag.analyze import analyze

    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return analyze(unicodedata.normalize("NFC", bare), lang)


def recall(analyzer, paras: list[str], plangs: list[str], qs: list[tuple[str, int]]) -> dict:
    """Each paragraph analysed in its identified language, each question in its own."""
    import bm25s

    from rag.lang import detect

    bm = bm25s.BM25()
    bm.index([analyzer(p, pl) or ["\u2205"] for p, pl in zip(paras, plangs)], show_progress=False)
    vocab = bm.vocab_dict
    r1 = r5 = 0
    for q, gold in qs:
        toks = [t for t in analyzer(q, detect(q)) if t in vocab]
        if not toks:
            continue
        s = bm.get_scores(toks)
        order = np.argsort(-s, kind="stable")[:5]
        r1 += order[0] == gold and s[order[0]] > 0
        r5 += gold in order[s[order] > 0]
    return {"r@1": round(r1 / len(qs), 4), "r@5": round(r5 / len(qs), 4), "n": len(qs)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m research.analyzers")
    p.add_argument("--data", default="../shared/xquad")
    p.add_argument("--out", default="results/analyzers.json")
    p.add_argument("--langs", default=",".join(LANGS))
    a = p.parse_args(argv)
    from rag.analyze import analyze
    from rag.lang import detect

    res: dict = {}
    for lang in a.langs.split(","):
        paras, qs = load(Path(a.data), lang)
        plang = [detect(x) for x in paras]
        if sum(x == lang for x in plang) < 0.95 * len(paras):
            raise SystemExit(f"{lang}: paragraphs identified as {sorted(set(plang))}")
        variants = {"script": script_analyzer, "language": analyze}
        if lang in ("zh", "th"):
            variants["unigrams+bigrams"] = grams(1, 2)
        if lang == "zh":
            variants["jieba"] = jieba_analyzer
        if lang == "th":
            variants["bigrams"] = grams(2, 2)
            variants["trigrams"] = grams(3, 3)
        if lang == "ar":
            variants["normalised"] = arabic_normalised
            variants["light10"] = arabic_light
            variants["snowball+light10"] = arabic_both
        if lang in ("vi", "el", "tr", "ar", "de", "es", "ro", "hi"):
            variants["word bigrams"] = word_bigrams
        if lang in ("tr", "el", "ar"):
            variants["prefix 5"] = prefix5
        if lang == "el":
            variants["accents dropped"] = unaccented
        if lang == "hi":
            variants["normalised"] = hindi_normalised
            variants["long vowels short"] = hindi_short
        res[lang] = {name: recall(f, paras, plang, qs) for name, f in variants.items()}
        print(lang, json.dumps(res[lang]), flush=True)
    print("| lang | script r@1 / r@5 | language r@1 / r@5 | other |")
    print("|---|---|---|---|")
    for lang, r in res.items():
        other = "; ".join(f"{k} {v['r@1']:.3f} / {v['r@5']:.3f}" for k, v in r.items() if k not in ("script", "language"))
        print(f"| {lang} | {r['script']['r@1']:.3f} / {r['script']['r@5']:.3f} | "
              f"{r['language']['r@1']:.3f} / {r['language']['r@5']:.3f} | {other} |")
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
