"""Stage 2 of issue 13, measured: a cheap reader over the vectors the index already stores.

    python -m research.reader_mlp [--xquad-index results/xquad-index] [--index index] [--epochs 20]

An MLP reads a (question, sentence) pair from their e5 vectors (the product
q*s and the difference |q-s|, besides the cosine and its standing among the
paragraph's sentences) and from overlap features (the question's numbers,
names and content words found in the sentence and in its paragraph, across
languages through the bridge's dictionary and transliteration), and gives the
probability that the sentence answers the question.

Training data: XQuAD dev (../shared/xquad, en + ru, every question language
x sentence language). Positives: the sentence holding the answer span.
Negatives: (a) the other sentences of its paragraph; (b) near-miss questions:
the question with one of its numbers swapped for a number of the same article
that its paragraph does not hold, against every sentence of the paragraph
(the shape of our unanswerable questions). Articles 24-31 (8 of 32) are held
out of training; XQuAD figures are reported on them only. Our corpus question
set is never trained on: it is only measured (rerank of the default top 10,
abstention AUC).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rag.retrieve.bridge import load_lexicon
from rag.analyze import _CYR
from rag.retrieve.lexical import tokenize
from rag.translit import name_key

from eval.run import DEFAULT_CORPUS, DEFAULT_QUESTIONS, load_questions, open_index, rank_of
from eval.xquad import DEFAULT_DATA, HELD_OUT

from .common import NAME, NUM, auc, paragraph_sentences, perturb

LANGS = ("en", "ru")


# ------------------------------------------------------------------ data
def xquad(data: Path) -> dict:
    """Per language: paragraphs with their article index, contexts and questions (parallel ids)."""
    out = {}
    for lang in LANGS:
        d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
        out[lang] = [{"article": a, "context": p["context"],
                      "qas": [(q["id"], q["question"], q["answers"][0]["answer_start"], q["answers"][0]["text"])
                              for q in p["qas"]]}
                     for a, art in enumerate(d["data"]) for p in art["paragraphs"]]
    return out


# -------------------------------------------------------------- features
class Overlap:
    """What of the question a text holds: numbers, names, content words (translated across languages)."""

    def __init__(self, lexicon):
        self.lexicon = lexicon

    def parts(self, question: str):
        nums = set(NUM.findall(question))
        names = {name_key(t) for t in tokenize(" ".join(NAME.findall(question)))}
        words = []
        for t in set(tokenize(question)):
            if any(ch.isdigit() for ch in t):
                continue
            words.append({t} | set(self.lexicon.translate(t)))
        return nums, names, words

    @staticmethod
    def of(parts, text: str) -> list[float]:
        nums, names, words = parts
        tnums = set(NUM.findall(text))
        toks = set(tokenize(text))
        tnames = {name_key(t) for t in toks}
        f_num = len(nums & tnums) / len(nums) if nums else 1.0
        f_name = len(names & tnames) / len(names) if names else 1.0
        f_word = sum(bool(w & toks) for w in words) / len(words) if words else 0.0
        return [f_num, float(bool(nums) and not (nums <= tnums)), f_name, f_word]


N_SCALAR = 2 + 4 + 4 + 1  # cos, z; overlap in sentence; overlap in paragraph; same-language flag


def features(qv, svecs, cos_all, overlap_s, overlap_p, same_lang: bool) -> np.ndarray:
    """One row per sentence of a paragraph (or passage) for one question."""
    mu, sd = cos_all.mean(), cos_all.std() + 1e-3
    rows = []
    for v, c, os_ in zip(svecs, cos_all, overlap_s):
        rows.append(np.concatenate([[c, (c - mu) / sd], os_, overlap_p, [float(same_lang)], qv * v, np.abs(qv - v)]))
    return np.asarray(rows, dtype=np.float32)


# ----------------------------------------------------------------- model
def train_mlp(x: np.ndarray, y: np.ndarray, epochs: int, hidden: int = 64, seed: int = 0):
    import torch

    torch.manual_seed(seed)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    xt = torch.tensor((x - mu) / sd)
    yt = torch.tensor(y, dtype=torch.float32)
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                                torch.nn.Linear(hidden, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-3)
    pos_w = torch.tensor(float((y == 0).sum() / max(1, (y == 1).sum())))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_w)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for b in torch.randperm(len(xt), generator=gen).split(256):
            opt.zero_grad()
            loss = loss_fn(model(xt[b]).squeeze(1), yt[b])
            loss.backward()
            opt.step()
    model.eval()
    w = [p.detach().numpy().astype(np.float32) for p in model.parameters()]
    return {"mu": mu.astype(np.float32), "sd": sd.astype(np.float32), "w1": w[0], "b1": w[1], "w2": w[2], "b2": w[3]}


def predict(m: dict, x: np.ndarray) -> np.ndarray:
    h = np.maximum(((x - m["mu"]) / m["sd"]) @ m["w1"].T + m["b1"], 0)
    return 1 / (1 + np.exp(-(h @ m["w2"].T + m["b2"])[:, 0]))


# ------------------------------------------------------------------ runs
def build_xquad(xq_idx, paras, lexicon, emb, seed=0):
    """Examples per (question language, sentence language, paragraph, question, perturbed?)."""
    rng = np.random.default_rng(seed)
    sents = paragraph_sentences(xq_idx)
    sv = xq_idx.payload.sent_vectors
    ov = Overlap(lexicon)
    art_nums = {}
    for lang in LANGS:
        for p in paras[lang]:
            art_nums.setdefault((lang, p["article"]), set()).update(NUM.findall(p["context"]))
    qtexts, meta = [], []
    for qlang in LANGS:
        for i, p in enumerate(paras[qlang]):
            for qid, q, _s, _t in p["qas"]:
                qtexts.append(q)
                meta.append((qlang, i, qid, False))
                pq = perturb(q, art_nums[(qlang, p["article"])], p["context"] + paras["en" if qlang == "ru" else "ru"][i]["context"], rng)
                if pq:
                    qtexts.append(pq)
                    meta.append((qlang, i, qid, True))
    t = time.perf_counter()
    qvecs = emb.embed_queries(qtexts)
    print(f"embedded {len(qtexts)} questions in {time.perf_counter() - t:.0f} s", flush=True)
    examples = []
    for (qlang, i, qid, pert), q, qv in zip(meta, qtexts, qvecs):
        parts = ov.parts(q)
        for slang in LANGS:
            p = paras[slang][i]
            ans = {x[0]: x for x in p["qas"]}[qid]
            ss = sents[(slang, i)]
            rows = np.array([r for _, _, r in ss])
            cos = sv[rows] @ qv
            texts = [p["context"][s:e] for s, e, _ in ss]
            o_s = [Overlap.of(parts, tx) for tx in texts]
            o_p = Overlap.of(parts, p["context"])
            x = features(qv, sv[rows], cos, o_s, o_p, qlang == slang)
            gold = [int(s <= ans[2] < e) for s, e, _ in ss]
            y = np.zeros(len(ss)) if pert else np.asarray(gold, dtype=np.float32)
            examples.append({"q": qlang, "s": slang, "article": p["article"], "pert": pert, "x": x, "y": y,
                             "gold": gold, "cos": cos})
    return examples


def xquad_report(examples, model) -> dict:
    out = {}
    for qlang in LANGS:
        for slang in LANGS:
            ex = [e for e in examples if e["q"] == qlang and e["s"] == slang and not e["pert"] and any(e["gold"])]
            acc_cos = np.mean([e["gold"][int(np.argmax(e["cos"]))] for e in ex])
            acc_mlp = np.mean([e["gold"][int(np.argmax(predict(model, e["x"])))] for e in ex])
            out[f"{qlang}->{slang}"] = {"n": len(ex), "sentence_acc_cosine": round(float(acc_cos), 3),
                                        "sentence_acc_reader": round(float(acc_mlp), 3)}
    orig = [float(predict(model, e["x"]).max()) for e in examples if not e["pert"] and any(e["gold"])]
    pert = [float(predict(model, e["x"]).max()) for e in examples if e["pert"]]
    out["near-miss AUC (max prob, original above perturbed)"] = round(auc(orig, pert), 3)
    orig_c = [float(e["cos"].max()) for e in examples if not e["pert"] and any(e["gold"])]
    pert_c = [float(e["cos"].max()) for e in examples if e["pert"]]
    out["near-miss AUC of max cosine"] = round(auc(orig_c, pert_c), 3)
    return out


def corpus_report(idx, model, lexicon) -> dict:
    """Our corpus set: rerank the default top 10 by reader and combined scores; abstention AUC."""
    items = load_questions(DEFAULT_QUESTIONS, DEFAULT_CORPUS)
    ov = Overlap(lexicon)
    qvecs = idx.embedder.embed_queries([it.question for it in items])
    sv = idx.payload.sent_vectors
    res = {"default": [], "reader": [], "sum": []}
    best_prob = []
    for it, qv in zip(items, qvecs):
        hits = idx.search(it.question, k=10)
        parts = ov.parts(it.question)
        qlang = "ru" if _CYR.search(it.question) else "en"
        rowmap = {c.id: i for i, c in enumerate(idx.payload.chunks)}
        scores = []
        for h in hits:
            c = idx.payload.chunks[rowmap[h.chunk_id]]
            rows = np.array([s[4] for s in c.sents]) if c.sents else None
            if rows is None:
                scores.append(0.0)
                continue
            cos = sv[rows] @ qv
            texts = [c.text[a:b] for a, b, _s, _e, _r in c.sents]
            x = features(qv, sv[rows], cos, [Overlap.of(parts, t) for t in texts], Overlap.of(parts, c.text),
                         qlang == c.lang)
            scores.append(float(predict(model, x).max()))
        best_prob.append((it.answerable, max(scores) if scores else 0.0))
        if not it.answerable:
            continue
        base = np.array([h.score for h in hits])
        rd = np.array(scores)
        z = lambda a: (a - a.mean()) / (a.std() + 1e-6)
        for name, sc in (("default", base), ("reader", rd), ("sum", z(base) + z(rd))):
            order = np.argsort(-sc, kind="stable")
            res[name].append((rank_of([hits[i] for i in order], it), it))
    out = {}
    for name, ranks in res.items():
        r = [x for x, _ in ranks]
        cross = [x for x, it in ranks if it.lang != it.doc_lang]
        out[name] = {"r@1": round(np.mean([x == 1 for x in r]), 3),
                     "r@5": round(np.mean([x is not None and x <= 5 for x in r]), 3),
                     "mrr@10": round(np.mean([1 / x if x else 0 for x in r]), 3),
                     "cross r@5": round(np.mean([x is not None and x <= 5 for x in cross]), 3)}
    out["numbers"] = number_coverage(idx, items)
    out["abstention AUC (answerable above unanswerable)"] = round(
        auc([p for a, p in best_prob if a], [p for a, p in best_prob if not a]), 3)
    probs_a = sorted(p for a, p in best_prob if a)
    t95 = probs_a[int(len(probs_a) * 0.05)]
    out["declined at 95 % answered"] = f"{sum(p < t95 for a, p in best_prob if not a)} of {sum(not a for a, _ in best_prob)}"
    return out


def number_coverage(idx, items) -> dict:
    """Why a number rule cannot decline our near-misses: of the questions with numbers, how many
    find all of them in the default top quote and in the top 3 passages of ask()."""
    out = {}
    for kind, group in (("answerable", [i for i in items if i.answerable]),
                        ("unanswerable", [i for i in items if not i.answerable])):
        with_nums = in_quote = in_top3 = 0
        for it in group:
            nums = set(NUM.findall(it.question))
            if not nums:
                continue
            a = idx.ask(it.question)
            with_nums += 1
            in_quote += all(n in " ".join(q.text for q in a.quotes[:1]) for n in nums)
            in_top3 += all(any(n in h.text for h in a.hits[:3]) for n in nums)
        out[kind] = {"questions": len(group), "with numbers": with_nums, "all in top quote": in_quote,
                     "all in top 3 passages": in_top3}
    return out


def main(argv: list[str] | None = None) -> int:
    import rag

    p = argparse.ArgumentParser(prog="python -m research.reader_mlp")
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--xquad-index", default="results/xquad-index", help="an eval.xquad index (built there if missing)")
    p.add_argument("--index", default="index")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--out", default="results/reader_mlp.json")
    a = p.parse_args(argv)
    paras = xquad(Path(a.data))
    try:
        xq = rag.load(a.xquad_index)
    except rag.IndexFormatError:
        from eval.xquad import main as build_xquad_index

        build_xquad_index(["--index", a.xquad_index, "--out", str(Path(a.out).parent)])
        xq = rag.load(a.xquad_index)
    lexicon = load_lexicon(xq.settings.dictionary)
    ex = build_xquad(xq, paras, lexicon, xq.embedder)
    train = [e for e in ex if e["article"] not in HELD_OUT]
    test = [e for e in ex if e["article"] in HELD_OUT]
    x = np.concatenate([e["x"] for e in train])
    y = np.concatenate([e["y"] for e in train])
    t = time.perf_counter()
    model = train_mlp(x, y, a.epochs)
    print(f"trained on {len(x)} pairs ({int(y.sum())} positive) in {time.perf_counter() - t:.0f} s", flush=True)
    res = {"train_pairs": len(x), "xquad_held_out": xquad_report(test, model)}
    print(json.dumps(res, indent=1), flush=True)
    idx = open_index(a.index, Path(DEFAULT_CORPUS))
    res["corpus"] = corpus_report(idx, model, lexicon)
    print(json.dumps(res["corpus"], indent=1))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
