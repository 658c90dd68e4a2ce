"""The keyword (BM25) side of the index, persisted beside Chroma.

It is derived data: ingestion rebuilds it from the store after every sync that
changed something, and stamps it with the manifest generation. At start-up it is
loaded from disk (never rebuilt unless its stamp is stale). Access level and
filters are applied as a mask on the scores before the top-k is taken, so a
passage the reader may not see can never be returned.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import ACCESS_RANK
from assistant.types import Filters

log = logging.getLogger(__name__)

_STOP = frozenset(
    """a an and are as at be been by can could did do does for from had has have how i if in into is it its
    me my of on or our so than that the their them there these they this those to was we were what when where
    which who whom why will with would you your about any all also more most other some such only own same
    then too very just should may might must shall""".split()
)
_WORD = re.compile(r"[a-z0-9]+")


def _import_bm25s():
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
    return bm25s


def _stemmer():
    try:
        import Stemmer  # PyStemmer, installed with bm25s

        return Stemmer.Stemmer("english").stemWord
    except ImportError:  # pragma: no cover
        return lambda w: w


_STEM = None


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed words (also used by the answer scorer)."""
    global _STEM
    if _STEM is None:
        _STEM = _stemmer()
    return [_STEM(w) for w in _WORD.findall(text.lower()) if w not in _STOP]


class KeywordIndex:
    """BM25 over every stored chunk, with metadata columns for masking."""

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict[str, Any]], stamp: str = "") -> None:
        bm25s = _import_bm25s()

        self.ids = ids
        self.texts = texts
        self.metas = metas
        self.stamp = stamp
        self._pos = {cid: i for i, cid in enumerate(ids)}
        self.rank = np.array([int(m.get("access_rank", 2)) for m in metas], dtype=np.int8)
        self._bm25 = bm25s.BM25()
        if ids:
            self._bm25.index([tokenize(t) or ["\x00"] for t in texts], show_progress=False)

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
        (tmp / "chunks.json").write_bytes(
            orjson.dumps({"stamp": self.stamp, "ids": self.ids, "texts": self.texts, "metas": self.metas})
        )
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        import orjson

        bm25s = _import_bm25s()
        data_file = folder / "chunks.json"
        if not data_file.exists():
            return None
        data = orjson.loads(data_file.read_bytes())
        obj = cls.__new__(cls)
        obj.ids, obj.texts, obj.metas, obj.stamp = data["ids"], data["texts"], data["metas"], data["stamp"]
        obj._pos = {cid: i for i, cid in enumerate(obj.ids)}
        obj.rank = np.array([int(m.get("access_rank", 2)) for m in obj.metas], dtype=np.int8)
        obj._bm25 = bm25s.BM25.load(str(folder / "bm25")) if obj.ids else bm25s.BM25()
        return obj

    # --- querying ----------------------------------------------------------------------
    def mask(self, role: str, filters: Filters | None) -> np.ndarray:
        """Boolean array: which chunks this reader may see and the filters admit."""
        keep = self.rank <= ACCESS_RANK[role]
        f = filters or Filters()
        checks: list[tuple[str, Any, bool]] = [
            ("doc_type", f.doc_type, False),
            ("programme", f.programme, False),
            ("region", f.region, False),
            ("countries", f.country, True),
            ("years", f.year, True),
        ]
        for key, want, is_list in checks:
            if want in (None, ""):
                continue
            if is_list:
                col = np.array([want in (m.get(key) or ()) for m in self.metas], dtype=bool)
            else:
                col = np.array([m.get(key) == want for m in self.metas], dtype=bool)
            keep &= col
        return keep

    def search(self, query: str, n: int, role: str, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Top ``n`` (chunk id, BM25 score) among chunks the mask admits; zero scores dropped."""
        if not self.ids:
            return []
        tokens = tokenize(query)
        if not tokens:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        scores = np.where(self.mask(role, filters), scores, -np.inf)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def get(self, chunk_id: str) -> tuple[str, dict[str, Any]] | None:
        i = self._pos.get(chunk_id)
        return None if i is None else (self.texts[i], self.metas[i])
