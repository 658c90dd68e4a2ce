"""Sign-in: ``POST /api/token`` and ``POST /api/logout`` for API callers; ``/login`` and ``/logout`` for the browser.

The sign-in form carries a CSRF token that must match a cookie set with the form (double submit;
the cookie is ``SameSite=Strict``, so another site can neither read nor send it); signing out
needs the session's own CSRF token (in the page's sign-out link, or the confirmation form).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from assistant import i18n
from assistant.web.context import SESSION_COOKIE, AppContext
from assistant.web.models import TokenIn, TokenOut
from assistant.web.pages import login_html, logout_html
from assistant.web.routes.deps import bearer_token
from assistant.web.signin import SignInError

CSRF_COOKIE = "pa_login_csrf"


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter()

    def login_form(request: Request, error: str = "", name: str = "", status: int = 200) -> HTMLResponse:
        """The form in the browser's language; ``error``: a ``signin.*`` key."""
        token = secrets.token_urlsafe(24)
        lang = i18n.pick_language(request.headers.get("accept-language"))
        response = HTMLResponse(login_html(i18n.t(error, lang) if error else "", name, token, lang), status)
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                            secure=request.url.scheme == "https")
        return response

    @r.post("/api/token", response_model=TokenOut, tags=["auth"], summary="Exchange a name and password for a bearer token")
    async def token(body: TokenIn, request: Request) -> TokenOut:
        if ctx.users is None:
            raise HTTPException(400, "this server has no users file: every request is 'public' and needs no token")
        try:
            user = await run_in_threadpool(ctx.signin.attempt, request, body.name, body.password)
        except SignInError as exc:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {"Retry-After": "60"}
            raise HTTPException(exc.status, exc.message, headers=headers) from None
        return TokenOut(access_token=ctx.issue(user), expires_in=int(ctx.tokens.ttl_s), name=user.name, role=user.role)

    @r.post("/api/logout", tags=["auth"], summary="End the bearer token sent with this request")
    def api_logout(token: str | None = Depends(bearer_token)) -> dict[str, bool]:
        if not token or ctx.tokens.lookup(token) is None:
            raise HTTPException(401, "send the token to end as 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        ctx.tokens.revoke(token)
        return {"ended": True}

    @r.get("/login", include_in_schema=False)
    def login_page(request: Request) -> HTMLResponse:
        if ctx.users is None or ctx.caller(request):
            return RedirectResponse("/", status_code=303)
        return login_form(request)

    @r.post("/login", include_in_schema=False)
    async def login(request: Request, name: str = Form(""), password: str = Form(""), csrf: str = Form("")) -> HTMLResponse:
        if ctx.users is None:
            return RedirectResponse("/", status_code=303)
        if not _same(csrf, request.cookies.get(CSRF_COOKIE)):
            return login_form(request, "signin.expired", name, 403)
        try:
            user = await run_in_threadpool(ctx.signin.attempt, request, name, password)
        except SignInError as exc:
            message = {429: "signin.too_many", 503: "signin.busy"}.get(exc.status, "signin.wrong")
            return login_form(request, message, name, exc.status)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, ctx.issue(user), max_age=int(ctx.tokens.ttl_s),
                            httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")
        response.delete_cookie(CSRF_COOKIE, path="/login")
        return response

    def end_session(request: Request) -> RedirectResponse:
        ctx.tokens.revoke(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login" if ctx.users else "/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @r.get("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = "") -> HTMLResponse:
        session = ctx.session_of(request)
        if session is None or _same(csrf, session.csrf):
            return end_session(request)
        return HTMLResponse(logout_html(session.csrf))  # a link from elsewhere: ask first

    @r.post("/logout", include_in_schema=False)
    def logout_form(request: Request, csrf: str = Form("")) -> HTMLResponse:
        session = ctx.session_of(request)
        if session is not None and not _same(csrf, session.csrf):
            return HTMLResponse(logout_html(session.csrf), 403)
        return end_session(request)

    return r
