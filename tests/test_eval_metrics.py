"""Eval metrics against hand-computed values, including the defined edge cases."""

from __future__ import annotations

import pytest

from evals.compare import compare, format_text
from evals.metrics import (
    access_violations,
    citation_metrics,
    decline_metrics,
    fact_found,
    fact_recall,
    groundedness,
    lcs_length,
    normalize,
    percentile,
    retrieval_metrics,
    rouge_l,
    score_case,
    summarize,
    token_f1,
    tokens,
)
from evals.report import report_html, summary_markdown
from evals.runner import check_gate, parse_thresholds
from evals.suite import Case, ExpectedSource, SuiteError, source_matches


def case(**kw) -> Case:
    kw.setdefault("id", "c1")
    kw.setdefault("question", "q?")
    kw.setdefault("turns", (kw["question"],))
    return Case(**kw)


def answer(text="", declined=False, cited=(), sentences=None, notices=()):
    return {
        "question": "q?",
        "answer": text,
        "declined": declined,
        "citations": [{"n": i, "doc_id": d, "title": d, "page": None, "quote": ""} for i, d in enumerate(cited, 1)],
        "sentences": sentences if sentences is not None else [{"text": text, "citations": [1], "supported": True, "support": 1.0}],
        "searched_for": "q?",
        "notices": list(notices),
        "timings": {"total_ms": 10.0},
    }


# ----------------------------------------------------------------------------- facts
@pytest.mark.parametrize(
    ("alternatives", "text", "found"),
    [
        (["5,300"], "more than 5300 officials", True),
        (["5300"], "More than 5,300 officials", True),
        (["5,300"], "more than 5 300 officials", True),
        (["1234567"], "a total of 1,234,567 people", True),
        (["2013"], "since 20131", False),
        (["2013"], "since 2013 [1].", True),
        (["MALAYSIA"], "held in malaysia", True),
        (["community-based treatment"], "community based treatment", True),
        (["community based treatment"], "community–based treatment", True),
        (["India", "Malaysia"], "It was held in Malaysia.", True),
        (["Nepal"], "It was held in Malaysia.", False),
        (["art"], "a party", False),
    ],
)
def test_fact_found(alternatives, text, found):
    assert fact_found(alternatives, text) is found


def test_normalize_drops_markers_and_joins_digit_groups():
    assert normalize("More than 5,300 [1][2] officials [3, 4].") == "more than 5300 officials."


def test_fact_recall():
    facts = [("Malaysia",), ("AALCO", "Asian-African Legal Consultative Organization")]
    assert fact_recall(facts, "Japan and the Asian-African Legal Consultative Organization met in Malaysia.") == (1.0, [True, True])
    assert fact_recall(facts, "It was in Malaysia.") == (0.5, [True, False])
    assert fact_recall(facts, "") == (0.0, [False, False])  # empty answer: nothing found
    assert fact_recall((), "anything") == (None, [])


# ----------------------------------------------------------------------------- reference answer
def test_tokens_squad_normalisation():
    assert tokens("The cat sat [1], on a mat!") == ["cat", "sat", "on", "mat"]
    assert tokens("more than 5,300 officials") == ["more", "than", "5300", "officials"]


def test_token_f1_hand_computed():
    # pred [cat, sat]; ref [cat, sat, down]: common 2, P = 1, R = 2/3, F1 = 0.8
    assert token_f1("The cat sat", "cat sat down") == pytest.approx(0.8)
    # pred [a1 a1 b], ref [a1 b b]: common = min counts a1 1 + b 1 = 2; P = R = 2/3
    assert token_f1("x x y", "x y y") == pytest.approx(2 / 3)
    assert token_f1("", "") == 1.0
    assert token_f1("", "cat") == 0.0
    assert token_f1("dog", "cat") == 0.0


def test_lcs_and_rouge_l_hand_computed():
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert lcs_length([], ["x"]) == 0
    # LCS of [police court judge prison] and [police judge prison court] is 3: P = R = 3/4
    assert rouge_l("police court judge prison", "police judge prison court") == pytest.approx(0.75)
    # pred [x y], ref [x z y w]: LCS 2, P = 1, R = 0.5, F1 = 2/3
    assert rouge_l("x y", "x z y w") == pytest.approx(2 / 3)
    assert rouge_l("", "") == 1.0
    assert rouge_l("", "x") == 0.0


# ----------------------------------------------------------------------------- retrieval and citations
def test_source_matching_forms():
    assert source_matches("programmes/nepal.pdf", "programmes/nepal.pdf")
    assert source_matches("nepal.pdf", "programmes/nepal.pdf")  # bare file name
    assert source_matches("internal/", "internal/note.md")  # folder prefix
    assert not source_matches("internal/", "internalx/note.md")
    assert not source_matches("programmes/nepal.pdf", "other/nepal.pdf")
    assert not source_matches("", "x")


def test_retrieval_metrics_duplicates_count_once_at_first_rank():
    retrieved = [("a.md", None), ("a.md", None), ("b.md", None), ("c.md", None)]
    m = retrieval_metrics(retrieved, [ExpectedSource("b.md")], k=6)
    # distinct documents [a, b, c]: b is rank 2 (not 3)
    assert m["doc_hit_at_k"] == 1.0
    assert m["doc_mrr"] == pytest.approx(0.5)
    assert m["doc_recall_at_k"] == 1.0
    assert m["page_hit_at_k"] is None  # no expected page


def test_retrieval_metrics_cut_at_k_and_recall():
    retrieved = [("a.md", None), ("b.md", None), ("c.md", None)]
    expected = [ExpectedSource("c.md"), ExpectedSource("d.md"), ExpectedSource("c.md")]  # duplicate expected counts once
    m = retrieval_metrics(retrieved, expected, k=2)
    assert m == {**m, "doc_hit_at_k": 0.0, "doc_mrr": 0.0, "doc_recall_at_k": 0.0}
    m = retrieval_metrics(retrieved, expected, k=3)
    assert (m["doc_hit_at_k"], m["doc_mrr"], m["doc_recall_at_k"]) == (1.0, pytest.approx(1 / 3), 0.5)


def test_retrieval_metrics_nothing_retrieved_and_nothing_expected():
    m = retrieval_metrics([], [ExpectedSource("a.md", 2)], k=6)
    assert m["doc_hit_at_k"] == m["doc_mrr"] == m["doc_recall_at_k"] == 0.0
    assert m["page_hit_at_k"] == m["page_mrr"] == m["page_recall_at_k"] == 0.0
    assert set(retrieval_metrics([("a.md", 1)], [], k=6).values()) == {None}


def test_retrieval_metrics_page_level():
    retrieved = [("x/a.pdf", 1), ("x/a.pdf", 2), ("b.md", None), ("x/a.pdf", 3)]
    expected = [ExpectedSource("a.pdf", 2), ExpectedSource("a.pdf", 5)]
    m = retrieval_metrics(retrieved, expected, k=6)
    assert m["page_hit_at_k"] == 1.0
    assert m["page_mrr"] == pytest.approx(0.5)  # pairs: (a,1) (a,2) ...
    assert m["page_recall_at_k"] == pytest.approx(0.5)
    assert m["doc_mrr"] == 1.0  # the document itself is rank 1


def test_citation_metrics():
    expected = [ExpectedSource("a.md"), ExpectedSource("c.md")]
    assert citation_metrics(["a.md", "a.md", "b.md"], expected) == (0.5, 0.5)
    assert citation_metrics([], expected) == (None, 0.0)  # nothing cited: precision undefined
    assert citation_metrics(["a.md"], []) == (None, None)


def test_groundedness():
    assert groundedness([{"supported": True}, {"supported": False}, {"supported": True}, {"supported": True}]) == 0.75
    assert groundedness([]) is None


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 50) == 5.0
    assert percentile(values, 95) == 10.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_access_violations_forbidden_and_role():
    c = case(role="partner", forbidden_sources=("internal/",))
    audiences = {"internal/n.md": "staff", "p.md": "partner", "s.md": "staff"}
    out = access_violations(c, ["p.md"], ["internal/n.md", "s.md"], audiences)
    assert out == ["retrieved forbidden source internal/n.md", "retrieved s.md (audience staff) for role partner"]
    assert access_violations(c, ["p.md"], ["p.md"], audiences) == []


# ----------------------------------------------------------------------------- one case
def test_decline_on_answerable_case():
    c = case(expected_facts=(("2013",),), expected_sources=(ExpectedSource("a.md"),), reference_answer="Since 2013.")
    r = score_case(c, answer("", declined=True, notices=["Declined: no passage answers the question (best evidence 0.31)."]), [("a.md", None)], 6)
    m = r["metrics"]
    assert m["fact_recall"] == 0.0 and m["citation_recall"] == 0.0 and m["token_f1"] == 0.0
    assert m["citation_precision"] is None and m["groundedness"] is None
    assert m["doc_hit_at_k"] == 1.0
    assert r["correct"] is None and r["answered"] is False and r["passed"] is False
    assert r["failures"] == ["declined an answerable question (no passage answers the question (best evidence 0.31))"]
    assert "decline threshold" in r["diagnosis"]


def test_correct_answer_passes():
    c = case(expected_facts=(("2013",),), expected_sources=(ExpectedSource("a.md"),), reference_answer="It began in 2013.")
    r = score_case(c, answer("It began in 2013 [1].", cited=["a.md"]), [("a.md", None), ("b.md", None)], 6)
    assert r["passed"] and r["correct"] is True and r["failures"] == []
    assert r["metrics"]["token_f1"] == 1.0 and r["metrics"]["rouge_l"] == 1.0
    assert r["metrics"]["citation_precision"] == 1.0 and r["metrics"]["groundedness"] == 1.0


def test_missing_fact_fails_with_reason_and_diagnosis():
    c = case(expected_facts=(("2013",), ("Nepal",)), expected_sources=(ExpectedSource("a.md"),))
    r = score_case(c, answer("Nepal has a programme.", cited=["a.md"]), [("a.md", None)], 6)
    assert r["correct"] is False and not r["passed"]
    assert r["failures"] == ["missing facts: '2013'"]
    assert r["diagnosis"].startswith("answer selection")


def test_no_fact_case_is_correct_when_an_expected_source_is_cited():
    c = case(expected_sources=(ExpectedSource("a.md"), ExpectedSource("b.md")))
    assert score_case(c, answer("Text.", cited=["b.md"]), [("b.md", None)], 6)["correct"] is True
    r = score_case(c, answer("Text.", cited=["z.md"]), [("z.md", None)], 6)
    assert r["correct"] is False and r["failures"] == ["no expected source cited (cited: z.md)"]
    assert "retrieval miss" in r["diagnosis"]


def test_reference_only_case_judged_by_token_f1():
    c = case(reference_answer="the programme began in 2013")
    assert score_case(c, answer("The programme began in 2013."), [], 6)["correct"] is True
    assert score_case(c, answer("Something else entirely."), [], 6)["correct"] is False


def test_should_decline_cases():
    c = case(should_decline=True)
    declined = score_case(c, answer("", declined=True), [], 6)
    assert declined["passed"] and declined["correct"] is None
    answered = score_case(c, answer("A guess [1].", cited=["a.md"]), [("a.md", None)], 6)
    assert not answered["passed"] and answered["correct"] is False
    assert answered["failures"] == ["answered a question that should be declined"]


def test_empty_answer_edge_case():
    c = case(expected_facts=(("x",),), reference_answer="x y")
    r = score_case(c, answer("", sentences=[]), [], 6)
    assert r["metrics"]["fact_recall"] == 0.0 and r["metrics"]["token_f1"] == 0.0 and r["metrics"]["rouge_l"] == 0.0
    assert r["metrics"]["groundedness"] is None


def test_access_violation_fails_even_when_correct():
    c = case(expected_facts=(("x",),), role="partner", forbidden_sources=("internal/",))
    r = score_case(c, answer("x [1].", cited=["internal/n.md"]), [("internal/n.md", None)], 6)
    assert not r["passed"] and r["metrics"]["access_ok"] == 0.0
    assert r["failures"][0] == "access: cited forbidden source internal/n.md"


def test_error_case():
    c = case(expected_facts=(("x",),))
    r = score_case(c, None, [], 6, error="BackendError: down")
    assert not r["passed"] and r["failures"] == ["error: BackendError: down"]


# ----------------------------------------------------------------------------- the run
def _result(cid, should_decline, declined, correct, passed, tags=("t",), fact=None):
    return {
        "id": cid, "should_decline": should_decline, "declined": declined, "correct": correct, "passed": passed,
        "tags": list(tags), "error": None, "timings": {"total_ms": 100.0 * (len(cid))},
        "metrics": {"fact_recall": fact, "access_ok": 1.0},
    }


def test_decline_metrics_hand_computed():
    results = [
        _result("a", False, False, True, True),  # answerable, answered, correct
        _result("b", False, True, None, False),  # answerable, declined (false decline)
        _result("c", True, True, None, True),  # should decline, declined
        _result("d", True, False, False, False),  # should decline, answered (wrong)
        _result("e", False, False, False, False),  # answerable, answered, wrong
    ]
    m = decline_metrics(results)
    assert m["decline_precision"] == (0.5, 2)  # declined: b, c; right: c
    assert m["decline_recall"] == (0.5, 2)  # should: c, d; declined: c
    assert m["answered_precision"] == (pytest.approx(1 / 3), 3)  # answered: a, d, e; correct: a
    assert m["coverage"] == (pytest.approx(2 / 3), 3)  # answerable: a, b, e; answered: a, e
    assert decline_metrics([_result("a", False, False, True, True)])["decline_precision"] == (None, 0)


def test_summarize_counts_tags_and_latency():
    results = [
        _result("a", False, False, True, True, tags=("x",), fact=1.0),
        _result("bb", False, False, False, False, tags=("x", "y"), fact=0.0),
        _result("ccc", True, True, None, True, tags=(), fact=None),
    ]
    s = summarize(results)
    assert (s["cases"], s["passed"], s["failed"], s["declined"]) == (3, 2, 1, 1)
    assert s["metrics"]["pass_rate"] == {"value": pytest.approx(2 / 3), "n": 3}
    assert s["metrics"]["fact_recall"] == {"value": 0.5, "n": 2}
    assert s["metrics"]["doc_mrr"] == {"value": None, "n": 0}
    assert set(s["by_tag"]) == {"x", "y", "(untagged)"}
    assert s["by_tag"]["x"]["passed"] == 1 and s["by_tag"]["x"]["cases"] == 2
    assert s["latency_ms"]["total_ms"] == {"p50": 200.0, "p95": 300.0, "max": 300.0}


def test_gate_and_thresholds():
    s = summarize([_result("a", False, False, True, True, fact=0.5)])
    assert parse_thresholds(["pass_rate=0.9,fact_recall=0.4"]) == {"pass_rate": 0.9, "fact_recall": 0.4}
    gate = check_gate(s, {"pass_rate": 0.9, "fact_recall": 0.6, "doc_mrr": 0.1})
    assert [g["ok"] for g in gate] == [True, False, False]  # doc_mrr not measured: the gate fails
    with pytest.raises(SuiteError, match="unknown metric 'recall'"):
        parse_thresholds(["recall=0.5"])
    with pytest.raises(SuiteError, match="not a number"):
        parse_thresholds(["pass_rate=high"])


# ----------------------------------------------------------------------------- reports and compare (synthetic runs)
def _run(passes: dict[str, bool], fact: float) -> dict:
    cases = []
    for cid, ok in passes.items():
        r = _result(cid, False, False, ok, ok, fact=fact)
        r.update(
            question=f"question {cid}?", turns=[f"question {cid}?"], answer=f"answer <{cid}>", failures=[] if ok else ["missing facts: 'x'"],
            diagnosis="" if ok else "answer selection", citations=[], retrieved=[{"rank": 1, "doc_id": "a.md", "page": None, "title": "A", "score": 0.03}],
            expected_sources=["a.md"], forbidden_sources=[], facts=[{"alternatives": ["x"], "found": ok}], role="public",
            searched_for=f"question {cid}?", notices=[], notes="", reference_answer=None,
            metrics={**r["metrics"], "doc_hit_at_k": 1.0},
        )
        cases.append(r)
    return {
        "created_at": "2025-01-01T00:00:00", "seconds": 1.0, "suites": [{"path": "s.yaml", "name": "s", "sha256": "ab" * 32, "cases": len(cases)}],
        "settings_hash": "h", "index_version": "v.1", "index_dir": "index", "git_commit": "unknown", "backend": "extractive", "k": 6,
        "settings": {"answer_min_score": 0.42, "support_min_score": 0.5, "top_k": 6}, "docs": None, "role_override": None,
        "summary": summarize(cases), "gate": [], "cases": cases,
    }


def test_compare_reports_deltas_and_flips():
    a = _run({"a": True, "b": False, "c": True}, fact=0.5)
    b = _run({"a": False, "b": True, "c": True, "d": True}, fact=0.75)
    cmp = compare(a, b)
    assert [c["id"] for c in cmp["regressed"]] == ["a"]
    assert [c["id"] for c in cmp["fixed"]] == ["b"]
    assert cmp["only_in_b"] == ["d"] and cmp["only_in_a"] == []
    fact = next(m for m in cmp["metrics"] if m["metric"] == "fact_recall")
    assert fact["delta"] == pytest.approx(0.25)
    text = format_text(cmp, "before", "after")
    assert "regressed (passed in A, fail in B): 1" in text and "+0.250" in text


def test_reports_are_self_contained_and_escaped():
    data = _run({"a": True, "b": False}, fact=0.5)
    page = report_html(data)
    assert page.count("<svg") >= 3  # metric bars, latency histogram, tag bars
    assert "<details" in page and "answer &lt;b&gt;" in page and "answer <b>" not in page
    assert "<script" not in page and "<link" not in page and "http://" not in page and "https://" not in page
    assert "Share of cases that pass" in page  # definitions are shown
    md = summary_markdown(data)
    assert "| Doc hit@6 |" in md and "## Failing cases (1)" in md
