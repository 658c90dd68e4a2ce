"""Signed-in sessions and bearer tokens, and the sign-in throttle.

Tokens are ``<id>.<secret>``: the id finds the entry, the secret is compared with
:func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    name: str
    role: str
    expires: float


class TokenStore:
    """Bearer tokens and browser sessions kept in memory, ``<id>.<secret>``, with expiry.

    The id finds the entry; the secret is compared with :func:`hmac.compare_digest`.
    Restarting the server logs everybody out, which is acceptable for this app.
    """

    def __init__(self, ttl_s: float = 12 * 3600) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[str, Session]] = {}
        self._lock = threading.Lock()

    def issue(self, name: str, role: str, ttl_s: float | None = None) -> str:
        token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        session = Session(name, role, time.time() + (ttl_s or self.ttl_s))
        with self._lock:
            self._purge()
            self._entries[token_id] = (secret, session)
        return f"{token_id}.{secret}"

    def lookup(self, token: str | None) -> Session | None:
        if not token or not isinstance(token, str) or "." not in token:
            return None
        token_id, _, secret = token.partition(".")
        with self._lock:
            entry = self._entries.get(token_id)
        if entry is None or not hmac.compare_digest(entry[0].encode(), secret.encode()):
            return None
        if entry[1].expires < time.time():
            self.revoke(token)
            return None
        return entry[1]

    def revoke(self, token: str | None) -> None:
        if token and "." in token:
            with self._lock:
                self._entries.pop(token.partition(".")[0], None)

    def _purge(self) -> None:
        now = time.time()
        for key in [k for k, (_, s) in self._entries.items() if s.expires < now]:
            del self._entries[key]


class LoginThrottle:
    """At most ``limit`` failed logins per key (name and client) in ``window_s`` seconds."""

    def __init__(self, limit: int = 5, window_s: float = 60.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        now = time.time()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window_s]
            self._failures[key] = recent
            return len(recent) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(time.time())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
