"""The packaged encoder's network in plain torch, and its export to ONNX (see :mod:`assistant.bert`).

Used once per model and precision, to write the ONNX file; at run time only ONNX
Runtime is loaded. The network is BERT -> mean pooling over real tokens -> L2
normalisation, built from a Hugging Face ``BertModel`` checkpoint.
"""

from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from assistant.model_files import read_json as _read

log = logging.getLogger(__name__)


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
        # Written out as in BERT's reference code (not scaled_dot_product_attention) so that ONNX
        # Runtime's transformer optimizer recognises it and fuses each layer into one Attention op.
        batch, length, hidden = x.shape
        size = hidden // self.heads
        query = self.query(x).view(batch, length, self.heads, size).transpose(1, 2)
        key = self.key(x).view(batch, length, self.heads, size).permute(0, 2, 3, 1)
        value = self.value(x).view(batch, length, self.heads, size).transpose(1, 2)
        scores = torch.matmul(query, key) / math.sqrt(size) + mask
        attn = torch.matmul(scores.softmax(-1), value).transpose(1, 2).reshape(batch, length, hidden)
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
        mask = (1.0 - attention[:, None, None, :].to(x.dtype)) * -10000.0  # padding keys get no weight
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


def export_onnx(folder: Path, dest: Path, int8: bool) -> Path:
    """Export the model to ONNX (and quantise its weights to int8) with torch, once; atomic."""
    import tempfile
    import warnings

    config = _read(folder / "config.json")
    model = BertSentenceEncoder(config)
    model.load_hf_weights(folder / "model.safetensors")
    model.eval()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".export-") as tmp:
        traced = Path(tmp) / "traced.onnx"
        ids = torch.tensor([[101, 2023, 2003, 102], [101, 2023, 102, 0]])
        mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter announces its retirement
            torch.onnx.export(
                model,
                (ids, mask),
                str(traced),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                              "embedding": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        out = _fuse(traced, Path(tmp) / "model.onnx", config)
        if int8:
            import onnx
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantised = Path(tmp) / "model-int8.onnx"
            with _quiet_root_logger():  # it advises "pre-processing" on the root logger; not needed here
                quantize_dynamic(
                    str(out),
                    str(quantised),
                    weight_type=QuantType.QInt8,
                    # a scale per output channel rather than per matrix: as fast here, and vectors far closer
                    # to fp32 (mean cosine 0.994 against 0.956 on the sample corpus's chunks)
                    per_channel=True,
                    # fused ops are outside ONNX's shape inference: their outputs are float32
                    extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
                )
            out = quantised
        out.replace(dest)
    return dest


@contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _fuse(src: Path, dest: Path, config: dict) -> Path:
    """ONNX Runtime's transformer optimizer: each layer's attention becomes one fused Attention op,
    residual + LayerNorm a SkipLayerNormalization, bias + GELU a BiasGelu (about 15% faster on CPU,
    same vectors). Should the patterns not match, the graph is kept as traced (still correct)."""
    from onnxruntime.transformers import optimizer

    with _quiet_root_logger():
        fused = optimizer.optimize_model(
            str(src), model_type="bert", num_heads=config["num_attention_heads"], hidden_size=config["hidden_size"],
            opt_level=0,  # graph rewrites only; the session applies its own optimisations at load
        )
    found = fused.get_fused_operator_statistics().get("Attention", 0)
    if found != config["num_hidden_layers"]:
        log.warning("ONNX export: %d of %d attention layers fused; keeping the unfused graph", found, config["num_hidden_layers"])
        return src
    fused.save_model_to_file(str(dest))
    return dest
