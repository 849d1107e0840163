"""A question's English gloss for the dense retriever across languages (issue 30).

The bridge (rag/retrieve/bridge.py) gives BM25 the question's words translated into English.
The dense side read other languages' passages with the question's own vector alone, and e5's
cross-language similarity is weakest for the languages furthest from English (zh→en r@1 0.84
against de→en 0.92). Here the question is also glossed word for word (each word's first
translation in the same dictionaries, rag/retrieve/bridge.py Lexicon.gloss), the gloss encoded
as a question, and the two vectors mixed (Settings.gloss_weight) for the passages in languages
other than the question's (Query.vector_for); its own language's passages and found-or-not keep
its own vector. This measures r@1 and the first quote per language and weight, on XQuAD's
training articles (0-23, where the languages and the weight are chosen) and the held-out ones,
→en (the English paragraphs' index) and →mixed (the en + ru one), with eval.xquad_langs's
indexes and rows (calibration paragraphs left out).

    python -m research.gloss [--langs zh,de,el,ar,tr,hi] [--weights 0,0.3] [--bridge-weights 4,8,12] [--variant first] [--out results/gloss.json]

`--bridge-weights 4,8,12,16,24`: the bridge's BM25 weight across languages swept with it.

`--variant` (the glosses tried and left out): `sense`, each Chinese word's CC-CEDICT sense
(of its first four) nearest the question's e5 vector in place of the first; `stems`, every English stem the bridge's table
gives a word (its Pirkola term) in place of the first translation; `keep`, a Chinese question's
characters that no dictionary word matched kept, not left out; `mueller`, Russian questions
glossed too, through Mueller's dictionary (a headword by its stem, its first translation; run
it with `--langs ru`).
"""
from __future__ import annotations

import argparse
import functools
from pathlib import Path

from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.adopt import variant_index
from eval.xquad_langs import CACHE, ask_rows, current, figures, language_index, mixed_docs
from research.common import write_json

TRAINING = frozenset(range(24))


def stems_gloss(lexicon, text: str, lang: str) -> str | None:
    """Every English stem the bridge's table gives each word, shortest first."""
    from rag.analyze import NGRAMS, _RUN, analyze, tagged
    from rag.retrieve.bridge import _segment

    table, out = lexicon.foreign(lang), []
    for w in _RUN.findall(text):
        for t in (_segment(w, lang, table) if lang in NGRAMS else analyze(w, lang)):
            out += [t] if tagged(t) is None else sorted(table.get(t, ()), key=len)
    return " ".join(out) or None


def keep_gloss(lexicon, text: str, lang: str) -> str | None:
    """As Lexicon.gloss, but a Chinese run's characters no dictionary word matched kept as they are."""
    from rag.analyze import NGRAMS, _RUN
    from rag.retrieve.bridge import LONGEST, Lexicon

    if lang not in NGRAMS:
        return Lexicon.gloss(lexicon, text, lang)
    table, out, n = lexicon.glossary(lang), [], 0
    for w in _RUN.findall(text):
        i, unmatched = 0, ""
        while i < len(w):
            m = next((k for k in range(min(LONGEST, len(w) - i), 1, -1) if f"{lang}:{w[i:i + k]}" in table), 0)
            if m:
                out += [unmatched] if unmatched else []
                out.append(table[f"{lang}:{w[i:i + m]}"])
                unmatched, n, i = "", n + 1, i + m
            else:
                unmatched, i = unmatched + w[i], i + 1
        out += [unmatched] if unmatched else []
    return " ".join(out) if n else None


@functools.cache
def mueller_russian() -> dict[str, str]:
    """Mueller's Russian headwords by their stem -> the first English translation."""
    from rag.analyze import _stem
    from rag.dictionary import load_dictionary
    from rag.settings import Settings

    out: dict[str, str] = {}
    for head, trs in load_dictionary(Settings().dictionary).ru_en.items():
        if trs and len(head.split()) == 1:
            out.setdefault(_stem(head.lower()), trs[0])
    return out


def mueller_gloss(lexicon, text: str, lang: str) -> str | None:
    """A Russian question through Mueller's dictionary (stop words as they are); others as Lexicon.gloss."""
    from rag.analyze import _STOP, _TOKEN, _stem
    from rag.retrieve.bridge import Lexicon

    if lang != "ru":
        return Lexicon.gloss(lexicon, text, lang)
    table, out, n = mueller_russian(), [], 0
    for w in _TOKEN.findall(text):
        e = None if w.lower() in _STOP else table.get(_stem(w.lower()))
        n += e is not None
        out.append(e or w)
    return " ".join(out) if n else None


@functools.cache
def _cedict_senses() -> dict[str, tuple[str, ...]]:
    from rag.dictionary import cedict_path, read_cedict

    return read_cedict(cedict_path())


@functools.cache
def _embedder():
    from rag.embed import load_embedder

    return load_embedder()


@functools.cache
def _query_vector(text: str):
    return _embedder().embed_queries([text])[0]


def sense_gloss(lexicon, text: str, lang: str, senses: int = 4) -> str | None:
    """As Lexicon.gloss, but each Chinese word's translation the one of its first `senses`
    CC-CEDICT senses whose e5 vector is nearest the whole question's (the question read as
    the context that picks a sense: 问题 "question", not "problem")."""
    from rag.analyze import _RUN, tagged
    from rag.retrieve.bridge import Lexicon, _segment

    if lang != "zh":
        return Lexicon.gloss(lexicon, text, lang)
    table, out, n, q = lexicon.glossary(lang), [], 0, _query_vector(text)
    for w in _RUN.findall(text):
        for t in _segment(w, lang, table):
            e = table.get(t)
            cands = _cedict_senses().get(t.split(":", 1)[-1], ())[:senses] if e is not None else ()
            if len(cands) > 1:
                e = max(cands, key=lambda c: float(_query_vector(c) @ q))
            n += e is not None
            if e is not None or tagged(t) is None:
                out.append(e or t)
    return " ".join(out) if n else None


VARIANTS = {"stems": stems_gloss, "keep": keep_gloss, "mueller": mueller_gloss, "sense": sense_gloss}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="zh,de,el,ar,tr,hi")
    ap.add_argument("--weights", default="0,0.3")
    ap.add_argument("--variant", default="first", choices=["first", *VARIANTS])
    ap.add_argument("--bridge-weights", default=None, help="the bridge's BM25 weight(s) across languages "
                    "(Settings.bridge_weight; default the product's)")
    ap.add_argument("--out", default="results/gloss.json")
    a = ap.parse_args(argv)
    if a.variant != "first":
        from rag.retrieve.bridge import Lexicon

        Lexicon.gloss = VARIANTS[a.variant]  # this process only
    from rag.settings import Settings

    product = Settings().bridge_weight
    bridge_weights = a.bridge_weights or str(product)
    where = current(CACHE)
    index = {"en": functools.cache(lambda: language_index(a.data, "en", where)),
             "mixed": functools.cache(lambda: variant_index(mixed_docs(a.data, where), where / "mixed", {}))}
    langs = a.langs.split(",")
    res = {}
    for lang in langs:
        for d in ("en", "mixed"):
            for w, bw in ((float(x), float(y)) for x in a.weights.split(",") for y in bridge_weights.split(",")):
                settings = {"gloss_weight": w, "gloss_langs": langs, "bridge_weight": bw}
                row = {part: figures(ask_rows(index[d](), a.data, lang, d, settings, articles))
                       for part, articles in (("training", TRAINING), ("held out", HELD_OUT))}
                name = f"{lang} →{d} weight {w} {a.variant}" + (f" bridge {bw}" if bw != product else "")
                res[name] = row
                print(f"{name}: " + "; ".join(
                    f"{part} r@1 {f['r@1']}, quote {f['quote']}, answered {f['answered']} (n {f['n']})"
                    for part, f in row.items()), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
