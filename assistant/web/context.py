"""The REST API and sign-in pages, plus the app context that the API and the Gradio UI share.

Routes (documented at ``/api/docs``): ``POST /api/token``, ``POST /api/ask``,
``GET /api/documents``, ``GET /api/documents/{doc_id}/file``, ``POST /api/feedback``,
``GET /api/health``; ``/login`` and ``/logout`` for the browser.

When a users file is configured every route but health, token and login needs a caller: a
bearer token from ``POST /api/token``, or (for GET routes, so that file links in the browser
work) the browser's session cookie. The caller's role decides what is retrieved and listed.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import mimetypes
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from assistant.feedback import MAX_COMMENT, FeedbackStore
from assistant.settings import Settings
from assistant.users import LoginThrottle, TokenStore, Users, may_act_as

log = logging.getLogger(__name__)

SESSION_COOKIE = "pa_session"
API_SLOTS = 4  # answers computed at once for the REST API (the UI has its own 4, see assistant/ui.py)
SLOT_TIMEOUT_S = 120.0  # a caller waiting longer than this for a slot gets 503 with Retry-After
CITATION_KEYS = ("n", "doc_id", "title", "page", "quote", "source_path")
# Original files are shown in the browser, but never allowed to run scripts on our origin.
FILE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
INLINE_TYPES = {".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8",
                ".markdown": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8"}


class NotReadyError(RuntimeError):
    """The assistant could not be loaded (the message says why)."""


@dataclass(frozen=True)
class Caller:
    name: str | None
    role: str


class AppContext:
    """What one running app holds: settings, the assistant (warmed in the background), users, tokens, feedback."""

    def __init__(self, settings: Settings) -> None:
        from assistant.service import Assistant

        self.settings = settings
        self.users = Users(settings.users_file) if settings.users_file else None
        self.tokens = TokenStore()
        self.throttle = LoginThrottle()
        self.feedback = FeedbackStore(settings.feedback_db)
        self.assistant_obj = Assistant(settings)  # cheap: the index and the model load on warm-up
        self.ready = threading.Event()
        # API answers share the CPU-bound model with the UI; the Gradio queue caps the UI at 4 at once
        # (see assistant/ui.py), and this caps the API the same way instead of FastAPI's 40 worker threads.
        # Callers wait for a slot on the event loop (see /api/ask), not in a worker thread, so a crowd
        # of waiting callers never starves the other routes (health, documents, sign-in) of threads.
        self.api_slots = asyncio.Semaphore(API_SLOTS)
        self.slot_timeout_s = SLOT_TIMEOUT_S
        self.error: str | None = None
        self.started = time.time()

    @property
    def login_required(self) -> bool:
        return self.users is not None

    def warm_up_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self._warm_up, name="assistant-warm-up", daemon=True)
        thread.start()
        return thread

    def _warm_up(self) -> None:
        started = time.perf_counter()
        self._recover()
        try:
            self.assistant_obj.warm_up()
            log.info("assistant ready in %.1f s", time.perf_counter() - started)
        except Exception as exc:  # shown to readers and in /api/health; the next question retries
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("warm-up failed: %s", self.error)
        finally:
            self.ready.set()

    def _recover(self) -> None:
        """An ingestion killed part-way (say, an upload when the app died) left the index marked dirty:
        make it consistent before serving, unless an ingestion is running now (it will)."""
        from ingest.pipeline import IngestBusyError, recover

        try:
            recover(self.settings, store=self.assistant_obj.store)
        except IngestBusyError:
            pass
        except Exception as exc:  # a read-only index, a store that is down: serve what there is
            log.warning("could not check the index for an interrupted ingestion: %s", exc)

    def assistant(self, timeout: float = 300.0):
        """The assistant, once warm-up has finished (it loads on first use if warm-up failed)."""
        if not self.ready.wait(timeout):
            raise NotReadyError("the assistant is still loading; try again in a moment")
        return self.assistant_obj

    # --- who is asking -----------------------------------------------------------------
    def caller(self, request: Request, *, allow_cookie: bool = True) -> Caller | None:
        if self.users is None:
            return Caller(None, "public")
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else None
        if token is None and allow_cookie:
            token = request.cookies.get(SESSION_COOKIE)
        session = self.tokens.lookup(token)
        user = self.users.get(session.name) if session else None
        # The role comes from the users file now, so a changed or removed user takes effect at once.
        return Caller(user.name, user.role) if user else None

    def ui_user(self, request: Request) -> str | None:
        """Gradio's auth dependency: the signed-in user's name from the session cookie, or None."""
        caller = self.caller(request)
        return caller.name if caller else None

    def role_for(self, username: str | None) -> str:
        """The role of a Gradio request's user (``public`` when there is no users file)."""
        if self.users is None:
            return "public"
        user = self.users.get(username)
        if user is None:
            raise PermissionError("please sign in again")
        return user.role


def answer_json(answer) -> dict[str, Any]:
    """The answer as ``python -m assistant ask --json`` prints it (citations trimmed)."""
    data = answer.to_dict()
    data["citations"] = [{k: c[k] for k in CITATION_KEYS} for c in data["citations"]]
    return data


def file_url(doc_id: str, page: int | None = None) -> str:
    """Link to a document's original file (at the page, for PDFs)."""
    url = f"/api/documents/{quote(doc_id, safe='/')}/file"
    return f"{url}#page={page}" if page and doc_id.lower().endswith(".pdf") else url


# --- request and response bodies ---------------------------------------------------------
class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc_type: str | None = None
    programme: str | None = None
    country: str | None = None
    region: str | None = None
    year: int | None = None


class EligibilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str | None = Field(None, max_length=200, description="Country name, ISO code or region, e.g. 'Viet Nam', 'VN', 'Southeast Asia'.")
    role: str | None = Field(None, max_length=200, description="The official's role, e.g. 'prosecutor', 'prison officer'.")
    topic: str | None = Field(None, max_length=200, description="Optional topic, e.g. 'corruption'.")
    programme: str | None = Field(None, max_length=200, description="Optional programme id or name words.")


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=100_000, description="Longer than max_question_chars is cut, with a notice.")
    history: list[Turn] = Field(default_factory=list, max_length=100, description="Earlier turns, oldest first.")
    filters: FiltersIn | None = None
    role: Literal["public", "partner", "staff", "admin"] | None = Field(
        None, description="Ask as this role; never above the caller's own role (default: the caller's role)."
    )

    @field_validator("question")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty: send the text of a question")
        return value


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    page: int | None
    quote: str
    source_path: str


class AnswerOut(BaseModel):
    question: str
    answer: str
    declined: bool
    citations: list[CitationOut]
    closest_sources: list[dict[str, Any]]
    sentences: list[dict[str, Any]]
    searched_for: str
    notices: list[str]
    timings: dict[str, float]
    settings_hash: str
    index_version: str
    backend: str
    kind: str


class TokenIn(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    name: str
    role: str


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    doc_type: str
    audience: str
    pages: int
    chunks: int
    indexed_at: float
    size: int
    programme: str | None = None
    countries: list[str] = []
    region: str | None = None
    years: list[int] = []
    file_url: str


class FeedbackIn(BaseModel):
    question: str = Field(min_length=1, max_length=100_000)
    answer: str = Field(max_length=100_000)
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    rating: Literal[1, -1] = Field(description="+1 thumbs up, -1 thumbs down")
    comment: str = Field("", max_length=MAX_COMMENT)


def document_out(rec) -> DocumentOut:
    meta = rec.meta or {}
    return DocumentOut(
        doc_id=rec.doc_id, title=rec.title, doc_type=rec.doc_type, audience=rec.audience, pages=rec.pages,
        chunks=len(rec.chunk_ids), indexed_at=rec.indexed_at, size=rec.size, programme=meta.get("programme"),
        countries=list(meta.get("countries") or []), region=meta.get("region"), years=list(meta.get("years") or []),
        file_url=file_url(rec.doc_id),
    )


# --- routes -------------------------------------------------------------------------------
def build_router(ctx: AppContext) -> APIRouter:
    from assistant.embedding import ModelMissingError
    from assistant.service import NotFoundError
    from assistant.store import StoreUnavailableError

    router = APIRouter()
    unavailable = (NotReadyError, StoreUnavailableError, ModelMissingError)

    def require_caller(request: Request) -> Caller:
        caller = ctx.caller(request, allow_cookie=request.method in ("GET", "HEAD"))
        if caller is None:
            raise HTTPException(401, "sign in: POST /api/token, then send 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        return caller

    @router.get("/api/health", tags=["service"], summary="Is the service up, and what index does it serve?")
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

    @router.post("/api/token", response_model=TokenOut, tags=["auth"], summary="Exchange a name and password for a bearer token")
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

    @router.post("/api/ask", response_model=AnswerOut, tags=["questions"], summary="Answer a question with cited sources")
    async def ask(body: AskIn, caller: Caller = Depends(require_caller)) -> dict[str, Any]:
        role = body.role or caller.role
        if not may_act_as(caller.role, role):
            raise HTTPException(403, f"a {caller.role} caller cannot ask as {role}")
        try:  # wait on the event loop: a waiting caller holds no worker thread
            await asyncio.wait_for(ctx.api_slots.acquire(), ctx.slot_timeout_s)
        except TimeoutError:
            raise HTTPException(503, "the assistant is busy; try again shortly", headers={"Retry-After": "10"}) from None
        history = [t.model_dump() for t in body.history]
        filters = body.filters.model_dump() if body.filters else None
        try:
            answer = await run_in_threadpool(lambda: ctx.assistant().ask(body.question, history, role, filters))
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        finally:
            ctx.api_slots.release()
        return answer_json(answer)

    @router.post("/api/eligibility", tags=["questions"], summary="Which programmes may an official attend? Verdicts with their clauses")
    def eligibility(body: EligibilityIn, caller: Caller = Depends(require_caller)) -> dict[str, Any]:
        if not (body.country or body.role):
            raise HTTPException(422, "give a country or a role")
        try:
            return ctx.assistant().eligibility(body.country, body.role, body.topic, body.programme, reader_role=caller.role)
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    @router.get("/api/documents", response_model=list[DocumentOut], tags=["documents"], summary="Documents the caller may see")
    def documents(q: str = "", caller: Caller = Depends(require_caller)) -> list[DocumentOut]:
        try:
            docs = ctx.assistant().documents(caller.role)
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        needle = q.strip().lower()
        return [document_out(d) for d in docs if needle in d.title.lower() or needle in d.doc_id.lower()]

    @router.get("/api/documents/{doc_id:path}/file", tags=["documents"], summary="The original file of a document",
                response_class=FileResponse, responses={404: {"description": "No such document for this caller"}})
    def document_file(doc_id: str, caller: Caller = Depends(require_caller)) -> FileResponse:
        try:
            path = ctx.assistant().document_file(doc_id, caller.role)
        except NotFoundError:
            raise HTTPException(404, "no such document") from None
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        return file_response(path)

    @router.post("/api/feedback", tags=["questions"], summary="Thumbs up (+1) or down (-1) on an answer")
    def feedback(body: FeedbackIn, caller: Caller = Depends(require_caller)) -> dict[str, int]:
        settings_hash = ctx.settings.settings_hash
        fid = ctx.feedback.add(body.question, body.answer, body.citations, body.rating, body.comment, caller.role,
                               settings_hash, user=caller.name)
        return {"id": fid}

    # --- browser sign-in ------------------------------------------------------------------
    @router.get("/login", include_in_schema=False)
    def login_page(request: Request) -> HTMLResponse:
        if ctx.users is None or ctx.caller(request):
            return RedirectResponse("/", status_code=303)
        return HTMLResponse(login_html(), headers={"X-Frame-Options": "DENY"})

    @router.post("/login", include_in_schema=False)
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

    @router.get("/logout", include_in_schema=False)
    def logout(request: Request) -> RedirectResponse:
        ctx.tokens.revoke(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login" if ctx.users else "/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422 body, written as ASCII JSON: the input it echoes may hold a lone surrogate (a
    ``\\ud800`` escape in the request), which UTF-8 cannot encode, and the default handler then failed with 500."""
    body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True, default=str)
    return Response(body, status_code=422, media_type="application/json")


def file_response(path: Path) -> FileResponse:
    suffix = path.suffix.lower()
    media = INLINE_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    disposition = "inline" if suffix in INLINE_TYPES else "attachment"
    return FileResponse(path, media_type=media, filename=path.name, content_disposition_type=disposition,
                        headers=FILE_HEADERS)


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


def login_html(error: str = "", name: str = "") -> str:
    message = f'<p class="err" role="alert">{html.escape(error)}</p>' if error else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in: programme documents assistant</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f4f6f8;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}}
main{{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);width:min(360px,92vw);box-sizing:border-box}}
h1{{font-size:1.25rem;margin:0 0 1rem}} label{{display:block;margin:.75rem 0 .25rem;font-weight:600}}
input{{width:100%;padding:.6rem;font-size:1rem;border:1px solid #bbb;border-radius:6px;box-sizing:border-box}}
button{{margin-top:1.25rem;width:100%;padding:.7rem;font-size:1rem;border:0;border-radius:6px;background:#1d4ed8;color:#fff;cursor:pointer}}
button:focus,input:focus{{outline:3px solid #93c5fd}} .err{{color:#b91c1c}} .hint{{color:#555;font-size:.9rem}}
</style></head><body><main><h1>Programme documents assistant</h1>{message}
<form method="post" action="/login"><label for="name">Name</label>
<input id="name" name="name" autocomplete="username" required autofocus value="{html.escape(name)}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p class="hint">No account? Ask an administrator.</p></main></body></html>"""
