"""The evaluation CLI (eval/run.py) on a tiny corpus with the fake embedder: ranx
figures against hand-computed ones, the overlap rule, abstention scores, the
tutorial baseline's raw spans, the written report and `python -m eval` itself."""
from __future__ import annotations

import json
import math

import pytest
from helpers.dictd import write_dictd
from helpers.fakes import FakeEmbedder

import rag
from eval.baseline import Baseline
from eval.metrics import abstention_scores, latency, metrics, recall_curve
from eval.run import (
    DEFAULT,
    LABELS,
    Item,
    load_questions,
    overlaps,
    parse_config,
    headline,
    rank_of,
    reconfigured,
    run_eval,
    swapped,
)
from rag.types import Hit

RU = (
    "Избирательная кампания 1924 года стала важным этапом формирования советской электораль-\n"
    "ной политики. Выборы в сельсоветы прошли в декабре 1924 года при низкой явке.\n\n"
    "Центральная избирательная комиссия постановила отменить результаты выборов и провести "
    "перевыборы там, где проголосовали менее 35 % избирателей.\n\n"
    "Инструкторы ВЦИК сообщали о многочисленных нарушениях при проведении выборов в деревнях. "
    "Крестьяне жаловались на давление местных властей и на исключение из списков избирателей.\n\n"
    "Повторные выборы весной 1925 года привлекли больше избирателей, особенно женщин и бедноты. "
    "Явка выросла почти вдвое по сравнению с первой кампанией.\n\n"
    "Историки спорят о том, была ли кампания уступкой крестьянству или способом укрепить контроль "
    "партии над деревней. Архивные документы показывают обе тенденции одновременно.\n\n"
    "Кузнецкий округ был создан в 1925 году. Коллективизация в округе шла медленно, потому что "
    "крестьяне не хотели отдавать скот и инвентарь в колхозы.\n"
)
EN = (
    "The first five-year plan began in 1928. Peasants were pressed to join collective farms, "
    "and the state set high quotas for grain deliveries.\n\n"
    "Grain procurement caused famine in several regions of the country during 1932 and 1933. "
    "Millions of people died of hunger while grain was still exported abroad.\n\n"
    "Steel output at Magnitogorsk grew quickly after the blast furnaces were lit in 1932. "
    "Workers lived in tents and barracks during the first winters on the construction site.\n\n"
    "The railway to the Kuznetsk basin carried coal west to the Urals and iron ore back east. "
    "This exchange was known as the Ural-Kuznetsk combine.\n\n"
    "Historians still debate whether the pace of industrialisation was necessary for defence "
    "or a political choice that the leadership imposed on a reluctant population.\n\n"
    "Foreign engineers, many of them American, designed the tractor plants at Stalingrad and "
    "Kharkov and trained the first Soviet crews to run the assembly lines.\n"
)
QUESTIONS = [
    # literal: words of the evidence; cross: English question, Russian document
    {"id": "t1", "lang": "ru", "question": "Где проголосовали менее 35 % избирателей, отменить результаты выборов?",
     "source": "ru.txt", "evidence": "отменить результаты выборов и провести", "answer": "перевыборы",
     "kind": "number", "paraphrase": False},
    {"id": "t2", "lang": "en", "question": "When were the blast furnaces at Magnitogorsk lit?",
     "source": "en.md", "evidence": "after the blast furnaces were lit in 1932", "answer": "1932",
     "kind": "date", "paraphrase": False},
    {"id": "t3", "lang": "en", "question": "What did the railway to the Kuznetsk basin carry?",
     "source": "en.md", "evidence": "carried coal west to the Urals", "answer": "coal", "kind": "fact",
     "paraphrase": True},
    {"id": "t4", "lang": "en", "question": "When was the Kuznetsk district created?",
     "source": "ru.txt", "evidence": "Кузнецкий округ был создан в 1925 году.", "answer": "1925",
     "kind": "date", "paraphrase": True},
    {"id": "t5", "lang": "ru", "question": "Сколько стоил билет в оперу в Париже?", "source": None,
     "evidence": None, "answer": None, "kind": "unanswerable", "paraphrase": False},
]
SMALL = rag.Settings(chunk_size=200, chunk_overlap=40)


@pytest.fixture
def docs(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "ru.txt").write_text(RU, encoding="utf-8")
    (d / "en.md").write_text(EN, encoding="utf-8")
    return d


@pytest.fixture
def questions(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return f


@pytest.fixture
def index(docs, tmp_path, dict_prefix):
    return rag.build([docs], tmp_path / "index", model=FakeEmbedder(), settings=SMALL.replace(dictionary=str(dict_prefix)))


def hit(source: str, start: int, end: int) -> Hit:
    return Hit(text="x", source=source, start=start, end=end, page=None, lang="en", score=0.0)


# ------------------------------------------------------------- metrics
def test_ranx_metrics_equal_hand_computed_figures():
    # first relevant passage at ranks 2, none, 1 (two relevant), 7
    judged = [[False, True, False], [], [True, True], [False] * 6 + [True]]
    m = metrics(judged)
    ndcg = (1 / math.log2(3) + 0 + 1 + 1 / math.log2(8)) / 4
    assert m == {"n": 4, "r@1": 0.25, "r@5": 0.5, "r@10": 0.75, "mrr@10": round((1 / 2 + 1 + 1 / 7) / 4, 3),
                 "ndcg@10": round(ndcg, 3)}
    assert recall_curve(judged) == [0.25, 0.5, 0.5, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 0.75]


def test_a_question_with_nothing_relevant_counts_as_zero():
    assert metrics([[True], [False, False]])["r@10"] == 0.5
    assert metrics([[True], []])["mrr@10"] == 0.5
    assert metrics([])["n"] == 0


def test_relevance_beyond_10_does_not_count():
    m = metrics([[False] * 10 + [True]])
    assert (m["r@10"], m["mrr@10"], m["ndcg@10"]) == (0.0, 0.0, 0.0)


def test_overlap_rule():
    it = Item("x", "en", "q", "a.txt", "e" * 50, "a", "fact", False, span=(100, 150))
    assert not overlaps(hit("a.txt", 50, 100), it)  # ends where the evidence starts
    assert overlaps(hit("a.txt", 50, 101), it)
    assert overlaps(hit("a.txt", 149, 300), it)
    assert not overlaps(hit("a.txt", 150, 300), it)  # starts where the evidence ends
    assert overlaps(hit("a.txt", 110, 120), it)  # inside
    assert overlaps(hit("a.txt", 0, 1000), it)  # around
    assert not overlaps(hit("b.txt", 100, 150), it)  # same span, other file
    assert rank_of([hit("b.txt", 100, 150), hit("a.txt", 0, 10), hit("a.txt", 120, 130)], it) == 3


def test_abstention_precision_and_recall():
    # (answerable, found): 3 answered, 1 answerable declined, 2 unanswerable declined, 1 unanswerable answered
    outcomes = [(True, True)] * 3 + [(True, False)] + [(False, False)] * 2 + [(False, True)]
    a = abstention_scores(outcomes)
    assert a["declined"] == 3
    assert a["precision"] == round(2 / 3, 3)  # 2 of the 3 declined are truly unanswerable
    assert a["recall"] == a["abstain_unanswerable"] == round(2 / 3, 3)  # 2 of the 3 unanswerable declined
    assert a["answer_answerable"] == 0.75
    none_declined = abstention_scores([(True, True), (False, True)])
    assert none_declined["precision"] is None and none_declined["recall"] == 0.0


def test_latency_percentiles():
    lt = latency([i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert lt["p50_ms"] == 50.5 and lt["p95_ms"] == pytest.approx(95.0, abs=0.1)
    assert latency([])["p50_ms"] is None


# ------------------------------------------------------------ inputs
def test_load_questions_from_file_or_folder(questions, docs):
    items = load_questions(questions, docs)
    assert [i.id for i in items] == [q["id"] for q in QUESTIONS]
    raw = (docs / "ru.txt").read_text(encoding="utf-8")
    t1 = items[0]
    assert raw[t1.span[0] : t1.span[1]] == t1.evidence
    assert [(i.lang, i.doc_lang) for i in items[:4]] == [("ru", "ru"), ("en", "en"), ("en", "en"), ("en", "ru")]
    assert not items[4].answerable
    assert [i.id for i in load_questions(questions.parent, docs)] == [i.id for i in items]


def test_load_questions_rejects_evidence_not_verbatim(tmp_path, docs):
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps({**QUESTIONS[0], "evidence": "not in the file"}), encoding="utf-8")
    with pytest.raises(ValueError, match="not found verbatim"):
        load_questions(f, docs)


def test_parse_config(tmp_path):
    assert parse_config(None) == {}
    assert parse_config('{"lex_weight": 2}') == {"lex_weight": 2}
    f = tmp_path / "c.json"
    f.write_text('{"sent_weight": 0}', encoding="utf-8")
    assert parse_config(str(f)) == {"sent_weight": 0}
    with pytest.raises(ValueError, match="unknown settings nope"):
        parse_config({"nope": 1})


def test_reconfigured_restores_settings(index):
    before = index.settings
    with reconfigured(index, sent_weight=0.0):
        assert index.settings.sent_weight == 0.0
    assert index.settings == before


def test_swapped_searches_with_other_vectors_then_restores_the_index(index, questions, docs):
    items = load_questions(questions, docs)
    q = "When were the blast furnaces at Magnitogorsk lit?"
    before, figures = index.search(q, k=3, retriever="dense"), headline(index, items)
    assert set(figures) == {"all r@1/r@5/mrr@10", "cross r@1/r@5/mrr@10", "same r@1/r@5/mrr@10",
                            "declined / answered", "quote@1"}
    assert len({round(h.score, 6) for h in before}) > 1
    p = index.payload
    cv, sv = p.chunk_vectors, p.sent_vectors
    # every passage's vector replaced by the first one's: dense search cannot tell passages apart
    with swapped(index, cv[[0] * len(cv)], sv):
        inside = index.search(q, k=3, retriever="dense")
        assert len({round(h.score, 6) for h in inside}) == 1
    assert p.chunk_vectors is cv and p.sent_vectors is sv
    assert index.search(q, k=3, retriever="dense") == before
    assert headline(index, items) == figures
    with pytest.raises(RuntimeError), swapped(index, cv[::-1].copy(), sv):
        raise RuntimeError("an evaluation failed")
    assert p.chunk_vectors is cv and index.search(q, k=3, retriever="dense") == before


# ------------------------------------------------------------ baseline
def test_baseline_hits_are_raw_text_spans(docs):
    long = "\n\n".join(EN.split("\n\n") * 3)  # > 1000 characters: several chunks, starts > 0
    (docs / "long.txt").write_text(long, encoding="utf-8")
    b = Baseline.build([docs], FakeEmbedder())
    assert len({c.source for c in b.chunks}) == 3 and sum(c.source == "long.txt" for c in b.chunks) >= 2
    hits = b.search("blast furnaces at Magnitogorsk", 10)
    assert len(hits) == len(b.chunks) < 10 and any(h.start > 0 for h in hits)  # k beyond the corpus: all
    for h in hits:
        raw = (docs / h.source).read_text(encoding="utf-8")
        assert raw[h.start : h.end] == h.text
    # no cleaning: the word broken across the line stays broken
    assert any("электораль-\nной" in c.text for c in b.chunks)
    assert hits[0].score >= hits[-1].score


# ------------------------------------------------------------ the run
def test_run_eval_writes_report_for_every_configuration(index, questions, docs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    xq = {"en->en": {"n": 2, "r@1": 0.5, "r@5": 1.0, "r@10": 1.0, "mrr@10": 0.75},
          "en quote accuracy": {"n": 2, "acc": 0.5}}
    (out / "xquad.json").write_text(json.dumps(xq), encoding="utf-8")
    before = index.settings
    res = run_eval(questions, index, config={"lex_weight": 3.0}, out=out, corpus=docs)

    assert index.settings == before  # the caller's index is left as it was
    assert res["settings"]["lex_weight"] == 3.0
    assert [c["name"] for c in res["configs"]] == ["dense", "bm25", "bm25+bridge", "hybrid_norerank",
                                                   "hybrid_nobridge", DEFAULT, "baseline"]
    assert res["notices"] == []
    for c in res["configs"]:
        a = c["slices"]["all"]
        assert a["n"] == 4 and 0 <= a["r@1"] <= a["r@5"] <= a["r@10"] <= 1
        assert {"all", "cross", "same", "paraphrase", "q_ru", "q_en", "en->ru", "kind:date", "doc:ru.txt"} \
            <= set(c["slices"])
        assert c["recall_at_k"][0] == a["r@1"] and c["recall_at_k"][4] == a["r@5"]
        assert c["search"]["n"] == 4 and c["search"]["p50_ms"] <= c["search"]["p95_ms"]
        for m in c["missed"]:
            assert m["rank"] is None or m["rank"] > 5
            assert len(m["got"]) <= 5 and all(len(g["text"]) <= 120 for g in m["got"])
    # BM25 finds the literal same-language questions at the top
    bm25 = next(c for c in res["configs"] if c["name"] == "bm25")
    assert bm25["slices"]["same"]["r@1"] == 1.0
    assert res["abstention"]["unanswerable"] == 1 and res["abstention"]["answerable"] == 4
    assert {"abstain_unanswerable", "answer_answerable", "precision", "recall"} <= set(res["abstention"])
    assert "quote@1" in res["quotes"] and res["configs"][5]["ask"]["n"] == 5

    saved = json.loads((out / "corpus_eval.json").read_text(encoding="utf-8"))
    assert saved["configs"][5]["slices"] == res["configs"][5]["slices"]
    md = (out / "corpus_eval.md").read_text(encoding="utf-8")
    for name, label in LABELS.items():
        assert (label in md) == (name != "hybrid+reader")  # the reader only when asked for
    for section in ("## Abstention", "## Quotes", "## XQuAD", "### language pair", "## Missed",
                    "![recall@k](recall_at_k.png)"):
        assert section in md
    assert (out / "recall_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_eval_without_the_dictionary_leaves_the_bridge_out_and_says_so(docs, questions, tmp_path):
    idx = rag.build([docs], tmp_path / "i", model=FakeEmbedder(),
                    settings=SMALL.replace(dictionary=str(tmp_path / "missing")))
    res = run_eval(questions, idx, out=tmp_path / "out", corpus=docs)
    assert [c["name"] for c in res["configs"]] == ["dense", "bm25", "hybrid_norerank", DEFAULT, "baseline"]
    assert len(res["notices"]) == 1 and "mueller7-dict" in res["notices"][0]
    assert "mueller7-dict" in (tmp_path / "out" / "corpus_eval.md").read_text(encoding="utf-8")


@pytest.fixture
def fake_model(monkeypatch):
    # rag.load names the model from the manifest; hand it the fake one instead of loading e5
    monkeypatch.setattr("rag.index.load_embedder", lambda model=None, **kw: FakeEmbedder())


def test_python_m_eval(fake_model, docs, questions, tmp_path, capsys):
    from eval.run import main

    folder = tmp_path / "idx"
    rag.build([docs], folder, model=FakeEmbedder(), settings=SMALL.replace(dictionary=str(write_dictd(tmp_path / "d"))))
    out = tmp_path / "res"
    code = main([str(questions), "--index", str(folder), "--out", str(out), "--corpus", str(docs),
                 "--config", '{"sent_weight": 1.0}'])
    assert code == 0
    stdout = capsys.readouterr().out
    for name in LABELS:
        # the reader reads with e5's vectors: left out, not failed, for another model's index
        assert (name in stdout) == (name != "hybrid+reader")
    assert json.loads((out / "corpus_eval.json").read_text(encoding="utf-8"))["settings"]["sent_weight"] == 1.0
    assert (out / "corpus_eval.md").is_file() and (out / "recall_at_k.png").is_file()


def test_python_m_eval_builds_a_missing_index(fake_model, docs, questions, tmp_path):
    from eval.run import main

    folder = tmp_path / "new-index"
    assert main([str(questions), "--index", str(folder), "--out", str(tmp_path / "r"),
                 "--corpus", str(docs)]) == 0
    assert (folder / "manifest.json").is_file()


@pytest.mark.parametrize("args", [["--config", '{"nope": 1}'], ["--config", "{ not json"]])
def test_python_m_eval_bad_config_is_a_usage_error(docs, questions, tmp_path, args, capsys):
    from eval.run import main

    with pytest.raises(SystemExit) as e:
        main([str(questions), "--index", str(tmp_path / "i"), "--corpus", str(docs), *args])
    assert e.value.code == 2 and "--config" in capsys.readouterr().err


def test_xquad_table_reads_old_and_new_results():
    from eval.report import xquad_table

    old = {"chunks": 3, "en->ru": {"n": 8, "r@1": 0.5, "r@5": 1.0, "r@10": 1.0, "mrr@10": 0.75},
           "ru quote accuracy": {"n": 8, "acc": 0.25}}
    new = {"en->ru": {**old["en->ru"], "ndcg@10": 0.8}}
    assert "| en->ru | 8 | 0.500 | 1.000 | 1.000 | 0.750 | — |" in xquad_table(old)  # before nDCG was added
    assert "ru 0.250 (n=8)" in xquad_table(old)
    assert "| 0.800 |" in xquad_table(new)
