"""Checking a name and password, for ``POST /api/token`` and the sign-in form alike.

One normalisation of the name (NFKC, surrounding space dropped) serves both the throttle and the
password check, so ``" sam"``, ``"sam "`` and ``"\\tsam"`` are one name with one budget. Failures
are counted per name and address and per address; the address is the connection's peer, unless
that peer is one of the ``trusted_proxies`` (none by default), whose ``X-Forwarded-For`` is then
read. Password checks (argon2, 64 MiB each) run at most ``password_checks`` at once.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable

from fastapi import Request

from assistant.web.sessions import LoginThrottle
from assistant.web.users import User, Users

NAME_LIMIT = 5  # failures per name and address in a minute
ADDRESS_LIMIT = 20  # failures per address in a minute, whatever the names
CHECK_WAIT_S = 10.0  # a sign-in waiting longer than this for a password check gets 503


class SignInError(Exception):
    """A refused sign-in: ``status`` (401, 429 or 503) and the message to show."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def normalise_name(name: object) -> str:
    """The one form of a user name that the throttle and the password check both see."""
    if not isinstance(name, str):
        return ""
    return unicodedata.normalize("NFKC", name).strip()


def client_address(request: Request, trusted_proxies: Iterable[str] = ()) -> str:
    """The caller's address: the peer, or (behind a trusted proxy) the nearest untrusted X-Forwarded-For entry."""
    peer = request.client.host if request.client else ""
    trusted = set(trusted_proxies)
    if peer not in trusted:
        return peer
    chain = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
    return next((a for a in reversed(chain) if a not in trusted), peer)


class SignIn:
    """The throttles and the bound on concurrent password checks of one app."""

    def __init__(self, users: Users, trusted_proxies: Iterable[str] = (), password_checks: int = 4) -> None:
        self.users = users
        self.trusted_proxies = tuple(trusted_proxies)
        self.per_name = LoginThrottle(NAME_LIMIT, 60.0)
        self.per_address = LoginThrottle(ADDRESS_LIMIT, 60.0)
        self.checks = threading.BoundedSemaphore(password_checks)
        self.check_wait_s = CHECK_WAIT_S

    def attempt(self, request: Request, name: str, password: str) -> User:
        """The user, when the password is right; :class:`SignInError` otherwise."""
        name = normalise_name(name)
        address = client_address(request, self.trusted_proxies)
        name_key, address_key = f"{name}|{address}", f"|{address}"
        if self.per_name.blocked(name_key) or self.per_address.blocked(address_key):
            raise SignInError(429, "too many failed sign-ins; wait a minute")
        if not self.checks.acquire(timeout=self.check_wait_s):
            raise SignInError(503, "too many sign-ins at once; try again shortly")
        try:
            user = self.users.verify(name, password if isinstance(password, str) else "")
        finally:
            self.checks.release()
        if user is None:
            self.per_name.failed(name_key)
            self.per_address.failed(address_key)
            raise SignInError(401, "wrong name or password")
        self.per_name.succeeded(name_key)
        return user
