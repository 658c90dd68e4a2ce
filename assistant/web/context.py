"""The app context that the REST API and the Gradio UI share: settings, the assistant (warmed in the
background), users, sessions, the sign-in throttle and the feedback store; and who is asking."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request

from assistant import access
from assistant.settings import Settings
from assistant.web.conversations import ConversationStore
from assistant.web.feedback import FeedbackStore
from assistant.web.sessions import TokenStore, user_stamp
from assistant.web.signin import SignIn
from assistant.web.users import Users

log = logging.getLogger(__name__)

SESSION_COOKIE = "pa_session"
API_SLOTS = 4  # answers computed at once for the REST API (the UI has its own 4, see assistant/web/ui.py)
SLOT_TIMEOUT_S = 120.0  # a caller waiting longer than this for a slot gets 503 with Retry-After
CITATION_KEYS = ("n", "doc_id", "title", "page", "quote", "source_path")


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
        # sessions live in SQLite beside the feedback, so they survive a restart (only with a users file)
        self.tokens = TokenStore(settings.sessions_path if self.users else None)
        self.signin = SignIn(self.users, settings.trusted_proxies, settings.password_checks) if self.users else None
        self.feedback = FeedbackStore(settings.feedback_db)
        self.conversations = ConversationStore(settings.feedback_db)  # the same database file
        self.assistant_obj = Assistant(settings)  # cheap: the index and the model load on warm-up
        self.ready = threading.Event()
        # API answers share the CPU-bound model with the UI; the Gradio queue caps the UI at 4 at once
        # (see assistant/web/ui.py), and this caps the API the same way instead of FastAPI's 40 worker threads.
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
        if session is None:
            return None
        user = self.users.get(session.name)
        # The role comes from the users file now, so a changed or removed user takes effect at once;
        # a changed password (or a user removed and added again) ends the sessions issued before.
        if user is None or session.user_stamp != user_stamp(user.password_hash):
            self.tokens.revoke(token)
            return None
        return Caller(user.name, user.role)

    def session_of(self, request: Request):
        """The browser session behind a request's cookie (None without one)."""
        return self.tokens.lookup(request.cookies.get(SESSION_COOKIE)) if self.users else None

    def issue(self, user) -> str:
        """A new session or bearer token for a user who just signed in."""
        return self.tokens.issue(user.name, user.role, stamp=user_stamp(user.password_hash))

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
        return access.check_role(user.role)


def answer_json(answer, corpus_dir: Path | None = None) -> dict[str, Any]:
    """The answer as ``python -m assistant ask --json`` prints it (citations trimmed), with source paths
    relative to the corpus folder: where the server keeps its files is not the caller's business."""
    data = answer.to_dict()
    data["citations"] = [{k: c[k] for k in CITATION_KEYS} for c in data["citations"]]
    for c in [*data["citations"], *data.get("closest_sources", [])]:
        if "source_path" in c:
            c["source_path"] = public_path(c["source_path"], c.get("doc_id", ""), corpus_dir)
    return data


def public_path(path: str, doc_id: str, corpus_dir: Path | None) -> str:
    """A document's path as shown to callers: relative to the corpus folder, or its doc id."""
    p = Path(path or "")
    if not p.is_absolute():
        return str(path or doc_id)
    if corpus_dir is not None:
        try:
            return p.resolve().relative_to(Path(corpus_dir).resolve()).as_posix()
        except ValueError:
            pass
    return doc_id


def file_url(doc_id: str, page: int | None = None) -> str:
    """Link to a document's original file (at the page, for PDFs)."""
    url = f"/api/documents/{quote(doc_id, safe='/')}/file"
    return f"{url}#page={page}" if page and doc_id.lower().endswith(".pdf") else url
