"""Sentences in every script (issue 30): rag/chunk.py's splitter before and after its second pass.

"Before" is razdel with the corpus's repairs (`rag.chunk._razdel_sentences`, the whole
splitter until issue 30); "after" is `rag.chunk.sentences`, which splits further at the
sentence ends of CJK, Arabic-script, Indic, Ethiopic and Armenian text and cuts long Thai
stretches at spaces (THAI_MAX). Every text goes through rag/clean.py first, as in a build.

    python -m research.sentences [--data ../shared/xquad]            # the table, per language
    python -m research.sentences --check                              # ru/en must not move
    python -m research.sentences --thai 150,200,250,300,400            # choosing THAI_MAX

The table: XQuAD dev's 160 paragraphs per language; sentences per paragraph, their mean
length in characters, and the share of answers that lie inside one sentence (a quote is a
sentence, so an answer cut in two can never be quoted whole).

--check compares before and after on every block of the bundled corpus (data/corpus) and
on XQuAD's en, ru, de and es paragraphs: every one must split identically, but for the
sentences beside a heading line or a list's item (rag/clean.py `heading`, BULLET: each is a
sentence of its own).

--thai runs the length rule at several maxima on XQuAD's Thai paragraphs.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag import chunk
from rag.clean import BULLET, clean, heading

ROOT = Path(__file__).resolve().parent.parent
LANGS = "ar de el en es hi ro ru th tr vi zh".split()
SAME = "en ru de es".split()


def paragraphs(data: Path, lang: str) -> list[tuple[str, list[tuple[int, int]]]]:
    """(context, answer spans) of every paragraph of xquad.<lang>.dev.json."""
    d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
    out = []
    for art in d["data"]:
        for p in art["paragraphs"]:
            spans = [(a["answer_start"], a["answer_start"] + len(a["text"]))
                     for q in p["qas"] for a in q["answers"][:1]]
            out.append((p["context"], spans))
    return out


def split(raw: str, fn) -> list[tuple[int, int]]:
    """Source spans of the sentences of `raw`, cleaned as a build cleans it."""
    out = []
    for b in clean(raw):
        out += [b.span(s.start, s.end) for s in fn(b.text)]
    return out


def measure(paras, fn) -> dict:
    n_sent = n_chars = inside = answers = 0
    for raw, spans in paras:
        sents = split(raw, fn)
        n_sent += len(sents)
        n_chars += sum(e - s for s, e in sents)
        answers += len(spans)
        inside += sum(any(s <= a and z <= e for s, e in sents) for a, z in spans)
    return {"per_paragraph": n_sent / len(paras), "mean_len": n_chars / max(n_sent, 1),
            "answers_inside": inside / max(answers, 1)}


def table(data: Path) -> None:
    print("| lang | sentences / paragraph | mean length (chars) | answers inside one sentence |")
    print("|---|---|---|---|")
    for lang in LANGS:
        paras = paragraphs(data, lang)
        a, b = measure(paras, chunk._razdel_sentences), measure(paras, chunk.sentences)
        print(f"| {lang} | {a['per_paragraph']:.2f} → {b['per_paragraph']:.2f} "
              f"| {a['mean_len']:.0f} → {b['mean_len']:.0f} "
              f"| {a['answers_inside']:.3f} → {b['answers_inside']:.3f} |")


def check(data: Path) -> bool:
    texts = {}
    for f in sorted((ROOT / "data" / "corpus").glob("*.txt")):
        texts[f"corpus/{f.name}"] = f.read_text(encoding="utf-8")
    for lang in SAME:
        for i, (raw, _) in enumerate(paragraphs(data, lang)):
            texts[f"{lang}/{i}"] = raw
    same = changed = 0
    for name, raw in texts.items():
        for b in clean(raw):
            # a heading line and a list's item are sentences of their own since 2026-12-06 (rag/clean.py)
            ours, razdels = chunk.sentences(b.text), set(chunk._razdel_sentences(b.text))
            if all(s in razdels or any(heading(t := b.text[x.start : x.end]) or BULLET.match(t) for x in ours[max(i - 1, 0) : i + 2])
                   for i, s in enumerate(ours)):
                same += 1
            else:
                changed += 1
                print("changed:", name, b.text[:80])
    print(f"blocks: {same} identical, {changed} changed "
          f"(bundled corpus and XQuAD {', '.join(SAME)})")
    return changed == 0


def thai(data: Path, maxima: list[int]) -> None:
    paras = paragraphs(data, "th")
    others = [measure(paragraphs(data, lang), chunk.sentences)["mean_len"] for lang in LANGS if lang != "th"]
    print(f"other languages' mean sentence length: {sum(others) / len(others):.0f} "
          f"(range {min(others):.0f}–{max(others):.0f})")
    print("| THAI_MAX | sentences / paragraph | mean length | longest | answers inside one sentence |")
    print("|---|---|---|---|---|")
    keep = chunk.THAI_MAX
    try:
        for n in maxima:
            chunk.THAI_MAX = n
            m = measure(paras, chunk.sentences)
            longest = max(e - s for raw, _ in paras for s, e in split(raw, chunk.sentences))
            print(f"| {n} | {m['per_paragraph']:.2f} | {m['mean_len']:.0f} | {longest} | {m['answers_inside']:.3f} |")
    finally:
        chunk.THAI_MAX = keep


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "xquad")
    ap.add_argument("--check", action="store_true", help="ru/en blocks must split exactly as before")
    ap.add_argument("--thai", help="comma-separated THAI_MAX values to try")
    a = ap.parse_args()
    if a.check:
        raise SystemExit(0 if check(a.data) else 1)
    if a.thai:
        thai(a.data, [int(x) for x in a.thai.split(",")])
        return
    table(a.data)


if __name__ == "__main__":
    main()
