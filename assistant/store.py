"""Chroma access (embedded or server) and the index manifest.

The collection names carry the settings hash (model + chunking), so vectors of two
models can never mix. Each access level has a collection of its own and a reader's
query only touches the ones they may read; optional filters become the set of chunk ids they
admit (worked out by the keyword index; see :class:`Scope`) or a Chroma ``where`` clause. Both are
enforced inside the store query, never by filtering results afterwards.

A chunk's text and its display fields (title, page, section, ...) are stored as one JSON string in
the metadata field ``chunk``, next to the fields queries filter on; Chroma's own ``documents`` are
left empty. Chroma puts every document into a trigram full-text index and every metadata field into
an index of its own, work that nothing here reads: packed this way a write costs about 40% less
(measured in benchmarks/). :meth:`ChromaStore.get`, :meth:`~ChromaStore.query` and
:meth:`~ChromaStore.iter_all` unpack it, so callers see text and metadata as written.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from assistant import access
from assistant.settings import Settings
from assistant.types import Filters

log = logging.getLogger(__name__)


class StoreUnavailableError(RuntimeError):
    """The Chroma server cannot be reached (or the embedded store cannot be opened)."""




@dataclass(frozen=True)
class Scope:
    """What one reader may search: the access partitions up to ``max_rank`` and a ``where`` clause
    for the optional filters (None: no restriction inside a partition).

    ``ids``, when given, is the same filter worked out ahead (by the keyword index's columns): the
    chunk ids each partition may return. A dense query then searches those ids (exactly, when there
    are a few hundred) instead of making Chroma evaluate ``where`` over the whole partition (at 100k
    chunks: 5-15 ms against 40-170 ms), and falls back to ``where`` should Chroma not know one of them
    (the keyword index is rebuilt at the end of an ingestion, so it can briefly lag the store). The
    ids never widen access: each set is only looked up in its own partition, within ``max_rank``."""

    max_rank: int
    where: dict[str, Any] | None = None
    ids: dict[int, list[str]] | None = field(default=None, compare=False, repr=False)


def build_where(filters: Filters | None = None) -> dict[str, Any] | None:
    """The Chroma ``where`` clause for optional filters (None when there are none)."""
    f = filters or Filters()
    clauses: list[dict[str, Any]] = []
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


# A filtered query over at most this many ids (known from the keyword index) is answered exactly,
# from the stored vectors, rather than by Chroma's id-restricted search.
EXACT_SEARCH_MAX_IDS = 500

# Fields a chunk keeps as Chroma metadata of their own: the ones a query or a scan filters on, and the
# keyword index is rebuilt from. The rest of what a chunk carries, its text included, is PAYLOAD_KEY.
FILTER_KEYS = ("doc_id", "access_rank", "doc_type", "programme", "region", "countries", "years")
PAYLOAD_KEY = "chunk"


def pack(text: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The Chroma metadata of one chunk: its filter fields, and everything else in one JSON string."""
    out = {k: meta[k] for k in FILTER_KEYS if k in meta}
    out[PAYLOAD_KEY] = orjson.dumps({"text": text} | {k: v for k, v in meta.items() if k not in FILTER_KEYS}).decode()
    return out


def unpack(stored: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """(text, metadata) of one stored chunk: the inverse of :func:`pack`."""
    if not stored:
        return "", {}
    meta = {k: v for k, v in stored.items() if k != PAYLOAD_KEY}
    payload = stored.get(PAYLOAD_KEY)
    if payload is None:
        return "", meta
    rest = orjson.loads(payload)
    return rest.pop("text", ""), meta | rest


def scope_for(role: str, filters: Filters | None = None) -> Scope:
    """The partitions a role may read (its access rank and below) and the filters' where clause."""
    return Scope(access.max_rank(role), build_where(filters))


class ChromaStore:
    """The vector side of the index: per settings hash, one collection per access level.

    Access is enforced by *where a chunk is stored*: public, partner and staff chunks live in
    three collections, and a reader's query only ever touches the collections of their rank and
    below. Each of those is searched without an access clause and the hits are merged by
    distance. (A metadata ``where`` on one shared collection makes Chroma build the allowed-id
    set on every query: 130-580 ms at 100k chunks, against 3 ms unfiltered.)
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client = None
        self._collections: dict[int, Any] = {}
        self._max_batch: int | None = None

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

    def partition_name(self, rank: int) -> str:
        return f"{self.settings.collection_name}_{access.audience_of_rank(rank)}"

    def partition(self, rank: int):
        """The collection holding the chunks of one access rank (created on first use)."""
        got = self._collections.get(rank)
        if got is None:
            client = self._connect()
            s = self.settings
            try:
                got = client.get_or_create_collection(
                    self.partition_name(rank),
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={
                        "embed_model": s.embed_model,
                        "chunk_size": s.chunk_size,
                        "overlap": s.chunk_overlap,
                        "audience": access.audience_of_rank(rank),
                    },
                )
            except Exception as exc:
                self._client = None
                raise StoreUnavailableError(f"cannot reach the Chroma store at {self.location}: {exc}") from exc
            self._collections[rank] = got
        return got

    def ranks(self, max_rank: int | None = None) -> list[int]:
        """The access ranks that have a partition (up to ``max_rank``), lowest first."""
        top = max(access.RANKS) if max_rank is None else max_rank
        return [r for r in access.RANKS if r <= top]

    def reset_connection(self) -> None:
        """Forget the client so the next call reconnects (after a server restart)."""
        self._client = None
        self._collections = {}

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
        return sum(self._call(lambda r=r: self.partition(r).count()) for r in self.ranks())

    def upsert(self, ids: list[str], vectors: np.ndarray, documents: list[str], metadatas: list[dict]) -> None:
        """Write chunks, each into the partition of its ``access_rank``, in batches the client
        accepts (one round trip per batch and partition, not per chunk)."""
        if not ids:
            return
        by_rank: dict[int, list[int]] = {}
        for i, meta in enumerate(metadatas):
            rank = int(meta.get("access_rank", max(access.RANKS)))
            by_rank.setdefault(rank if rank in access.RANKS else max(access.RANKS), []).append(i)
        if self._max_batch is None:
            self._max_batch = max(1, min(5000, self._call(lambda: self._connect().get_max_batch_size())))
        batch = self._max_batch
        vectors = np.asarray(vectors)
        for rank, rows in sorted(by_rank.items()):
            for start in range(0, len(rows), batch):
                part = rows[start : start + batch]
                self._call(
                    lambda rank=rank, part=part: self.partition(rank).upsert(
                        ids=[ids[i] for i in part],
                        embeddings=vectors[part],
                        metadatas=[pack(documents[i], metadatas[i]) for i in part],
                    )
                )

    def delete_ids(self, ids: list[str], ranks: list[int] | None = None) -> None:
        """Delete chunks by id from the given partitions (default: all of them)."""
        for rank in self.ranks() if ranks is None else ranks:
            for start in range(0, len(ids), 5000):
                part = ids[start : start + 5000]
                self._call(lambda rank=rank, part=part: self.partition(rank).delete(ids=part))

    def ids_for_doc(self, doc_id: str) -> list[str]:
        """Every stored chunk id of one document, in any partition (a metadata scan: after a crash only)."""
        out: list[str] = []
        for rank in self.ranks():
            got = self._call(lambda rank=rank: self.partition(rank).get(where={"doc_id": doc_id}, include=[]))
            out += got["ids"]
        return out

    def iter_all(
        self, page: int = 5000, include: tuple[str, ...] = ("documents", "metadatas"), ranks: list[int] | None = None
    ) -> Iterator[tuple]:
        """Every stored chunk as (id, text, metadata), partition by partition, page by page; with an
        empty ``include``, ids only (text and metadata None)."""
        wanted = ["metadatas"] if include else []  # text and metadata both live in the metadata
        for rank in self.ranks() if ranks is None else ranks:
            offset = 0
            while True:
                got = self._call(
                    lambda rank=rank, offset=offset: self.partition(rank).get(limit=page, offset=offset, include=wanted)
                )
                ids = got["ids"]
                if not ids:
                    break
                if include:
                    yield from ((cid, *unpack(stored)) for cid, stored in zip(ids, got["metadatas"]))
                else:
                    yield from ((cid, None, None) for cid in ids)
                offset += len(ids)

    def query(
        self, vector: np.ndarray, n: int, scope: Scope, with_text: bool = True
    ) -> list[tuple[str, float, str | None, dict]]:
        """Nearest chunks the scope admits as (id, cosine similarity, text, metadata), best first.

        ``with_text=False`` asks Chroma for ids and distances only (about half the cost of a query);
        the text is then None and the metadata just ``{"access_rank": r}``, the partition it came from.
        """
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        include = ["metadatas", "distances"] if with_text else ["distances"]
        hits: list[tuple[str, float, str | None, dict]] = []
        for rank in self.ranks(scope.max_rank):
            got = self._query_partition(rank, query, n, scope, include)
            if got is None:
                continue
            ids, dists = got["ids"][0], got["distances"][0]
            if with_text:
                stored = [unpack(m) for m in got["metadatas"][0]]
            else:
                stored = [(None, {"access_rank": rank}) for _ in ids]
            hits += [(cid, 1.0 - float(dist), doc, meta) for cid, dist, (doc, meta) in zip(ids, dists, stored)]
        hits.sort(key=lambda h: (-h[1], h[0]))
        return hits[:n]

    def _query_partition(self, rank: int, query: np.ndarray, n: int, scope: Scope, include: list[str]) -> dict | None:
        """One partition's nearest chunks within the scope (None: the scope's ids leave it nothing)."""
        collection = self.partition(rank)
        if scope.ids is not None and scope.where is not None:
            subset = scope.ids.get(rank, [])
            if not subset:
                return None
            if len(subset) <= EXACT_SEARCH_MAX_IDS:
                return self._exact_query(collection, query, n, subset, include)
            try:
                return self._call(
                    lambda: collection.query(query_embeddings=query, n_results=min(n, len(subset)), ids=subset, include=include)
                )
            except StoreUnavailableError:
                raise
            except Exception as exc:  # an id the store no longer holds: the keyword index lags an ingestion
                log.info("id-restricted query failed (%s); filtering with where instead", exc)
        return self._call(lambda: collection.query(query_embeddings=query, n_results=n, where=scope.where, include=include))

    def _exact_query(self, collection, query: np.ndarray, n: int, subset: list[str], include: list[str]) -> dict:
        """Nearest of a few hundred ids by brute force over their stored vectors, in the shape of a
        Chroma query result. (Chroma's own id-restricted query is slowest for the smallest sets:
        ~35 ms for 200 ids at 100k chunks, against ~5 ms for fetching them and a dot product.)"""
        got = self._call(lambda: collection.get(ids=subset, include=["embeddings"]))
        if not got["ids"]:
            return {"ids": [[]], "distances": [[]], "metadatas": [[]]}
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        q = query.reshape(-1)
        sims = vectors @ q / np.maximum(np.linalg.norm(vectors, axis=1) * np.linalg.norm(q), 1e-12)
        top = np.argsort(-sims, kind="stable")[:n]
        ids = [got["ids"][i] for i in top]
        out = {"ids": [ids], "distances": [[float(1.0 - sims[i]) for i in top]]}
        if "metadatas" in include:
            metas = self._call(lambda: collection.get(ids=ids, include=["metadatas"]))
            by_id = dict(zip(metas["ids"], metas["metadatas"]))
            out["metadatas"] = [[by_id.get(cid) for cid in ids]]
        return out

    def get(
        self, ids: list[str], scope: Scope | None = None, ranks: set[int] | None = None
    ) -> dict[str, tuple[str, dict]]:
        """Chunks by id, only those the scope admits (no scope: every partition). ``ranks``, when
        the caller knows them, narrows the partitions asked (never widens the scope)."""
        if not ids:
            return {}
        out: dict[str, tuple[str, dict]] = {}
        for rank in self.ranks(None if scope is None else scope.max_rank):
            if ranks is not None and rank not in ranks:
                continue
            got = self._call(
                lambda rank=rank: self.partition(rank).get(
                    ids=ids, where=None if scope is None else scope.where, include=["metadatas"]
                )
            )
            out.update({cid: unpack(stored) for cid, stored in zip(got["ids"], got["metadatas"])})
        return out


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
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
        data = orjson.loads(path.read_bytes())
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
        # compact orjson: at 12k documents (100k chunks) 30 ms a save instead of 330 ms with json.dumps(indent=1)
        atomic_write_bytes(self.path_for(settings), orjson.dumps(data))

    @property
    def version(self) -> str:
        return f"{self.settings_hash}.{self.generation}"
