"""Calibrate the abstention thresholds, judged sentence by sentence as ask() judges them.

    python -m eval.calibrate [--answer-rate 0.97]     # after python -m eval.quotes collect
    python -m eval.calibrate --langs all              # per question language (abstain_by_lang)
    python -m eval.calibrate --found                  # the found rule's weights (found_weights)

`found` (rag/answer.py decide) holds when some candidate sentence's cosine clears the
threshold of its own language pair with the question (same language, or across), and
the question's years and numbers are near the first quote (Settings.decline_missing).
Both thresholds are chosen together, on the candidates `python -m eval.quotes collect`
recorded (eval/questions over the corpus, XQuAD in five languages): the highest pair
that still answers `answer-rate` of the answerable questions of every set. Near-miss
questions are declined by the constraint rule, not by these thresholds (eval/quotes.py
reports both). Put the printed values into rag/settings.py on purpose.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .quotes import CACHE, chosen, refeature, searchers_of
from .xquad import HELD_OUT


def decisions(recs: list[dict], searchers: dict, weights: np.ndarray) -> list[tuple]:
    """(set, answerable, candidate cosines, candidate across languages?, declined by constraints)."""
    from rag.evidence import kind_of
    from rag.question import analyse

    out = []
    for r in recs:
        s = searchers[r["set"]]
        if not r["texts"]:
            out.append((r["set"], r["answerable"], np.zeros(0), np.zeros(0, bool), False))
            continue
        cross = np.array([r["q_lang"] != "und" and lg != r["q_lang"] for lg in r["langs"]])
        cos = np.asarray(r["margins"]) + np.where(cross, r["thresholds"][1], r["thresholds"][0])
        q = analyse(r["question"])
        missing = chosen(r, s, weights)[1]
        declined = any(kind_of(q, m) in s.settings.decline_missing for m in missing)
        out.append((r["set"], r["answerable"], cos, cross, declined))
    return out


def rates(rows: list[tuple], same: float, cross_t: float) -> dict[str, tuple[float, float]]:
    """set -> (answerable answered, unanswerable declined) at these thresholds."""
    tally: dict[str, list[int]] = {}
    for name, answerable, cos, cross, declined in rows:
        t = tally.setdefault(name, [0, 0, 0, 0])
        found = len(cos) > 0 and float((cos - np.where(cross, cross_t, same)).max()) >= 0 and not declined
        t[0 if answerable else 2] += 1
        t[1 if answerable else 3] += found if answerable else not found
    return {k: (t[1] / max(t[0], 1), t[3] / max(t[2], 1)) for k, t in tally.items()}


def calibrate(rows: list[tuple], answer_rate: float) -> tuple[float, float]:
    """The highest (same-language, cross-language) pair answering `answer_rate` in every set."""
    best = None
    for same in np.arange(0.78, 0.86, 0.0025):
        for cross in np.arange(0.76, 0.84, 0.0025):
            if all(a >= answer_rate for a, _ in rates(rows, same, cross).values()):
                if best is None or same + cross > sum(best):
                    best = (float(same), float(cross))
    if best is None:
        raise ValueError(f"no thresholds answer {answer_rate} of every set")
    return best


def best_cosines(idx, questions: list[str]) -> np.ndarray:
    """Per question: the highest cosine of a candidate sentence ask() would judge (the
    threshold decides `found` on it; rag/searcher.py candidates)."""
    s = idx.searcher
    out = []
    for text in questions:
        q = s.query(text)
        scored = s.pick(None).search(q, 10, None)
        cands = s.candidates(q, scored, [s.hit(x.row, x.score) for x in scored])
        out.append(max((c.cosine for c in cands), default=0.0))
    return np.asarray(out)


def per_language(data: Path, langs: tuple[str, ...], answer_rate: float) -> dict[str, tuple[float, float]]:
    """Question language -> (same, cross) thresholds answering `answer_rate` of its XQuAD
    calibration questions (paragraphs i % 10 == 0, which no evaluation asks): over its own
    paragraphs (same) and over the English ones (across; English questions over the Russian
    ones), each never above the global pair, which the corpus set calibrated (rates lower
    than this set no bound for declines: XQuAD has no unanswerable questions, so a threshold
    is only ever lowered here). Russian and English questions use the global pair; theirs
    here, across the two (English questions over the Russian paragraphs), bound its
    cross-language threshold: on XQuAD e5's cosines across the two run lower than on the corpus."""
    from rag.settings import Settings

    from .quotes import paragraphs
    from .xquad_langs import current, language_index

    st = Settings()
    where = current()
    def index(lang):
        return language_index(data, lang, where)

    out = {}
    for lang in langs:
        qs = [q[1] for i, p in enumerate(paragraphs(data, lang)) if i % 10 == 0 for q in p["qas"]]
        same = float(np.quantile(best_cosines(index(lang), qs), 1 - answer_rate))
        cross = float(np.quantile(best_cosines(index("ru" if lang == "en" else "en"), qs), 1 - answer_rate))
        out[lang] = (min(st.abstain_below, np.floor(same * 400) / 400), min(st.abstain_below_cross, np.floor(cross * 400) / 400))
        print(f"  {lang}: {len(qs)} questions; same {same:.4f}, across {cross:.4f} -> {out[lang]}", flush=True)
    return out


# ------------------------------------------------------------------ found or not (--found)
# question language -> paragraph language; within and across the first two languages, and
# two XQuAD languages over English and within their own
FOUND_DIRECTIONS = (("en", "en"), ("ru", "ru"), ("ru", "en"), ("en", "ru"), ("de", "en"), ("es", "en"), ("de", "de"))
FOUND_RATE = 0.98  # on-topic training questions answered in every direction (97 % held out)


def found_evidence(s, text: str, mask=None) -> tuple[list, np.ndarray | None]:
    """ask()'s candidates for one question (`s`: a Searcher; `mask`: rows it may search) and
    their rag/evidence.py FOUND, as ask() computes it; None when there is no candidate."""
    from rag.evidence import found_features
    from rag.question import analyse

    q = s.query(text)
    scored = s.pick(None).search(q, 5, mask)
    cands = s.candidates(q, scored, [s.hit(x.row, x.score) for x in scored])
    if not cands:
        return cands, None
    return cands, found_features(cands, *s.quote_scores(q, analyse(q.text, q.lang), cands))


def evidence_record(cands, x: np.ndarray, lang: str, **fields) -> dict:
    """One question's FOUND, with the best z and the best cosine within and across languages."""
    return {**fields, "x": x.round(6).tolist(), "zmax": max(c.z for c in cands),
            "same": max((c.cosine for c in cands if c.lang == lang), default=0.0),
            "cross": max((c.cosine for c in cands if c.lang != lang), default=0.0)}


def topic_records(idx, data: Path, lang: str, against: str) -> list[dict]:
    """Per XQuAD question of `lang` over the index of `against`'s paragraphs: on topic (the
    whole index) and off topic (its own article's paragraphs masked out: a question asked of
    documents on other subjects), each with rag/evidence.py FOUND as ask() computes it."""
    from .quotes import paragraphs

    s = idx.searcher
    article = [p["article"] for p in paragraphs(data, against)]
    names = [f"p{i:03d}.txt" for i in range(len(article))]
    out = []
    for p in paragraphs(data, lang):
        others = [n for n, a in zip(names, article) if a != p["article"]]
        for _qid, question, _answers in p["qas"]:
            q_lang = s.query(question).lang
            for topic, mask in (("on", None), ("off", s.mask(others, None))):
                cands, x = found_evidence(s, question, mask)
                if x is not None:
                    out.append(evidence_record(cands, x, q_lang, topic=topic, held_out=p["article"] in HELD_OUT))
    return out


def fit_found(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 3000, lr: float = 0.5) -> np.ndarray:
    """Logistic regression of on topic (1) against off topic (0), on standardised features,
    returned as weights over the raw features with the bias last (Settings.found_weights'
    form, before the cut)."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.column_stack([(x - mu) / sd, np.ones(len(x))])
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        w -= lr * (z.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0])
    return np.r_[w[:-1] / sd, w[-1] - float(np.sum(w[:-1] * mu / sd))]


def found_weights(train: dict[str, list[dict]], rate: float = FOUND_RATE) -> np.ndarray:
    """fit_found over every direction's training records, its bias moved so that `rate` of
    each direction's on-topic questions clear 0."""
    x = np.array([r["x"] for rs in train.values() for r in rs])
    y = np.array([r["topic"] == "on" for rs in train.values() for r in rs], dtype=float)
    w = fit_found(x, y)
    cut = min(float(np.quantile(np.array([r["x"] for r in rs if r["topic"] == "on"]) @ w[:-1] + w[-1], 1 - rate))
              for rs in train.values())
    return np.r_[w[:-1], w[-1] - cut]


def found_report(test: dict[str, list[dict]], weights) -> dict[str, tuple[float, float]]:
    """Per direction: on-topic answered, off-topic declined, by rag/answer.py found_by."""
    from rag.answer import found_by

    return {d: (float(np.mean([found_by(weights, r["x"]) for r in rs if r["topic"] == "on"])),
                float(np.mean([not found_by(weights, r["x"]) for r in rs if r["topic"] == "off"])))
            for d, rs in test.items()}


def corpus_records(index: str) -> list[dict]:
    """evidence_record of every question of eval/questions over the corpus index, with
    whether it is answerable (None for x: no candidate)."""
    import rag

    from .quotes import at_defaults
    from .run import load_questions

    s = at_defaults(rag.load(index)).searcher
    out = []
    for it in load_questions():
        cands, x = found_evidence(s, it.question)
        out.append(evidence_record(cands, x, s.query(it.question).lang, answerable=it.answerable)
                   if x is not None else {"answerable": it.answerable, "x": None})
    return out


def corpus_found(recs: list[dict], weights) -> tuple[float, float]:
    """found_by's answered share of the corpus_records' answerable questions and its
    declined share of the near misses (the constraint rule left aside)."""
    from rag.answer import found_by

    got = [(r["answerable"], r["x"] is not None and found_by(weights, r["x"])) for r in recs]
    return (float(np.mean([f for a, f in got if a])), float(1 - np.mean([f for a, f in got if not a])))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.calibrate")
    p.add_argument("--answer-rate", type=float, default=0.97)
    p.add_argument("--cache", default=str(CACHE))
    p.add_argument("--index", default="data/corpus-index")
    p.add_argument("--langs", default=None, help="per question language on XQuAD (e.g. all, or de,zh): "
                   "prints Settings.abstain_by_lang")
    p.add_argument("--data", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "xquad"))
    p.add_argument("--found", action="store_true", help="fit Settings.found_weights on XQuAD (on topic against "
                   "off topic) and report the held-out articles")
    a = p.parse_args(argv)
    if a.found:
        from .xquad_langs import current, language_index

        where = current()
        recs = {f"{lang}>{against}": topic_records(language_index(Path(a.data), against, where), Path(a.data),
                                                   lang, against) for lang, against in FOUND_DIRECTIONS}
        w = [round(float(v), 4) for v in found_weights({d: [r for r in rs if not r["held_out"]]
                                                         for d, rs in recs.items()})]  # as Settings takes them
        print("found_weights = " + json.dumps(w))
        for d, (ans, dec) in found_report({d: [r for r in rs if r["held_out"]] for d, rs in recs.items()}, w).items():
            print(f"  {d:6} held out: on topic answered {ans:.3f}, off topic declined {dec:.3f}")
        on, near = corpus_found(corpus_records(a.index), w)
        print(f"  corpus set: answerable answered {on:.3f}, near misses declined {near:.3f} (by this rule alone)")
        return 0
    if a.langs:
        from .xquad_langs import parse_langs
        from rag.settings import Settings

        st = Settings()
        pairs = per_language(Path(a.data), parse_langs(a.langs), a.answer_rate)
        entries = [f"{lang}:{same:.4f}:{cross:.4f}" for lang, (same, cross) in sorted(pairs.items())
                   if lang not in ("ru", "en") and (same, cross) != (st.abstain_below, st.abstain_below_cross)]
        print("abstain_by_lang = " + json.dumps(entries))
        if {"ru", "en"} & set(pairs):
            print(f"abstain_below_cross <= {min(pairs[x][1] for x in ('ru', 'en') if x in pairs):.4f} (ru/en across)")
        return 0
    cache = Path(a.cache)
    recs = [json.loads(line) for line in (cache / "features.jsonl").read_text(encoding="utf-8").splitlines()]
    refeature(recs, cache, a.index)
    searchers = searchers_of(recs, cache, a.index)
    weights = np.asarray(next(iter(searchers.values())).settings.quote_weights)
    rows = decisions(recs, searchers, weights)
    same, cross = calibrate(rows, a.answer_rate)
    # grid points (steps of 0.0025) printed as they are, not floored past a float's last bit
    print(f"abstain_below = {round(same, 4):.4f}, abstain_below_cross = {round(cross, 4):.4f}")
    for name, (answered, declined) in sorted(rates(rows, same, cross).items()):
        print(f"  {name:10} answerable answered {answered:.3f}, unanswerable declined {declined:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
