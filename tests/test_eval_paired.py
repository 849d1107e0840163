"""The adoption rule's statistics (eval/paired.py, eval/adopt.py) on made-up outcomes."""
import json
import math

import pytest

from eval.adopt import compare, holm, table, verdict
from eval.paired import binomial_two_sided, bootstrap, mcnemar


def test_binomial_tail_matches_the_exact_sum():
    # 2 of 10 fair coins or fewer, or 8 or more: (1 + 10 + 45) * 2 / 1024
    assert binomial_two_sided(2, 10) == pytest.approx(112 / 1024)
    assert binomial_two_sided(8, 10) == binomial_two_sided(2, 10)
    assert binomial_two_sided(5, 10) == 1.0 and binomial_two_sided(0, 0) == 1.0


def test_mcnemar_counts_only_the_questions_they_disagree_on():
    a = [True] * 900 + [True] * 30 + [False] * 70
    b = [True] * 900 + [False] * 30 + [False] * 70  # B loses 30, wins none
    r = mcnemar(a, b)
    assert (r.n, r.a_only, r.b_only) == (1000, 30, 0)
    assert r.p == pytest.approx(2 * 0.5**30) and r.worse and not r.better
    assert r.diff == pytest.approx(-0.03) and r.low < r.diff < r.high < 0


def test_a_few_flipped_questions_either_way_are_not_a_loss():
    a = [True] * 100 + [False] * 5 + [True] * 3
    b = [True] * 100 + [True] * 5 + [False] * 3  # 5 won, 3 lost
    r = mcnemar(a, b)
    assert (r.a_only, r.b_only) == (3, 5) and r.p > 0.5 and not r.worse and not r.better


def test_bootstrap_of_a_graded_figure():
    a = [1.0, 0.5, 0.0, 1.0] * 250
    same = bootstrap(a, a)
    assert same.diff == 0 and same.p == 1.0 and not same.worse
    lower = bootstrap(a, [x * 0.9 for x in a])
    assert lower.worse and lower.high < 0 and lower.diff == pytest.approx(-0.0625)


def test_unpaired_lengths_are_refused():
    with pytest.raises(ValueError, match="same length"):
        mcnemar([True], [True, False])
    with pytest.raises(ValueError, match="same length"):
        bootstrap([1.0], [])


def test_holm_adjusts_step_down_and_keeps_order():
    adj = holm([0.01, 0.04, 0.03])
    assert adj == pytest.approx([0.03, 0.06, 0.06])
    assert all(x <= 1 for x in holm([0.5, 0.9, 0.7]))


def _rows(n: int, lose: int, name: str = "xquad-en") -> tuple[list[dict], list[dict]]:
    a = [{"set": name, "id": str(i), "hit@1": True, "hit@5": True, "rr@10": 1.0, "quote": True} for i in range(n)]
    b = [{**r, "hit@1": i >= lose, "rr@10": 1.0 if i >= lose else 0.5} for i, r in enumerate(a)]
    return a, b


def test_the_verdict_refuses_a_significant_loss_and_names_it():
    a, b = _rows(200, lose=20)
    res = compare(a, b)
    adopt, worse = verdict(res)
    assert not adopt and any(w.startswith("hit@1") for w in worse) and any(w.startswith("rr@10") for w in worse)
    assert "keep A" in table(res, {"docs": "fp32"}, {"docs": "int8"})


def test_the_verdict_adopts_when_nothing_is_significantly_worse():
    a, b = _rows(200, lose=1)
    c, d = _rows(50, lose=0, name="corpus")
    res = compare(a + c, b + d)
    assert verdict(res) == (True, [])
    assert res["all"]["hit@1"].n == 250 and math.isclose(res["corpus"]["quote"].diff, 0)
    assert "adopt B" in table(res, {}, {})


def test_questions_asked_of_one_variant_only_are_left_out():
    a, b = _rows(10, lose=0)
    res = compare(a, b[:6])
    assert res["all"]["hit@1"].n == 6


def test_a_change_of_code_keeps_b_outcomes_apart(tmp_path):
    # --answers-b: A's outcomes (asked before the change) and B's (after it) share one variant
    # tag and the indexes, not the outcome files
    from eval.adopt import outcomes, tag

    cache, answers = tmp_path / "cache", tmp_path / "b"
    for root, flagged in ((cache, False), (answers, True)):
        (root / tag({})).mkdir(parents=True)
        row = {"set": "corpus", "id": "u1", "declined": False, "flagged": flagged}
        (root / tag({}) / "corpus.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    args = ({}, (), tmp_path, cache, tmp_path, tmp_path, [])
    a, b = outcomes(*args, cached_only=True), outcomes(*args, cached_only=True, answers=answers)
    assert [r["flagged"] for r in a] == [False] and [r["flagged"] for r in b] == [True]
    res = compare(a, b)
    assert res["all"]["flagged"].diff == 1.0 and res["all"]["declined"].diff == 0
