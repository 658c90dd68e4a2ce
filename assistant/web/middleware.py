"""ASGI middleware and error handlers of the app. They wrap the FastAPI app that Gradio is mounted in,
so they see every request: the REST API, the sign-in pages and Gradio's own routes.

* :class:`OriginGuard`: a page on another origin (another port on localhost, a sibling subdomain)
  must not drive the app with the reader's cookie: requests it sends are refused (403) before they
  reach a route, so no route ever answers a foreign origin, with credentials or without.
* :class:`BodyLimit`: a request body over the limit is refused (413) before it is parsed or its
  caller checked, whether it announces its length or streams it.
* :class:`SecurityHeaders`: no page of the app may be framed (clickjacking).
* :class:`LoginRedirect`: a browser without a session goes to the sign-in page.
* :func:`validation_error`: a 422 that echoes at most a little of the input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from assistant.web.context import AppContext

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FRAME_POLICY = "frame-ancestors 'none'"
ECHO_CHARS = 120  # at most this much of an invalid input is echoed in a 422
MAX_ERRORS = 20  # and at most this many errors


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


async def _refuse(scope, receive, send, status: int, detail: str) -> None:
    await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)


class OriginGuard:
    """Refuse requests a browser sends on behalf of another origin.

    A request is from a foreign page when its ``Origin`` is neither the app's own (the scheme-less
    ``host:port`` of its ``Host`` header) nor in ``allowed_origins``; or, when a browser sends no
    ``Origin``, when its ``Sec-Fetch-Site`` says ``cross-site`` or ``same-site`` and it is not a
    plain navigation (a link to a document, opened from elsewhere, still works). Callers that are
    not browsers (curl, the API's clients) send neither header and are not affected.
    """

    def __init__(self, app, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = {o.strip().rstrip("/").lower() for o in allowed_origins if o.strip()}

    def foreign(self, scope) -> bool:
        origin = _header(scope, b"origin")
        host = (_header(scope, b"host") or "").strip().lower()
        if origin is not None:
            origin = origin.strip().rstrip("/").lower()
            if origin in self.allowed:
                return False
            parts = urlsplit(origin)
            return origin == "null" or not host or parts.netloc != host or parts.scheme not in ("http", "https")
        site = (_header(scope, b"sec-fetch-site") or "").lower()
        if site in ("cross-site", "same-site"):
            navigation = scope.get("method", "GET") in SAFE_METHODS and _header(scope, b"sec-fetch-mode") == "navigate"
            return not navigation
        return False

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and self.foreign(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _refuse(scope, receive, send, 403, "requests from another site are refused")
            return
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    """Raised while a body is read; an HTTP error so that a framework catching errors while parsing
    (FastAPI turns them into 400) passes it on as the 413 it is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the limit of {limit:,} bytes")


class BodyLimit:
    """Refuse (413) a request body over ``limit`` bytes (``upload_limit`` for Gradio's upload route)
    before anything parses it: at once from ``Content-Length``, else as soon as the bytes arrive."""

    UPLOAD_PATHS = ("/gradio_api/upload",)

    def __init__(self, app, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"].startswith(self.UPLOAD_PATHS) else self.limit
        declared = _header(scope, b"content-length")
        too_big = f"the request body is over the limit of {limit:,} bytes"
        try:
            if declared is not None and int(declared) > limit:
                await _refuse(scope, receive, send, 413, too_big)
                return
        except ValueError:
            await _refuse(scope, receive, send, 400, "bad Content-Length")
            return
        seen = 0
        started = False

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(scope, receive, send, 413, too_big)


class SecurityHeaders:
    """Every response: not to be framed by any page (CSP ``frame-ancestors 'none'`` and X-Frame-Options),
    no content sniffing."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"x-frame-options",)]
                csp = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-security-policy"), None)
                headers = [(k, v) for k, v in headers if k.lower() != b"content-security-policy"]
                if csp is None:
                    csp = FRAME_POLICY
                elif "frame-ancestors" not in csp:
                    csp = f"{csp}; {FRAME_POLICY}"
                headers += [(b"content-security-policy", csp.encode("latin-1")), (b"x-frame-options", b"DENY")]
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


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


def _short(value):
    """An input as echoed in a 422: small values as they are, long text cut, containers summarised."""
    if isinstance(value, str):
        return value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + f"… ({len(value):,} characters)"
    if isinstance(value, (dict, list, tuple)):
        text = json.dumps(jsonable_encoder(value), ensure_ascii=True, default=str)
        return value if len(text) <= ECHO_CHARS else f"<{type(value).__name__} of {len(value):,} items>"
    return value


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422 body, with each echoed input cut short and at most :data:`MAX_ERRORS` errors
    (the default echoed a large input whole, several times over), written as ASCII JSON: the input may
    hold a lone surrogate (a ``\\ud800`` escape in the request), which UTF-8 cannot encode."""
    errors = []
    for err in exc.errors()[:MAX_ERRORS]:
        err = {k: v for k, v in err.items() if k not in ("url", "ctx")}
        if "input" in err:
            err["input"] = _short(err["input"])
        err["msg"] = _short(str(err.get("msg", "")))
        errors.append(err)
    body = json.dumps({"detail": jsonable_encoder(errors)}, ensure_ascii=True, default=str)
    return Response(body, status_code=422, media_type="application/json")
