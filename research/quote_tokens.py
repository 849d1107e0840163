"""Reading the question against each sentence token by token, with e5's own token states (issue 27).

    python -m eval.quotes collect      # once: the candidates of every question
    python -m research.quote_tokens [--groups ...] [--out results/quote_tokens.json]

The quote is chosen by a conditional logit over rag/evidence.py's features, whose only
similarity is one cosine between two mean-pooled vectors: the question's and the sentence's,
the sentence encoded alone. Here e5 reads each candidate's passage ("passage: P", no training),
and each candidate sentence gets, from its own tokens' states inside the passage:
  - maxsim:        ColBERT's late interaction: every question token's best cosine to a token of
                   the sentence, averaged over the question's tokens (not its prompt or specials);
                   the passage read by the fp32 model;
  - maxsim idf:    the same, the question's tokens weighted by their idf among the set's passages;
  - maxsim centred: after removing the states' common direction (e5's token states share a
                   large mean; measured over the passage's and the question's tokens);
  - in context:    the cosine of the question's vector to the mean of the sentence's token states
                   read in the passage (research/reuse.py's token pooling, here one more feature);
  - coverage:      the share of the question's tokens whose best match in the passage is in this sentence;
  - alone (idf):   maxsim against the sentence read alone, by the int8 document model, as the build
                   encodes it; "alone top 4": only the first four candidates read (a query-time cost);
  - int8:          maxsim, the passage read by the int8 document model, as a build encodes it;
  - int8 in context: "in context" with the int8 document model's states (one more vector a
                   sentence, what a build could store at 384 numbers a sentence);
  - int8 window k: read when asked, not stored: the product's first k candidates, each with the
                   sentences either side of it in its passage, read by the int8 document model
                   (WINDOWS; their own cache, WINDOW_FILE; `window_timing` gives the cost);
  - int8 pca 64 / pca 32 / sign 128: what a build could store of those states: projected on the
                   first 64, 32 or 16 principal axes of the training articles' passage tokens, int8 with
                   one scale a token; or the signs of 128 or 64 (16 or 8 bytes a token).
The question's token states are always fp32, from the encoding a question gets anyway.
Each column is appended to the features, scaled by its standard deviation over all candidates,
and the weights refitted (research/common.py `refit_groups`: the held-out articles and the
corpus set, and two folds of the training articles, the honest check). With all three modes, a
paired test: every XQuAD question once, under the weights that held it out, McNemar on the first
quote against today's features. The columns are computed once (~6 min) into CACHE_FILE.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from eval.quotes import CACHE, HELD_OUT
from research.common import CORPUS_INDEX, quote_records, quote_tested, refit_groups, write_json

COLUMNS = ("maxsim", "maxsim centred", "in context", "coverage", "maxsim idf", "alone", "alone idf", "alone top 4",
           "int8", "int8 pca 64", "int8 pca 32", "int8 sign 128", "int8 pca 16", "int8 sign 64",
           "int8 in context")
SQUEEZE = (("pca", 64), ("pca", 32), ("sign", 128), ("pca", 16), ("sign", 64))  # COLUMNS' last five
GROUPS = {"rag/evidence.py features": [], "+ maxsim": [0], "+ maxsim centred": [1], "+ in context": [2],
          "+ coverage": [3], "+ all four": [0, 1, 2, 3], "+ maxsim idf": [4], "+ alone": [5], "+ alone idf": [6],
          "+ alone top 4": [7], "+ int8": [8], "+ int8 pca 64": [9], "+ int8 pca 32": [10], "+ int8 sign 128": [11],
          "+ int8 pca 16": [12], "+ int8 sign 64": [13], "+ int8 in context": [14], "+ int8 in context + sign 64": [13, 14],
          "+ int8 window 1": [15], "+ int8 window 2": [16], "+ int8 window 3": [17]}
CACHE_FILE = CACHE / "token-columns.json"  # beside eval.quotes' records; collect again, delete it
# Read when asked, not stored: the first k candidates' windows (the sentence with the sentences
# before and after it in its passage) read by the int8 document model; maxsim for the
# candidates inside a window, the others as the question's least similar (a query-time cost).
WINDOWS = (1, 2, 3)
WINDOW_COLUMNS = tuple(f"int8 window {k}" for k in WINDOWS)
WINDOW_FILE = CACHE / "window-columns.json"
TOP = 4  # "alone top 4": only the product's first four candidates are read (the query-time cost)


class TokenStates:
    """e5 token states with each token's character span in the text (prompt removed): fp32, or
    the int8 document model the index's sentences were encoded with (`docs`)."""

    def __init__(self, emb, docs: bool = False):
        self.session = emb._docs() if docs and emb.doc_onnx else emb.session
        self.tok, self.prompts = emb.tokenizer, emb.prompts

    def __call__(self, text: str, kind: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
        prompt = self.prompts.get(kind, "")
        enc = self.tok.encode((prompt + text).strip())
        x = np.asarray([enc.ids], dtype=np.int64)
        hidden = self.session.run(["hidden"], {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]
        off = np.asarray(enc.offsets, dtype=np.int64) - len(prompt)
        keep = np.array([a >= 0 and b > a for a, b in enc.offsets]) & (off[:, 0] >= 0)  # no specials, no prompt
        return hidden, np.where(keep[:, None], off, -1), list(enc.ids)


    def own(self, text: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's own tokens' states and their spans, as the product's embedder hands them
        (rag/embed.py real_tokens: a word's span starts at the word, not the space before it)."""
        from rag.embed import real_tokens

        prompt = self.prompts.get(kind, "")
        enc = self.tok.encode((prompt + text).strip())
        x = np.asarray([enc.ids], dtype=np.int64)
        hidden = self.session.run(["hidden"], {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]
        return real_tokens(hidden, enc.offsets, len(prompt), text)


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def token_idf(states: TokenStates, recs: list[dict]) -> dict[str, dict[int, float]]:
    """set -> token id -> log(N / df) over that set's passages, as BM25 weighs words."""
    out = {}
    for name in sorted({r["set"] for r in recs}):
        texts = {p for r in recs if r["set"] == name for p in r["passages"]}
        df: dict[int, int] = {}
        for t in texts:
            for i in set(states.tok.encode(t).ids):
                df[i] = df.get(i, 0) + 1
        out[name] = {i: float(np.log((len(texts) + 1) / (d + 0.5))) for i, d in df.items()}
        out[name][-1] = max(out[name].values())  # a token none of the passages has: the rarest's weight
    return out


def maxsim(q: np.ndarray, s: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Every question token's best cosine in the sentence: their mean, and their idf-weighted mean."""
    best = (q @ s.T).max(1)
    return float(best.mean()), float(best @ w / max(w.sum(), 1e-9))


def stored(states: TokenStates, recs: list[dict], dims: tuple[int, ...] = tuple(d for _, d in SQUEEZE)) -> tuple[dict, list]:
    """What a build could keep of each passage's token states (the int8 document model's, as
    it encodes the passages anyway): passage text -> states; and per size d, a projection
    (the mean and the first d principal axes of the training articles' passage tokens)."""
    read = {}
    for r in recs:
        for p in r["passages"]:
            if p not in read:
                read[p] = states(p, "passage")
    train = sorted({p for r in recs if r["set"] != "corpus" and r["article"] not in HELD_OUT for p in r["passages"]})
    x = np.concatenate([read[p][0][read[p][1][:, 0] >= 0] for p in train])
    mu = x.mean(0)
    axes = np.linalg.svd(x[:: max(1, len(x) // 50000)] - mu, full_matrices=False)[2]
    return read, [(mu, axes[:d].T) for d in dims]


def squeezed(q: np.ndarray, s: np.ndarray, proj: list) -> list[float]:
    """maxsim with both sides projected (SQUEEZE: "pca", the sentence's as int8 with one scale
    a token; "sign", the sentence's tokens as the signs of d axes, d / 8 bytes a token)."""
    out = []
    for (kind, _), (mu, axes) in zip(SQUEEZE, proj):
        qp, sp = unit((q - mu) @ axes), (s - mu) @ axes
        if kind == "pca":
            scale = np.abs(sp).max(1, keepdims=True) / 127
            sp = np.round(sp / np.maximum(scale, 1e-12)) * scale
            out.append(float((qp @ unit(sp).T).max(1).mean()))
        else:
            out.append(float((qp @ np.sign(sp).T).max(1).mean() / np.sqrt(sp.shape[1])))
    return out


def token_features(emb, recs: list[dict]) -> dict[str, list[list[float]]]:
    """record key -> one row per candidate, COLUMNS."""
    from rag.settings import Settings

    fp32, int8 = TokenStates(emb), TokenStates(emb, docs=True)
    idf = token_idf(fp32, recs)
    weights = np.asarray(Settings().quote_weights)
    read8, proj = stored(int8, recs)
    print(f"quote-tokens: {len(read8)} passages read by the int8 model, projections fitted", file=sys.stderr, flush=True)
    read: dict[str, tuple] = {}
    alone: dict[str, tuple] = {}
    out = {}
    t0 = time.time()
    for n, r in enumerate(recs):
        qh, qoff, qids = fp32(r["question"], "query")
        qmean = unit(qh.mean(0))  # the question's own vector, prompt and specials included, as embed()
        real_q = qoff[:, 0] >= 0
        qtok, q = qh[real_q], unit(qh[real_q])
        qw = np.array([idf[r["set"]].get(i, idf[r["set"]][-1]) for i, k in zip(qids, real_q) if k])
        top = set(np.argsort(-(np.asarray(r["features"]) @ weights))[:TOP].tolist())
        rows = []
        for j, (text, p) in enumerate(zip(r["texts"], r["pidx"])):
            ptext = r["passages"][p]
            if ptext not in read:
                read[ptext] = fp32(ptext, "passage")
            if text not in alone:
                h, off, _ = int8(text, "passage")
                alone[text] = unit(h[off[:, 0] >= 0])
            ph, poff, _ = read[ptext]
            a = ptext.find(text)
            inside = (poff[:, 0] >= a) & (poff[:, 1] <= a + len(text)) & (poff[:, 0] >= 0) if a >= 0 else None
            if inside is None or not inside.any():  # truncated away or not found: filled below
                rows.append(None)
                continue
            real = poff[:, 0] >= 0
            mu = np.concatenate([ph[real], qtok]).mean(0)
            s, sc, qc = unit(ph[inside]), unit(ph[inside] - mu), unit(qtok - mu)
            best_here, best_all = (q @ s.T).max(1), (q @ unit(ph[real]).T).max(1)
            ms, ms_idf = maxsim(q, s, qw)
            al, al_idf = maxsim(q, alone[text], qw)
            s8 = read8[ptext][0][inside]  # the same tokens: one tokenizer, one text
            rows.append([ms, (qc @ sc.T).max(1).mean(), float(unit(ph[inside].mean(0)) @ qmean),
                         float((best_here >= best_all - 1e-6).mean()), ms_idf, al, al_idf,
                         al if j in top else np.nan, maxsim(q, unit(s8), qw)[0], *squeezed(qtok, s8, proj),
                         float(unit(s8.mean(0)) @ qmean)])
        got = np.array([x for x in rows if x is not None]) if any(x is not None for x in rows) else np.zeros((1, len(COLUMNS)))
        fill = np.nanmin(got, axis=0)
        x = np.array([x if x is not None else fill for x in rows], dtype=float)
        x = np.where(np.isnan(x), fill, x)  # not read: as the question's least similar candidate
        out[r["id"] + "|" + r["set"]] = x - x.mean(0)  # a per-question shift changes no softmax
        if n % 500 == 0:
            print(f"quote-tokens: {n} of {len(recs)} questions, {len(read)} passages read, {time.time() - t0:.0f} s",
                  file=sys.stderr, flush=True)
    sd = np.concatenate(list(out.values())).std(0)
    return {k: (v / sd).tolist() for k, v in out.items()}


def windows(r: dict, first) -> list[tuple[int, int, str]]:
    """Each of the candidates `first` with the candidates either side of it in its passage:
    (first row, last row, the passage's text from the one's start to the other's end)."""
    texts, pidx, out = r["texts"], r["pidx"], []
    for j in first:
        lo = j - 1 if j and pidx[j - 1] == pidx[j] else j
        hi = j + 1 if j + 1 < len(texts) and pidx[j + 1] == pidx[j] else j
        ptext = r["passages"][pidx[j]]
        a, b = ptext.find(texts[lo]), ptext.find(texts[hi])
        if a >= 0 and b >= 0 and b + len(texts[hi]) > a:
            out.append((int(lo), int(hi), ptext[a : b + len(texts[hi])]))
    return out


def window_features(emb, recs: list[dict]) -> dict[str, list[list[float]]]:
    """record key -> one row per candidate, WINDOW_COLUMNS."""
    from rag.settings import Settings

    fp32, int8 = TokenStates(emb), TokenStates(emb, docs=True)
    weights = np.asarray(Settings().quote_weights)
    read: dict[str, tuple] = {}
    out = {}
    t0 = time.time()
    for n, r in enumerate(recs):
        qh, qoff, _ = fp32(r["question"], "query")
        q = unit(qh[qoff[:, 0] >= 0])
        texts = r["texts"]
        order = np.argsort(-(np.asarray(r["features"]) @ weights), kind="stable")
        x = np.full((len(texts), len(WINDOWS)), np.nan)
        for c, k in enumerate(WINDOWS):
            for lo, hi, window in windows(r, order[:k]):
                if window not in read:
                    read[window] = int8(window, "passage")
                h, off, _ = read[window]
                for m in range(lo, hi + 1):
                    at = window.find(texts[m])
                    inside = (off[:, 0] >= at) & (off[:, 1] <= at + len(texts[m])) & (off[:, 0] >= 0)
                    if at >= 0 and inside.any() and np.isnan(x[m, c]):
                        x[m, c] = float((q @ unit(h[inside]).T).max(1).mean())
        fill = np.nanmin(x, axis=0) if not np.isnan(x).all() else np.zeros(len(WINDOWS))
        x = np.where(np.isnan(x), np.where(np.isnan(fill), 0.0, fill), x)
        out[r["id"] + "|" + r["set"]] = x - x.mean(0)
        if n % 500 == 0:
            print(f"quote-windows: {n} of {len(recs)} questions, {len(read)} windows read, {time.time() - t0:.0f} s",
                  file=sys.stderr, flush=True)
    sd = np.concatenate(list(out.values())).std(0)
    return {k: (v / np.maximum(sd, 1e-12)).tolist() for k, v in out.items()}


def window_timing(emb, recs: list[dict], n: int = 60) -> dict[str, float]:
    """Median ms a question to read its first k candidates' windows (int8 document model, one run a window)."""
    from rag.settings import Settings

    int8 = TokenStates(emb, docs=True)
    weights = np.asarray(Settings().quote_weights)
    int8("warm", "passage")
    ms: dict[str, list[float]] = {f"window {k}": [] for k in WINDOWS}
    for r in recs[:n]:
        order = np.argsort(-(np.asarray(r["features"]) @ weights), kind="stable")
        for k in WINDOWS:
            t = time.perf_counter()
            for _, _, window in windows(r, order[:k]):
                int8(window, "passage")
            ms[f"window {k}"].append(1000 * (time.perf_counter() - t))
    return {k: round(float(np.median(v)), 1) for k, v in ms.items()}


def timing(emb, recs: list[dict], n: int = 60) -> dict[str, float]:
    """Median ms a question: its encoding (fp32), the forward passes of its candidate passages
    (fp32), and its first TOP candidates read alone in one batch (the int8 document model)."""
    from rag.settings import Settings

    weights = np.asarray(Settings().quote_weights)
    emb.embed(["warm"], "query"), emb.embed(["warm"], "passage")
    ms: dict[str, list[float]] = {"question": [], "its passages": [], f"its first {TOP} sentences": []}
    for r in recs[:n]:
        top = np.argsort(-(np.asarray(r["features"]) @ weights))[:TOP]
        for name, call in (("question", lambda: emb.embed([r["question"]], "query")),
                           ("its passages", lambda: emb.embed(r["passages"], "query")),  # fp32, as read above
                           (f"its first {TOP} sentences", lambda: emb.embed([r["texts"][i] for i in top], "passage"))):
            t = time.perf_counter()
            call()
            ms[name].append(1000 * (time.perf_counter() - t))
    return {k: round(float(np.median(v)), 1) for k, v in ms.items()}


def store_cost(index) -> dict[str, int]:
    """What keeping the passages' token states would add to an index: its passages' tokens (as the
    encoder reads them, prompt and specials included), at 34 bytes a token (PCA 32 in int8 and a
    float16 scale) and at 16 (128 signs), against the index's files today."""
    emb = index.searcher.embedder
    tokens = sum(len(e.ids) for e in emb.tokenizer.encode_batch(
        [emb.prompts.get("passage", "") + c.text for c in index.searcher.payload.chunks]))
    return {"passage tokens": tokens, "bytes as PCA 32 int8": 34 * tokens, "bytes as 128 signs": 16 * tokens,
            "index bytes": sum(f.stat().st_size for f in Path(CORPUS_INDEX).rglob("*") if f.is_file())}


def paired(recs: list[dict], extra: dict, res: dict, groups: list[str], modes: list[str]) -> dict:
    """Each group against today's features, McNemar on the first quote: every XQuAD question once,
    judged by the weights of the mode that held it out (held-out articles and both folds)."""
    from eval.paired import mcnemar

    hits: dict[str, dict[str, list[bool]]] = {}
    for g in groups:
        cols = GROUPS[g]
        for mode in modes:
            w = np.asarray(res[mode][g]["weights"])
            for r in recs:
                if r["labels"] and r["set"] != "corpus" and quote_tested(r, mode):
                    x = np.asarray(r["features"])
                    x = np.hstack([x, np.asarray(extra[r["id"] + "|" + r["set"]])[:, cols]]) if cols else x
                    hits.setdefault(g, {}).setdefault(r["set"], []).append(bool(r["labels"][int(np.argmax(x @ w))]))
    base = groups[0]
    out = {}
    for g in groups[1:]:
        for name in [*sorted(hits[g]), "all"]:
            a = sum(hits[base].values(), []) if name == "all" else hits[base][name]
            b = sum(hits[g].values(), []) if name == "all" else hits[g][name]
            t = mcnemar(a, b)
            out.setdefault(g, {})[name] = {"n": t.n, "before": round(t.a, 3), "after": round(t.b, 3), "p": round(t.p, 4),
                                           "lost": t.a_only, "gained": t.b_only}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/quote_tokens.json")
    ap.add_argument("--modes", default="held,0,1", help="held (articles 24-31 and the corpus set) and folds 0, 1")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timing-only", action="store_true")
    ap.add_argument("--groups", default=",".join(GROUPS), help="which of GROUPS to refit (the first: the baseline)")
    ap.add_argument("--columns", default=str(CACHE_FILE), help="the columns' JSON, made once and reused")
    a = ap.parse_args(argv)
    import rag

    recs = quote_records()
    index = rag.load(CORPUS_INDEX)
    emb = index.searcher.embedder
    ms, cost = timing(emb, [r for r in recs if r["set"] == "corpus"]), store_cost(index)
    print(f"ms a question, median: {ms}\nthe corpus index's token states: {cost}", flush=True)
    if a.timing_only:
        write_json({"timing_ms": ms, "store": cost}, a.out)
        return 0
    cached = Path(a.columns)
    if not cached.exists():
        cached.write_text(json.dumps(token_features(emb, recs)), encoding="utf-8")  # plain JSON: no pickle
    extra = json.loads(cached.read_text(encoding="utf-8"))
    if any(GROUPS[g] and max(GROUPS[g]) >= len(COLUMNS) for g in a.groups.split(",")):
        wfile = Path(a.columns).with_name(WINDOW_FILE.name)
        if not wfile.exists():
            wfile.write_text(json.dumps(window_features(emb, recs)), encoding="utf-8")
        ms.update(window_timing(emb, [r for r in recs if r["set"] == "corpus"]))
        print(f"ms a question, median: {ms}", flush=True)
        windows = json.loads(wfile.read_text(encoding="utf-8"))
        extra = {k: np.hstack([np.asarray(v), np.asarray(windows[k])]).tolist() for k, v in extra.items()}
    groups, modes = a.groups.split(","), a.modes.split(",")
    res = {"timing_ms": ms, "store": cost, **refit_groups(recs, extra, {g: GROUPS[g] for g in groups}, modes, a.workers)}
    if set(modes) == {"held", "0", "1"}:
        res["paired"] = paired(recs, extra, res, groups, modes)
        for g, by in res["paired"].items():
            print(f"paired {g:24} " + "  ".join(f"{k} {v['before']:.3f}->{v['after']:.3f} p {v['p']:.3g} (-{v['lost']}/+{v['gained']})"
                                                 for k, v in by.items()), flush=True)
    write_json(res, a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
