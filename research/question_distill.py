"""Question-side distillation across languages (issue 30's X->en and X->mixed gap).

e5-small reads a German, Spanish or Chinese question, but its vector sits nearer passages in
the question's own language than the same passage in English or Russian: on XQuAD's held-out
articles zh->mixed r@1 is 0.760 against en->mixed 0.96. research/query_adapter.py tried a
linear map of the frozen question vector and found it learns the training articles' topics.
Here the encoder itself learns, on the question side only (documents' vectors stay as built,
so no index changes): a LoRA student of e5-small is taught to give a question in language X
the vector the frozen e5 gives the same question in English (multilingual knowledge
distillation, Reimers & Gurevych 2020), the teacher's English vectors of all training pairs
serving as negatives (InfoNCE) beside the cosine to the target.

Training pairs: XQuAD's questions and their gold answers (names, dates, numbers: the words a
translation must carry) on the articles outside eval.xquad.HELD_OUT, each of the 11 languages
paired with English. Questions are short (~20 tokens), so back-propagation on 2 cores is cheap.

Figures: raw-cosine r@1 over each language's 240 paragraphs (held-out questions, i % 10 != 0,
as research/query_adapter.py measures them): mono, ->en, ->mixed (en + ru), before and after.

    python -m research.question_distill --minutes 20 --lr 2e-4 [--rank 16] [--langs zh] [--cedict N] [--save FILE] [--out FILE]

Result (research/retrieval.md): rejected; the student learns the training articles, not the languages.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

from eval.adopt import LANGS
from eval.quotes import paragraphs
from eval.xquad import DEFAULT_DATA, HELD_OUT

PREFIX = "query: "  # e5's question prompt: the student only ever reads questions


def pairs(data: Path, held: set[int]) -> list[tuple[str, str, str]]:
    """(language, text in that language, the same text in English) for every question and
    gold answer of the training articles, XQuAD's 12 languages against English."""
    en = paragraphs(data, "en")
    out = []
    for lang in LANGS:  # English against itself too: the anchor that keeps English questions in place
        for pe, px in zip(en, paragraphs(data, lang), strict=True):
            if pe["article"] in held:
                continue
            for (_, qe, ae), (_, qx, ax) in zip(pe["qas"], px["qas"], strict=True):
                out.append((lang, qx, qe))
                if ae and ax and ae[0].strip() and ax[0].strip():
                    out.append((lang, ax[0], ae[0]))
    return out


class LoRA:
    """Wraps one nn.Linear: y = W x + b + (B A x) * alpha / rank, A and B trained, W frozen."""

    @staticmethod
    def wrap(model, rank: int, alpha: float):
        import torch
        from torch import nn

        class Adapted(nn.Module):
            def __init__(self, base: nn.Linear):
                super().__init__()
                self.base = base
                self.a = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
                self.b = nn.Parameter(torch.zeros(base.out_features, rank))
                self.scale = alpha / rank

            def forward(self, x):
                return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale

        for p in model.parameters():
            p.requires_grad_(False)
        names = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and n.startswith("encoder.")]
        for n in names:
            parent, _, leaf = n.rpartition(".")
            owner = model.get_submodule(parent)
            setattr(owner, leaf, Adapted(getattr(owner, leaf)))
        return names

    @staticmethod
    def deltas(model) -> dict[str, np.ndarray]:
        """Each adapted Linear's weight change (out x in), to merge or to ship as A, B."""
        out = {}
        for n, m in model.named_modules():
            if hasattr(m, "base") and hasattr(m, "a"):
                out[n] = (m.b @ m.a).detach().numpy() * m.scale
        return out


def encoder(folder: Path):
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder))
    model.eval()
    return tok, model


def encode(tok, model, texts: list[str], grad: bool = False, batch: int = 64):
    import torch

    outs = []
    for b in range(0, len(texts), batch):
        enc = tok([PREFIX + t.strip() for t in texts[b : b + batch]], padding=True, truncation=True,
                  max_length=128, return_tensors="pt")
        with torch.set_grad_enabled(grad):
            h = model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            outs.append(torch.nn.functional.normalize(v, dim=1))
    return torch.cat(outs) if outs else torch.zeros(0, model.config.hidden_size)


def train(tok, model, data: list[tuple[str, str, str]], minutes: float, lr: float, tau: float, batch: int,
          nce: float = 1.0, seed: int = 0) -> dict:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)
    english = sorted({e for _, _, e in data})
    row = {e: i for i, e in enumerate(english)}
    t0 = time.time()
    teacher = encode(tok, model, english).detach()  # the frozen e5 before any adapter is trained
    print(f"teacher: {len(english)} English texts in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    order, step, seen, log = list(range(len(data))), 0, 0, []
    t0 = time.time()
    model.train()
    while time.time() - t0 < minutes * 60:
        random.shuffle(order)
        for b in range(0, len(order), batch):
            rows = [data[i] for i in order[b : b + batch]]
            target = torch.tensor([row[e] for _, _, e in rows])
            v = encode(tok, model, [x for _, x, _ in rows], grad=True, batch=len(rows))
            logits = v @ teacher.T / tau  # every English text of the training pairs is a negative
            loss = nce * torch.nn.functional.cross_entropy(logits, target) + (1 - (v * teacher[target]).sum(1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            step, seen = step + 1, seen + len(rows)
            if step % 20 == 0:
                log.append({"step": step, "seen": seen, "loss": round(loss.item(), 4),
                            "seconds": round(time.time() - t0)})
                print(f"step {step} ({seen} pairs, {time.time() - t0:.0f} s): loss {loss.item():.4f}",
                      file=sys.stderr, flush=True)
            if time.time() - t0 >= minutes * 60:
                break
    model.eval()
    return {"steps": step, "pairs_seen": seen, "pairs_per_second": round(seen / max(time.time() - t0, 1e-9), 2),
            "log": log}


def held_questions(data: Path, lang: str, held: np.ndarray, qpara: np.ndarray) -> tuple[list[str], np.ndarray]:
    """One language's held-out question texts and the mask that selects them from all its
    questions: those of the paragraphs `held` marks (query_adapter's mask; `qpara`: each
    question's paragraph, as research.query_adapter.load_lang gives it)."""
    texts = [q[1] for p in paragraphs(data, lang) for q in p["qas"]]
    mask = held[qpara]
    return [texts[i] for i in np.flatnonzero(mask)], mask


def main(argv: list[str] | None = None) -> int:
    from research.query_adapter import evaluate, load_lang

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index", type=Path, default=None, help="an eval.xquad_langs cache folder (default: current)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--minutes", type=float, default=20)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--alpha", type=float, default=32)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--tau", type=float, default=0.05)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--nce", type=float, default=1.0, help="weight of the InfoNCE term beside the cosine")
    p.add_argument("--langs", default="", help="train on these languages only (default: all 11)")
    p.add_argument("--cedict", type=int, default=0,
                   help="also N CC-CEDICT words and their first English gloss as Chinese pairs (research/dict_map.py pairs)")
    p.add_argument("--save", type=Path, default=None, help="write the adapter's weight changes here (.safetensors)")
    p.add_argument("--out", type=Path, default=None, help="write the figures here (JSON)")
    a = p.parse_args(argv)
    if a.index is None:
        from eval.xquad_langs import current

        a.index = current()
    from rag.convert import ensure_e5_small

    t = time.time()
    tok, model = encoder(ensure_e5_small())
    data = pairs(a.data, set(HELD_OUT))
    if a.langs:
        data = [r for r in data if r[0] in a.langs.split(",")]
    if a.cedict:
        from research.dict_map import pairs as dictionary_pairs

        data += [("zh", w, e) for w, e in dictionary_pairs(a.cedict)]
    print(f"{len(data)} training pairs", file=sys.stderr)
    loaded = {lang: load_lang(a.index, a.data, lang) for lang in LANGS}
    art = loaded["en"][4]
    held = np.isin(art, list(HELD_OUT)) & (np.arange(len(art)) % 10 != 0)
    ident = lambda q: q
    before = evaluate(loaded, ident, held)
    LoRA.wrap(model, a.rank, a.alpha)
    run = train(tok, model, data, a.minutes, a.lr, a.tau, a.batch, a.nce)
    for lang in LANGS:
        texts, mask = held_questions(a.data, lang, held, loaded[lang][3])
        qv = loaded[lang][2].copy()
        qv[mask] = encode(tok, model, texts).numpy()
        loaded[lang] = (*loaded[lang][:2], qv, *loaded[lang][3:])
    after = evaluate(loaded, ident, held)
    res = {"args": {k: str(v) for k, v in vars(a).items()}, "pairs": len(data), "train": run,
           "before": before, "after": after, "seconds": round(time.time() - t)}
    for k in before:
        print(f"{k:12s} {before[k]:.3f} -> {after[k]:.3f}")
    if a.save:
        from safetensors.numpy import save_file

        save_file({k: v.astype(np.float32) for k, v in LoRA.deltas(model).items()}, str(a.save))
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
