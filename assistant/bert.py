"""A small BERT sentence encoder in plain torch, for mean-pooled, normalised models.

Why: importing sentence-transformers costs ~3.6 s here (it pulls in transformers,
scikit-learn and scipy), against ~0.1 s to read the weights; that import was most of
the app's start-up. For a model folder that is exactly "BERT encoder -> mean pooling
-> normalise" (all-MiniLM-L6-v2, the packaged model, is one) this module computes the
same vectors from the same ``model.safetensors`` and ``tokenizer.json`` with torch and
the Rust ``tokenizers`` library only. Any other folder goes through
sentence-transformers as before (:func:`supports`). Vectors agree with
sentence-transformers to ~1e-6 (tested).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def supports(folder: Path) -> bool:
    """Is ``folder`` a sentence-transformers BERT model with mean pooling and normalisation?"""
    try:
        modules = [m.get("type", "") for m in _read(folder / "modules.json")]
        pooling = _read(folder / "1_Pooling" / "config.json")
        config = _read(folder / "config.json")
    except (OSError, ValueError):
        return False
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    return (
        modules == [
            "sentence_transformers.models.Transformer",
            "sentence_transformers.models.Pooling",
            "sentence_transformers.models.Normalize",
        ]
        and modes == {"pooling_mode_mean_tokens"}
        and config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


class _Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, inner: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=eps)
        self.ffn_in = nn.Linear(hidden, inner)
        self.ffn_out = nn.Linear(inner, hidden)
        self.ffn_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        size = hidden // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, size).transpose(1, 2)

        attn = F.scaled_dot_product_attention(split(self.query(x)), split(self.key(x)), split(self.value(x)), attn_mask=mask)
        attn = attn.transpose(1, 2).reshape(batch, length, hidden)
        x = self.attn_norm(x + self.attn_out(attn))
        return self.ffn_norm(x + self.ffn_out(F.gelu(self.ffn_in(x))))


class BertSentenceEncoder(nn.Module):
    """BERT layers + mean pooling over real tokens + L2 normalisation."""

    def __init__(self, config: dict) -> None:
        super().__init__()
        hidden, eps = config["hidden_size"], config["layer_norm_eps"]
        self.word = nn.Embedding(config["vocab_size"], hidden)
        self.position = nn.Embedding(config["max_position_embeddings"], hidden)
        self.token_type = nn.Embedding(config["type_vocab_size"], hidden)
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(
            _Layer(hidden, config["num_attention_heads"], config["intermediate_size"], eps)
            for _ in range(config["num_hidden_layers"])
        )

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.norm(self.word(ids) + self.position(positions)[None] + self.token_type.weight[0])
        mask = attention[:, None, None, :].bool()  # keys a token may attend to
        for layer in self.layers:
            x = layer(x, mask)
        weights = attention.unsqueeze(-1).to(x.dtype)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)

    _RENAME = {
        "attention.self.query": "query",
        "attention.self.key": "key",
        "attention.self.value": "value",
        "attention.output.dense": "attn_out",
        "attention.output.LayerNorm": "attn_norm",
        "intermediate.dense": "ffn_in",
        "output.dense": "ffn_out",
        "output.LayerNorm": "ffn_norm",
    }

    def load_hf_weights(self, path: Path) -> None:
        """Copy the weights of a Hugging Face ``BertModel`` checkpoint (safetensors) into this module."""
        from safetensors.torch import load_file

        state: dict[str, torch.Tensor] = {}
        for name, tensor in load_file(str(path)).items():
            name = name.removeprefix("bert.")
            if name.startswith(("pooler.", "embeddings.position_ids")):
                continue
            if name.startswith("embeddings."):
                name = (
                    name.replace("embeddings.word_embeddings", "word")
                    .replace("embeddings.position_embeddings", "position")
                    .replace("embeddings.token_type_embeddings", "token_type")
                    .replace("embeddings.LayerNorm", "norm")
                )
            elif name.startswith("encoder.layer."):
                index, rest = name.removeprefix("encoder.layer.").split(".", 1)
                stem, kind = rest.rsplit(".", 1)
                name = f"layers.{index}.{self._RENAME[stem]}.{kind}"
            state[name] = tensor
        missing, unexpected = self.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"{path}: weights do not fit (missing {missing[:3]}, unexpected {unexpected[:3]})")


class FastEncoder:
    """``encode(texts)`` like sentence-transformers: length-sorted batches, unit vectors, input order."""

    def __init__(self, folder: Path, int8: bool = False) -> None:
        from tokenizers import Tokenizer

        config = _read(folder / "config.json")
        st_config = _read(folder / "sentence_bert_config.json") if (folder / "sentence_bert_config.json").is_file() else {}
        self.max_length = int(st_config.get("max_seq_length") or config["max_position_embeddings"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))  # to the longest in the batch
        model = BertSentenceEncoder(config)
        model.load_hf_weights(folder / "model.safetensors")
        model.eval()
        if int8:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.ao.quantization announces its future move
                model = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
        self.model = model
        self.dim = int(config["hidden_size"])

    @torch.inference_mode()
    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = self.tokenizer.encode_batch([texts[i] for i in rows])
            ids = torch.tensor([e.ids for e in batch], dtype=torch.long)
            attention = torch.tensor([e.attention_mask for e in batch], dtype=torch.long)
            out[rows] = self.model(ids, attention).float().numpy()
        return out

