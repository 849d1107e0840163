"""A trained late-interaction head for choosing the quote (issue 27).

    python -m eval.quotes collect      # once: the candidates of every question
    python -m research.quote_head [--dims 32,64] [--snapshots 0,1,2,4,8] --lr 1e-3 [--out results/quote_head.json]

research/quote_tokens.py read each candidate sentence token by token with e5's frozen states
(ColBERT's maxsim: every question token's best cosine among the sentence's tokens, read
inside its passage): +0.02 on the first quote, short of the 0.85 issue 27 asks. Those states
were never trained to match a question's tokens to an answer's. Here a small head is:

    score(q, s) = sum_i a_i * max_t cos(W (q_i - mu), W (s_t - mu))

W (384 x d) starts at the training passages' first d principal axes; a_i = softmax over the
question's tokens of v . q_i (v starts at 0: the plain mean); the listwise loss is the softmax
mass on the question's answer-holding candidates, over all its candidates (eval.quotes'
records: the product's own candidates, from its own passages). The passages are read by the
int8 document model, as a build reads them (so a build could keep W's projection of every
token: d int8 numbers a token, or d signs); the question's states are the fp32 question
model's, from the encoding a question gets anyway.

Honest by construction: the head is trained on XQuAD's training articles only, never on the
corpus set (eval/questions), and once per mode (research/common.py `quote_tested`): for
"held" on every training article, for fold 0 / 1 on the other fold's. Its score is appended
to rag/evidence.py's features as one column, the conditional logit refitted as eval.quotes
fits it, and the first quote compared with today's features, McNemar, every XQuAD question
once under the mode that held it out. States are read once into STATES_FILE (~8 min).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from eval.quotes import CACHE, HELD_OUT
from research.common import CORPUS_INDEX, quote_records, quote_tested, write_json
from rag.tokens import inside
from research.quote_tokens import TokenStates

STATES_FILE = CACHE / "head-states-2.npz"  # 2: spans start at the word (rag/embed.py real_tokens)  # plain arrays, loaded without pickle
MODES = ("held", "0", "1")
_TODAY: dict[str, np.ndarray] = {}  # mode -> today's refitted weights, the same for every head


# ------------------------------------------------------------------ token states, read once

def read_states(emb, recs: list[dict], have: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every passage's int8 token states and every question's fp32 ones (real tokens only: no
    prompt, no specials), concatenated float16, with each text's first row and character spans;
    the texts already in `have` are kept from it, the others read and appended."""
    int8, fp32 = TokenStates(emb, docs=True), TokenStates(emb)
    out: dict[str, list] = {}
    t0 = time.time()
    for kind, texts, reader, prompt in (("p", {p for r in recs for p in r["passages"]}, int8, "passage"),
                                         ("q", {r["question"] for r in recs}, fp32, "query")):
        old = [] if have is None else have[kind + "_text"].tolist()
        new = sorted(texts - set(old))
        rows, offs, starts = [], [], [0]
        if have is not None:
            rows, offs, starts = [have[kind + "_states"]], [have[kind + "_off"]], have[kind + "_start"].tolist()
        for n, t in enumerate(new):
            h, off = reader.own(t, prompt)
            rows.append(h.astype(np.float16))
            offs.append(off)
            starts.append(starts[-1] + len(h))
            if n % 500 == 0:
                print(f"quote-head: {kind} {n} of {len(new)}, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
        out[kind + "_text"] = np.asarray(old + new)
        out[kind + "_states"] = np.concatenate(rows)
        out[kind + "_off"] = np.concatenate(offs)
        out[kind + "_start"] = np.asarray(starts)
    return out


def load_states(emb, recs: list[dict], path: Path) -> dict[str, np.ndarray]:
    """The states of `recs`' texts, read once into `path` (texts it lacks are read and added)."""
    have = None
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            have = {k: z[k] for k in z.files}
        if ({p for r in recs for p in r["passages"]} <= set(have["p_text"].tolist())
                and {r["question"] for r in recs} <= set(have["q_text"].tolist())):
            return have
    st = read_states(emb, recs, have)
    np.savez(path, **st)
    return st


class Examples:
    """Each record as index arrays into the state tables: its question's token rows, and per
    candidate the rows of its passage tokens inside the sentence (empty when not found)."""

    def __init__(self, recs: list[dict], st: dict[str, np.ndarray]):
        pid = {t: i for i, t in enumerate(st["p_text"].tolist())}
        qid = {t: i for i, t in enumerate(st["q_text"].tolist())}
        ps, qs = st["p_start"], st["q_start"]
        self.q_rows, self.tok_rows, self.seg, self.n = [], [], [], []
        for r in recs:
            i = qid[r["question"]]
            self.q_rows.append(np.arange(qs[i], qs[i + 1]))
            rows, seg = [], []
            for j, (text, p) in enumerate(zip(r["texts"], r["pidx"])):
                ptext = r["passages"][p]
                k = pid[ptext]
                off = st["p_off"][ps[k]:ps[k + 1]]
                a = ptext.find(text)
                mine = inside(off, a, a + len(text)) if a >= 0 else np.zeros(0, int)
                rows.append(ps[k] + mine)
                seg.append(np.full(len(mine), j))
            self.tok_rows.append(np.concatenate(rows).astype(np.int64))
            self.seg.append(np.concatenate(seg).astype(np.int64))
            self.n.append(len(r["texts"]))


# ------------------------------------------------------------------ the head

class Head:
    """W, mu and v as torch parameters; `scores` gives each candidate's score, NaN where the
    sentence's tokens were not found (truncated away)."""

    def __init__(self, torch, p_states: np.ndarray, train_rows: np.ndarray, d: int, store: str = "float"):
        x = p_states[train_rows[:: max(1, len(train_rows) // 50000)]].astype(np.float32)
        mu = x.mean(0)
        axes = np.linalg.svd(x - mu, full_matrices=False)[2][:d].T
        self.torch, self.store = torch, store
        self.W = torch.nn.Parameter(torch.tensor(axes.copy()))
        self.mu = torch.nn.Parameter(torch.tensor(mu))
        self.v = torch.nn.Parameter(torch.zeros(x.shape[1]))
        self.log_t = torch.nn.Parameter(torch.tensor(np.log(20.0), dtype=torch.float32))

    def parameters(self):
        return [self.W, self.mu, self.v, self.log_t]

    def scores(self, q, toks, seg, n: int):
        torch = self.torch
        qp = torch.nn.functional.normalize((q - self.mu) @ self.W, dim=-1)
        sp = torch.nn.functional.normalize((toks - self.mu) @ self.W, dim=-1)
        if self.store == "sign":  # what a build keeps: d signs a token (d / 8 bytes); straight-through gradient
            sp = sp + (torch.sign(sp) / np.sqrt(sp.shape[1]) - sp).detach()
        sim = qp @ sp.T  # question tokens x candidate tokens
        best = torch.full((len(q), n), -2.0).scatter_reduce(1, seg.expand(len(q), -1), sim, "amax", include_self=True)
        a = torch.softmax(q @ self.v, 0)
        s = a @ best
        found = torch.zeros(n, dtype=torch.bool).scatter(0, seg, True)
        return torch.where(found, s, torch.full_like(s, float("nan")))


def train_head(torch, ex: Examples, recs: list[dict], st: dict, train: list[int], d: int, snapshots: tuple[int, ...],
               lr: float, store: str = "float", seed: int = 0) -> tuple[Head, dict[int, list[np.ndarray]]]:
    """Train on the records `train`; the head, and at each epoch count in `snapshots`, every record's column."""
    torch.manual_seed(seed)
    P = torch.tensor(st["p_states"].astype(np.float32))
    Q = torch.tensor(st["q_states"].astype(np.float32))
    head = Head(torch, st["p_states"], np.concatenate([ex.tok_rows[i] for i in train]), d, store)
    opt = torch.optim.Adam(head.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    out = {0: head_column(torch, head, ex, P, Q)} if 0 in snapshots else {}
    for ep in range(1, max(snapshots) + 1):
        total, t0 = 0.0, time.time()
        for batch in np.array_split(rng.permutation(train), max(1, len(train) // 32)):
            loss = 0.0
            for i in batch:
                s = head.scores(Q[ex.q_rows[i]], P[ex.tok_rows[i]], torch.tensor(ex.seg[i]), ex.n[i])
                s = torch.nan_to_num(s, nan=-1.0) * head.log_t.exp()
                gold = torch.tensor(recs[i]["labels"], dtype=torch.bool)
                loss = loss + torch.logsumexp(s, 0) - torch.logsumexp(s[gold], 0)
            loss = loss / len(batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(batch)
        print(f"quote-head: d {d} epoch {ep} loss {total / len(train):.4f} ({time.time() - t0:.0f} s)",
              file=sys.stderr, flush=True)
        if ep in snapshots:
            out[ep] = head_column(torch, head, ex, P, Q)
    return head, out


def head_column(torch, head: Head, ex: Examples, P, Q) -> list[np.ndarray]:
    """Every record's candidates' scores, centred per question, not-found as its least similar."""
    out = []
    with torch.no_grad():
        for i in range(len(ex.n)):
            s = head.scores(Q[ex.q_rows[i]], P[ex.tok_rows[i]], torch.tensor(ex.seg[i]), ex.n[i]).numpy()
            s = np.where(np.isnan(s), np.nanmin(s) if not np.isnan(s).all() else 0.0, s)
            out.append(s - s.mean())
    return out


# ------------------------------------------------------------------ judged as eval.quotes judges

def judge(recs: list[dict], cols: dict[str, list[np.ndarray]]) -> dict:
    """Per mode: the logit refitted without and with the mode's head column; first quote per set,
    and McNemar over every XQuAD question once."""
    from eval.paired import mcnemar
    from eval.quotes import fit

    res: dict = {}
    hits: dict[str, dict[str, list[bool]]] = {"today": {}, "head": {}, "head alone": {}}
    for mode in MODES:
        col = cols[mode]  # out-of-fold on the records the logit is fitted on, the full head's on the rest
        sd = float(np.concatenate(col).std()) or 1.0
        withcol = [{**r, "features": np.hstack([np.asarray(r["features"]), (c / sd)[:, None]])}
                   for r, c in zip(recs, col)]
        fitted = [k for k, r in enumerate(recs) if r["article"] not in HELD_OUT and (mode == "held" or not quote_tested(r, mode))]
        if mode not in _TODAY:
            _TODAY[mode] = fit([recs[k] for k in fitted])
        w0 = _TODAY[mode]
        w1 = fit([withcol[k] for k in fitted])
        tested = [k for k, r in enumerate(recs) if quote_tested(r, mode)]
        for k in tested:
            r = recs[k]
            picks = {"today": int(np.argmax(np.asarray(r["features"]) @ w0)),
                     "head": int(np.argmax(withcol[k]["features"] @ w1)),
                     "head alone": int(np.argmax(col[k]))}
            for name, j in picks.items():
                hits[name].setdefault((mode, r["set"]), []).append(bool(r["labels"][j]))
        res[mode] = {name: {s: round(float(np.mean(v)), 3) for (m, s), v in by.items() if m == mode}
                     for name, by in hits.items()}
        res[mode]["weights"] = np.round(w1, 3).tolist()
        print(f"{mode:5} " + "  ".join(f"{name}: " + " ".join(f"{s.replace('xquad-', '')} {v:.3f}" for s, v in sorted(f.items()))
                                        for name, f in res[mode].items() if name != "weights"), flush=True)
    paired = {}
    for name in ("head", "head alone"):
        for s in sorted({s for (_, s) in hits["today"]} - {"corpus"}) + ["all"]:
            a = [h for (m, t), v in hits["today"].items() if t != "corpus" and (s == "all" or t == s) for h in v]
            b = [h for (m, t), v in hits[name].items() if t != "corpus" and (s == "all" or t == s) for h in v]
            t = mcnemar(a, b)
            paired.setdefault(name, {})[s] = {"n": t.n, "before": round(t.a, 3), "after": round(t.b, 3),
                                              "p": round(t.p, 5), "lost": t.a_only, "gained": t.b_only}
        print(f"paired {name}: " + "  ".join(f"{s.replace('xquad-', '')} {v['before']:.3f}->{v['after']:.3f} "
                                             f"(-{v['lost']}/+{v['gained']}, p {v['p']:.2g})" for s, v in paired[name].items()),
              flush=True)
    res["paired"] = paired
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/quote_head.json")
    ap.add_argument("--dims", default="64", help="the head's widths, each trained and judged")
    ap.add_argument("--snapshots", default="0,1,2,4,8", help="epoch counts judged (0: the PCA start, frozen)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--states", default=str(STATES_FILE))
    ap.add_argument("--store", default="float", choices=("float", "sign"), help="the passage tokens as floats or d signs")
    a = ap.parse_args(argv)
    import torch

    import rag

    torch.set_num_threads(2)
    recs = quote_records()
    st = load_states(rag.load(CORPUS_INDEX).searcher.embedder, recs, Path(a.states))
    ex = Examples(recs, st)
    snaps = tuple(int(x) for x in a.snapshots.split(","))
    out: dict = {}
    for d in (int(x) for x in a.dims.split(",")):
        cols: dict[int, dict[str, list]] = {e: {} for e in snaps}
        for mode in MODES:
            train = [k for k, r in enumerate(recs)
                     if r["set"] != "corpus" and any(r["labels"]) and r["article"] not in HELD_OUT
                     and (mode == "held" or not quote_tested(r, mode))]
            full = train_head(torch, ex, recs, st, train, d, snaps, a.lr, a.store)[1]
            # cross-fitting: the logit is fitted on the training records with a head that did not see them
            arts = sorted({recs[k]["article"] for k in train})
            halves = [[k for k in train if arts.index(recs[k]["article"]) % 2 == h] for h in (0, 1)]
            oof = [train_head(torch, ex, recs, st, halves[1 - h], d, snaps, a.lr, a.store)[1] for h in (0, 1)]
            for e in snaps:
                col = list(full[e])
                for h in (0, 1):
                    for k in halves[h]:
                        col[k] = oof[h][e][k]
                cols[e][mode] = col
        for e in snaps:
            print(f"-- d {d} {a.store}, {e} epochs", flush=True)
            out[f"d {d} {a.store}, {e} epochs"] = judge(recs, cols[e])
    write_json(out, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
