"""Tables come out as readable rows: each value with its row label and column header.

A real 10-Q page (pages 1 and 4 of Amazon's 2023 Q1 filing, copied into tests/fixtures with pypdf) and
small Markdown, HTML and DOCX tables.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.text import split_sentences, unreadable
from ingest.loaders import load
from ingest.tables import column_headers, format_row, pdf_page_rows, split_row

FIXTURE = Path(__file__).parent / "fixtures" / "10q-2023-q1-amzn-pages-1-4.pdf"
BARE = re.compile(r"(?:\b[\d,.()$%]+\s+){3}[\d,.()$%]+")


def test_a_row_is_split_from_its_label():
    assert split_row("Total net sales $ 116,444 $ 127,358") == ("Total net sales", ["$116,444", "$127,358"])
    assert split_row("Interest expense (472) (823)") == ("Interest expense", ["(472)", "(823)"])
    assert split_row("2022 2023") is None  # a row of years is a header
    assert split_row("March 31,") is None
    assert split_row("Sales grew 9% in 2023.") is None


def test_headers_line_up_with_the_columns():
    assert column_headers(["Three Months Ended", "March 31,", "2022 2023"], 2) == [
        "Three Months Ended March 31, 2022", "Three Months Ended March 31, 2023"]
    heads = column_headers(["Three Months Ended Six Months Ended", "June 30, June 30,", "2022 2023 2022 2023"], 4)
    assert heads == ["Three Months Ended June 30, 2022", "Three Months Ended June 30, 2023",
                     "Six Months Ended June 30, 2022", "Six Months Ended June 30, 2023"]
    assert column_headers(["Unaudited"], 3) == []


def test_page_rows_become_sentences():
    lines = ["(in millions)", "Three Months Ended", "March 31,", "2022 2023", "Net product sales $ 56,455 $ 56,981",
             "Net service sales 59,989 70,377", "Total net sales 116,444 127,358", "Operating expenses:",
             "Cost of sales 66,499 67,791", "Total operating expenses 112,775 122,584"]
    out = [ln[1:] for ln in pdf_page_rows(lines) if ln.startswith("\x02")]
    assert out[2] == ("Total net sales — Three Months Ended March 31, 2022: 116,444 million; "
                      "Three Months Ended March 31, 2023: 127,358 million.")
    assert out[3].startswith("Cost of sales (Operating expenses) — ")
    assert pdf_page_rows(["Plain prose line one.", "Another line 2023."]) == ["Plain prose line one.", "Another line 2023."]


def test_real_10q_page_reads_as_rows_with_headers():
    blocks = load(FIXTURE)
    page4 = next(b for b in blocks if b.page == 2)  # the statement of operations (page 4 of the filing)
    sentences = split_sentences(page4.text)
    total = [s for s in sentences if s.startswith("Total net sales")]
    assert total == ["Total net sales — Three Months Ended March 31, 2022: 116,444 million; "
                     "Three Months Ended March 31, 2023: 127,358 million."]
    rows = [s for s in sentences if " — " in s]
    assert len(rows) >= 20
    assert not any("|" in s or BARE.search(s) for s in rows)
    assert sum(unreadable(s) for s in sentences) <= 1  # at most a header line of years


def test_markdown_html_and_docx_tables_keep_headers(tmp_path):
    md = tmp_path / "t.md"
    md.write_text("# Strands\n\n| Strand | Where | Since |\n|---|---|---|\n| Prison management | Myanmar | 2015 |\n", encoding="utf-8")
    text = load(md)[0].text
    assert "Prison management — Where: Myanmar; Since: 2015." in text and "|" not in text

    html = tmp_path / "t.html"
    html.write_text("<html><body><h1>Budget</h1><table><tr><th>Item</th><th>2022</th><th>2023</th></tr>"
                    "<tr><td>Travel</td><td>$1,200</td><td>$1,500</td></tr></table></body></html>", encoding="utf-8")
    assert "Travel — 2022: $1,200; 2023: $1,500." in load(html)[0].text

    import docx

    doc = docx.Document()
    doc.add_paragraph("Seminar minutes and figures.")
    table = doc.add_table(rows=2, cols=3)
    for i, value in enumerate(("Country", "Participants", "Year")):
        table.rows[0].cells[i].text = value
    for i, value in enumerate(("Nepal", "24", "2014")):
        table.rows[1].cells[i].text = value
    path = tmp_path / "t.docx"
    doc.save(path)
    body = "\n".join(b.text for b in load(path))
    assert "Nepal — Participants: 24; Year: 2014." in body and "|" not in body


def test_format_row():
    assert format_row("Total", ["Q1", "Q2"], ["$5", "$6"]) == "Total — Q1: $5; Q2: $6."
    assert format_row("Total", [], ["5", "6"]) == "Total — 5; 6."
