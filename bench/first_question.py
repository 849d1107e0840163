"""The first question in each language, in a fresh process: what a chat user waits for.

    python -m bench.first_question [--index data/corpus-index] [--langs en,ru,de,zh,el,ar,tr,hi] [--out results/first_question]

Each language's child loads the index and asks two questions in that language: the first pays
for what that language reads on first use (its dictionary into English, its analyzer), the
second does not. Every child runs twice and the second run is reported, so that the tables the
first run wrote to the cache folder are there, as on a user's machine after their first start.
Ratios are against English's first question in the same run (English reads no foreign table);
peak memory is the child's (bench/children.py).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .children import PEAK_RSS, run_child

QUESTIONS = {  # (first, second): the bundled corpus's topics, asked as a user would
    "en": ("How many votes were cast against Stalin?", "When did Kazakhstan become independent?"),
    "ru": ("Сколько голосов было подано против Сталина?", "Когда Казахстан стал независимым?"),
    "de": ("Wie viele Stimmen wurden gegen Stalin abgegeben?", "Wann wurde Kasachstan unabhängig?"),
    "zh": ("有多少票反对斯大林？", "哈萨克斯坦何时独立？"),
    "el": ("Πόσες ψήφοι δόθηκαν κατά του Στάλιν;", "Πότε έγινε ανεξάρτητο το Καζακστάν;"),
    "ar": ("كم عدد الأصوات التي أدليت ضد ستالين؟", "متى أصبحت كازاخستان مستقلة؟"),
    "tr": ("Stalin'e karşı kaç oy kullanıldı?", "Kazakistan ne zaman bağımsız oldu?"),
    "hi": ("स्टालिन के खिलाफ कितने वोट डाले गए?", "कजाकिस्तान कब स्वतंत्र हुआ?"),
}

CHILD = PEAK_RSS + r"""
import json, sys, time
import rag
index, first, second = sys.argv[1:4]
t = time.perf_counter(); s = rag.load(index); load = time.perf_counter() - t
t = time.perf_counter(); s.ask(first); a = time.perf_counter() - t
t = time.perf_counter(); s.ask(second); b = time.perf_counter() - t
print(json.dumps({"load_s": load, "first_ms": a * 1000, "second_ms": b * 1000, "peak_rss_mb": peak_rss_mb()}))
"""


def measure(index: str, langs: list[str]) -> dict[str, dict]:
    out = {}
    for lang in langs:
        first, second = QUESTIONS[lang]
        run_child(CHILD, [index, first, second])  # writes what the cache folder lacks
        out[lang] = run_child(CHILD, [index, first, second])
        print(f"{lang}: first {out[lang]['first_ms']:.0f} ms, second {out[lang]['second_ms']:.0f} ms, "
              f"peak {out[lang]['peak_rss_mb']} MB", flush=True)
    return out


def table(rows: dict[str, dict]) -> str:
    base = rows.get("en")
    lines = ["| language | first question ms | × English's first | second question ms | peak MB | load s |",
             "|---|---|---|---|---|---|"]
    for lang, r in rows.items():
        ratio = f"{r['first_ms'] / base['first_ms']:.2f}" if base else ""
        lines.append(f"| {lang} | {r['first_ms']:.0f} | {ratio} | {r['second_ms']:.0f} | {r['peak_rss_mb']} | "
                     f"{r['load_s']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index", default="data/corpus-index")
    p.add_argument("--langs", default=",".join(QUESTIONS))
    p.add_argument("--out", default="results/first_question")
    a = p.parse_args(argv)
    langs = [x for x in a.langs.split(",") if x]
    if unknown := sorted(set(langs) - set(QUESTIONS)):
        p.error(f"no questions for {', '.join(unknown)} (known: {', '.join(QUESTIONS)})")
    rows = measure(a.index, langs)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "first_question.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    md = f"# The first question in each language (`python -m bench.first_question`)\n\n{table(rows)}\n"
    (out / "first_question.md").write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
