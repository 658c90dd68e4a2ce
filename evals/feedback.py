"""Turn thumbs-down feedback into a draft suite for review.

The feedback SQLite has a table ``feedback`` with columns question, answer,
citations (JSON), rating (-1/+1), comment, role, settings_hash and a time
(``created_at`` or ``time``). When ``assistant.web.feedback`` is installed its
``FeedbackStore(db).rows()`` is used; otherwise the table is read directly. Every drafted case has ``should_decline: null`` (so the
suite will not run until someone decides), the comment and the answer given in
``notes``, and the tag ``from-feedback``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from evals.suite import ROLES, dump_suite

COLUMNS = ("question", "answer", "citations", "rating", "comment", "role", "settings_hash", "created_at", "time", "user", "index_version")
HEADER = """# Draft suite from thumbs-down feedback ({count} case(s), {when}).
# Review each case before running it:
#   - set should_decline: true if the documents really do not cover the question, else false;
#   - for answerable cases add expected_facts and/or expected_sources (the notes show what was cited);
#   - delete cases that are not worth keeping, then move the rest into a suite under evals/suites/.
# Until should_decline is set, 'python -m evals run' rejects this file on purpose."""


class FeedbackError(RuntimeError):
    """The feedback database is missing or unreadable."""


def _from_module(db: Path) -> list[dict[str, Any]] | None:
    """Records through ``assistant.web.feedback.FeedbackStore`` when that module is there, else ``None``."""
    try:
        from assistant.web.feedback import FeedbackStore
    except ImportError:
        return None
    try:
        rows = FeedbackStore(db).rows()
    except (sqlite3.Error, OSError, AttributeError, TypeError, ValueError):
        return None  # an older or different layout: read the table directly
    return [dict(r) for r in rows]


def _from_table(db: Path) -> list[dict[str, Any]]:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise FeedbackError(f"cannot open the feedback database {db}: {exc}") from None
    try:
        con.row_factory = sqlite3.Row
        have = {r["name"] for r in con.execute("PRAGMA table_info(feedback)")}
        if not have:
            raise FeedbackError(f"{db} has no 'feedback' table")
        missing = {"question", "rating"} - have
        if missing:
            raise FeedbackError(f"{db}: the feedback table lacks column(s) {', '.join(sorted(missing))}")
        cols = [c for c in COLUMNS if c in have]
        order = next((f" ORDER BY {c}" for c in ("id", "created_at", "time") if c in have), "")
        return [dict(r) for r in con.execute(f"SELECT {', '.join(cols)} FROM feedback{order}")]
    except sqlite3.Error as exc:
        raise FeedbackError(f"cannot read the feedback database {db}: {exc}") from None
    finally:
        con.close()


def read_feedback(db: Path) -> list[dict[str, Any]]:
    """All feedback records (every rating), oldest first."""
    if not db.is_file():
        raise FeedbackError(f"no feedback database at {db} (give --db, or set feedback_db)")
    rows = _from_module(db)
    return rows if rows is not None else _from_table(db)


def _cited(raw: Any) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return [raw]
    out = []
    for c in raw if isinstance(raw, list) else [raw]:
        if isinstance(c, dict):
            doc = c.get("doc_id") or c.get("doc") or c.get("title")
            page = c.get("page")
            if doc:
                out.append(f"{doc} p.{page}" if page else str(doc))
        elif c:
            out.append(str(c))
    return list(dict.fromkeys(out))


def _when(value: Any) -> str:
    if isinstance(value, int | float):
        return _dt.datetime.fromtimestamp(value).isoformat(timespec="seconds")
    return str(value or "")


def draft_cases(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Draft cases for the thumbs-down records; one case per (question, role), comments merged."""
    drafts: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        try:
            rating = int(row.get("rating") or 0)
        except (TypeError, ValueError):
            continue
        question = " ".join(str(row.get("question") or "").split())
        if rating >= 0 or not question:
            continue
        role = str(row.get("role") or "public")
        note_lines = []
        if role not in ROLES:
            note_lines.append(f"role was {role!r}; set to public")
            role = "public"
        comment = " ".join(str(row.get("comment") or "").split())
        note_lines += [
            f"comment: {comment or '(none)'}",
            f"answer given: {' '.join(str(row.get('answer') or '').split()) or '(none)'}",
            f"cited: {', '.join(_cited(row.get('citations'))) or 'nothing'}",
            f"rated {rating} at {_when(row.get('created_at') or row.get('time'))} (settings {row.get('settings_hash') or 'unknown'}"
            + (f", index {row['index_version']}" if row.get("index_version") else "")
            + (f", user {row['user']}" if row.get("user") else "")
            + ")",
        ]
        key = (question.lower(), role)
        if key in drafts:
            drafts[key]["notes"] += "\n---\n" + "\n".join(note_lines)
            continue
        digest = hashlib.sha256(f"{question}\0{role}".encode()).hexdigest()[:8]
        case: dict[str, Any] = {"id": f"fb-{digest}", "question": question, "should_decline": None}
        if role != "public":
            case["role"] = role
        case["tags"] = ["from-feedback"]
        case["notes"] = "\n".join(note_lines)
        drafts[key] = case
    return list(drafts.values())


def draft_suite_text(rows: list[dict[str, Any]]) -> tuple[str, int]:
    """(YAML text of the draft suite, number of cases)."""
    cases = draft_cases(rows)
    header = HEADER.format(count=len(cases), when=_dt.datetime.now().isoformat(timespec="seconds"))
    return dump_suite(cases, header, name="from-feedback-draft", description="Thumbs-down answers to review."), len(cases)
