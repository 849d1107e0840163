"""The quote's token head, rag/models/quote-head.safetensors (issue 27): research/quote_head.py's
head, trained as it measured best among what an index can keep, on every training article;
and the head's scores of every eval.quotes record that `python -m eval.quotes fit` fits
Settings.token_quote_weights on.

    python -m eval.quotes collect                   # once: the product's candidates of every question
    python -m research.recipes.quote_head [--out rag/models/quote-head.safetensors]
    python -m eval.quotes fit                       # then: the quote's weights with the head's column

d 64, the passage side as signs (8 bytes a token in the index), 8 epochs at lr 1e-3, seed 0,
on the candidates of XQuAD's training articles (0-23) in en, ru, de, es, zh (`--sets`: more
languages, or across them, did not help: research/quote_head_langs.py); never the held-out
articles, never eval/questions. Writes W (384 x 64), mu (384), v (384) and scale (the centred
scores' standard deviation on the training questions), float32; the model card is
rag/models/README.md.

Cross-fitting (as research/quote_head.py judged it): a record of a training article gets the
score of a head trained on the other half of the training articles (by article parity), so the
logit fitted on it learns how far an unseen question's score is to be trusted; held-out
articles and eval/questions get the shipped head's. The columns go to COLUMNS, tagged with the
head file's digest (rag/tokens.py load_head), which eval.quotes fit checks.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from eval.quotes import CACHE, HELD_OUT, LANGS, record_key
from research.common import CORPUS_INDEX, quote_records
from research.quote_head import STATES_FILE, Examples, load_states, train_head

OUT = Path(__file__).resolve().parents[2] / "rag" / "models" / "quote-head.safetensors"
COLUMNS = CACHE / "token-column.json"
D, STORE, EPOCHS, LR = 64, "sign", 8, 1e-3


def same_tensors(path: Path, tensors: dict[str, np.ndarray]) -> bool:
    """Whether the head file at `path` holds exactly these tensors. The file is then kept: its
    bytes, hence the digest indexes name (rag/tokens.py), would differ by the metadata's order
    alone (safetensors writes it from a hash map), and every index would read as another head's."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        old = load_file(str(path))
    except (OSError, SafetensorError):  # missing or not a head file: write it
        return False
    return old.keys() == tensors.keys() and all(np.array_equal(old[k], v) for k, v in tensors.items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    ap.add_argument("--sets", default=",".join(f"xquad-{x}" for x in LANGS),
                    help="the record sets trained on, comma-separated, or all (research/quote_head_langs.py)")
    a = ap.parse_args(argv)
    import torch
    from safetensors.numpy import save_file

    import rag
    from rag.tokens import load_head

    torch.set_num_threads(2)
    recs = quote_records(labelled=False, refeatured=False)  # every record with candidates: each gets a column
    st = load_states(rag.load(CORPUS_INDEX).searcher.embedder, recs, STATES_FILE)
    ex = Examples(recs, st)
    trained = [k for k, r in enumerate(recs) if r["set"] != "corpus" and r["article"] not in HELD_OUT]
    sets = None if a.sets == "all" else set(a.sets.split(","))
    train = [k for k in trained if any(recs[k]["labels"]) and (sets is None or recs[k]["set"] in sets)]
    head, full = train_head(torch, ex, recs, st, train, D, (a.epochs,), LR, STORE)
    arts = sorted({recs[k]["article"] for k in train})
    half = {k: arts.index(recs[k]["article"]) % 2 for k in trained}
    oof = [train_head(torch, ex, recs, st, [k for k in train if half[k] != h], D, (a.epochs,), LR, STORE)[1][a.epochs]
           for h in (0, 1)]
    cols = [oof[half[k]][k] if k in half else c for k, c in enumerate(full[a.epochs])]
    scale = float(np.concatenate([full[a.epochs][k] for k in train]).std())
    tensors = {k: getattr(head, k).detach().numpy().astype(np.float32).copy() for k in ("W", "mu", "v")}
    tensors["scale"] = np.array([scale], np.float32)
    if same_tensors(Path(a.out), tensors):
        print(f"{a.out}: the same tensors, left as it is (its digest too)", file=sys.stderr)
    else:
        save_file(tensors, a.out, metadata={"d": str(D), "store": STORE, "epochs": str(a.epochs), "lr": str(LR),
                                            "questions": str(len(train))})
    load_head.cache_clear()
    digest = load_head(Path(a.out)).digest
    COLUMNS.write_text(json.dumps({"head": digest, "columns": {record_key(r): np.round(c / scale, 5).tolist()
                                                               for r, c in zip(recs, cols)}}), encoding="utf-8")
    print(f"head {a.out} ({digest}): {', '.join(f'{k} {v.shape}' for k, v in tensors.items())}, "
          f"{len(train)} questions, scale {scale:.4f}; {COLUMNS}: {len(cols)} records ({len(half)} out of fold)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
