"""Questions that name an entity and a period rank that entity's document of that period first.

Unit tests of the parsing (assistant.query) and one real ingestion (hash vectors, real Chroma, real
BM25) of filings named the way the 10-Q development set names them.
"""

from __future__ import annotations

import pytest

from assistant.query import context_header, doc_boosts, first_page_context, parse, period_tokens, profile

FILINGS = {  # doc_id -> what ingestion stores for it (first-page context)
    "2022 Q3 AMZN.pdf": "AMAZON.COM, INC; quarterly period ended September 30, 2022",
    "2023 Q1 AMZN.pdf": "AMAZON.COM, INC; quarterly period ended March 31, 2023",
    "2023 Q2 AMZN.pdf": "AMAZON.COM, INC; quarterly period ended June 30, 2023",
    "2023 Q1 MSFT.pdf": "MICROSOFT CORPORATION; Quarterly Period Ended December 31, 2022",
    "2023 Q2 MSFT.pdf": "MICROSOFT CORPORATION; Quarterly Period Ended March 31, 2023",
    "2023 Q1 INTC.pdf": "INTEL CORPORATION; quarterly period ended April 1, 2023",
    "2023 Q3 INTC.pdf": "INTEL CORPORATION; quarterly period ended September 30, 2023",
}
PROFILES = {doc: profile({"doc_id": doc, "title": doc.removesuffix(".pdf"), "doc_context": ctx}) for doc, ctx in FILINGS.items()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What were Amazon's net sales in Q1 2023?", {"2023q1"}),
        ("2023 Q1 AMZN", {"2023q1"}),
        ("in the first quarter of 2023", {"2023q1"}),
        ("for the third quarter of fiscal 2022", {"2022q3"}),
        ("for the three months ended March 31, 2023", {"2023-03"}),
        ("For the Quarterly Period Ended December 31, 2022", {"2022-12"}),
        ("Q2 of 2023 and Q3 2023", {"2023q2", "2023q3"}),
        ("When did the Nepal programme start?", set()),
    ],
)
def test_periods_are_read_from_questions_and_file_names(text, expected):
    assert period_tokens(text) == expected


def _best(question: str) -> str:
    vocabulary = set().union(*(p.names for p in PROFILES.values()))
    boosts = doc_boosts(parse(question, vocabulary), PROFILES)
    assert boosts, question
    return max(sorted(boosts), key=lambda d: boosts[d])


@pytest.mark.parametrize(
    ("question", "doc"),
    [
        ("What were Amazon's total net sales in Q2 2023?", "2023 Q2 AMZN.pdf"),
        ("In Microsoft's Q1 2023 10-Q, what was the operating income?", "2023 Q1 MSFT.pdf"),
        ("What did intel report in the first quarter of 2023?", "2023 Q1 INTC.pdf"),  # lower-case company name
        # a period end date names Microsoft's filing of the quarter ended December 31, 2022 (its 2023 Q1 file)
        ("Microsoft revenue for the three months ended December 31, 2022", "2023 Q1 MSFT.pdf"),
        ("In the latest 10-Q, how did foreign exchange affect Intel?", "2023 Q3 INTC.pdf"),
        ("How did AMZN do in 2022?", "2022 Q3 AMZN.pdf"),
    ],
)
def test_the_named_entity_and_period_rank_first(question, doc):
    assert _best(question) == doc


def test_a_question_naming_nothing_boosts_nothing():
    assert doc_boosts(parse("What drives operating income?"), PROFILES) == {}


def test_a_name_every_document_shares_tells_nothing_apart():
    profiles = {d: profile({"doc_id": d, "title": "Annual report", "doc_context": "ACME CORPORATION"}) for d in ("a.pdf", "b.pdf")}
    assert doc_boosts(parse("What did ACME report?"), profiles) == {}


def test_a_document_about_the_country_outranks_one_that_lists_it():
    nepal = profile({"doc_id": "programmes/nepal-reform.pdf", "title": "Nepal: Reform of the Criminal Justice System", "countries": ["Nepal"]})
    overview = profile({"doc_id": "overview.md", "title": "Overview", "countries": ["Nepal", "Viet Nam", "Myanmar"]})
    viet = profile({"doc_id": "programmes/viet-nam.html", "title": "Viet Nam: Reform", "countries": ["Viet Nam"]})
    boosts = doc_boosts(parse("When did the Nepal programme start?"), {"n": nepal, "o": overview, "v": viet})
    assert boosts["n"] > boosts["o"] > 0 and "v" not in boosts


def test_first_page_context_names_the_organisation_and_period():
    page = ("UNITED STATES SECURITIES AND EXCHANGE COMMISSION FORM 10-Q For the quarterly period ended March 31, 2023 "
            "Commission File No. 000-22513 AMAZON.COM, INC. (Exact name of registrant as specified in its charter)")
    ctx = first_page_context(page)
    assert "AMAZON.COM, INC" in ctx and "March 31, 2023" in ctx and "SECURITIES" not in ctx


def test_context_header_is_short_and_carries_the_document_level_facts():
    meta = {"doc_id": "filings/2023 Q1 AMZN.pdf", "title": "2023 Q1 AMZN", "doc_context": FILINGS["2023 Q1 AMZN.pdf"],
            "section": "CONSOLIDATED STATEMENTS OF OPERATIONS", "countries": []}
    header = context_header(meta)
    assert "AMAZON.COM" in header and "2023 Q1 AMZN" in header and "March 31, 2023" in header
    assert len(header.split()) <= 24
    long = context_header({**meta, "title": "word " * 60})
    assert len(long.split()) <= 24


def test_retrieval_ranks_the_named_filing_first_without_filtering_others(make_settings, tmp_path):
    """Real ingestion (hash vectors), real Chroma and BM25: seven filings with the same sentence; the
    question's company and quarter decide, and other filings stay in the results (a boost, not a filter)."""
    from assistant.service import Assistant
    from ingest.pipeline import sync

    docs = tmp_path / "filings"
    docs.mkdir()
    for doc, ctx in FILINGS.items():
        company, period = ctx.split("; ")
        (docs / doc.replace(".pdf", ".txt")).write_text(
            f"{company}\n\nFor the {period}.\n\nTotal net sales increased compared with the prior year period, "
            "driven by growth in services and advertising. Operating income rose as well.\n", encoding="utf-8")
    settings = make_settings(default_audience="public")
    sync([docs], settings)
    assistant = Assistant(settings)
    cases = {
        "How did total net sales change at Amazon in Q2 2023?": "2023 Q2 AMZN.txt",
        "How did total net sales change at Intel in the first quarter of 2023?": "2023 Q1 INTC.txt",
        "Why did Microsoft's operating income rise in the three months ended March 31, 2023?": "2023 Q2 MSFT.txt",
    }
    for question, doc in cases.items():
        passages = assistant.retrieve(question, k=5)
        assert passages[0].doc_id == doc, (question, [p.doc_id for p in passages])
        assert len({p.doc_id for p in passages}) > 1  # the others are still there
    off = make_settings(default_audience="public", entity_boost=0.0)
    plain = [p.doc_id for p in Assistant(off).retrieve("How did total net sales change at Amazon in Q2 2023?", k=7)]
    assert plain  # with the boost off, ranking falls back to fusion alone (no error, same index)
