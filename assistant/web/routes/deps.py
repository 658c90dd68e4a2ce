"""What the route modules share: who is calling (a FastAPI dependency) and which errors mean 503."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request

from assistant.web.context import AppContext, Caller, NotReadyError


def unavailable_errors() -> tuple[type[Exception], ...]:
    """Errors that mean "the assistant cannot answer now" (503), not "your request is wrong"."""
    from assistant.embedding import ModelMissingError
    from assistant.store import StoreUnavailableError

    return (NotReadyError, StoreUnavailableError, ModelMissingError)


def caller_dependency(ctx: AppContext) -> Callable[[Request], Caller]:
    """A FastAPI dependency: the caller, or 401 (cookies only count for GET and HEAD)."""

    def require_caller(request: Request) -> Caller:
        caller = ctx.caller(request, allow_cookie=request.method in ("GET", "HEAD"))
        if caller is None:
            raise HTTPException(401, "sign in: POST /api/token, then send 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        return caller

    return require_caller


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    header = request.headers.get("authorization", "")
    return header[7:].strip() or None if header[:7].lower() == "bearer " else None
