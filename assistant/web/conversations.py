"""Saved conversations: each signed-in user's chats, kept server-side in the app's SQLite database
(the ``feedback_db`` file, beside the feedback table), so a reload or a restart loses nothing.

A conversation holds its turns (question, answer, citations) for the REST API and the Markdown
export, and the chat's rendered messages for the browser to show it again as it was. A
conversation belongs to one user: asking for another user's is answered like a missing one.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

MAX_TITLE = 120
MAX_TURNS = 200  # a conversation longer than this keeps its newest turns
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    title TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    turns TEXT NOT NULL DEFAULT '[]',
    display TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user, updated);
"""
CITATION_FIELDS = ("n", "doc_id", "title", "page", "quote")


def title_from(question: str) -> str:
    """A conversation's default title: its first question, on one line, cut to ``MAX_TITLE``."""
    text = " ".join(str(question or "").split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1].rstrip() + "…"


def turn_of(answer) -> dict[str, Any]:
    """What a conversation keeps of one answer: the question, the answer and its citations."""
    return {
        "question": answer.question, "answer": answer.text, "declined": bool(answer.declined),
        "citations": [{k: getattr(c, k) for k in CITATION_FIELDS} for c in answer.citations],
        "time": time.time(),
    }


class ConversationStore:
    """One SQLite file (shared with the feedback table); a short-lived connection per call."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.row_factory = sqlite3.Row
            yield db

    def create(self, user: str, title: str = "") -> str:
        cid = secrets.token_urlsafe(12)
        now = time.time()
        with self._lock, self._connect() as db:
            db.execute("INSERT INTO conversations (id, user, title, created, updated) VALUES (?, ?, ?, ?, ?)",
                       (cid, user, title_from(title) or "New conversation", now, now))
        return cid

    def get(self, cid: str | None, user: str | None) -> dict[str, Any] | None:
        """The conversation if it exists and is ``user``'s; None otherwise (the same for both)."""
        if not cid or not user:
            return None
        with self._connect() as db:
            row = db.execute("SELECT * FROM conversations WHERE id = ? AND user = ?", (str(cid), user)).fetchone()
        if row is None:
            return None
        data = dict(row)
        data["turns"] = json.loads(data["turns"])
        data["display"] = json.loads(data["display"])
        return data

    def list(self, user: str | None) -> list[dict[str, Any]]:
        """The user's conversations, newest first: id, title, created, updated, turn count."""
        if not user:
            return []
        with self._connect() as db:
            rows = db.execute("SELECT id, title, created, updated, json_array_length(turns) AS turns"
                              " FROM conversations WHERE user = ? ORDER BY updated DESC", (user,)).fetchall()
        return [dict(r) for r in rows]

    def append(self, cid: str, user: str, turn: dict[str, Any], display: list | None = None) -> bool:
        """Add one answered turn (and, from the browser, the chat as shown); False if not the user's."""
        with self._lock, self._connect() as db:
            row = db.execute("SELECT turns, title FROM conversations WHERE id = ? AND user = ?", (cid, user)).fetchone()
            if row is None:
                return False
            turns = (json.loads(row["turns"]) + [turn])[-MAX_TURNS:]
            title = row["title"]
            if title == "New conversation" and turn.get("question"):
                title = title_from(turn["question"])
            if display is None:
                db.execute("UPDATE conversations SET turns = ?, title = ?, updated = ? WHERE id = ?",
                           (json.dumps(turns, ensure_ascii=False), title, time.time(), cid))
            else:
                db.execute("UPDATE conversations SET turns = ?, display = ?, title = ?, updated = ? WHERE id = ?",
                           (json.dumps(turns, ensure_ascii=False), json.dumps(display, ensure_ascii=False),
                            title, time.time(), cid))
        return True

    def rename(self, cid: str, user: str, title: str) -> bool:
        title = title_from(title)
        if not title:
            raise ValueError("the new name is empty")
        with self._lock, self._connect() as db:
            cur = db.execute("UPDATE conversations SET title = ? WHERE id = ? AND user = ?", (title, cid, user))
        return cur.rowcount > 0

    def delete(self, cid: str, user: str) -> bool:
        with self._lock, self._connect() as db:
            cur = db.execute("DELETE FROM conversations WHERE id = ? AND user = ?", (cid, user))
        return cur.rowcount > 0


def history_of(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The turns as the chat history the assistant takes (for follow-up questions)."""
    out: list[dict[str, str]] = []
    for t in turns:
        out += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]}]
    return out


def to_markdown(conv: dict[str, Any]) -> str:
    """The conversation as Markdown: each question, its answer, and every citation (document, page, quote)."""
    lines = [f"# {_md(conv.get('title') or 'Conversation')}", ""]
    if conv.get("created"):
        lines += [f"Started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(conv['created']))}.", ""]
    for i, t in enumerate(conv.get("turns") or [], 1):
        lines += [f"## {i}. {_md(t['question'])}", "", t["answer"].strip(), ""]
        if t.get("citations"):
            lines += ["Sources:", ""]
            for c in t["citations"]:
                page = f", page {c['page']}" if c.get("page") else ""
                quote = " ".join(str(c.get("quote") or "").split())
                lines.append(f"- [{c.get('n', '')}] {_md(c.get('title') or c['doc_id'])} (`{c['doc_id']}`{page}): “{quote}”")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    """One line of user or document text, safe as a Markdown heading or list item."""
    return " ".join(str(text or "").split()).replace("#", "\\#")
