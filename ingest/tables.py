"""Tables as rows a person can read: each row keeps its label and its column headers.

A financial statement extracted from a PDF comes out one row per line ("Total net sales 116,444
127,358") under a few header lines ("Three Months Ended", "March 31,", "2022 2023"). Quoted as it is,
a row is a run of bare numbers. :func:`pdf_page_rows` finds the rows of a page that looks tabular
and rewrites each as one sentence: "Total net sales — Three Months Ended March 31, 2022: $116,444
million; Three Months Ended March 31, 2023: $127,358 million." The same shape is used for tables
from Markdown, DOCX and HTML (:func:`format_row`), whose cells are known.

The check is cheap (a regular expression per line of the text already extracted), so pages
without tables cost nothing extra; see README "Tables" for why pypdf's plain text is used.
"""

from __future__ import annotations

import re

_CELL = re.compile(r"\$?\(?-?\$?\d[\d,]*(?:\.\d+)?\)?%?|[—–-]|\$")
_MONTHS = frozenset("january february march april may june july august september october november december "
                    "jan feb mar apr jun jul aug sep sept oct nov dec".split())


def split_row(line: str) -> tuple[str, list[str]] | None:
    """(label, cells) for a line that ends in two or more numeric cells after a label with letters
    ("Total net sales $ 116,444 $ 127,358" -> ("Total net sales", ["$116,444", "$127,358"])), else None.
    Linear: whitespace tokens are taken from the right while they are cells."""
    tokens = line.split()
    cells: list[str] = []
    while tokens and _CELL.fullmatch(tokens[-1]):
        cells.append(tokens.pop())
    cells.reverse()
    merged: list[str] = []  # "$" standing alone belongs to the next number
    for cell in cells:
        if merged and merged[-1] == "$":
            merged[-1] = "$" + cell
        else:
            merged.append(cell)
    merged = [c for c in merged if c != "$"]
    if len(merged) < 2 or not tokens:
        return None
    label = " ".join(tokens)
    if not re.search(r"[A-Za-z]{2}", label) or tokens[-1].lower().strip(",") in _MONTHS or label.endswith((",", "$")):
        return None
    return label, merged
_PERIOD = re.compile(
    r"\b(?:(?:Three|Six|Nine|Twelve|Three-|Six-|Nine-)\s*Months|Quarter|Year|Weeks|Period)s?\s+End(?:ed|ing)\b|\bAs of\b", re.I
)
_MONTHS_RE = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
              r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
_MONTH_DAY = re.compile(rf"\b({_MONTHS_RE})\s+(\d{{1,2}})(?:,\s*((?:19|20)\d{{2}}))?")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_UNIT = re.compile(r"\(\s*in (millions|billions|thousands)", re.I)


def format_row(label: str, headers: list[str], values: list[str]) -> str:
    """One table row as a sentence: "label — header: value; header: value." (headers may be empty)."""
    label = " ".join(label.split()).rstrip(" :")
    parts = []
    for i, value in enumerate(values):
        value = " ".join(value.split())
        if not value:
            continue
        head = headers[i] if i < len(headers) else ""
        parts.append(f"{head}: {value}" if head else value)
    body = "; ".join(parts)
    if not label:
        return f"{body}." if body else ""
    return f"{label} — {body}." if body else f"{label}."


def _value(cell: str, unit: str) -> str:
    cell = cell.replace("$ ", "$").strip()
    if cell in ("—", "–", "-"):
        return "—"
    if unit and not cell.endswith("%"):
        cell = f"{cell} {unit}"
    return cell


def column_headers(header_lines: list[str], n: int) -> list[str]:
    """Names for ``n`` value columns from the header lines above a table ("Three Months Ended",
    "March 31,", "2022 2023"), or [] when they cannot be lined up with the columns."""
    text = " ".join(header_lines)
    periods = [" ".join(m.group(0).split()) for m in _PERIOD.finditer(text)]
    full_dates, days = [], []
    for m in _MONTH_DAY.finditer(text):
        (full_dates if m.group(3) else days).append(m.group(0).rstrip(","))
    rest = _MONTH_DAY.sub(" ", text)
    years = _YEAR.findall(rest)
    if len(full_dates) != n and full_dates:  # "March 31, 2022 2023": the first year belongs to the row of years
        days = [f"{m.group(1)} {m.group(2)}" for m in _MONTH_DAY.finditer(text)]
        years = _YEAR.findall(re.sub(rf"\b{_MONTHS_RE}\s+\d{{1,2}},?", " ", text))
    if len(full_dates) == n:
        lead = periods[0] + " " if len(periods) == 1 else ""
        return [f"{lead}{d}" for d in full_dates]
    if len(years) == n:
        out = []
        for i, year in enumerate(years):
            head = []
            if periods and n % len(periods) == 0:
                head.append(periods[i // (n // len(periods))])
            if days and n % len(days) == 0:
                head.append(days[i // (n // len(days))] + ",")
            head.append(year)
            out.append(" ".join(head))
        return out
    return []


def _header_like(line: str) -> bool:
    words = line.split()
    return bool(words) and len(words) <= 14 and bool(_PERIOD.search(line) or _MONTH_DAY.search(line) or _YEAR.search(line)) and (
        sum(1 for w in words if _YEAR.fullmatch(w.strip(",")) or w[:1].isupper() or w[:1].isdigit()) >= len(words) * 0.6
    )


def is_tabular(lines: list[str]) -> bool:
    """Does a page look like it holds a table (three or more lines ending in two or more numbers)?"""
    return sum(1 for ln in lines if split_row(ln)) >= 3


def pdf_page_rows(lines: list[str]) -> list[str]:
    """The page's lines with each table row rewritten as a readable sentence of its own (prefixed
    with a blank-line marker so the paragraph builder keeps it apart); other lines unchanged."""
    if not is_tabular(lines):
        return lines
    page = " ".join(lines[:40])
    unit_m = _UNIT.search(page)
    unit = {"millions": "million", "billions": "billion", "thousands": "thousand"}[unit_m.group(1).lower()] if unit_m else ""
    out: list[str] = []
    headers: list[str] = []
    header_block: list[str] = []
    group = ""
    for raw in lines:
        line = raw.strip()
        row = split_row(line)
        if row:
            label, cells = row
            if header_block:
                headers = column_headers(header_block, len(cells)) or headers
                header_block = []
            cols = headers if len(headers) == len(cells) else []
            if label.lower().startswith("total"):
                group = ""  # a total closes the group it sums
            elif group and label[:1].isupper():
                label = f"{label} ({group})"
            per_unit = unit if "per share" not in label.lower() else ""
            out.append(TABLE_ROW + format_row(label, cols, [_value(c, per_unit) for c in cells]))
            continue
        if _header_like(line) and not line.endswith("."):
            header_block.append(line)
            header_block = header_block[-4:]
        elif line.endswith(":") and len(line.split()) <= 8:
            group = line.rstrip(":").strip()
            out.append(line)
            continue
        else:
            group = ""
        out.append(raw)
    return out


TABLE_ROW = "\x02"  # marks a line that is a formatted table row (a paragraph of its own)
