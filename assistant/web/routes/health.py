"""``GET /api/health``: is the service up, and what index does it serve?"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request

from assistant.web.context import AppContext


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter()

    @r.get("/api/health", tags=["service"], summary="Is the service up, and what index does it serve?")
    def health(request: Request) -> dict[str, Any]:
        data: dict[str, Any] = {"ready": ctx.ready.is_set() and ctx.error is None, "login_required": ctx.login_required}
        if not ctx.ready.is_set():
            return {**data, "status": "starting"}
        caller = ctx.caller(request)
        try:  # totals of what the caller may see (a stranger: the public view, then trimmed below)
            data.update(ctx.assistant_obj.health(caller.role if caller else "public"))
        except Exception as exc:  # health must answer even when the index is broken
            data.update(status="error", error=_no_paths(str(exc)))
        if ctx.error:
            data.update(status="error", error=_no_paths(ctx.error))
        if ctx.login_required and caller is None:  # strangers learn only whether it is up
            data = {k: data[k] for k in ("status", "ready", "login_required")}
        return data

    return r


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:]+){2,}[\\/]?")


def _no_paths(message: str) -> str:
    """An error message with file paths cut out (they tell a caller where the app keeps its data)."""
    return _PATH.sub("<path>", message)
