"""Each Gradio session hash belongs to the signed-in user who opened it.

Gradio's queue lets a client pick its ``session_hash`` and then read that session's events
(``/gradio_api/queue/data?session_hash=…``): anyone who learnt another reader's hash could read
their answers. :class:`SessionBinding` (ASGI) records who joined a session first and refuses (403)
another user's join, events, heartbeat or cancel for it. Without a users file everyone is the
public demo and nothing is bound.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import JSONResponse

from assistant.web.context import AppContext

PREFIX = "/gradio_api"
MAX_SESSIONS = 20_000  # oldest bindings are forgotten first
MAX_JOIN_BODY = 4 * 2**20  # a join's body is read here to find its hash (the body limit applies before)


class SessionBinding:
    def __init__(self, app, ctx: AppContext) -> None:
        self.app, self.ctx = app, ctx
        self.owners: OrderedDict[str, str] = OrderedDict()

    def _allowed(self, session_hash: str | None, user: str | None, bind: bool) -> bool:
        if not session_hash:
            return True
        owner = self.owners.get(session_hash)
        if owner is None:
            if bind and user:
                self.owners[session_hash] = user
                while len(self.owners) > MAX_SESSIONS:
                    self.owners.popitem(last=False)
            return True
        return owner == user

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not self.ctx.login_required or not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        route = path[len(PREFIX):]
        user = self.ctx.ui_user(Request(scope))
        if route in ("/queue/data", "/queue/status") or route.startswith("/heartbeat/"):
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            session_hash = route.rsplit("/", 1)[-1] if route.startswith("/heartbeat/") else (query.get("session_hash") or [None])[0]
            if not self._allowed(session_hash, user, bind=False):
                await JSONResponse({"detail": "not your session"}, status_code=403)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if route not in ("/queue/join", "/cancel") or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        messages, size = [], 0
        while True:  # read the (small) body to find its session hash, then hand it on unchanged
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body") or size > MAX_JOIN_BODY:
                break
        try:
            body = json.loads(b"".join(m.get("body", b"") for m in messages) or b"{}")
            session_hash = body.get("session_hash") if isinstance(body, dict) else None
        except ValueError:
            session_hash = None
        if not self._allowed(session_hash if isinstance(session_hash, str) else None, user, bind=route == "/queue/join"):
            await JSONResponse({"detail": "not your session"}, status_code=403)(scope, receive, send)
            return

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
