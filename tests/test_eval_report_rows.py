"""The eval report's per-case "Retrieved" table says how many rows it holds: retrieval takes the top k
chunks and merges neighbouring chunks of one page, so a case can show fewer than k passages."""

from __future__ import annotations

import re

from evals.report import _case_html, retrieved_heading


def _case(n: int) -> dict:
    return {"id": "c1", "passed": True, "tags": [], "role": "public", "should_decline": False, "declined": False,
            "question": "q", "failures": [], "turns": ["q"], "answer": "a", "citations": [], "facts": [],
            "expected_sources": ["programmes/a.pdf"], "forbidden_sources": [], "metrics": {},
            "retrieved": [{"rank": i, "doc_id": "programmes/a.pdf" if i == 1 else f"other/{i}.md", "page": i,
                           "score": 1 / i} for i in range(1, n + 1)]}


def _rows(html: str) -> int:
    table = html.split("<h4>Retrieved")[1].split("</table>")[0]
    return len(re.findall(r"<tr><td class=n>", table))


def test_a_full_table_says_top_k_and_holds_k_rows():
    html = _case_html(_case(6), 6)
    assert "Retrieved for the searched query (top 6)" in html and _rows(html) == 6


def test_a_short_table_says_how_many_passages_it_holds():
    html = _case_html(_case(4), 6)
    assert _rows(html) == 4
    assert "4 passages from the top 6 chunks" in html and "(top 6)" not in html
    assert "1 passage from the top 6 chunks" in retrieved_heading(1, 6)
    assert "expected" in html  # the expected document is still marked
