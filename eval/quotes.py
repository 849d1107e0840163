"""The answer layer measured: which sentence is quoted first, the span pointed out, found or not.

    python -m eval.quotes collect [--langs en,ru,de,es,zh|all] [--across en] [--cache /tmp/xquad-quotes]
    python -m eval.quotes fit [--langs ...] [--across en]   # conditional logit over those sets' candidates -> weights
                                   # (and, with research/recipes/quote_head.py's column, token_quote_weights)
    python -m eval.quotes report   # per language, held-out articles, at the index's settings

`collect` builds one monolingual XQuAD index per language (160 paragraphs, one file each;
kept under --cache and reused) and the corpus index, asks every question (with --across en,
each language's questions of the English index too: set "xquad-L>en", labelled by the
English answers; XQuAD's paragraphs and ids are parallel), and writes for
each question its candidate sentences' features (rag/evidence.py FEATURES), which of them
hold the answer (XQuAD: the gold answer text; corpus: the sentence overlaps the evidence
span), the gold answers and the question's kind; the records of sets not asked this time are
kept. `fit` fits the quote weights on the training articles (0-23) of the sets --langs and
--across name, and on eval/questions, and reports the held-out articles (24-31); `report`
runs ask() itself at the settings given, so its figures are the product's.
"""
from __future__ import annotations

import argparse
import json
import re
import string
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rag.evidence import FEATURES

from .xquad import DEFAULT_DATA, HELD_OUT

LANGS = ("en", "ru", "de", "es", "zh")
ALL_LANGS = LANGS + ("ar", "el", "hi", "ro", "th", "tr", "vi")  # every language of ../shared/xquad
CACHE = Path(tempfile.gettempdir()) / "xquad-quotes"


# ------------------------------------------------------------------ data
def paragraphs(data: Path, lang: str) -> list[dict]:
    """XQuAD paragraphs of one language: {"context", "article", "qas": [(id, question, answers)]}."""
    d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
    return [{"context": p["context"], "article": ai,
             "qas": [(q["id"], q["question"], [a["text"] for a in q["answers"]]) for q in p["qas"]]}
            for ai, a in enumerate(d["data"]) for p in a["paragraphs"]]


def at_defaults(idx):
    """An index asked at today's query-time defaults, whatever its manifest stored."""
    from rag.settings import INDEX_TIME, Settings

    idx.reconfigure(**{k: v for k, v in Settings().to_dict().items() if k not in INDEX_TIME})
    return idx


def xquad_index(data: Path, lang: str, cache: Path):
    """The monolingual index of one language's paragraphs, built once under `cache`,
    at today's query-time settings."""
    import rag

    folder = cache / lang
    try:
        return at_defaults(rag.load(folder))
    except rag.IndexFormatError:
        pass
    docs = cache / f"docs-{lang}"
    docs.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(paragraphs(data, lang)):
        (docs / f"p{i:03d}.txt").write_text(p["context"], encoding="utf-8")
    return at_defaults(rag.build([docs], folder))


def normal(text: str) -> str:
    """SQuAD's answer normalisation, casefolded, punctuation and articles dropped."""
    text = "".join(ch for ch in text.casefold() if ch not in string.punctuation + "«»“”„’‘—–")
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def typed_gold(question: str, answers: list[str]) -> bool:
    """XQuAD's typed questions, as issue 27 defines them: a gold answer with a digit, or a who-question."""
    return any(re.search(r"\d", a) for a in answers) or bool(
        re.search(r"\b(who|whom|whose|кто|кого|кому|кем|wer|quién|谁)\b", question.casefold()))


# ------------------------------------------------------------------ collect
def question_record(idx, question: str, k: int = 5) -> tuple[list, dict]:
    """ask()'s candidates for one question with their features; the searcher's own steps."""
    from rag.evidence import candidate_features
    from rag.question import analyse

    s = idx.searcher
    q = s.query(question)
    scored = s.default().search(q, k, None)
    hits = [s.hit(x.row, x.score) for x in scored]
    cands = s.candidates(q, scored, hits)
    qa = analyse(q.text, q.lang)  # as Searcher.ask analyses it
    feats = candidate_features(qa, q.lang, cands, s.idf, s.lexicon)
    passages = list(dict.fromkeys(c.passage.chunk_id for c in cands))
    ptext = {c.passage.chunk_id: c.passage.text for c in cands}
    return cands, {"kind": qa.kind, "features": np.round(feats, 5).tolist(),
                   "passages": [ptext[p] for p in passages],
                   "pidx": [passages.index(c.passage.chunk_id) for c in cands],
                   "langs": [c.lang for c in cands], "q_lang": q.lang,
                   "thresholds": [s.settings.abstain_below, s.settings.abstain_below_cross],
                   "texts": [c.text for c in cands], "sources": [c.passage.source for c in cands],
                   "spans": [[c.start, c.end] for c in cands], "margins": [round(c.margin, 5) for c in cands],
                   "top_passage": hits[0].source if hits else None, "top_text": hits[0].text if hits else ""}


_NUMBER = re.compile(r"(?<![\w.,])\d+(?![\w.,]\d)")


def near_miss(question: str, article: str, rng) -> str | None:
    """The question with one of its numbers changed to one its article never writes: a
    question on the documents' topic, with their names, asking what they do not say."""
    nums = list(_NUMBER.finditer(question))
    if not nums:
        return None
    m = nums[int(rng.integers(len(nums)))]
    n = int(m.group())
    for step in rng.permutation([-7, -5, -3, -2, 2, 3, 5, 7, 11, 13]):
        new = str(n + int(step) if n > 31 else max(2, n + int(step)))
        if len(new) == len(m.group()) and not re.search(rf"(?<!\d){new}(?!\d)", article):
            return question[: m.start()] + new + question[m.end() :]
    return None


def collect_xquad(data: Path, lang: str, cache: Path, over: str | None = None) -> list[dict]:
    """Every question of `lang` (and a near miss of it) asked of its own index; with `over`,
    asked of that language's index instead (set "xquad-lang>over", no near misses), the
    labels from `over`'s answers to the same question."""
    against = over or lang
    idx = xquad_index(data, against, cache)
    paras, asked = paragraphs(data, against), paragraphs(data, lang)
    article_text: dict[int, str] = {}
    for p in paras:
        article_text[p["article"]] = article_text.get(p["article"], "") + "\n" + p["context"]
    rng = np.random.default_rng(27)
    out = []
    for i, (p, mine) in enumerate(zip(paras, asked)):
        gold = {qid: answers for qid, _q, answers in p["qas"]}
        for qid, question, own_answers in mine["qas"]:
            answers = gold.get(qid, own_answers if over is None else [])
            _cands, rec = question_record(idx, question)
            rec.update(id=qid, set=set_name(lang, over), lang=lang, article=p["article"], question=question,
                       answers=answers, gold_source=f"p{i:03d}.txt", answerable=True,
                       labels=[bool(answers) and any(a in t for a in answers) for t in rec["texts"]])
            out.append(rec)
            miss = None if over else near_miss(question, article_text[p["article"]], rng)
            if miss is not None:
                _cands, rec = question_record(idx, miss)
                rec.update(id=qid + "-nearmiss", set=set_name(lang, over), lang=lang, article=p["article"],
                           question=miss, answers=[], answerable=False, labels=[])
                out.append(rec)
    return out


def set_name(lang: str, over: str | None = None) -> str:
    """A record set's name: "xquad-de" (own index), "xquad-de>en" (the English index)."""
    return f"xquad-{lang}" + (f">{over}" if over and over != lang else "")


def index_folder(name: str, cache: Path, index: str) -> Path:
    """Where the index a record set was asked of lives."""
    if name == "corpus":
        return Path(index)
    return cache / name.split("-", 1)[1].split(">")[-1]


def collect_corpus(index: str) -> list[dict]:
    import rag

    from .run import load_questions

    idx = at_defaults(rag.load(index))
    out = []
    for it in load_questions():
        _cands, rec = question_record(idx, it.question)
        labels = [src == it.source and a < it.span[1] and it.span[0] < b
                  for src, (a, b) in zip(rec["sources"], rec["spans"])] if it.answerable else []
        rec.update(id=it.id, set="corpus", lang=it.lang, article=-1, question=it.question,
                   answers=[it.answer] if it.answer else [], answerable=it.answerable, item_kind=it.kind,
                   labels=labels)
        out.append(rec)
    return out


def refeature(recs: list[dict], cache: Path, index: str) -> None:
    """Recompute each record's features from what it stored (z, margin and passage rank are
    features 0, 1 and 5), so that a change of rag/evidence.py is measured without asking again."""
    import rag
    from rag.evidence import sentence_features
    from rag.lang import detect
    from rag.question import analyse

    loaded: dict[Path, object] = {}
    for r in recs:
        if not r["texts"]:
            continue
        folder = index_folder(r["set"], cache, index)  # one load a folder: the sets across share English's
        if folder not in loaded:
            loaded[folder] = at_defaults(rag.load(folder)).searcher
        s = loaded[folder]
        f = np.asarray(r["features"])
        r["features"] = sentence_features(analyse(r["question"], detect(r["question"])), r["texts"], [detect(t) for t in r["texts"]],
                                          f[:, 0], f[:, 1], 1.0 / f[:, 5] - 1.0, s.idf, s.lexicon,
                                          detect(r["question"])).tolist()


# ------------------------------------------------------------------ fit
def fit(records: list[dict], l2: float = 0.01, steps: int = 3000, lr: float = 0.5) -> np.ndarray:
    """Conditional logit: maximise, per question with a labelled candidate, the softmax
    probability mass on its answer-holding sentences (full-batch gradient ascent). The
    questions are padded into one array so each step is a few array operations."""
    groups = [(np.asarray(r["features"], dtype=float), np.asarray(r["labels"], bool)) for r in records
              if r["labels"] and any(r["labels"]) and not all(r["labels"])]
    d, width = groups[0][0].shape[1], max(len(y) for _, y in groups)
    x = np.zeros((len(groups), width, d))
    real = np.zeros((len(groups), width), bool)
    gold = np.zeros((len(groups), width), bool)
    for i, (f, y) in enumerate(groups):
        x[i, : len(y)], real[i, : len(y)], gold[i, : len(y)] = f, True, y
    w = np.zeros(d)
    w[0] = 1.0
    for _ in range(steps):
        s = np.where(real, x @ w, -np.inf)
        p = np.exp(s - s.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        py = np.where(gold, p, 0.0)
        py /= py.sum(1, keepdims=True)
        w += lr * (-l2 * w + np.einsum("gc,gcd->d", py - p, x) / len(groups))
    return w


def record_key(r: dict) -> str:
    """A record's name across sets (XQuAD's ids repeat across languages)."""
    return f"{r['set']}/{r['id']}"


def with_tokens(recs: list[dict], path: Path) -> list[dict]:
    """The records with the token head's column as one more feature (research/recipes/quote_head.py
    writes it: out of fold on XQuAD's training articles); ValueError saying why there is none."""
    from rag.tokens import load_head

    if not path.exists():
        raise ValueError(f"no {path}; run python -m research.recipes.quote_head")
    d = json.loads(path.read_text(encoding="utf-8"))
    if d["head"] != load_head().digest:
        raise ValueError(f"{path} holds the scores of another token head; run python -m research.recipes.quote_head")
    cols = d["columns"]
    return [{**r, "features": np.column_stack([np.asarray(r["features"]), cols[record_key(r)]]).tolist()}
            if r["texts"] else r for r in recs]


def top_is_gold(records: list[dict], w: np.ndarray) -> float:
    ok = [r["labels"][int(np.argmax(np.asarray(r["features"]) @ w))] for r in records if r["labels"]]
    return float(np.mean(ok)) if ok else float("nan")


def indexes_of(recs: list[dict], cache: Path, index: str) -> dict:
    """set name -> the index its records were asked of, at the default settings."""
    import rag

    folders = {n: index_folder(n, cache, index) for n in sorted({r["set"] for r in recs})}
    loaded = {f: at_defaults(rag.load(f)) for f in set(folders.values())}  # the sets across share English's
    return {n: loaded[f] for n, f in folders.items()}


def searchers_of(recs: list[dict], cache: Path, index: str) -> dict:
    """set name -> the Searcher of the index its records were asked of."""
    return {n: idx.searcher for n, idx in indexes_of(recs, cache, index).items()}


def chosen(r: dict, searcher, weights: np.ndarray) -> tuple[int, list[str]]:
    """The candidate quoted first at `weights`, and the question's constraints not near it
    (what Searcher.ask computes, from the record)."""
    from rag.answer import Candidate
    from rag.question import analyse
    from rag.types import Hit

    i = int(np.argmax(np.asarray(r["features"]) @ weights))
    (a, b), text = r["spans"][i], r["texts"][i]
    passage = Hit(text=r["passages"][r["pidx"][i]], source=r["sources"][i], start=a, end=b, page=None,
                  lang=r["langs"][i], score=0.0)
    c = Candidate(passage, 0, -1, text, a, b, None, r["langs"][i], 0.0, 0.0, 0.0)
    return i, searcher.missing(analyse(r["question"], r["q_lang"]), r["q_lang"], c)


def offline_table(recs: list[dict], w: np.ndarray, cache: Path, index: str) -> str:
    """Per set, on the held-out articles (XQuAD) or all questions (corpus): the first quote
    at the z-only order and at the fitted weights, the span (typed questions), and the
    constraint rules: answerable answered, near-misses declined, partial matches flagged."""
    from rag.evidence import common_word, kind_of
    from rag.question import analyse
    from rag.span import point

    searchers = searchers_of(recs, cache, index)
    rules = {"none": (), "year": ("year",), "year+number": ("year", "number"),
             "year+number+counted": ("year", "number", "counted"), "all": ("year", "number", "counted", "name")}
    lines = ["| set | n | quote z-only | quote fitted | typed | span shown | span exact | "
             + " | ".join(f"{k}: answered / near-miss declined" for k in rules) + " | partial: answerable / near-miss |",
             "|---" * (7 + len(rules) + 1) + "|"]
    base = np.eye(len(w))[0]
    for name in sorted(searchers):
        s = searchers[name]
        held_out = [r for r in recs if r["set"] == name and (name == "corpus" or r["article"] in HELD_OUT)]
        ans = [r for r in held_out if r["labels"]]
        typed = shown = exact = 0
        counts = {k: [0, 0] for k in rules}
        partial = [0, 0]
        n_ans = n_miss = 0
        for r in held_out:
            q = analyse(r["question"], r["q_lang"])
            close = bool(r["margins"]) and max(r["margins"]) >= 0
            missing = []
            if r["texts"]:
                i, missing = chosen(r, s, w)
                if r.get("answerable") and r["answers"] and name != "corpus" and typed_gold(r["question"], r["answers"]):
                    typed += 1
                    p = point(r["texts"][i], q, s.settings.span_margin, common_word(s.lexicon, r["langs"][i]))
                    if p is not None:
                        shown += 1
                        exact += normal(p.text) in {normal(x) for x in r["answers"]}
            kinds = {kind_of(q, m) for m in missing}
            if r.get("answerable"):
                n_ans += 1
                partial[0] += close and bool(missing)
            else:
                n_miss += 1
                partial[1] += close and bool(missing)
            for k, rule in rules.items():
                found = close and not kinds & set(rule)
                counts[k][0 if r.get("answerable") else 1] += found
        cells = [f"{counts[k][0] / max(n_ans, 1):.3f} / {1 - counts[k][1] / max(n_miss, 1):.3f}" for k in rules]
        lines.append(f"| {name} | {n_ans}+{n_miss} | {top_is_gold(ans, base):.3f} | {top_is_gold(ans, w):.3f} | "
                     f"{typed} | {shown / max(typed, 1):.3f} | {exact / max(shown, 1):.3f} | " + " | ".join(cells)
                     + f" | {partial[0] / max(n_ans, 1):.3f} / {partial[1] / max(n_miss, 1):.3f} |")
    return "\n".join(lines)


# ------------------------------------------------------------------ report (ask() itself)
def report_lang(idx, data: Path, lang: str, articles=HELD_OUT) -> dict:
    """Quote accuracy, span shown / exact, false abstentions, ask latency for one language."""
    n = quote_ok = typed = shown = exact = declined_gold = gold_top = 0
    lat = []
    for i, p in enumerate(paragraphs(data, lang)):
        if p["article"] not in articles:
            continue
        for _qid, question, answers in p["qas"]:
            t = time.perf_counter()
            a = idx.ask(question)
            lat.append(time.perf_counter() - t)
            n += 1
            if a.hits and a.hits[0].source.endswith(f"p{i:03d}.txt") and any(x in a.hits[0].text for x in answers):
                gold_top += 1
                declined_gold += not a.found
            quote_ok += bool(a.quotes) and any(x in a.quotes[0].text for x in answers)
            if typed_gold(question, answers):
                typed += 1
                if a.span is not None:
                    shown += 1
                    exact += normal(a.span.text) in {normal(x) for x in answers}
    lat.sort()
    return {"n": n, "quote": round(quote_ok / max(n, 1), 3), "typed": typed,
            "span_shown": round(shown / max(typed, 1), 3), "span_exact": round(exact / max(shown, 1), 3),
            "false_abstention": round(declined_gold / max(gold_top, 1), 3),
            "ask_p50_ms": round(1000 * lat[len(lat) // 2], 1) if lat else None}


def report_table(res: dict) -> str:
    """The report as Markdown: one row a language, XQuAD's held-out articles."""
    lines = ["| language | questions | top quote holds the answer | typed | span shown | span exact | "
             "false abstentions | ask p50 ms |", "|---|---|---|---|---|---|---|---|"]
    for lang, r in res.items():
        lines.append(f"| {lang} | {r['n']} | {r['quote']:.3f} | {r['typed']} | {r['span_shown']:.3f} | "
                     f"{r['span_exact']:.3f} | {r['false_abstention']:.3f} | {r['ask_p50_ms']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.quotes")
    p.add_argument("command", choices=("collect", "fit", "report"))
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--langs", default=",".join(LANGS), help="comma-separated, or all (12)")
    p.add_argument("--across", default=None, help="collect: also each language's questions of this language's index")
    p.add_argument("--cache", default=str(CACHE))
    p.add_argument("--index", default="data/corpus-index", help="the corpus index for eval/questions")
    p.add_argument("--settings", default=None, help="query-time settings as JSON for report")
    p.add_argument("--out", default="results", help="report writes OUT/quotes.{json,md}")
    a = p.parse_args(argv)
    data, cache = Path(a.data), Path(a.cache)
    langs = list(ALL_LANGS) if a.langs == "all" else a.langs.split(",")
    if not (data / "xquad.en.dev.json").exists():
        print(f"XQuAD not found at {data}: skipped (pass --data PATH)", file=sys.stderr)
        return 0
    cache.mkdir(parents=True, exist_ok=True)
    feats = cache / "features.jsonl"
    if a.command == "collect":
        asked = [(lang, None) for lang in langs] + [(lang, a.across) for lang in langs if a.across and lang != a.across]
        names = {set_name(lang, over) for lang, over in asked} | {"corpus"}
        kept = [line for line in feats.read_text(encoding="utf-8").splitlines()
                if json.loads(line)["set"] not in names] if feats.exists() else []
        part = feats.with_suffix(".part")
        with part.open("w", encoding="utf-8") as f:
            for line in kept:
                f.write(line + "\n")
            for rec in collect_corpus(a.index):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            for lang, over in asked:
                t = time.perf_counter()
                for rec in collect_xquad(data, lang, cache, over):
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                print(f"{set_name(lang, over)}: {time.perf_counter() - t:.0f} s", file=sys.stderr)
        part.replace(feats)  # an interrupted collect leaves the old records whole
        return 0
    if a.command == "fit":
        names = {set_name(lang, over) for lang in langs for over in (None, a.across)} | {"corpus"}
        recs = [r for r in (json.loads(line) for line in feats.read_text(encoding="utf-8").splitlines())
                if r["set"] in names]
        refeature(recs, cache, a.index)
        train = [r for r in recs if r["article"] not in HELD_OUT and r["labels"]]
        w = fit(train)
        text = (f"# The quote's weights fitted (`python -m eval.quotes fit`)\n\nquote_weights = "
                f"{tuple(round(float(x), 3) for x in w)} over ({', '.join(FEATURES)})\n\n"
                f"Sets: {', '.join(sorted({r['set'] for r in recs}))}. "
                "XQuAD: held-out articles 24-31 (fitted on 0-23); corpus: eval/questions (fitted on, in-sample).\n\n"
                + offline_table(recs, w, cache, a.index) + "\n")
        try:
            tokens = with_tokens(recs, cache / "token-column.json")
        except ValueError as e:
            text += f"\nNo token_quote_weights: {e}.\n"
        else:
            wt = fit([r for r in tokens if r["article"] not in HELD_OUT and r["labels"]])
            text += (f"\n## With the token head's column (indexes that keep token codes)\n\ntoken_quote_weights = "
                     f"{tuple(round(float(x), 3) for x in wt)} over ({', '.join(FEATURES)}, tokens)\n\n"
                     + offline_table(tokens, wt, cache, a.index) + "\n")
        Path(a.out).mkdir(parents=True, exist_ok=True)
        (Path(a.out) / "quotes_fit.md").write_text(text, encoding="utf-8")
        print(text)
        return 0
    out = {}
    for lang in langs:
        idx = xquad_index(data, lang, cache)
        if a.settings:
            idx.reconfigure(**json.loads(a.settings))
        out[lang] = report_lang(idx, data, lang)
        print(lang, out[lang], file=sys.stderr)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "quotes.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    (Path(a.out) / "quotes.md").write_text("# The answer layer on XQuAD (`python -m eval.quotes report`)\n\n"
                                           "One monolingual index a language; questions of the held-out articles "
                                           "24-31; ask() at the default settings.\n\n"
                                           + report_table(out) + "\n", encoding="utf-8")
    print(report_table(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
