"""Sentence vectors from the passage's first k layers (issue 29: the sentences' encoding is ~45 %
of a build; research/speed.md).

    python -m research.sentence_layers [--chunks 60] [--ks 0,1,2,3,4,6] [--out results/sentence_layers.json]

research/pooled_sentences.py mapped each sentence's vector from its passage's *last* states and
reached a cosine of 0.91 to the sentence read alone, too far for the corpus set. Here the
sentence shares only the passage's first k layers, as a build computes them anyway: its tokens'
states after layer k inside the passage ("[CLS] passage: ... sentence ... [SEP]"), with the
passage's [CLS], prompt and [SEP] states in front and behind, go through layers k+1..12 alone,
and are mean-pooled. That would save k/12 of the sentences' encoding. k = 0 shares only the
embedding layer: the sentence's words with the positions they hold in the passage, not the ones
they hold read alone (e5 has learnt absolute positions); so k = 0 measures what the positions
alone cost. fp32 torch (the int8 model's vectors are 0.9995 of these), a sample of the bundled
corpus's chunks, each sentence once; the cosine to the sentence read alone, by k and by length.
"""
from __future__ import annotations

import argparse
import random
import warnings
from pathlib import Path

import numpy as np

from research.common import write_json

PROMPT = "passage: "


def model_and_tokenizer():
    import torch
    from transformers import AutoModel

    from rag.convert import ensure_e5_small
    from rag.embed import model_tokenizer

    warnings.simplefilter("ignore")  # the exporter's and loader's notices
    torch.set_num_threads(2)
    folder = ensure_e5_small()
    model = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager").eval()
    return model, model_tokenizer(folder, 512)[0]


def cosines(model, tok, chunks: list[dict], ks: list[int]) -> tuple[dict[int, list[float]], list[int]]:
    """Each sentence's cosine to its vector read alone, for every k; and its token count alone."""
    import torch

    def pooled(h) -> np.ndarray:
        v = h.mean(0)
        return (v / v.norm()).numpy()

    out: dict[int, list[float]] = {k: [] for k in ks}
    lengths: list[int] = []
    with torch.no_grad():
        for c in chunks:
            e = tok.encode(PROMPT + c["text"])
            ids, offs = torch.tensor([e.ids]), np.array(e.offsets)
            states = model(input_ids=ids, attention_mask=torch.ones_like(ids), output_hidden_states=True).hidden_states
            n = len(e.ids)
            lead = [i for i in range(n) if i == 0 or (offs[i, 1] > offs[i, 0] and offs[i, 1] <= len(PROMPT))]
            for a, b, *_ in c["sents"]:
                lo, hi = a + len(PROMPT), b + len(PROMPT)
                inside = [i for i in range(n) if offs[i, 1] > offs[i, 0] and offs[i, 0] >= lo and offs[i, 1] <= hi]
                if not inside:
                    continue  # cut off by the 512 tokens
                alone_ids = tok.encode(PROMPT + c["text"][a:b]).ids
                alone = model(input_ids=torch.tensor([alone_ids]),
                              attention_mask=torch.ones(1, len(alone_ids), dtype=torch.long)).last_hidden_state[0]
                want = pooled(alone)
                lengths.append(len(alone_ids))
                rows = lead + inside + [n - 1]
                for k in ks:
                    h = states[k][:, rows]
                    for layer in model.encoder.layer[k:]:
                        h = layer(h, None)
                    out[k].append(float(pooled(h[0]) @ want))
    return out, lengths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m research.sentence_layers", description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=60, help="chunks of the shipped index to sample")
    ap.add_argument("--ks", default="0,1,2,3,4,6")
    ap.add_argument("--index", default="data/corpus-index")
    ap.add_argument("--out", default="results/sentence_layers.json")
    a = ap.parse_args(argv)
    from rag import store

    rows = store.read(Path(a.index)).chunks
    random.seed(1)
    seen: set[int] = set()
    # each sentence once, in the first sampled chunk that holds it
    sample = [{"text": c.text, "sents": [s for s in c.sents if s.row not in seen and not seen.add(s.row)]}
              for c in random.sample(rows, min(a.chunks, len(rows)))]
    ks = [int(k) for k in a.ks.split(",")]
    model, tok = model_and_tokenizer()
    got, lengths = cosines(model, tok, sample, ks)
    n = np.array(lengths)
    res = {"sentences": len(n), "chunks": len(sample), "by k": {}}
    for k in ks:
        c = np.array(got[k])
        row = {"mean": round(float(c.mean()), 4), "p10": round(float(np.percentile(c, 10)), 4),
               "min": round(float(c.min()), 4), "under 20 tokens": round(float(c[n < 20].mean()), 4),
               "40 tokens or more": round(float(c[n >= 40].mean()), 4), "share of the sentences' work saved": round(k / 12, 3)}
        res["by k"][str(k)] = row
        print(f"k={k}: cosine to the sentence read alone {row}", flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
