"""The packaged encoder on ONNX Runtime, exported locally from its own weights.

Why: importing sentence-transformers costs ~3.6 s here (it pulls in transformers,
scikit-learn and scipy) and torch alone ~1 s, against 0.3 s for ONNX Runtime and a
session; that import was most of the app's start-up. For a model folder that is
exactly "BERT encoder -> mean pooling -> normalise" (all-MiniLM-L6-v2, the packaged
model, is one; :func:`supports`), :class:`BertSentenceEncoder` rebuilds the network in
plain torch from ``model.safetensors`` (:mod:`assistant.bert_torch`), ``export_onnx`` writes it once as an ONNX
graph with each layer's attention fused into one op by ONNX Runtime's transformer optimizer
(~15% faster than the traced graph, and than sentence-transformers; int8 weights when asked,
by ONNX Runtime's dynamic quantisation) into ``index/models/``, and :class:`OnnxEncoder` runs it with the Rust ``tokenizers``
library. Vectors agree with sentence-transformers to ~1e-6 in fp32 (tested). Any other
model folder goes through sentence-transformers as before. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from assistant.model_files import read_json as _read
from assistant.settings import ONNX_EXPORT_VERSION

log = logging.getLogger(__name__)


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


EXPORT_VERSION = ONNX_EXPORT_VERSION  # old files are ignored after a bump


def onnx_path(folder: Path, cache_dir: Path, int8: bool) -> Path:
    """Where the ONNX export of ``folder``'s model lives: named by a digest of its config and weights
    (size and a hash of the first MiB), the export version and the precision."""
    weights = folder / "model.safetensors"
    digest = hashlib.sha256()
    digest.update((folder / "config.json").read_bytes())
    digest.update(str(weights.stat().st_size).encode())
    with open(weights, "rb") as fh:
        digest.update(fh.read(1 << 20))
    digest.update(f"v{EXPORT_VERSION}".encode())
    return cache_dir / f"{folder.name}-{digest.hexdigest()[:12]}-{'int8' if int8 else 'fp32'}.onnx"


class OnnxEncoder:
    """``encode(texts)`` like sentence-transformers (length-sorted batches, unit vectors, input order),
    on ONNX Runtime: loading needs neither torch nor transformers (0.3 s instead of 1.4-4.7 s)."""

    def __init__(self, folder: Path, model_file: Path, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        config = _read(folder / "config.json")
        st_config = _read(folder / "sentence_bert_config.json") if (folder / "sentence_bert_config.json").is_file() else {}
        self.max_length = int(st_config.get("max_seq_length") or config["max_position_embeddings"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_length)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))  # to the longest in the batch
        options = ort.SessionOptions()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting between calls
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.dim = int(config["hidden_size"])

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            batch = self.tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            out[rows] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out


def load_encoder(folder: Path, cache_dir: Path | None, int8: bool, threads: int = 0) -> OnnxEncoder:
    """The ONNX encoder for ``folder``: exported into ``cache_dir`` on first use (a temporary folder
    when there is none or it cannot be written), read from there afterwards. A file there that ONNX
    Runtime cannot load (damaged on disk) is exported again."""
    import tempfile

    def export_onnx(folder: Path, dest: Path, int8: bool) -> Path:
        from assistant.bert_torch import export_onnx as export  # torch: only when exporting

        return export(folder, dest, int8)

    if cache_dir is not None:
        target = onnx_path(folder, cache_dir, int8)
        try:
            if target.is_file():
                try:
                    return OnnxEncoder(folder, target, threads)
                except Exception as exc:  # onnxruntime raises its own Fail / InvalidProtobuf types
                    log.warning("the encoder file %s cannot be loaded (%s): exporting it again", target, exc)
            export_onnx(folder, target, int8)
            return OnnxEncoder(folder, target, threads)
        except OSError:  # a read-only index folder: export for this process only
            pass
    scratch = Path(tempfile.mkdtemp(prefix="pa-onnx-"))
    return OnnxEncoder(folder, export_onnx(folder, onnx_path(folder, scratch, int8), int8), threads)
