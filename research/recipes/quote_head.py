"""The quote's token head, rag/models/quote-head.safetensors (issue 27): research/quote_head.py's
head, trained as it measured best among what an index can keep, on every training article.

    python -m eval.quotes collect                   # once: the product's candidates of every question
    python -m research.recipes.quote_head [--out rag/models/quote-head.safetensors]

d 64, the passage side as signs (8 bytes a token in the index), 8 epochs at lr 1e-3, seed 0,
on the candidates of XQuAD's training articles (0-23) in en, ru, de, es, zh; never the held-out
articles, never eval/questions. Writes W (384 x 64), mu (384) and v (384), float32; the model
card is rag/models/README.md.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from eval.quotes import HELD_OUT
from research.common import CORPUS_INDEX, quote_records
from research.quote_head import STATES_FILE, Examples, load_states, train_head

OUT = Path(__file__).resolve().parents[2] / "rag" / "models" / "quote-head.safetensors"
D, STORE, EPOCHS, LR = 64, "sign", 8, 1e-3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(OUT))
    a = ap.parse_args(argv)
    import torch
    from safetensors.numpy import save_file

    import rag

    torch.set_num_threads(2)
    recs = quote_records()
    st = load_states(rag.load(CORPUS_INDEX).searcher.embedder, recs, STATES_FILE)
    train = [k for k, r in enumerate(recs) if r["set"] != "corpus" and any(r["labels"]) and r["article"] not in HELD_OUT]
    head, _ = train_head(torch, Examples(recs, st), recs, st, train, D, (EPOCHS,), LR, STORE)
    tensors = {k: getattr(head, k).detach().numpy().astype(np.float32).copy() for k in ("W", "mu", "v")}
    save_file(tensors, a.out, metadata={"d": str(D), "store": STORE, "epochs": str(EPOCHS), "lr": str(LR),
                                        "questions": str(len(train))})
    print(f"wrote {a.out}: {', '.join(f'{k} {v.shape}' for k, v in tensors.items())}, {len(train)} questions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
