"""Signed-in sessions and bearer tokens, kept server-side in SQLite; and the sign-in throttle.

Tokens are ``<id>.<secret>``: the id finds the row, the secret's SHA-256 is stored (never the secret)
and compared with :func:`hmac.compare_digest`. Rows survive a restart of the app and die on logout,
on expiry, and when the user's password changes or the user is removed (each row carries a stamp of
the password hash it was issued under; the caller's lookup compares it with the users file now).
The database file is readable by its owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.web.private import create_private, private_file

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    user_stamp TEXT NOT NULL DEFAULT '',
    csrf TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
)
"""


@dataclass(frozen=True)
class Session:
    name: str
    role: str
    expires: float
    user_stamp: str = ""
    csrf: str = ""
    id: str = ""


def user_stamp(password_hash: str) -> str:
    """What ties a session to the password it was issued under (a change of password ends it)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32] if password_hash else ""


class TokenStore:
    """Bearer tokens and browser sessions in one SQLite file (``path``; in memory when None), with expiry."""

    def __init__(self, path: Path | None = None, ttl_s: float = 12 * 3600) -> None:
        self.ttl_s = ttl_s
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        if self.path:
            create_private(self.path)
        self._db = sqlite3.connect(str(self.path) if self.path else ":memory:", timeout=10, check_same_thread=False,
                                   isolation_level=None)
        with self._lock:
            self._db.execute(_SCHEMA)
        if self.path:
            private_file(self.path)

    def issue(self, name: str, role: str, ttl_s: float | None = None, stamp: str = "") -> str:
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            self._db.execute(
                "INSERT INTO sessions (id, secret_sha256, name, role, user_stamp, csrf, created, expires)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (token_id, _digest(secret), name, role, stamp, secrets.token_urlsafe(24), now, now + (ttl_s or self.ttl_s)),
            )
        return f"{token_id}.{secret}"

    def lookup(self, token: str | None) -> Session | None:
        if not token or not isinstance(token, str) or "." not in token or len(token) > 200:
            return None
        token_id, _, secret = token.partition(".")
        with self._lock:
            row = self._db.execute(
                "SELECT secret_sha256, name, role, expires, user_stamp, csrf FROM sessions WHERE id = ?", (token_id,)
            ).fetchone()
        if row is None or not hmac.compare_digest(row[0].encode(), _digest(secret).encode()):
            return None
        if row[3] < time.time():
            self.revoke(token)
            return None
        return Session(row[1], row[2], row[3], row[4], row[5], token_id)

    def revoke(self, token: str | None) -> None:
        if token and isinstance(token, str) and "." in token:
            with self._lock:
                self._db.execute("DELETE FROM sessions WHERE id = ?", (token.partition(".")[0],))

    def revoke_user(self, name: str) -> int:
        """End every session of one user (their password changed, or they were removed)."""
        with self._lock:
            return self._db.execute("DELETE FROM sessions WHERE name = ?", (name,)).rowcount

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM sessions WHERE expires >= ?", (time.time(),)).fetchone()[0]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class LoginThrottle:
    """At most ``limit`` failed logins per key in ``window_s`` seconds."""

    def __init__(self, limit: int = 5, window_s: float = 60.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        now = time.time()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window_s]
            if recent:
                self._failures[key] = recent
            else:
                self._failures.pop(key, None)
            return len(recent) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(time.time())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
