"""The answer layer's evaluation (eval/quotes.py, eval/calibrate.py) on small made-up data."""
from __future__ import annotations

import numpy as np

from eval.calibrate import calibrate, rates
from eval.quotes import fit, near_miss, normal, top_is_gold, typed_gold


def test_near_miss_changes_a_number_to_one_the_article_never_writes():
    rng = np.random.default_rng(0)
    article = "In 1924 the turnout was 35 percent; in 1925, 41 percent; in 1926, 47 percent."
    q = near_miss("What was the turnout in 1925?", article, rng)
    assert q is not None and q != "What was the turnout in 1925?"
    new = q.removeprefix("What was the turnout in ").removesuffix("?")
    assert len(new) == 4 and new.isdigit() and new not in article
    assert near_miss("Who won the election?", article, rng) is None


def test_normal_is_squads_answer_normalisation():
    assert normal("The  Merkits!") == normal("merkits") == "merkits"
    assert normal("«1891 году»") == "1891 году"
    assert normal("$5 million") == normal("5 million")


def test_typed_gold_is_a_digit_or_a_who_question():
    assert typed_gold("How many?", ["12 votes"]) and typed_gold("Who won?", ["Ward"])
    assert typed_gold("Кто победил?", ["Уорд"]) and not typed_gold("Why?", ["because"])


def _groups(n, rng):
    """Candidates whose answer is the one with the highest feature 1 (feature 0 is noise)."""
    out = []
    for _ in range(n):
        x = rng.normal(size=(5, 2))
        labels = [bool(i == int(np.argmax(x[:, 1]))) for i in range(5)]
        out.append({"features": x.tolist(), "labels": labels})
    return out


def test_fit_finds_the_feature_that_marks_the_answer():
    rng = np.random.default_rng(1)
    train, test = _groups(200, rng), _groups(100, rng)
    w = fit(train, steps=300)
    assert w[1] > 2 * abs(w[0])
    assert top_is_gold(test, w) > 0.9 > top_is_gold(test, np.array([1.0, 0.0]))


def test_fit_pads_questions_of_unequal_size_without_weighing_the_padding():
    """The padded fit equals the conditional logit's gradient ascent question by question."""
    rng = np.random.default_rng(2)
    recs = []
    for n in (2, 7, 3, 12, 5) * 8:
        x = rng.normal(size=(n, 3))
        recs.append({"features": x.tolist(), "labels": [bool(i == int(np.argmax(x[:, 2] + x[:, 0]))) for i in range(n)]})
    w = np.array([1.0, 0.0, 0.0])
    for _ in range(40):  # the plain loop, as eval.quotes.fit is defined
        g = -0.01 * w
        for r in recs:
            x, y = np.asarray(r["features"]), np.asarray(r["labels"])
            p = np.exp(x @ w - (x @ w).max())
            p /= p.sum()
            g += ((p[y] / p[y].sum()) @ x[y] - p @ x) / len(recs)
        w = w + 0.5 * g
    np.testing.assert_allclose(fit(recs, steps=40), w, atol=1e-12)


def test_calibrate_takes_the_highest_thresholds_that_answer_enough():
    # (set, answerable, candidate cosines, across languages?, declined by constraints)
    rows = [("s", True, np.array([c, 0.70]), np.array([False, True]), False) for c in (0.83, 0.84, 0.85, 0.86)]
    rows += [("s", True, np.array([0.70, c]), np.array([False, True]), False) for c in (0.80, 0.81)]
    rows += [("s", False, np.array([0.90]), np.array([False]), True)]  # a near miss declined by its constraint
    same, cross = calibrate(rows, answer_rate=1.0)
    assert abs(same - 0.83) < 1e-9 and abs(cross - 0.80) < 1e-9
    answered, declined = rates(rows, same, cross)["s"]
    assert answered == 1.0 and declined == 1.0
    assert rates(rows, same + 0.01, cross)["s"][0] < 1.0


def test_collect_asks_across_languages_and_keeps_the_sets_it_was_not_asked(tmp_path, monkeypatch):
    import json

    from eval import quotes

    data, cache = tmp_path / "xquad", tmp_path / "cache"
    data.mkdir()
    (data / "xquad.en.dev.json").write_text("{}", encoding="utf-8")
    cache.mkdir()
    old = [{"set": "xquad-vi", "id": "v1"}, {"set": "xquad-de", "id": "stale"}, {"set": "corpus", "id": "c0"}]
    (cache / "features.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old), encoding="utf-8")
    asked = []

    def collect_xquad(_data, lang, _cache, over=None):
        asked.append((lang, over))
        return [{"set": quotes.set_name(lang, over), "id": f"{lang}{over}"}]

    monkeypatch.setattr(quotes, "collect_xquad", collect_xquad)
    monkeypatch.setattr(quotes, "collect_corpus", lambda _index: [{"set": "corpus", "id": "c1"}])
    assert quotes.main(["collect", "--langs", "en,de", "--across", "en", "--data", str(data), "--cache", str(cache)]) == 0
    assert sorted(asked, key=str) == sorted([("en", None), ("de", None), ("de", "en")], key=str)
    got = {(r["set"], r["id"]) for r in map(json.loads, (cache / "features.jsonl").read_text(encoding="utf-8").splitlines())}
    assert got == {("xquad-vi", "v1"), ("corpus", "c1"), ("xquad-en", "enNone"), ("xquad-de", "deNone"),
                   ("xquad-de>en", "deen")}  # vi kept; de and the corpus asked again
    assert quotes.index_folder("xquad-de>en", cache, "idx") == cache / "en"
    assert quotes.index_folder("xquad-de", cache, "idx") == cache / "de"
    assert str(quotes.index_folder("corpus", cache, "idx")) == "idx"
