"""The plain llama-index pipeline (benchmarks/baseline.py) on a public set, beside ours in the same run.

Retrieval: ``VectorStoreIndex`` over Chroma with ``HuggingFaceEmbedding`` on the same
packaged encoder and the same chunk size, ``as_retriever(similarity_top_k=5)``; its
index of a document folder is cached beside the eval indexes. Declining: one cosine
threshold on the top hit's similarity, chosen to maximise balanced accuracy on the
very questions it is scored on (so the baseline is, if anything, flattered). Its
"answer" is the top retrieved chunk: correct when that chunk contains the reference
answer (SQuAD/ViQuAD) or comes from the right filing (10-Q).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals.metrics import fact_found
from evals.suite import source_matches


def _index(folder: Path, index_cache: Path, settings, log: Callable[[str], None]):
    """(collection, embed model) of the baseline's cached Chroma index of ``folder``."""
    from benchmarks import baseline
    from evals.runner import docs_key

    model = baseline.embed_model()
    key = docs_key(folder, settings, audience=f"baseline-{settings.chunk_size}-{settings.chunk_overlap}")
    target = index_cache / f"baseline-{folder.resolve().parent.name}-{key}"
    marker = target / ".baseline-index.json"
    client = baseline.client(target)
    if not marker.is_file():
        log(f"plain llama-index: indexing {folder} into {target} (first use)")
        if target.exists():
            try:
                client.delete_collection(baseline.COLLECTION)
            except Exception:  # noqa: BLE001 - not there yet
                pass
        info = baseline.ingest(folder, target, model, settings.chunk_size, settings.chunk_overlap)
        marker.write_text(json.dumps(info), encoding="utf-8")
    return client.get_collection(baseline.COLLECTION), model


def cosine(score: float | None) -> float:
    """The cosine similarity behind llama-index's Chroma score: it reports exp(-d) of Chroma's squared L2
    distance d, and for unit vectors d = 2 - 2 cos."""
    if not score or score <= 0:
        return -1.0
    return 1.0 + math.log(score) / 2.0


def best_threshold(scores: Sequence[float], should_decline: Sequence[bool]) -> float | None:
    """The top-hit similarity threshold with the best balanced accuracy (answer at or above it)."""
    pos = sum(should_decline)
    neg = len(should_decline) - pos
    if not pos or not neg:
        return None
    best, best_ba = None, -1.0
    for t in sorted(set(scores)):
        d_recall = sum(1 for s, d in zip(scores, should_decline) if d and s < t) / pos
        coverage = sum(1 for s, d in zip(scores, should_decline) if not d and s >= t) / neg
        ba = (d_recall + coverage) / 2
        if ba > best_ba:
            best, best_ba = t, ba
    return best


def metrics(rows: Sequence[dict[str, Any]], threshold: float | None) -> dict[str, Any]:
    answered = [r for r in rows if threshold is None or r["score"] >= threshold]
    ids = {id(r) for r in answered}
    answerable = [r for r in rows if not r["should_decline"]]
    unanswerable = [r for r in rows if r["should_decline"]]
    with_src = [r for r in answerable if r["expected"]]
    single = [r for r in with_src if r["single"]]

    def share(flags: list[bool]) -> float | None:
        return sum(flags) / len(flags) if flags else None

    declined = [r for r in rows if id(r) not in ids]
    coverage = share([id(r) in ids for r in answerable])
    d_recall = share([id(r) not in ids for r in unanswerable]) if unanswerable else None
    return {
        "cases": len(rows),
        "first": share([r["first"] for r in with_src]),
        "first_single": share([r["first"] for r in single]) if single else None,
        "top5": share([r["top5"] for r in with_src]),
        "correct": share([id(r) in ids and r["correct"] for r in answerable]),
        "token_f1": None,
        "answered_precision": share([r["correct"] and not r["should_decline"] for r in answered]),
        "coverage": coverage,
        "decline_precision": share([r["should_decline"] for r in declined]) if unanswerable and declined else None,
        "decline_recall": d_recall,
        "balanced_accuracy": (coverage + d_recall) / 2 if coverage is not None and d_recall is not None else None,
        "number_runs": None,
    }


def run_baseline(pset, cases, index_cache: Path, settings, log: Callable[[str], None],
                 held_out: Sequence[str] | None = None, k: int = 5) -> dict[str, Any]:
    """Retrieve for every case with the plain pipeline; figures for all cases (and the held-out ids)."""
    try:
        import llama_index.embeddings.huggingface  # noqa: F401
        import llama_index.vector_stores.chroma  # noqa: F401

        from benchmarks import baseline  # noqa: F401
    except ImportError as exc:
        log(f"plain llama-index baseline not run: {exc} (install the test extras: make install-test)")
        return {"error": f"not run: {exc}"}
    from benchmarks.baseline import retriever

    collection, model = _index(pset.docs, index_cache, settings, log)
    ret = retriever(collection, model, top_k=k)
    rows = []
    for case in cases:
        nodes = ret.retrieve(case.question)
        docs = list(dict.fromkeys(n.node.metadata.get("file_name", "") for n in nodes))
        patterns = [s.doc for s in case.expected_sources]
        hit = [any(source_matches(p, d) for p in patterns) for d in docs]
        top_text = nodes[0].node.get_content() if nodes else ""
        if case.expected_facts:
            correct = all(fact_found(f, top_text) for f in case.expected_facts)
        else:
            correct = bool(hit and hit[0])
        rows.append({
            "id": case.id, "should_decline": case.should_decline, "expected": bool(patterns),
            "single": "single-doc" in case.tags, "first": bool(hit and hit[0]), "top5": any(hit),
            "score": cosine(nodes[0].score) if nodes else -1.0, "correct": correct,
        })
    threshold = best_threshold([r["score"] for r in rows], [r["should_decline"] for r in rows])
    out: dict[str, Any] = {"threshold": threshold, "all": metrics(rows, threshold), "rows": rows}
    if held_out:
        ids = set(held_out)
        part = [r for r in rows if r["id"] in ids]
        if part:
            out["held_out"] = metrics(part, threshold)
    return out
