"""The span pointed out when question and quote are in Russian and English apart (issue 27).

    python -m research.span_across [--out results/span_across.json]

rag/span.py drops a candidate that only repeats the question ("Who is the Costa Rican President
…?" does not answer "Costa Rican President"). Across languages the question's words were not
recognised: "Кто был первым генеральным секретарём ЦК?" over an English quote pointed out
"General Secretary". `on` (the product since 2026-12-06): a name whose every word is a
translation of the question's words (the bridge's dictionary, as _anchors() reads it) repeats
the question; `off` patches that out.

Measured on eval.xquad_langs' monolingual indexes: XQuAD's Russian questions over the English
paragraphs and the English questions over the Russian ones (calibration paragraphs left out),
the typed ones (eval.quotes.typed_gold of the English question): spans shown and exact against
the gold answer in the quote's language; and the corpus set's typed questions, spans shown and
inside the evidence. Every span that changes is printed.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import rag.span as span
from eval.quotes import normal, paragraphs, typed_gold
from eval.xquad import DEFAULT_DATA, HELD_OUT
from eval.xquad_langs import current, language_index
from research.common import corpus_rows, write_json

DIRECTIONS = (("ru", "en"), ("en", "ru"))
TYPED = span.typed


def set_mode(mode: str) -> None:
    span.typed = TYPED if mode == "on" else (lambda sentence, q, common=None, translate=None: TYPED(sentence, q, common))


def xquad_rows(data: Path, q_lang: str, p_lang: str) -> list[dict]:
    idx = language_index(data, p_lang, current())
    gold = {q[0]: q[2] for p in paragraphs(data, p_lang) for q in p["qas"]}
    english = {q[0]: (q[1], q[2]) for p in paragraphs(data, "en") for q in p["qas"]}
    rows = []
    for i, p in enumerate(paragraphs(data, q_lang)):
        if i % 10 == 0:
            continue
        for qid, question, _ in p["qas"]:
            if not typed_gold(*english[qid]):
                continue
            a = idx.ask(question)
            text = a.span.text if a.span else None
            rows.append({"q": question, "held": p["article"] in HELD_OUT, "span": text,
                         "right": text is not None and normal(text) in {normal(x) for x in gold[qid]}})
    return rows


def figures(rows: list[dict]) -> dict:
    shown = [r for r in rows if r["span"] is not None]
    return {"typed": len(rows), "shown": len(shown), "right": sum(r["right"] for r in shown)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m research.span_across")
    p.add_argument("--data", type=Path, default=Path(DEFAULT_DATA))
    p.add_argument("--out", default="results/span_across.json")
    a = p.parse_args(argv)
    res, runs = {}, {}
    for mode in ("off", "on"):
        set_mode(mode)
        runs[mode] = {"corpus": [{**r, "right": r["inside"]} for r in corpus_rows()]}
        for q_lang, p_lang in DIRECTIONS:
            runs[mode][f"{q_lang}->{p_lang}"] = xquad_rows(a.data, q_lang, p_lang)
        res[mode] = {k: figures(rows) for k, rows in runs[mode].items()}
        print(mode, res[mode], flush=True)
    set_mode("on")
    res["changed"] = [{"set": k, "q": x["q"], "off": x["span"], "on": y["span"], "right": [x["right"], y["right"]]}
                      for k in runs["off"] for x, y in zip(runs["off"][k], runs["on"][k]) if x["span"] != y["span"]]
    for c in res["changed"]:
        print(f"{c['set']}: {c['off']!r} -> {c['on']!r} right {c['right']} | {c['q']}")
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
