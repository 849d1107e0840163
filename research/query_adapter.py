"""A query-side linear adapter for e5-small across languages (issue 30's X->en and X->mixed gap).

e5-small's question vectors sit closer to passages in their own language than to the same
passage translated: on XQuAD's held-out articles zh->en r@1 is 0.649 against zh->zh 0.987.
Documents' vectors stay as built; only the question vector is mapped, q' = normalise(W q),
W = I + A learnt on frozen vectors (no back-propagation through the encoder, minutes on 2 cores).

Training data: XQuAD's questions in 12 languages on the articles outside eval.xquad.HELD_OUT
(24-31), their paragraphs' chunk vectors from eval.xquad_langs' indexes (the product's document
encoder). Loss: for every question language X and paragraph language Y, InfoNCE of the
question against the training paragraphs of Y (a paragraph scores its best chunk), plus
`decay` * ||A||^2 to stay near e5's own space.

Two cheaper maps are measured beside it, fitted on the same training questions: `shift`, each
language's mean question vector moved onto English's (a rank-1 language offset), and `ridge`,
X's question vectors regressed onto the same questions' English vectors (W = argmin
||Q_X W - Q_en||^2 + 100 ||W - I||^2): an English-like question for the English passages.

Figures: raw-cosine r@1 over each language's 240 paragraphs (held-out questions, i % 10 != 0
as the eval asks them): mono, ->en, ->mixed (en + ru), before and after.

    python -m research.query_adapter [--index DIR] [--epochs 300] [--decay 0.1] [--rank 0]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.adopt import LANGS
from eval.quotes import paragraphs
from eval.xquad import DEFAULT_DATA, HELD_OUT

CACHE = Path(tempfile.gettempdir()) / "rag-query-adapter"  # the question vectors, encoded once


def load_lang(index_dir: Path, data: Path, lang: str, embedder=None):
    """(chunk vectors, chunk -> paragraph, question vectors, question -> paragraph, article of paragraph)."""
    import rag

    idx = rag.load(index_dir / f"xquad-{lang}")
    chunks = idx.payload.chunks
    vecs = np.asarray(idx.payload.chunk_vectors, dtype=np.float32)
    para_of_chunk = np.asarray([int(c.source[1:4]) for c in chunks])
    paras = paragraphs(data, lang)
    qpara = np.asarray([i for i, p in enumerate(paras) for _ in p["qas"]])
    f = CACHE / f"q-{lang}.npy"
    if f.is_file():
        qv = np.load(f)
    else:
        qv = np.asarray(idx.embedder.embed_queries([q[1] for p in paras for q in p["qas"]]), dtype=np.float32)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(f, qv)
    article = np.asarray([p["article"] for p in paras])
    return vecs, para_of_chunk, qv, qpara, article


def para_scores(qv: np.ndarray, vecs: np.ndarray, para_of_chunk: np.ndarray, n_para: int) -> np.ndarray:
    """Each question's score per paragraph: its best chunk's cosine."""
    s = qv @ vecs.T
    out = np.full((len(qv), n_para), -9.0, dtype=np.float32)
    for j in range(n_para):
        cols = np.flatnonzero(para_of_chunk == j)
        if len(cols):
            out[:, j] = s[:, cols].max(1)
    return out


def evaluate(data: dict, transform, held: np.ndarray, langs=LANGS) -> dict:
    """r@1 per question language and direction on the held-out questions."""
    out = {}
    en, ru = data["en"], data["ru"]
    n = len(en[4])
    for x in langs:
        vecs, pc, qv, qp, _art = data[x]
        sel = held[qp]
        q = transform(qv[sel])
        gold = qp[sel]
        for name, pools in (("mono", [data[x]]), ("en", [en]), ("mixed", [en, ru])):
            s = np.max([para_scores(q, p[0], p[1], n) for p in pools], axis=0)
            out[f"{x}->{name}"] = round(float((s.argmax(1) == gold).mean()), 3)
    return out


def train(data: dict, train_para: np.ndarray, epochs: int, decay: float, rank: int, lr: float, tau: float,
          seed: int = 0):
    import torch

    torch.manual_seed(seed)
    d = data["en"][0].shape[1]
    n = len(data["en"][4])
    # per language Y: chunk vectors of training paragraphs, and which paragraph each is
    docs, doc_para = {}, {}
    for y in LANGS:
        vecs, pc, *_ = data[y]
        keep = train_para[pc]
        docs[y] = torch.tensor(vecs[keep])
        doc_para[y] = torch.tensor(pc[keep])
    qs = torch.tensor(np.concatenate([data[x][2][train_para[data[x][3]]] for x in LANGS]))
    qpara = torch.tensor(np.concatenate([data[x][3][train_para[data[x][3]]] for x in LANGS]))
    if rank:
        U = torch.zeros(d, rank, requires_grad=True)
        V = torch.nn.init.normal_(torch.empty(rank, d), std=0.01).requires_grad_()
        params = [U, V]
        delta = lambda: U @ V
    else:
        A = torch.zeros(d, d, requires_grad=True)
        params = [A]
        delta = lambda: A
    opt = torch.optim.Adam(params, lr=lr)
    # per Y: each training paragraph's chunk columns, padded with a column that scores -9
    cols = {}
    for y in LANGS:
        groups = [np.flatnonzero(doc_para[y].numpy() == j) for j in range(n)]
        present = [j for j in range(n) if len(groups[j])]
        width = max(len(groups[j]) for j in present)
        pad = len(docs[y])
        cols[y] = (torch.tensor([list(groups[j]) + [pad] * (width - len(groups[j])) for j in present]),
                   torch.full((n,), -1, dtype=torch.long).index_put_((torch.tensor(present),),
                                                                      torch.arange(len(present))))
    for ep in range(epochs):
        opt.zero_grad()
        W = torch.eye(d) + delta()
        q = torch.nn.functional.normalize(qs @ W.T, dim=1)
        loss = 0.0
        for y in LANGS:
            s = torch.cat([q @ docs[y].T, torch.full((len(q), 1), -9.0)], 1)  # questions x (chunks + pad)
            ps = s[:, cols[y][0]].amax(2)  # questions x training paragraphs
            loss = loss + torch.nn.functional.cross_entropy(ps / tau, cols[y][1][qpara])
        loss = loss / len(LANGS) + decay * (delta() ** 2).sum()
        loss.backward()
        opt.step()
        if ep % 50 == 0 or ep == epochs - 1:
            print(f"epoch {ep}: loss {loss.item():.4f}", file=sys.stderr, flush=True)
    return (torch.eye(d) + delta()).detach().numpy()


def translation_maps(data: dict, train_q: np.ndarray, held: np.ndarray, lam: float = 100.0) -> dict:
    """X->en and X->mixed r@1 with the shift and ridge maps (see the module's docstring)."""
    qen = data["en"][2]
    out = {}
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)
    for x in LANGS:
        qx = data[x][2]
        shift = qen[train_q].mean(0) - qx[train_q].mean(0)
        a, b = qx[train_q], qen[train_q]
        w = np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ b + lam * np.eye(a.shape[1]))
        for name, f in (("shift", lambda q: unit(q + shift)), ("ridge", lambda q: unit(q @ w))):
            one = {k: v for k, v in evaluate({**data, x: (*data[x][:2], f(qx), *data[x][3:])}, lambda q: q,
                                             held, langs=(x,)).items() if not k.endswith("mono")}
            out.update({f"{k} {name}": v for k, v in one.items()})
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index", type=Path, default=None, help="an eval.xquad_langs cache folder (default: current)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--decay", type=float, default=0.1)
    p.add_argument("--rank", type=int, default=0)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--tau", type=float, default=0.05)
    p.add_argument("--save", type=Path, default=None, help="write W here (.npy)")
    p.add_argument("--out", type=Path, default=None, help="write the figures here (JSON)")
    a = p.parse_args(argv)
    if a.index is None:
        from eval.xquad_langs import current

        a.index = current()
    t = time.time()
    data = {lang: load_lang(a.index, a.data, lang) for lang in LANGS}
    art = data["en"][4]
    held_articles = np.isin(art, list(HELD_OUT))
    held = held_articles & (np.arange(len(art)) % 10 != 0)
    train_para = ~held_articles
    print(f"loaded in {time.time() - t:.0f} s", file=sys.stderr)
    ident = lambda q: q
    before = evaluate(data, ident, held)
    W = train(data, train_para, a.epochs, a.decay, a.rank, a.lr, a.tau)
    norm = lambda q: (q @ W.T) / np.linalg.norm(q @ W.T, axis=1, keepdims=True)
    after = evaluate(data, norm, held)
    maps = translation_maps(data, train_para[data["en"][3]], held)
    for k, v in maps.items():
        print(f"{k:18s} {v:.3f}")
    res = {"maps": maps, "args": {k: str(v) for k, v in vars(a).items()}, "before": before, "after": after,
           "mean_before": round(float(np.mean(list(before.values()))), 4),
           "mean_after": round(float(np.mean(list(after.values()))), 4),
           "seconds": round(time.time() - t)}
    for k in before:
        print(f"{k:12s} {before[k]:.3f} -> {after[k]:.3f}")
    print(f"mean {res['mean_before']} -> {res['mean_after']}")
    if a.save:
        np.save(a.save, W.astype(np.float32))
    if a.out:
        a.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
