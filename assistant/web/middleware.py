"""ASGI middleware and error handlers of the app (they see every request, Gradio's included)."""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response

from assistant.web.context import AppContext


class LoginRedirect:
    """ASGI middleware: a browser opening the app without a session goes to the sign-in page."""

    def __init__(self, app, ctx: AppContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope, receive, send) -> None:
        if (scope["type"] == "http" and self.ctx.login_required and scope["path"] == "/"
                and scope["method"] in ("GET", "HEAD") and self.ctx.ui_user(Request(scope)) is None):
            await RedirectResponse("/login", status_code=303)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422 body, written as ASCII JSON: the input it echoes may hold a lone surrogate (a
    ``\\ud800`` escape in the request), which UTF-8 cannot encode, and the default handler then failed with 500."""
    body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True, default=str)
    return Response(body, status_code=422, media_type="application/json")
