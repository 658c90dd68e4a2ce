"""``GET /api/health``: is the service up, and what index does it serve?"""

from __future__ import annotations

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
        try:
            data.update(ctx.assistant_obj.health())
        except Exception as exc:  # health must answer even when the index is broken
            data.update(status="error", error=str(exc))
        if ctx.error:
            data.update(status="error", error=ctx.error)
        if ctx.login_required and ctx.caller(request) is None:  # strangers learn only whether it is up
            data = {k: data[k] for k in ("status", "ready", "login_required")}
        return data

    return r
