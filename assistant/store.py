"""Chroma access (embedded or server) and the index manifest.

The collection name carries the settings hash (model + chunking), so vectors of two
models can never mix. Access level and filters become a Chroma ``where`` clause:
they are enforced inside the store query, never by filtering results afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import ACCESS_RANK, Settings
from assistant.types import Filters

log = logging.getLogger(__name__)


class StoreUnavailableError(RuntimeError):
    """The Chroma server cannot be reached (or the embedded store cannot be opened)."""


def build_where(role: str, filters: Filters | None = None) -> dict[str, Any] | None:
    """The Chroma ``where`` clause for a reader's role and optional filters (None: no restriction)."""
    rank = ACCESS_RANK.get(role)
    if rank is None:
        raise ValueError(f"unknown role: {role!r} (expected one of {', '.join(ACCESS_RANK)})")
    # The top rank may read everything: no access clause (a where clause costs Chroma a scan).
    clauses: list[dict[str, Any]] = [] if rank >= max(ACCESS_RANK.values()) else [{"access_rank": {"$lte": rank}}]
    f = filters or Filters()
    if f.doc_type:
        clauses.append({"doc_type": f.doc_type})
    if f.programme:
        clauses.append({"programme": f.programme})
    if f.region:
        clauses.append({"region": f.region})
    if f.country:
        clauses.append({"countries": {"$contains": f.country}})
    if f.year is not None:
        clauses.append({"years": {"$contains": int(f.year)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class ChromaStore:
    """The vector side of the index: one collection per settings hash."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client = None
        self._collection = None

    @property
    def location(self) -> str:
        s = self.settings
        return f"http://{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.index_dir / "chroma")

    def _connect(self):
        if self._client is None:
            import chromadb

            chroma_settings = chromadb.Settings(anonymized_telemetry=False)
            s = self.settings
            try:
                if s.chroma_host:
                    self._client = chromadb.HttpClient(host=s.chroma_host, port=s.chroma_port, settings=chroma_settings)
                else:
                    path = s.index_dir / "chroma"
                    path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            except Exception as exc:  # chromadb raises plain ValueError/ConnectionError here
                raise StoreUnavailableError(f"cannot open the Chroma store at {self.location}: {exc}") from exc
        return self._client

    @property
    def collection(self):
        if self._collection is None:
            client = self._connect()
            s = self.settings
            try:
                self._collection = client.get_or_create_collection(
                    s.collection_name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embed_model": s.embed_model, "chunk_size": s.chunk_size, "overlap": s.chunk_overlap},
                )
            except Exception as exc:
                self._client = None
                raise StoreUnavailableError(f"cannot reach the Chroma store at {self.location}: {exc}") from exc
        return self._collection

    def reset_connection(self) -> None:
        """Forget the client so the next call reconnects (after a server restart)."""
        self._client = None
        self._collection = None

    def reopen(self) -> None:
        """See what another process wrote: chromadb caches one embedded client per folder per
        process and that cached client serves stale data, so drop it (without stopping it, as
        requests in flight may still hold it) and connect afresh on the next call."""
        if not self.settings.chroma_host:
            from chromadb.api.client import SharedSystemClient  # private cache; no public way to refresh

            key = str(self.settings.index_dir / "chroma")
            SharedSystemClient._identifier_to_system.pop(key, None)
            SharedSystemClient._identifier_to_refcount.pop(key, None)
        self.reset_connection()

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except StoreUnavailableError:
            raise
        except Exception as exc:
            name = type(exc).__name__
            if self.settings.chroma_host and ("Connect" in name or "connect" in str(exc).lower()):
                self.reset_connection()
                raise StoreUnavailableError(f"the Chroma server at {self.location} is not answering") from exc
            raise

    def count(self) -> int:
        return self._call(lambda: self.collection.count())

    def upsert(self, ids: list[str], vectors: np.ndarray, documents: list[str], metadatas: list[dict]) -> None:
        """Write chunks in batches the client accepts (one round trip per batch, not per chunk)."""
        if not ids:
            return
        batch = max(1, min(5000, self._call(lambda: self._connect().get_max_batch_size())))
        for start in range(0, len(ids), batch):
            end = start + batch
            self._call(
                lambda: self.collection.upsert(
                    ids=ids[start:end],
                    embeddings=vectors[start:end],
                    documents=documents[start:end],
                    metadatas=metadatas[start:end],
                )
            )

    def delete_ids(self, ids: list[str]) -> None:
        for start in range(0, len(ids), 5000):
            part = ids[start : start + 5000]
            self._call(lambda: self.collection.delete(ids=part))

    def ids_for_doc(self, doc_id: str) -> list[str]:
        got = self._call(lambda: self.collection.get(where={"doc_id": doc_id}, include=[]))
        return list(got["ids"])

    def iter_all(self, page: int = 5000, include: tuple[str, ...] = ("documents", "metadatas")) -> Iterator[tuple]:
        """Every stored chunk as (id, document, metadata), page by page."""
        offset = 0
        while True:
            got = self._call(lambda: self.collection.get(limit=page, offset=offset, include=list(include)))
            ids = got["ids"]
            if not ids:
                return
            docs = got.get("documents") or [None] * len(ids)
            metas = got.get("metadatas") or [None] * len(ids)
            yield from zip(ids, docs, metas)
            offset += len(ids)

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None) -> list[tuple[str, float, str, dict]]:
        """Nearest chunks as (id, cosine similarity, text, metadata), best first."""
        got = self._call(
            lambda: self.collection.query(
                query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
                n_results=n,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        )
        return [
            (cid, 1.0 - float(dist), doc, meta)
            for cid, dist, doc, meta in zip(got["ids"][0], got["distances"][0], got["documents"][0], got["metadatas"][0])
        ]

    def get(self, ids: list[str], where: dict[str, Any] | None = None) -> dict[str, tuple[str, dict]]:
        if not ids:
            return {}
        got = self._call(lambda: self.collection.get(ids=ids, where=where, include=["documents", "metadatas"]))
        return {cid: (doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])}


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class DocRecord:
    """What the manifest remembers of one indexed document."""

    doc_id: str
    path: str
    sha256: str
    chunk_ids: list[str]
    title: str
    doc_type: str
    audience: str
    pages: int
    indexed_at: float
    size: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Manifest:
    """The index's own record: documents, their content hashes, and a generation number."""

    settings_hash: str
    collection: str
    generation: int = 0
    dirty: bool = False
    docs: dict[str, DocRecord] = field(default_factory=dict)
    updated_at: float = 0.0

    @staticmethod
    def path_for(settings: Settings) -> Path:
        return settings.index_dir / f"manifest-{settings.index_settings_hash}.json"

    @classmethod
    def load(cls, settings: Settings) -> Manifest:
        path = cls.path_for(settings)
        if not path.exists():
            return cls(settings.index_settings_hash, settings.collection_name)
        data = json.loads(path.read_text(encoding="utf-8"))
        docs = {k: DocRecord(**v) for k, v in data.pop("docs", {}).items()}
        return cls(docs=docs, **data)

    def save(self, settings: Settings) -> None:
        self.updated_at = time.time()
        data = {
            "settings_hash": self.settings_hash,
            "collection": self.collection,
            "generation": self.generation,
            "dirty": self.dirty,
            "updated_at": self.updated_at,
            "docs": {k: vars(v) for k, v in sorted(self.docs.items())},
        }
        atomic_write_text(self.path_for(settings), json.dumps(data, indent=1))

    @property
    def version(self) -> str:
        return f"{self.settings_hash}.{self.generation}"
