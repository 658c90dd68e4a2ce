"""Sign-in: ``POST /api/token`` for API callers; ``/login`` and ``/logout`` for the browser."""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from assistant.web.context import SESSION_COOKIE, AppContext
from assistant.web.models import TokenIn, TokenOut
from assistant.web.pages import login_html


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter()

    @r.post("/api/token", response_model=TokenOut, tags=["auth"], summary="Exchange a name and password for a bearer token")
    def token(body: TokenIn, request: Request) -> TokenOut:
        if ctx.users is None:
            raise HTTPException(400, "this server has no users file: every request is 'public' and needs no token")
        key = f"{body.name}|{request.client.host if request.client else ''}"
        if ctx.throttle.blocked(key):
            raise HTTPException(429, "too many failed sign-ins; wait a minute")
        user = ctx.users.verify(body.name, body.password)
        if user is None:
            ctx.throttle.failed(key)
            raise HTTPException(401, "wrong name or password", headers={"WWW-Authenticate": "Bearer"})
        ctx.throttle.succeeded(key)
        return TokenOut(access_token=ctx.tokens.issue(user.name, user.role), expires_in=int(ctx.tokens.ttl_s),
                        name=user.name, role=user.role)

    @r.get("/login", include_in_schema=False)
    def login_page(request: Request) -> HTMLResponse:
        if ctx.users is None or ctx.caller(request):
            return RedirectResponse("/", status_code=303)
        return HTMLResponse(login_html(), headers={"X-Frame-Options": "DENY"})

    @r.post("/login", include_in_schema=False)
    def login(request: Request, name: str = Form(""), password: str = Form("")) -> HTMLResponse:
        if ctx.users is None:
            return RedirectResponse("/", status_code=303)
        key = f"{name}|{request.client.host if request.client else ''}"
        if ctx.throttle.blocked(key):
            return HTMLResponse(login_html("Too many failed sign-ins. Wait a minute and try again.", name), 429)
        user = ctx.users.verify(name.strip(), password)
        if user is None:
            ctx.throttle.failed(key)
            return HTMLResponse(login_html("Wrong name or password.", name), 401)
        ctx.throttle.succeeded(key)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, ctx.tokens.issue(user.name, user.role), max_age=int(ctx.tokens.ttl_s),
                            httponly=True, samesite="lax", secure=request.url.scheme == "https", path="/")
        return response

    @r.get("/logout", include_in_schema=False)
    def logout(request: Request) -> RedirectResponse:
        ctx.tokens.revoke(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login" if ctx.users else "/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return r
