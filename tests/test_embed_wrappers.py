"""Wrappers around an embedder (the evals' cache, the benchmark's timer) keep an asymmetric encoder's
question reading: e5 embeds "query: ..." and "passage: ..." differently, and a wrapper that only forwarded
``embed`` would hand the retriever passage vectors for questions."""

from __future__ import annotations

import numpy as np

from assistant.embedding import HashEmbedder, embed_queries, is_multilingual
from benchmarks.ingest_bench import TimedEmbedder
from evals.runner import CachingEmbedder


class Asymmetric(HashEmbedder):
    """Questions and passages land in different places, as with e5's prefixes."""

    def __init__(self) -> None:
        super().__init__(32)
        self.name = "multilingual-e5-small+fake"
        self.query_calls = 0

    def embed_query(self, texts):
        self.query_calls += 1
        return self.embed(["query " + t for t in texts])


def test_caching_embedder_forwards_questions_and_caches_them_apart():
    inner = Asymmetric()
    cached = CachingEmbedder(inner)
    q = embed_queries(cached, ["when did it start?"])
    assert np.allclose(q, inner.embed_query(["when did it start?"]))
    assert not np.allclose(q, cached.embed(["when did it start?"]))  # the same text as a passage differs
    calls = inner.query_calls
    assert np.allclose(embed_queries(cached, ["when did it start?"]), q) and inner.query_calls == calls  # cached
    assert embed_queries(cached, []).shape == (0, 32)
    assert is_multilingual(cached)  # the wrapper carries the inner encoder's name


def test_timed_embedder_forwards_questions_and_counts_their_time():
    inner = Asymmetric()
    timed = TimedEmbedder(inner)
    q = embed_queries(timed, ["a question", "another"])
    assert np.allclose(q, inner.embed_query(["a question", "another"]))
    assert timed.calls == 1 and timed.texts == 2 and timed.seconds > 0
    plain = TimedEmbedder(HashEmbedder(16))  # an encoder without embed_query: its embed reads questions
    assert np.allclose(embed_queries(plain, ["x y"]), HashEmbedder(16).embed(["x y"]))
