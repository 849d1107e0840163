"""A tiny random BERT with a word-level tokenizer: the reader's and the ONNX export's tests
run on it in seconds, without the real model."""
from __future__ import annotations

import json

from rag.read import LOWER

H, FF = 24, 48  # a tiny BERT: hidden size and feed-forward width


def tiny_model(folder):
    """A 9-layer BERT of hidden size 24 with a word-level pair tokenizer, as Reader expects."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel

    words = "query passage : in what year was the tower built 1889 it is tall в каком году".split()
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, **{w: i + 4 for i, w in enumerate(dict.fromkeys(words))}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))  # noqa: S106 (a token, not a password)
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.save(str(folder / "tokenizer.json"))
    import torch

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=H, num_hidden_layers=LOWER + 1, num_attention_heads=2,
                     intermediate_size=FF, max_position_embeddings=128, pad_token_id=1)
    BertModel(cfg).eval().save_pretrained(str(folder))
    assert json.loads((folder / "config.json").read_text())["hidden_size"] == H


def tiny_bert(layers: int = 4):
    """An in-memory random BERT of hidden size 16 and `layers` layers (seeded: two calls give
    the same weights), for tests that cut and change layers (research/distill.py, rag/student.py)."""
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, pad_token_id=0)
    return BertModel(cfg).eval()
