"""Thumbs up/down on answers, kept in SQLite (setting ``feedback_db``) and exported to CSV or JSONL.

Export: ``python -m assistant.web.feedback export --format csv|jsonl [--out FILE]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from assistant.web.private import create_private, private_file

MAX_COMMENT = 2000
MAX_TEXT = 100_000  # characters of a question or an answer kept
MAX_CITATIONS = 50
MAX_CITATIONS_JSON = 64_000  # characters of the citations, as stored JSON
COLUMNS = ("id", "time", "question", "answer", "citations", "rating", "comment", "role", "user", "settings_hash", "index_version")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]',
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    user TEXT,
    settings_hash TEXT NOT NULL DEFAULT '',
    index_version TEXT NOT NULL DEFAULT ''
)
"""
# Spreadsheet programs run cells that start with these as formulas (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _rating(value: Any) -> int:
    if isinstance(value, bool):  # True is thumbs up (bool before int: 0 == False in Python)
        return 1 if value else -1
    if isinstance(value, int) and value in (1, -1):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "+1", "up", "-1", "down"):
        return -1 if value.strip().lower() in ("-1", "down") else 1
    raise ValueError("rating must be +1 (thumbs up) or -1 (thumbs down)")


def _comment(value: str | None) -> str:
    return (value or "").strip()[:MAX_COMMENT]


class FeedbackStore:
    """One SQLite file; a short-lived connection per call, so any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        create_private(self.path)  # readers' questions and comments: the owner's only
        with self._connect() as db:
            db.execute(_SCHEMA)
        private_file(self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.row_factory = sqlite3.Row
            yield db

    def add(
        self,
        question: str,
        answer: str,
        citations: list[dict] | tuple = (),
        rating: int = 1,
        comment: str = "",
        role: str = "public",
        settings_hash: str = "",
        user: str | None = None,
        index_version: str = "",
    ) -> int:
        """Store one rating; returns its id (to attach a comment later)."""
        row = (
            time.time(), str(question)[:MAX_TEXT], str(answer)[:MAX_TEXT], _citations_json(citations),
            _rating(rating), _comment(comment), role, user, settings_hash, index_version,
        )
        with self._lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (time, question, answer, citations, rating, comment, role, user, settings_hash, index_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid)

    def update(self, feedback_id: int, *, rating: int | None = None, comment: str | None = None) -> None:
        """Change the rating or the comment of a stored row (a second click, a comment typed after)."""
        with self._lock, self._connect() as db:
            if rating is not None:
                db.execute("UPDATE feedback SET rating = ? WHERE id = ?", (_rating(rating), feedback_id))
            if comment is not None:
                db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (_comment(comment), feedback_id))

    def get(self, feedback_id: int) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM feedback WHERE id = ?", (feedback_id,)).fetchone()
        return _row(row) if row else None

    def rows(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            return [_row(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]

    def export(self, path: Path | str, fmt: str | None = None) -> int:
        """Write every row to ``path`` as CSV or JSONL (from ``fmt`` or the suffix); returns the count."""
        path = Path(path)
        fmt = (fmt or path.suffix.lstrip(".")).lower()
        with open(path, "w", encoding="utf-8", newline="") as fh:
            return self.write(fh, fmt)

    def write(self, fh, fmt: str) -> int:
        rows = self.rows()
        if fmt == "jsonl":
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for r in rows:
                cells = [json.dumps(r[c], ensure_ascii=False) if c == "citations" else r[c] for c in COLUMNS]
                writer.writerow([_csv_safe(c) for c in cells])
        else:
            raise ValueError(f"unknown export format {fmt!r}; use csv or jsonl")
        return len(rows)


def _citations_json(citations) -> str:
    """The citations as stored: at most :data:`MAX_CITATIONS`, and only as many as fit in
    :data:`MAX_CITATIONS_JSON` characters (a client could otherwise store megabytes in one rating)."""
    kept: list = []
    size = 2
    for c in list(citations)[:MAX_CITATIONS]:
        piece = json.dumps(c, ensure_ascii=False, default=str)
        if size + len(piece) + 2 > MAX_CITATIONS_JSON:
            break
        kept.append(c)
        size += len(piece) + 2
    return json.dumps(kept, ensure_ascii=False, default=str)


def _row(row: sqlite3.Row) -> dict[str, Any]:
    data = dict(row)
    data["citations"] = json.loads(data["citations"] or "[]")
    return data


def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m assistant.web.feedback",
        description="Export the thumbs up/down that readers gave answers.",
        epilog="example: python -m assistant.web.feedback export --format csv --out feedback.csv",
    )
    p.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    p.add_argument("--db", type=Path, help="feedback SQLite file (default: the feedback_db setting)")
    sub = p.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="write every feedback row as CSV or JSONL")
    exp.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    exp.add_argument("--out", type=Path, help="output file (default: standard output)")
    args = p.parse_args(argv)
    try:
        if args.db is None:
            from assistant.settings import load_settings

            args.db = load_settings(args.config).feedback_db
        if not args.db.exists():
            raise ValueError(f"no feedback database at {args.db}")
        store = FeedbackStore(args.db)
        if args.out:
            count = store.export(args.out, args.format)
            print(f"wrote {count} rows to {args.out}", file=sys.stderr)
        else:
            store.write(sys.stdout, args.format)
    except (ValueError, OSError, sqlite3.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
