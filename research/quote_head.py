"""A trained late-interaction head for choosing the quote (issue 27).

    python -m eval.quotes collect      # once: the candidates of every question
    python -m research.quote_head [--dims 32,64] [--snapshots 0,1,2,4,8] --lr 1e-3 [--out results/quote_head.json]
    python -m research.quote_head --store sign --snapshots 8 --lr 1e-3 --modes held --variants plain,answer

`--variants answer` adds an answer term (Head.U, lam; rejected on 2026-12-05: research/README.md).

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

from eval.quotes import CACHE, HELD_OUT, LANGS
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
        self.q_rows, self.tok_rows, self.seg, self.n, self.answer = [], [], [], [], []
        for r in recs:
            i = qid[r["question"]]
            self.q_rows.append(np.arange(qs[i], qs[i + 1]))
            rows, seg, ans = [], [], []
            for j, (text, p) in enumerate(zip(r["texts"], r["pidx"])):
                ptext = r["passages"][p]
                k = pid[ptext]
                off = st["p_off"][ps[k]:ps[k + 1]]
                a = ptext.find(text)
                mine = inside(off, a, a + len(text)) if a >= 0 else np.zeros(0, int)
                rows.append(ps[k] + mine)
                seg.append(np.full(len(mine), j))
                ans.append(answer_tokens(off[mine], ptext, a, text, r.get("answers") or [])
                           if r["labels"] and r["labels"][j] else np.zeros(len(mine), bool))
            self.tok_rows.append(np.concatenate(rows).astype(np.int64))
            self.seg.append(np.concatenate(seg).astype(np.int64))
            self.answer.append(np.concatenate(ans).astype(bool))
            self.n.append(len(r["texts"]))


def answer_tokens(spans: np.ndarray, ptext: str, a: int, text: str, answers: list[str]) -> np.ndarray:
    """Which of a sentence's tokens (character spans in its passage) overlap a gold answer's
    first occurrence inside the sentence (the answer term's token targets)."""
    out = np.zeros(len(spans), bool)
    for ans in answers:
        k = text.find(ans) if ans else -1
        if k >= 0:
            lo, hi = a + k, a + k + len(ans)
            out |= (spans[:, 0] < hi) & (spans[:, 1] > lo)
    return out


# ------------------------------------------------------------------ the head

class Head:
    """W, mu and v as torch parameters; `scores` gives each candidate's score, NaN where the
    sentence's tokens were not found (truncated away)."""

    def __init__(self, torch, p_states: np.ndarray, train_rows: np.ndarray, d: int, store: str = "float",
                 answer: bool = False):
        x = p_states[train_rows[:: max(1, len(train_rows) // 50000)]].astype(np.float32)
        mu = x.mean(0)
        axes = np.linalg.svd(x - mu, full_matrices=False)[2][:d].T
        self.torch, self.store = torch, store
        self.W = torch.nn.Parameter(torch.tensor(axes.copy()))
        self.mu = torch.nn.Parameter(torch.tensor(mu))
        self.v = torch.nn.Parameter(torch.zeros(x.shape[1]))
        self.log_t = torch.nn.Parameter(torch.tensor(np.log(20.0), dtype=torch.float32))
        # the answer term: U maps the question's pooled state to the kind of token that answers it
        # ("how many" -> a number's code); a sentence adds its best token's fit (issue 27: reading
        # for the answer, not only matching the question's words)
        # U is trained by the token loss alone, on the codes as they are (the matching's W, mu and v
        # are not moved by it); lam, how much the sentence score takes of it, by the listwise loss
        self.U = torch.nn.Parameter(torch.zeros(x.shape[1], d)) if answer else None
        self.lam = torch.nn.Parameter(torch.tensor(0.0)) if answer else None
        self.last_fit = None  # the answer term's per-token fit of the last `scores` call

    def parameters(self):
        return [self.W, self.mu, self.v, self.log_t] + ([self.U, self.lam] if self.U is not None else [])

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
        if self.U is not None:
            fit = sp.detach() @ ((a.detach() @ q - self.mu.detach()) @ self.U)  # each token's fit to the answer sought
            self.last_fit = fit
            best_fit = torch.full((n,), -1e4).scatter_reduce(0, seg, fit.detach(), "amax", include_self=True)
            s = s + self.lam * best_fit.clamp(min=-10)
        found = torch.zeros(n, dtype=torch.bool).scatter(0, seg, True)
        return torch.where(found, s, torch.full_like(s, float("nan")))


def train_head(torch, ex: Examples, recs: list[dict], st: dict, train: list[int], d: int, snapshots: tuple[int, ...],
               lr: float, store: str = "float", seed: int = 0, answer: bool = False,
               token_weight: float = 1.0) -> tuple[Head, dict[int, list[np.ndarray]]]:
    """Train on the records `train`; the head, and at each epoch count in `snapshots`, every record's column.
    `answer`: with the answer term, trained also token by token (`token_weight`): the softmax of
    the fit over a question's candidate tokens, its mass on the gold answer's tokens."""
    torch.manual_seed(seed)
    P = torch.tensor(st["p_states"].astype(np.float32))
    Q = torch.tensor(st["q_states"].astype(np.float32))
    head = Head(torch, st["p_states"], np.concatenate([ex.tok_rows[i] for i in train]), d, store, answer)
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
                if answer and token_weight and ex.answer[i].any():
                    f = head.last_fit  # its own scale (U's norm), not the listwise temperature
                    loss = loss + token_weight * (torch.logsumexp(f, 0) - torch.logsumexp(f[torch.tensor(ex.answer[i])], 0))
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

def between(a: dict, b: dict) -> dict:
    """Two heads' first quotes (judge's `_hits`) paired, every XQuAD question once, and by set."""
    from eval.paired import mcnemar

    out = {}
    for s in sorted({t for (_, t) in a} - {"corpus"}) + ["all"]:
        keys = [k for k in a if k[1] != "corpus" and (s == "all" or k[1] == s)]
        t = mcnemar([h for k in keys for h in a[k]], [h for k in keys for h in b[k]])
        out[s] = {"n": t.n, "a": round(t.a, 3), "b": round(t.b, 3), "p": round(t.p, 5), "lost": t.a_only,
                  "gained": t.b_only}
    return out


def judge(recs: list[dict], cols: dict[str, list[np.ndarray]], modes: tuple[str, ...] = MODES) -> dict:
    """Per mode: the logit refitted without and with the mode's head column; first quote per set,
    and McNemar over every XQuAD question once."""
    from eval.paired import mcnemar
    from eval.quotes import fit

    res: dict = {}
    hits: dict[str, dict[str, list[bool]]] = {"today": {}, "head": {}, "head alone": {}}
    for mode in modes:
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
    res["_hits"] = hits["head"]  # per (mode, set): the head's first quote right or not, in record order
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/quote_head.json")
    ap.add_argument("--dims", default="64", help="the head's widths, each trained and judged")
    ap.add_argument("--snapshots", default="0,1,2,4,8", help="epoch counts judged (0: the PCA start, frozen)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--states", default=str(STATES_FILE))
    ap.add_argument("--store", default="float", choices=("float", "sign"), help="the passage tokens as floats or d signs")
    ap.add_argument("--modes", default=",".join(MODES), help="held (the held-out articles) and / or the folds 0, 1")
    ap.add_argument("--variants", default="plain", help="plain and / or answer (the answer term, trained token by "
                    "token too); two or more are also compared paired, each against the first")
    ap.add_argument("--token-weight", type=float, default=1.0, help="the answer term's token loss weight")
    ap.add_argument("--langs", default=",".join(LANGS), help="the XQuAD languages whose records are read (with the corpus set's)")
    a = ap.parse_args(argv)
    import torch

    import rag

    from eval.quotes import refeature

    torch.set_num_threads(2)
    sets = {f"xquad-{x}" for x in a.langs.split(",")} | {"corpus"}
    recs = [r for r in quote_records(refeatured=False) if r["set"] in sets]  # eval.quotes collect --langs all holds more
    refeature(recs, CACHE, CORPUS_INDEX)
    st = load_states(rag.load(CORPUS_INDEX).searcher.embedder, recs, Path(a.states))
    ex = Examples(recs, st)
    snaps = tuple(int(x) for x in a.snapshots.split(","))
    modes = tuple(a.modes.split(","))
    out: dict = {}
    for d in (int(x) for x in a.dims.split(",")):
        hits: dict[str, dict] = {}
        for variant in a.variants.split(","):
            kw = {"answer": variant == "answer", "token_weight": a.token_weight}
            cols: dict[int, dict[str, list]] = {e: {} for e in snaps}
            for mode in modes:
                train = [k for k, r in enumerate(recs)
                         if r["set"] != "corpus" and any(r["labels"]) and r["article"] not in HELD_OUT
                         and (mode == "held" or not quote_tested(r, mode))]
                full = train_head(torch, ex, recs, st, train, d, snaps, a.lr, a.store, **kw)[1]
                # cross-fitting: the logit is fitted on the training records with a head that did not see them
                arts = sorted({recs[k]["article"] for k in train})
                halves = [[k for k in train if arts.index(recs[k]["article"]) % 2 == h] for h in (0, 1)]
                oof = [train_head(torch, ex, recs, st, halves[1 - h], d, snaps, a.lr, a.store, **kw)[1] for h in (0, 1)]
                for e in snaps:
                    col = list(full[e])
                    for h in (0, 1):
                        for k in halves[h]:
                            col[k] = oof[h][e][k]
                    cols[e][mode] = col
            for e in snaps:
                name = f"d {d} {a.store}, {e} epochs" + ("" if variant == "plain" else f", {variant}")
                print(f"-- {name}", flush=True)
                out[name] = judge(recs, cols[e], modes)
                hits.setdefault(e, {})[variant] = out[name].pop("_hits")
        for e, by in hits.items():
            first = next(iter(by))
            for variant, h in by.items():
                if variant != first:
                    out[f"d {d}, {e} epochs: {variant} against {first}"] = t = between(by[first], h)
                    print(f"paired {variant} against {first}, {e} epochs: " + "  ".join(
                        f"{s.replace('xquad-', '')} {v['a']:.3f}->{v['b']:.3f} (-{v['lost']}/+{v['gained']}, p {v['p']:.2g})"
                        for s, v in t.items()), flush=True)
    write_json(out, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
