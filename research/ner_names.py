"""Russian names pointed out by a named-entity tagger (issue 27: "natasha ... only if measured better").

rag/span.py finds a name as a run of capitalised words. In Russian a run often joins two
phrases: "чемпиона Суперкубка XLIX Нью-Ингленд Пэтриотс" (of the Super Bowl | the Patriots),
"номинант на Оскар Леди Гага", and the question's words trimmed in front can take a name's
first words with them ("ООН Пан Ги Мун" asked "Кто из секретарей ООН..." left "Мун").
natasha's Russian NER (slovnet over navec embeddings, its models inside the wheel: no
download) marks PER / LOC / ORG spans. `on`: each capitalised run of a mostly Cyrillic
sentence, for a person or place question, is cut to the tagger's spans inside it (a run the
tagger marks nothing in stays as it is); `strict`: such a run is dropped; `per`: as `on`, and a
person question keeps only PER spans where the tagger found any.

Measured: XQuAD's Russian typed questions (eval.quotes.typed_gold), every article, training
and held-out ones apart: spans shown and exact (casefolded, punctuation dropped); and the
bundled corpus's typed questions (eval/questions): spans shown and inside the evidence. Every
span that changes is printed, and (`gold forms`) how the Russian golds write a year and a
qualifier, which the span rules can follow only one way.

    python -m research.ner_names [--modes off,on,strict,per] [--out results/ner_names.json]

Needs natasha (not a dependency of the product: `pip install natasha==1.6.0`).
"""
from __future__ import annotations

import argparse
import re
from functools import lru_cache
from pathlib import Path

from eval.quotes import CACHE, normal, paragraphs, typed_gold, xquad_index
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import corpus_rows, write_json

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@lru_cache(maxsize=1)
def _tagger():
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


@lru_cache(maxsize=8192)
def entities(sentence: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((x.start, x.stop, x.type) for x in _tagger()(sentence).spans)


def russian(sentence: str) -> bool:
    return len(_CYRILLIC.findall(sentence)) >= 0.5 * sum(ch.isalpha() for ch in sentence)


def patch(mode: str) -> None:
    """rag.span.candidates with the tagger's cut (typed() looks the name up at call time)."""
    import rag.span as span

    plain = getattr(span, "_plain_candidates", span.candidates)
    span._plain_candidates = plain
    if mode == "off":
        span.candidates = plain
        return

    def candidates(sentence: str, kind: str, year_only: bool = False, common=None):
        out = plain(sentence, kind, year_only, common)
        if kind not in ("person", "place") or not russian(sentence):
            return out
        ents = entities(sentence)
        cut = []
        for c in out:
            inside = [(max(a, c.start), min(b, c.end), t) for a, b, t in ents if a < c.end and b > c.start]
            if mode == "per" and kind == "person" and any(t == "PER" for *_, t in inside):
                inside = [x for x in inside if x[2] == "PER"]
            if not inside:
                if mode != "strict":
                    cut.append(c)
                continue
            for a, b, _ in inside:
                b = a + len(sentence[a:b].rstrip())
                if b > a:
                    cut.append(span.Candidate(a, b, sentence[a:b], c.kind))
        return cut

    span.candidates = candidates


def xquad_rows(data: Path) -> list[dict]:
    idx = xquad_index(data, "ru", CACHE)
    rows = []
    for p in paragraphs(data, "ru"):
        for _, q, answers in p["qas"]:
            if typed_gold(q, answers):
                a = idx.ask(q)
                rows.append({"q": q, "gold": answers, "held": p["article"] in HELD_OUT,
                             "span": a.span.text if a.span else None,
                             "exact": a.span is not None and normal(a.span.text) in {normal(x) for x in answers}})
    return rows


_YEAR = re.compile(r"\b(?:1[0-9]{3}|20[0-9]{2})\b")
_YEAR_WORD = re.compile(r"(?<!\w)год")
_QUALIFIER = re.compile(r"^(?:начале|середине|конце|около|более|менее|свыше|почти|примерно|порядка|не менее|не более"
                        r"|до|после|старше|младше|летом|зимой|весной|осенью)\b", re.IGNORECASE)


def gold_forms(xq: list[dict]) -> dict:
    """How XQuAD's Russian answers write what a span could keep or leave: a year with or without
    "года" / "году" (the first gold answer holding a year), and a qualifier in front ("начале",
    "около") kept by the gold, or kept by the span shown and not by the gold."""
    out = {}
    for part, held in (("training", False), ("held out", True)):
        rs = [r for r in xq if r["held"] == held]
        years = [g for g in (r["gold"][0] for r in rs) if _YEAR.search(g)]
        out[part] = {"year bare": sum(bool(re.fullmatch(r"\d{4}", g.strip())) for g in years),
                     "year with its word": sum(bool(_YEAR_WORD.search(g)) for g in years),
                     "qualifier in the gold": sum(any(_QUALIFIER.search(g) for g in r["gold"]) for r in rs),
                     "qualifier in the span alone": sum(bool(r["span"] and _QUALIFIER.search(r["span"]))
                                                        and not any(_QUALIFIER.search(g) for g in r["gold"]) for r in rs)}
    return out


def figures(xq: list[dict], corpus: list[dict]) -> dict:
    out = {}
    for part, held in (("training", False), ("held out", True)):
        rs = [r for r in xq if r["held"] == held]
        shown = [r for r in rs if r["span"] is not None]
        out[part] = {"typed": len(rs), "shown": len(shown), "exact": sum(r["exact"] for r in shown)}
    shown = [r for r in corpus if r["span"] is not None]
    out["corpus"] = {"typed": len(corpus), "shown": len(shown), "inside": sum(r["inside"] for r in shown)}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m research.ner_names")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--modes", default="off,on,strict,per")
    p.add_argument("--out", default="results/ner_names.json")
    a = p.parse_args(argv)
    res, runs = {}, {}
    for mode in a.modes.split(","):
        patch(mode)
        runs[mode] = (xquad_rows(Path(a.data)), corpus_rows())
        res[mode] = figures(*runs[mode])
        print(mode, res[mode], flush=True)
    patch("off")
    base = runs.get("off")
    if base is not None:
        res["gold forms"] = gold_forms(base[0])
        print("gold forms", res["gold forms"], flush=True)
    changed = {}
    for mode, (xq, corpus) in runs.items():
        if base is None or mode == "off":
            continue
        changed[mode] = [
            {"q": b["q"], "off": a_["span"], mode: b["span"],
             "right": [a_.get("exact", a_.get("inside")), b.get("exact", b.get("inside"))]}
            for a_, b in zip(base[0] + base[1], xq + corpus) if a_["span"] != b["span"]]
        for c in changed[mode]:
            print(f"{mode}: {c['off']!r} -> {c[mode]!r} right {c['right']} | {c['q']}")
    write_json({"figures": res, "changed": changed}, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
