"""The keyword (BM25) side of the index, persisted beside Chroma.

It is derived data: ingestion rebuilds it from the store after every sync that
changed something, and stamps it with the manifest generation. It holds ids, the
BM25 matrix and compact filter columns; chunk text comes from the store. At start-up it is
loaded from disk (never rebuilt unless its stamp is stale). Access level and
filters are applied as a mask on the scores before the top-k is taken, so a
passage the reader may not see can never be returned.
"""

from __future__ import annotations

import bisect
import logging
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant import access
from assistant.tokens import tokenize
from assistant.types import Filters

log = logging.getLogger(__name__)

def _import_bm25s():
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    return bm25s


FORMAT = 4  # on-disk layout and tokens (4: letters of every script); another format is not loaded, the next ingestion rebuilds it
_SCALARS = ("doc_id", "doc_type", "programme", "region")  # filter columns, stored as codes into a vocabulary
_LISTS = ("countries", "years")  # list-valued filter columns, stored as posting lists (value -> rows)
_DOC_FIELDS = ("title", "doc_context", "programme", "region", "countries", "years")  # a document's profile


def indexed_text(text: str, meta: dict[str, Any]) -> str:
    """What BM25 reads for a chunk: its document-level context header, then its text."""
    from assistant.query import context_header

    return f"{context_header(meta)}\n{text}"


def indexed_tokens(text: str, meta: dict[str, Any]) -> list[str]:
    """``tokenize(indexed_text(text, meta))``, with the header's tokens computed once per header."""
    from assistant.query import context_header

    return list(_header_tokens(context_header(meta))) + tokenize(text)


@lru_cache(maxsize=4096)
def _header_tokens(header: str) -> tuple[str, ...]:
    return tuple(tokenize(header))


class KeywordIndex:
    """BM25 over every stored chunk, with compact columns for masking.

    It keeps no chunk text or metadata dictionaries (the store has those): only the ids, the
    BM25 matrix, the access rank as an int8 array, the scalar filter fields as integer codes and
    the list-valued ones as posting lists. At 100k chunks that is tens of MB, not hundreds, and it
    loads without building 100k Python dicts.
    """

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict[str, Any]], stamp: str = "") -> None:
        bm25s = _import_bm25s()

        self.ids = list(ids)
        self.stamp = stamp
        self.rank = np.array([int(m.get("access_rank", 2)) for m in metas], dtype=np.int8)
        self.vocab: dict[str, list[str]] = {}
        self.codes: dict[str, np.ndarray] = {}
        for key in _SCALARS:
            values = [str(m.get(key) or "") for m in metas]
            vocab = sorted(set(values))
            index = {v: i for i, v in enumerate(vocab)}
            self.vocab[key] = vocab
            self.codes[key] = np.array([index[v] for v in values], dtype=np.int32)
        self.postings: dict[str, dict[str, np.ndarray]] = {}
        for key in _LISTS:
            rows: dict[str, list[int]] = {}
            for i, m in enumerate(metas):
                for value in m.get(key) or ():
                    rows.setdefault(str(value), []).append(i)
            self.postings[key] = {v: np.array(r, dtype=np.int32) for v, r in rows.items()}
        self.docs: dict[str, dict[str, Any]] = {}
        for m in metas:
            doc = str(m.get("doc_id") or "")
            if doc not in self.docs:
                self.docs[doc] = {k: m[k] for k in _DOC_FIELDS if m.get(k)}
        self._pos = {cid: i for i, cid in enumerate(self.ids)}
        self._profiles = None
        self._bm25 = bm25s.BM25()
        if self.ids:
            self._bm25.index([indexed_tokens(t, m) or ["\x00"] for t, m in zip(texts, metas)], show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    # --- persistence -------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        import orjson

        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self.ids:
            self._bm25.save(str(tmp / "bm25"))
        np.savez(tmp / "columns.npz", rank=self.rank, **{f"code_{k}": v for k, v in self.codes.items()})
        data = {  # "stamp" first: ingestion reads it from the head of the file
            "stamp": self.stamp,
            "format": FORMAT,
            "ids": self.ids,
            "vocab": self.vocab,
            "postings": {k: {v: rows.tolist() for v, rows in p.items()} for k, p in self.postings.items()},
            "docs": self.docs,
        }
        (tmp / "keyword.json").write_bytes(orjson.dumps(data))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        import orjson

        data_file = folder / "keyword.json"
        if not data_file.exists():
            return None
        data = orjson.loads(data_file.read_bytes())
        if data.get("format") != FORMAT:
            log.warning("keyword index in %s has format %s, not %s: re-run ingestion", folder, data.get("format"), FORMAT)
            return None
        bm25s = _import_bm25s()
        obj = cls.__new__(cls)
        obj.ids, obj.stamp, obj.vocab = data["ids"], data["stamp"], data["vocab"]
        obj.postings = {k: {v: np.array(r, dtype=np.int32) for v, r in p.items()} for k, p in data["postings"].items()}
        with np.load(folder / "columns.npz") as cols:
            obj.rank = cols["rank"]
            obj.codes = {k: cols[f"code_{k}"] for k in _SCALARS}
        obj.docs = data.get("docs", {})
        obj._pos = {cid: i for i, cid in enumerate(obj.ids)}
        obj._profiles = None
        obj._bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True) if obj.ids else bm25s.BM25()
        return obj

    # --- querying ----------------------------------------------------------------------
    def mask(self, role: str, filters: Filters | None) -> np.ndarray:
        """Boolean array: which chunks this reader may see and the filters admit."""
        keep = self.rank <= access.max_rank(role)
        f = filters or Filters()
        for key, want in (("doc_type", f.doc_type), ("programme", f.programme), ("region", f.region)):
            if want in (None, ""):
                continue
            vocab = self.vocab[key]
            i = bisect.bisect_left(vocab, want)
            if i == len(vocab) or vocab[i] != want:
                return np.zeros_like(keep)
            keep &= self.codes[key] == i
        for key, want in (("countries", f.country), ("years", f.year)):
            if want in (None, ""):
                continue
            col = np.zeros_like(keep)
            col[self.postings[key].get(str(want), np.empty(0, dtype=np.int32))] = True
            keep &= col
        return keep

    def profiles(self):
        """Each document's :class:`assistant.query.DocProfile` and the name words they use (computed once)."""
        if self._profiles is None:
            from assistant.query import name_vocabulary, profile

            profiles = {doc: profile({"doc_id": doc, **fields}) for doc, fields in self.docs.items()}
            vocab = name_vocabulary(self.docs)
            self._profiles = (profiles, vocab)
        return self._profiles

    def search(
        self, query: str, n: int, role: str, filters: Filters | None = None, docs: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top ``n`` (chunk id, BM25 score) among chunks the mask admits; zero scores dropped.
        ``docs``: search only the chunks of these documents."""
        if not self.ids:
            return []
        tokens = tokenize(query)
        if not tokens:
            return []
        keep = self.mask(role, filters)
        if docs is not None:
            vocab = self.vocab["doc_id"]
            codes = [i for i in (bisect.bisect_left(vocab, d) for d in docs) if i < len(vocab) and vocab[i] in docs]
            keep = keep & np.isin(self.codes["doc_id"], np.array(codes, dtype=np.int32))
        scores = self._scores(tokens) * keep  # what the reader may not see scores 0
        if len(scores) > n:
            hits = np.argpartition(scores, len(scores) - n)[-n:]
        else:
            hits = np.arange(len(scores))
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in hits if scores[i] > 0]

    def _scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk: the query terms' precomputed postings summed with one
        ``bincount`` (bm25s's own ``get_scores`` adds term by term with ``np.add.at``, ~3x slower)."""
        bm25 = self._bm25
        if getattr(bm25, "nonoccurrence_array", None) is not None:  # BM25L/BM25+: not the variant built here
            return np.asarray(bm25.get_scores(tokens), dtype=np.float32)
        sc = bm25.scores
        indptr, indices, data = sc["indptr"], sc["indices"], sc["data"]
        spans = [(indptr[t], indptr[t + 1]) for t in bm25.get_tokens_ids(tokens)]  # a repeated term counts twice
        if not spans:
            return np.zeros(len(self.ids), dtype=np.float32)
        rows = np.concatenate([indices[a:b] for a, b in spans])
        weights = np.concatenate([data[a:b] for a, b in spans])
        return np.bincount(rows, weights=weights, minlength=len(self.ids)).astype(np.float32)

    def ids_by_rank(self, role: str, filters: Filters | None) -> dict[int, list[str]]:
        """The chunk ids the mask admits, by access rank (the store partition each lives in)."""
        keep = np.flatnonzero(self.mask(role, filters))
        ranks = self.rank[keep]
        return {int(r): [self.ids[i] for i in keep[ranks == r]] for r in np.unique(ranks)}

    def rank_of(self, chunk_id: str) -> int | None:
        """The access rank of a chunk (None if the index does not hold it)."""
        i = self._pos.get(chunk_id)
        return None if i is None else int(self.rank[i])

    def doc_of(self, chunk_id: str) -> str | None:
        """The document id of a chunk (None if the index does not hold it)."""
        i = self._pos.get(chunk_id)
        return None if i is None else self.vocab["doc_id"][int(self.codes["doc_id"][i])]

    def row(self, chunk_id: str) -> dict[str, Any] | None:
        """The indexed columns of one chunk, as metadata-style fields (for checks and debugging)."""
        i = self._pos.get(chunk_id)
        if i is None:
            return None
        out: dict[str, Any] = {"access_rank": int(self.rank[i])}
        out |= {k: self.vocab[k][int(self.codes[k][i])] for k in _SCALARS}
        for key in _LISTS:
            out[key] = sorted(v for v, rows in self.postings[key].items() if i in set(rows.tolist()))
        return out
