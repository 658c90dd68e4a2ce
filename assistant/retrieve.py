"""Hybrid retrieval: dense (Chroma) and keyword (BM25), fused by reciprocal rank.

Access level and filters are part of both queries (Chroma: the reader's access
partitions, and for filters the chunk ids the keyword index's columns admit, or a ``where``
clause; BM25: a score mask), so nothing a reader may not see is ever fetched. After fusion, a
per-document cap keeps one long document from crowding out the rest, and
adjacent chunks of one document are merged so a passage reads whole.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from assistant.embedding import Embedder, EmbeddingCache, embed_queries
from assistant.keyword import KeywordIndex
from assistant.settings import Settings
from assistant.store import ChromaStore, Scope, scope_for
from assistant.types import Filters, Passage

log = logging.getLogger(__name__)


@dataclass
class _Hit:
    chunk_id: str
    text: str
    meta: dict
    rrf: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)
    dense: float = 0.0


def rrf_fuse(rankings: dict[str, list[str]], k: int, weights: dict[str, float] | None = None) -> dict[str, float]:
    """Reciprocal rank fusion: sum over rankings of weight / (k + rank), ranks from 1 (weights default 1)."""
    scores: dict[str, float] = {}
    for name, ranking in rankings.items():
        weight = (weights or {}).get(name, 1.0)  # multilingual hook: a foreign question's keyword ranking counts less
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return scores


def diversify(
    ordered: list[str], doc_of: dict[str, str], k: int, max_per_doc: int, roomy: frozenset[str] = frozenset()
) -> list[str]:
    """Take ids in order, at most ``max_per_doc`` per document (two more for the ``roomy`` documents, which the
    question names); fill up from the rest if short."""
    chosen: list[str] = []
    per_doc: dict[str, int] = {}
    skipped: list[str] = []
    for cid in ordered:
        doc = doc_of[cid]
        if per_doc.get(doc, 0) < max_per_doc + (2 if doc in roomy else 0):
            chosen.append(cid)
            per_doc[doc] = per_doc.get(doc, 0) + 1
        else:
            skipped.append(cid)
        if len(chosen) == k:
            return chosen
    return chosen + skipped[: k - len(chosen)]


def _join_overlap(first: str, second: str) -> str:
    """Concatenate two consecutive chunks, dropping the text they share. Chunks that share nothing come
    from different sections or paragraphs: they are joined by a paragraph break, so no sentence runs from
    one into the other ("...overseas In 2015 Japan began...")."""
    for size in range(min(len(first), len(second), 600), 15, -1):
        if first.endswith(second[:size]):
            return first + second[size:]
    return f"{first}\n\n{second}"


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Threads for the keyword side of retrieval (shared by every retriever of the process)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="keyword-search")
        return _POOL


class Retriever:
    """Turns a query into ranked passages the reader may see."""

    def __init__(
        self,
        settings: Settings,
        store: ChromaStore,
        keyword: KeywordIndex | None,
        embedder: Embedder,
        cache: EmbeddingCache | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.keyword = keyword
        self.embedder = embedder
        self.cache = cache
        self._query_vectors: dict[str, np.ndarray] = {}

    def embed_query(self, query: str) -> np.ndarray:
        vec = self._query_vectors.get(query)
        if vec is None:
            vec = embed_queries(self.embedder, [query])[0]  # multilingual hook: e5 embeds questions apart
            if len(self._query_vectors) > 512:
                self._query_vectors.clear()
            self._query_vectors[query] = vec
        return vec

    def retrieve(
        self, query: str, role: str = "public", filters: Filters | None = None, k: int | None = None,
        keyword_weight: float = 1.0,
    ) -> list[Passage]:
        """``keyword_weight``: the BM25 ranking's weight in fusion (lower for a question in another
        language than the documents', whose words BM25 cannot match)."""
        s = self.settings
        k = k or s.top_k
        scope = scope_for(role, filters)
        # With a keyword index, fusion and the per-document cap need ids only (document ids come from
        # the keyword index's columns): the dense query skips text and metadata, and only the chosen
        # k chunks are fetched. Without one, the dense query brings everything at once.
        lean = self.keyword is not None
        if lean and scope.where is not None:  # filters: the keyword index's columns name the ids to search
            scope = Scope(scope.max_rank, scope.where, ids=self.keyword.ids_by_rank(role, filters))
        # BM25 runs in a pool thread while this one embeds the query and waits on Chroma (whose query
        # releases the GIL): at 100k chunks, ~1.8 ms for both instead of ~3.5 ms in a quiet process;
        # about even when the CPUs are busy (Chroma's query then slows as much as BM25 is hidden).
        sparse_job = _pool().submit(self.keyword.search, query, s.candidates, role, filters) if lean else None
        boosts = self.doc_boosts(query, filters) if lean and s.entity_boost > 0 else {}
        focus_job = None
        if boosts:
            # the documents the question names get a BM25 search of their own, so that their best chunks
            # are among the candidates even when other documents' chunks fill both global lists
            top = max(boosts.values())
            focus = {d for d, v in boosts.items() if v >= 0.5 * top}
            focus_job = _pool().submit(self.keyword.search, query, s.candidates, role, filters, focus)
        dense = self.store.query(self.embed_query(query), s.candidates, scope, with_text=not lean)
        hits: dict[str, _Hit] = {}
        partition: dict[str, int | None] = {}
        for rank, (cid, sim, text, meta) in enumerate(dense, start=1):
            hits[cid] = _Hit(cid, text or "", meta if not lean else {}, ranks={"dense": rank}, dense=sim)
            partition[cid] = meta.get("access_rank") if meta else None
        sparse = sparse_job.result() if sparse_job is not None else []
        for rank, (cid, _score) in enumerate(sparse, start=1):
            if cid not in hits:
                hits[cid] = _Hit(cid, "", {})
                partition[cid] = self.keyword.rank_of(cid)
            hits[cid].ranks["keyword"] = rank
        rankings = {"dense": [c for c, *_ in dense], "keyword": [c for c, _ in sparse]}
        if focus_job is not None:
            rankings["focus"] = [c for c, _ in focus_job.result()]
            for rank, cid in enumerate(rankings["focus"], start=1):
                if cid not in hits:
                    hits[cid] = _Hit(cid, "", {})
                    partition[cid] = self.keyword.rank_of(cid)
                hits[cid].ranks["focus"] = rank
        fused = rrf_fuse(rankings, s.rrf_k, {"keyword": keyword_weight, "focus": keyword_weight})
        if lean:
            doc_of = {c: self.keyword.doc_of(c) or c for c in fused}
        else:
            doc_of = {c: hits[c].meta.get("doc_id", c) for c in fused}
        for cid in fused:  # documents of the entity and period the question names come first; squared, so
            # that matching all of it (Intel *and* Q2 2023) counts well above matching a part (Q2 2023)
            fused[cid] += s.entity_boost * boosts.get(doc_of[cid], 0.0) ** 2
        for cid, score in fused.items():
            hits[cid].rrf = score
        ordered = sorted(fused, key=lambda c: (-fused[c], c))
        named = frozenset(d for d, v in boosts.items() if v >= 0.99 * max(boosts.values()))
        chosen = diversify(ordered, doc_of, k, s.max_per_doc, named if 0 < len(named) <= 2 else frozenset())
        if lean and chosen:  # the chosen chunks' text, one call per access partition involved
            # chosen from the filtered dense hits and the masked BM25 hits: with the filter's ids at hand,
            # a where clause on this fetch would only repeat it (and cost what it costs on the query)
            fetch_scope = Scope(scope.max_rank) if scope.ids is not None else scope
            got = self.store.get(chosen, fetch_scope, ranks={partition[c] for c in chosen if partition[c] is not None})
            for cid, (text, meta) in got.items():
                hits[cid].text, hits[cid].meta = text or "", meta or {}
            chosen = [c for c in chosen if c in got]  # (a chunk deleted since the keyword index was built)
        return self._merge_neighbours([hits[c] for c in chosen])

    def doc_boosts(self, query: str, filters: Filters | None = None) -> dict[str, float]:
        """How well each document matches the entities and periods the query names (0..1; see
        :func:`assistant.query.doc_boosts`); empty when it names none or without a keyword index.
        A filter the reader set (country, programme, year) counts as named too: among the documents
        it admits, those *about* that country come before those that only list it."""
        if self.keyword is None:
            return {}
        from assistant.query import doc_boosts, parse

        profiles, vocabulary = self.keyword.profiles()
        named = [str(v) for v in (filters.country, filters.programme, filters.year) if v] if filters else []
        return doc_boosts(parse(" ".join([query, *named]), vocabulary), profiles)

    def _merge_neighbours(self, hits: list[_Hit]) -> list[Passage]:
        """Adjacent chunks of one document and page become one passage (keeping the better rank)."""
        by_key = {(h.meta.get("doc_id"), h.meta.get("page"), h.meta.get("position")): h for h in hits}
        absorbed: set[str] = set()
        passages: list[Passage] = []
        for hit in hits:
            if hit.chunk_id in absorbed:
                continue
            text = hit.text
            doc, page, pos = hit.meta.get("doc_id"), hit.meta.get("page"), hit.meta.get("position")
            nxt = by_key.get((doc, page, (pos or 0) + 1)) if pos is not None else None
            if nxt is not None and nxt.chunk_id not in absorbed:
                text = _join_overlap(text, nxt.text)
                absorbed.add(nxt.chunk_id)
            passages.append(self._to_passage(hit, text))
        return passages

    @staticmethod
    def _to_passage(hit: _Hit, text: str) -> Passage:
        m = hit.meta
        page = m.get("page") or None
        return Passage(
            chunk_id=hit.chunk_id,
            doc_id=m.get("doc_id", ""),
            title=m.get("title", ""),
            text=text,
            page=page,
            section=m.get("section", ""),
            doc_type=m.get("doc_type", ""),
            audience=m.get("audience", "staff"),
            score=round(hit.rrf, 6),
            ranks=dict(hit.ranks),
        )
