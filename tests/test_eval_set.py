"""The corpus question set is well-formed: every evidence quote is verbatim and unique."""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).parent.parent
FIELDS = {"id", "lang", "question", "source", "evidence", "answer", "kind", "paraphrase"}


def items() -> list[dict]:
    out = []
    for f in sorted((ROOT / "eval" / "questions").glob("*.jsonl")):
        out += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def test_fields_and_unique_ids():
    its = items()
    assert all(set(i) == FIELDS for i in its)
    assert len({i["id"] for i in its}) == len(its)
    assert {i["lang"] for i in its} == {"ru", "en"}


def test_every_evidence_quote_occurs_exactly_once():
    corpus = ROOT / "data" / "corpus"
    for i in items():
        if i["source"] is None:
            assert i["evidence"] is None and i["kind"] == "unanswerable"
            continue
        raw = (corpus / i["source"]).read_text(encoding="utf-8")
        assert raw.count(i["evidence"]) == 1, i["id"]


def test_composition():
    from eval.run import load_questions

    its = load_questions()
    ans = [i for i in its if i.answerable]
    assert len(its) >= 120 and len(its) - len(ans) >= 15
    assert sum(i.lang != i.doc_lang for i in ans) >= 0.35 * len(ans)
    assert sum(i.paraphrase for i in ans) >= 0.20 * len(ans)
    assert {i.source[:3] for i in ans} == {"000", "001", "002", "003", "004"}
