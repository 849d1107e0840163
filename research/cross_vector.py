"""How much of Chinese's gap across languages is the question's vector? (issue 30, zh -> mixed)

ask() reads passages in other languages with Query.cross_vector (rag/searcher.py cross_vector):
the question's own e5 vector with its English gloss's mixed in (Settings.gloss_weight 0.3).
This swaps that vector, nothing else (BM25, the bridge, the sentence scores all as they are),
and measures the whole pipeline, ask() over the eval.xquad_langs indexes, XQuAD's Chinese
questions into the English paragraphs (`en`) and into the en + ru ones (`mixed`), r@1 / r@5 /
first quote, training and held-out articles apart:

  - `e5`: today's cross vector;
  - `oracle` / `oracle0.5`: the same question's English original (XQuAD is parallel) encoded,
    in place of the cross vector or mixed half and half: what a perfect translation gives, the
    ceiling of any question-side change;
  - `shift:q` / `shift:p` (`@A` its weight, 0.5 unless given): today's cross vector moved by
    the mean difference between English and Chinese e5 vectors of the training articles'
    questions (`q`) or paragraphs (`p`), as questions: one language offset, no map;
  - `student:FILE`: a question student's vector (research/question_distill.py --save: the
    weight changes of a LoRA student of e5, taught the English question's vector) with the
    gloss mixed in as today. A student trained on XQuAD's training articles makes their
    figures meaningless: judge it held out.

    python -m research.cross_vector [--variants e5,oracle,oracle0.5,shift:p,student:FILE] [--directions en,mixed]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from eval.quotes import paragraphs
from eval.xquad import DEFAULT_DATA, HELD_OUT
from research.common import write_json

LANG = "zh"


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def student_encoder(deltas: Path):
    """text -> the student's question vector (e5 with the saved weight changes added)."""
    import torch
    from safetensors.numpy import load_file

    from rag.convert import ensure_e5_small
    from research.question_distill import encode, encoder

    tok, model = encoder(ensure_e5_small())
    with torch.no_grad():
        for name, delta in load_file(str(deltas)).items():
            model.get_submodule(name).weight += torch.from_numpy(delta)
    memo: dict[str, np.ndarray] = {}

    def vector(text: str) -> np.ndarray:
        if text not in memo:
            memo[text] = encode(tok, model, [text]).numpy()[0].astype(np.float64)
        return memo[text]

    return vector


def language_shift(data: Path, kind: str) -> np.ndarray:
    """Mean English e5 vector less the mean Chinese one, over the training articles' questions
    (`q`) or paragraphs (`p`), each encoded as a question."""
    from rag.embed import load_embedder

    emb, means = load_embedder(), []
    for lang in ("en", LANG):
        texts = [t for para in paragraphs(data, lang) if para["article"] not in HELD_OUT
                 for t in ([q for _, q, _ in para["qas"]] if kind == "q" else [para["context"]])]
        v = emb.embed_queries(texts)
        means.append((v / np.linalg.norm(v, axis=1, keepdims=True)).mean(0))
    return means[0] - means[1]


def patch(variant: str, data: Path) -> None:
    """rag.searcher.cross_vector for Chinese questions as `variant` makes it."""
    import rag.searcher as searcher

    today = getattr(searcher, "_today_cross_vector", searcher.cross_vector)
    searcher._today_cross_vector = today
    if variant == "e5":
        searcher.cross_vector = today
        return
    english = {qx: qe for pe, px in zip(paragraphs(data, "en"), paragraphs(data, LANG))
               for (_, qe, _), (_, qx, _) in zip(pe["qas"], px["qas"])}
    student = student_encoder(Path(variant.split(":", 1)[1])) if variant.startswith("student:") else None
    if variant.startswith("shift:"):
        kind, _, weight = variant.split(":", 1)[1].partition("@")
        shift, weight = language_shift(data, kind), float(weight or 0.5)

    def cross(q, lexicon, settings):
        if q.lang != LANG or q.text not in english:
            return today(q, lexicon, settings)
        if variant.startswith("shift:"):
            v = _unit(today(q, lexicon, settings)) + weight * shift
        elif variant.startswith("oracle"):
            w = float(variant[len("oracle"):] or 1)
            v = (1 - w) * _unit(today(q, lexicon, settings)) + w * _unit(q.embed(english[q.text]))
        else:
            v, w = _unit(student(q.text)), settings.gloss_weight
            gloss = lexicon.gloss(q.text, q.lang) if lexicon is not None and w else None
            if gloss:
                v = (1 - w) * v + w * _unit(q.embed(gloss))
        return _unit(v).astype(q.vector.dtype)

    searcher.cross_vector = cross


def main(argv: list[str] | None = None) -> int:
    from eval.xquad_langs import ask_rows, current, figures, language_index, mixed_docs, variant_index

    p = argparse.ArgumentParser(prog="python -m research.cross_vector")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--variants", default="e5,oracle,oracle0.5")
    p.add_argument("--directions", default="en,mixed")
    p.add_argument("--out", type=Path, default=Path("results/cross_vector.json"))
    a = p.parse_args(argv)
    where = current()
    indexes = {"en": lambda: language_index(a.data, "en", where),
               "mixed": lambda: variant_index(mixed_docs(a.data, where), where / "mixed", {})}
    training = sorted({x["article"] for x in paragraphs(a.data, LANG)} - set(HELD_OUT))
    res = {}
    for variant in a.variants.split(","):
        patch(variant, a.data)
        for d in a.directions.split(","):
            idx = indexes[d]()
            for part, arts in (("training", training), ("held out", HELD_OUT)):
                f = figures(ask_rows(idx, a.data, LANG, d, None, articles=arts))
                res[f"{variant} {d} {part}"] = {k: f[k] for k in ("n", "r@1", "r@5", "quote")}
                print(variant, d, part, res[f"{variant} {d} {part}"], flush=True)
    patch("e5", a.data)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
