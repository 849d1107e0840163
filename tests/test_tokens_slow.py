"""The embedder's token states with the real model (slow): same run, spans into the text."""
from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_passage_token_states_come_with_spans_into_the_text_and_leave_the_vectors_alone():
    from rag.embed import load_embedder
    from rag.tokens import load_head

    emb = load_embedder()
    texts = ["Tesla moved to New York in 1884.", "В 1924 году явка составила 37,2 %."]
    got = {}
    with_states = emb.embed_passages(texts, states=lambda i, h, sp: got.setdefault(i, (h, sp)))
    np.testing.assert_array_equal(with_states, emb.embed_passages(texts))
    for i, t in enumerate(texts):
        h, sp = got[i]
        assert h.shape == (len(sp), emb.dim) and len(sp) >= 5
        assert "".join(t[a:b] for a, b in sp).replace(" ", "") == t.replace(" ", "")  # every character once
    head = load_head()
    q = {}
    emb.embed(["When did Tesla move to New York?"], "query", states=lambda i, h, sp: q.setdefault(i, h))
    codes = [head.codes(got[i][0]) for i in range(2)]
    s = head.scores(q[0], codes)
    assert s[0] > s[1]  # the sentence that answers, read against the question's tokens
