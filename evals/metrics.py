"""Answer-quality metrics: deterministic, offline, and each defined in one line (``DEFINITIONS``).

Everything here works on plain data (the ``Answer.to_dict()`` form and lists of
retrieved ``(doc_id, page)`` pairs), so it is tested without a model or an index.

Edge cases, as defined here:

- nothing retrieved: hit@k, MRR and recall@k are 0 (for cases that expect sources);
- duplicate ids: a document retrieved (or cited) several times counts once, at its
  first rank; a duplicated expected source counts once; duplicate case ids are a
  suite error;
- empty answer: fact recall, token F1 and ROUGE-L are 0 (1 only if the reference is
  empty too), groundedness and citation precision are undefined (``None``);
- a decline on an answerable case: it finds no facts and cites nothing (fact recall
  and citation recall 0), counts against coverage, is left out of answered-correctly
  precision, and counts as a false decline in decline precision.

``None`` means "not defined for this case"; averages skip it and report how many
cases they cover.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.access import may_see
from evals.suite import Case, ExpectedSource, source_matches

REFERENCE_F1_CORRECT = 0.5  # a case judged only by its reference answer is correct at or above this token F1

# name -> (label, one-line definition); the order is the report's order.
DEFINITIONS: dict[str, tuple[str, str]] = {
    "pass_rate": ("Pass rate", "Share of cases that pass: declined when they should, otherwise correct, and with no access violation."),
    "doc_hit_at_k": ("Doc hit@k", "Share of cases with expected sources where an expected document is among the top-k passages retrieved for the query actually searched."),
    "doc_mrr": ("Doc MRR", "Mean of 1/rank of the first expected document among the retrieved documents (distinct, in order of first appearance); 0 if none."),
    "doc_recall_at_k": ("Doc recall@k", "Share of a case's expected documents found among the top-k retrieved passages, averaged over cases."),
    "page_hit_at_k": ("Page hit@k", "As doc hit@k, for expected sources that name a page: the same document and page must be retrieved."),
    "page_mrr": ("Page MRR", "As doc MRR, over distinct (document, page) pairs, for expected sources that name a page."),
    "page_recall_at_k": ("Page recall@k", "Share of a case's expected (document, page) pairs among the top-k retrieved passages."),
    "fact_recall": ("Fact recall", "Share of expected facts found in the answer (any listed alternative; case and number formatting ignored); a decline finds none."),
    "token_f1": ("Token F1", "SQuAD token F1 between answer and reference answer (lower-cased; punctuation, articles and [n] markers removed)."),
    "rouge_l": ("ROUGE-L", "F1 of the longest common token subsequence between answer and reference answer."),
    "citation_precision": ("Citation precision", "Share of the documents an answer cites that are expected sources (answered cases with expected sources)."),
    "citation_recall": ("Citation recall", "Share of a case's expected source documents that the answer cites (a decline cites none)."),
    "groundedness": ("Groundedness", "Share of answer sentences the citation check marked supported, averaged over answered cases."),
    "decline_precision": ("Decline precision", "Of the cases the assistant declined, the share that should have been declined."),
    "decline_recall": ("Decline recall", "Of the cases that should be declined, the share the assistant declined."),
    "answered_precision": ("Answered-correctly precision", "PaperQA2 precision: correct among answered cases (all expected facts found; no-fact cases: an expected source cited); an answered should-decline case is wrong."),
    "coverage": ("Coverage", "Share of answerable cases (should_decline false) that the assistant answered rather than declined."),
    "access_ok": ("Access OK", "Share of cases where no forbidden source, and no document above the reader's role, was cited or retrieved."),
}
LATENCY_DEFINITION = (
    "Wall-clock milliseconds per stage from Answer.timings (model and index loaded before the first case); "
    "p50/p95 by the nearest-rank method over cases."
)
RATIO_METRICS = tuple(DEFINITIONS)


# ----------------------------------------------------------------------------- text
_MARKERS = re.compile(r"\s*\[(?:\d+(?:\s*[,;]\s*\d+)*|unsupported)\]")
_DIGIT_GROUP = re.compile(r"(?<=\d)[,\u00a0\u202f\u2009 ](?=\d{3}(?!\d))")
_DASHES = re.compile(r"[\u2010-\u2015\u2212-]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})


def normalize(text: str) -> str:
    """Lower-cased text for fact matching: citation markers dropped, 5,300 -> 5300, dashes -> spaces."""
    t = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).lower()
    t = _MARKERS.sub("", t)
    previous = None
    while previous != t:  # 1,234,567 needs more than one pass
        previous, t = t, _DIGIT_GROUP.sub("", t)
    t = _DASHES.sub(" ", t)
    return " ".join(t.split())


def fact_found(alternatives: Iterable[str], text: str) -> bool:
    """Any alternative occurs in ``text`` as whole words (after :func:`normalize`)."""
    hay = normalize(text)
    for alt in alternatives:
        needle = normalize(alt).strip(" .,;:")
        if needle and re.search(rf"(?<![a-z0-9]){re.escape(needle)}(?![a-z0-9])", hay):
            return True
    return False


def fact_recall(facts: Sequence[Sequence[str]], text: str) -> tuple[float | None, list[bool]]:
    """(share of facts found, found flag per fact); ``None`` when the case lists no facts."""
    if not facts:
        return None, []
    found = [fact_found(f, text) for f in facts]
    return sum(found) / len(found), found


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "\u2018\u2019\u201c\u201d\u2013\u2014"})


def tokens(text: str) -> list[str]:
    """SQuAD-style answer tokens (digit groups joined first, so 5,300 stays one token)."""
    t = _MARKERS.sub(" ", unicodedata.normalize("NFKC", text or "").lower())
    t = _DIGIT_GROUP.sub("", t)
    t = t.replace("'s ", " ").translate(_PUNCT)
    return _ARTICLES.sub(" ", t).split()


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall (bag of tokens); 1.0 when both are empty."""
    pred, ref = tokens(prediction), tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (dynamic programming, two rows)."""
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            cur[j] = prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1])
        prev = cur
    return prev[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1) over :func:`tokens`; 1.0 when both are empty."""
    pred, ref = tokens(prediction), tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    lcs = lcs_length(pred, ref)
    if lcs == 0:
        return 0.0
    p, r = lcs / len(pred), lcs / len(ref)
    return 2 * p * r / (p + r)


# ----------------------------------------------------------------------------- retrieval and citations
def _distinct(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def _doc_patterns(expected: Sequence[ExpectedSource]) -> list[str]:
    return _distinct(s.doc for s in expected)


def retrieval_metrics(
    retrieved: Sequence[tuple[str, int | None]], expected: Sequence[ExpectedSource], k: int
) -> dict[str, float | None]:
    """Hit@k, MRR and recall@k at document and page level.

    ``retrieved`` is the ranked list of (doc_id, page) of the passages; only the
    first ``k`` count. Document level ranks distinct documents, page level distinct
    (document, page) pairs. Values are ``None`` when the case expects no sources
    (page level: no source with a page).
    """
    out: dict[str, float | None] = dict.fromkeys(
        ("doc_hit_at_k", "doc_mrr", "doc_recall_at_k", "page_hit_at_k", "page_mrr", "page_recall_at_k")
    )
    top = list(retrieved)[:k]
    patterns = _doc_patterns(expected)
    if patterns:
        docs = _distinct(d for d, _ in top)
        rank = next((i for i, d in enumerate(docs, start=1) if any(source_matches(p, d) for p in patterns)), None)
        found = [p for p in patterns if any(source_matches(p, d) for d in docs)]
        out["doc_hit_at_k"] = 1.0 if rank else 0.0
        out["doc_mrr"] = 1.0 / rank if rank else 0.0
        out["doc_recall_at_k"] = len(found) / len(patterns)
    paged = _distinct(s for s in expected if s.page is not None)
    if paged:
        pairs = _distinct(top)
        rank = next((i for i, (d, p) in enumerate(pairs, start=1) if any(s.matches(d, p) for s in paged)), None)
        found_pages = [s for s in paged if any(s.matches(d, p) for d, p in pairs)]
        out["page_hit_at_k"] = 1.0 if rank else 0.0
        out["page_mrr"] = 1.0 / rank if rank else 0.0
        out["page_recall_at_k"] = len(found_pages) / len(paged)
    return out


def citation_metrics(cited_docs: Sequence[str], expected: Sequence[ExpectedSource]) -> tuple[float | None, float | None]:
    """(precision, recall) of the cited documents against the expected sources, at document level.

    Precision is ``None`` when nothing is cited or nothing is expected; recall is
    ``None`` when nothing is expected (a decline then has recall 0).
    """
    patterns = _doc_patterns(expected)
    if not patterns:
        return None, None
    docs = _distinct(cited_docs)
    precision = sum(any(source_matches(p, d) for p in patterns) for d in docs) / len(docs) if docs else None
    recall = sum(any(source_matches(p, d) for d in docs) for p in patterns) / len(patterns)
    return precision, recall


def groundedness(sentences: Sequence[dict[str, Any]]) -> float | None:
    """Share of answer sentences marked ``supported``; ``None`` for an answer with no sentences."""
    if not sentences:
        return None
    return sum(1 for s in sentences if s.get("supported", True)) / len(sentences)


def access_violations(
    case: Case,
    cited: Sequence[str],
    retrieved: Sequence[str],
    audiences: dict[str, str] | None = None,
) -> list[str]:
    """Human-readable violations: a forbidden source, or a document above the reader's role, cited or retrieved."""
    out = []
    for where, docs in (("cited", cited), ("retrieved", retrieved)):
        for doc in _distinct(docs):
            bad = next((f for f in case.forbidden_sources if source_matches(f, doc)), None)
            if bad:
                out.append(f"{where} forbidden source {doc}")
            elif audiences and not may_see(case.role, audiences.get(doc, "public")):
                out.append(f"{where} {doc} (audience {audiences[doc]}) for role {case.role}")
    return out


# ----------------------------------------------------------------------------- one case
def _decline_reason(notices: Sequence[str]) -> str:
    for n in notices:
        if n.startswith("Declined:"):
            return n[len("Declined:"):].strip().rstrip(".")
    return ""


def score_case(
    case: Case,
    answer: dict[str, Any] | None,
    retrieved: Sequence[tuple[str, int | None]],
    k: int,
    audiences: dict[str, str] | None = None,
    error: str | None = None,
    expected_sources: Sequence[ExpectedSource] | None = None,
) -> dict[str, Any]:
    """Every metric for one case, whether it is correct, passes, and why not.

    ``answer`` is ``Answer.to_dict()``; ``retrieved`` the ranked (doc_id, page) of
    ``Assistant.retrieve`` on the query the answer searched. ``expected_sources``
    overrides the case's own (sources resolved from reference contexts).
    """
    expected = tuple(expected_sources if expected_sources is not None else case.expected_sources)
    answer = answer or {}
    declined = bool(answer.get("declined", True)) if answer else True
    text = "" if declined else (answer.get("answer") or "")
    cited = [c["doc_id"] for c in answer.get("citations", [])] if not declined else []
    retrieved = list(retrieved)[:k]

    metrics: dict[str, float | None] = dict.fromkeys(RATIO_METRICS)
    metrics.update(retrieval_metrics(retrieved, expected, k))
    recall, found = fact_recall(case.expected_facts, text)
    metrics["fact_recall"] = recall
    if case.reference_answer is not None:
        metrics["token_f1"] = token_f1(text, case.reference_answer)
        metrics["rouge_l"] = rouge_l(text, case.reference_answer)
    precision, c_recall = citation_metrics(cited, expected)
    metrics["citation_precision"], metrics["citation_recall"] = precision, c_recall
    metrics["groundedness"] = None if declined else groundedness(answer.get("sentences", []))
    violations = access_violations(case, cited, [d for d, _ in retrieved], audiences)
    metrics["access_ok"] = 0.0 if violations else 1.0

    answered = not declined and not error
    correct: bool | None
    if not answered or case.should_decline:
        correct = False if answered else None
    elif case.expected_facts:
        correct = recall == 1.0
    elif expected:
        correct = bool(c_recall)
    elif case.reference_answer is not None:
        correct = (metrics["token_f1"] or 0.0) >= REFERENCE_F1_CORRECT
    else:
        correct = None  # reference contexts that matched no indexed document: nothing to judge by

    failures: list[str] = []
    if error:
        failures.append(f"error: {error}")
    failures.extend(f"access: {v}" for v in violations)
    if not error:
        if case.should_decline and not declined:
            failures.append("answered a question that should be declined")
        elif case.answerable and declined:
            reason = _decline_reason(answer.get("notices", []))
            failures.append("declined an answerable question" + (f" ({reason})" if reason else ""))
        elif correct is False:
            missing = [f[0] for f, ok in zip(case.expected_facts, found) if not ok]
            if missing:
                failures.append("missing facts: " + ", ".join(repr(m) for m in missing))
            elif expected:
                failures.append("no expected source cited (cited: " + (", ".join(_distinct(cited)) or "nothing") + ")")
            else:
                failures.append(f"answer differs from the reference (token F1 {metrics['token_f1']:.2f} < {REFERENCE_F1_CORRECT})")
    passed = not failures

    return {
        "metrics": metrics,
        "facts": [{"alternatives": list(f), "found": ok} for f, ok in zip(case.expected_facts, found)],
        "declined": declined,
        "answered": answered,
        "correct": correct,
        "passed": passed,
        "failures": failures,
        "diagnosis": "" if passed else diagnose(case, answer, retrieved, expected, declined, metrics),
        "violations": violations,
    }


def diagnose(
    case: Case,
    answer: dict[str, Any],
    retrieved: Sequence[tuple[str, int | None]],
    expected: Sequence[ExpectedSource],
    declined: bool,
    metrics: dict[str, float | None],
) -> str:
    """A first guess at why a case failed, for whoever tunes the answer code."""
    hints = []
    searched = answer.get("searched_for", "")
    if len(case.turns) > 1:
        if searched and searched != case.question:
            hints.append(f"follow-up rewritten to {searched!r}")
        else:
            hints.append("follow-up NOT rewritten: searched as asked, without the earlier turn's subject")
    reason = _decline_reason(answer.get("notices", []))
    if case.should_decline and not declined:
        hints.append("over-answering: the top sentence scored above answer_min_score and passed the slot checks")
    elif expected and metrics.get("doc_hit_at_k") == 0.0:
        hints.append("retrieval miss: no expected document in the top-k")
    elif declined:
        if "best evidence" in reason:
            hints.append(f"decline threshold: {reason}")
        elif reason:
            hints.append(f"decline rule: {reason}")
        else:
            hints.append("declined")
        if expected and metrics.get("doc_mrr"):
            hints.append(f"an expected document was retrieved (doc MRR {metrics['doc_mrr']:.2f})")
    elif case.expected_facts and (metrics.get("fact_recall") or 0) < 1:
        if expected:
            hints.append(f"answer selection: expected document retrieved (doc MRR {metrics.get('doc_mrr') or 0:.2f}) but the answer sentences miss facts")
        else:
            hints.append("answer selection: the answer sentences miss expected facts")
    elif expected and not metrics.get("citation_recall"):
        hints.append("citation: the expected document was retrieved but not cited")
    return "; ".join(hints)


# ----------------------------------------------------------------------------- the run
def mean(values: Iterable[float | None]) -> tuple[float | None, int]:
    """(mean of the defined values, how many there were)."""
    vals = [v for v in values if v is not None]
    return (sum(vals) / len(vals) if vals else None), len(vals)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def decline_metrics(results: Sequence[dict[str, Any]]) -> dict[str, tuple[float | None, int]]:
    """Decline precision/recall, answered-correctly precision and coverage over scored cases."""
    scored = [r for r in results if not r.get("error")]
    declined = [r for r in scored if r["declined"]]
    should = [r for r in scored if r["should_decline"]]
    answered = [r for r in scored if not r["declined"]]
    judged = [r for r in answered if r["correct"] is not None]
    answerable = [r for r in scored if not r["should_decline"]]

    def share(hits: int, total: int) -> tuple[float | None, int]:
        return (hits / total if total else None), total

    return {
        "decline_precision": share(sum(r["should_decline"] for r in declined), len(declined)),
        "decline_recall": share(sum(r["declined"] for r in should), len(should)),
        "answered_precision": share(sum(bool(r["correct"]) for r in judged), len(judged)),
        "coverage": share(sum(not r["declined"] for r in answerable), len(answerable)),
    }


def aggregate(results: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{metric: {value, n}} for a set of case results (the ``result`` dicts of the runner)."""
    out: dict[str, dict[str, Any]] = {}
    for name in RATIO_METRICS:
        if name == "pass_rate":
            value, n = mean(float(r["passed"]) for r in results)
        elif name in ("decline_precision", "decline_recall", "answered_precision", "coverage"):
            continue
        else:
            value, n = mean(r["metrics"].get(name) for r in results if not r.get("error"))
        out[name] = {"value": value, "n": n}
    for name, (value, n) in decline_metrics(results).items():
        out[name] = {"value": value, "n": n}
    return {name: out[name] for name in RATIO_METRICS}


def latency(results: Sequence[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """{stage: {p50, p95, max}} in milliseconds over the cases' ``timings``."""
    stages: dict[str, list[float]] = {}
    for r in results:
        for stage, ms in (r.get("timings") or {}).items():
            stages.setdefault(stage, []).append(float(ms))
    order = ["condense_ms", "retrieve_ms", "answer_ms", "verify_ms", "total_ms"]
    names = [s for s in order if s in stages] + sorted(s for s in stages if s not in order)
    return {s: {"p50": percentile(stages[s], 50), "p95": percentile(stages[s], 95), "max": max(stages[s])} for s in names}


def summarize(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run's summary: counts, every metric, latency, and a per-tag breakdown."""
    tags: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        for tag in r.get("tags") or ["(untagged)"]:
            tags.setdefault(tag, []).append(r)
    passed = sum(1 for r in results if r["passed"])
    return {
        "cases": len(results),
        "passed": passed,
        "failed": len(results) - passed,
        "errors": sum(1 for r in results if r.get("error")),
        "declined": sum(1 for r in results if r["declined"]),
        "should_decline": sum(1 for r in results if r["should_decline"]),
        "metrics": aggregate(results),
        "latency_ms": latency(results),
        "by_tag": {
            tag: {"cases": len(rs), "passed": sum(1 for r in rs if r["passed"]), "metrics": aggregate(rs)}
            for tag, rs in sorted(tags.items())
        },
    }


def metric_value(summary: dict[str, Any], name: str) -> float | None:
    """A summary metric by name, or a latency figure as ``latency.<stage>.<p50|p95>``."""
    if name.startswith("latency."):
        try:
            _, stage, stat = name.split(".")
            return summary["latency_ms"][stage][stat]
        except (KeyError, ValueError):
            return None
    entry = summary["metrics"].get(name)
    return None if entry is None else entry["value"]
