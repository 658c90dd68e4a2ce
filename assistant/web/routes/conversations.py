"""``GET /api/conversations``, ``GET /api/conversations/{id}`` (JSON, or Markdown with ``?format=md``),
``PATCH`` (rename) and ``DELETE /api/conversations/{id}``: a signed-in caller's saved conversations.
Another user's conversation is answered exactly like a missing one (404)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import PlainTextResponse

from assistant.web.context import AppContext, Caller
from assistant.web.conversations import to_markdown
from assistant.web.models import RenameIn
from assistant.web.routes.deps import caller_dependency

NOT_FOUND = "no such conversation"


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter()
    require_caller = caller_dependency(ctx)

    def owned(cid: str, caller: Caller) -> dict[str, Any]:
        conv = ctx.conversations.get(cid, caller.name)
        if conv is None:
            raise HTTPException(404, NOT_FOUND)
        return conv

    @r.get("/api/conversations", tags=["conversations"], summary="The caller's saved conversations, newest first")
    def list_conversations(caller: Caller = Depends(require_caller)) -> list[dict[str, Any]]:
        return ctx.conversations.list(caller.name)

    @r.get("/api/conversations/{cid}", tags=["conversations"], summary="One saved conversation (format=md: Markdown with citations)")
    def get_conversation(cid: str, format: str = Query("json", pattern="^(json|md)$"),
                         caller: Caller = Depends(require_caller)):
        conv = owned(cid, caller)
        if format == "md":
            return PlainTextResponse(to_markdown(conv), media_type="text/markdown; charset=utf-8")
        return {k: conv[k] for k in ("id", "title", "created", "updated", "turns")}

    @r.patch("/api/conversations/{cid}", tags=["conversations"], summary="Rename a saved conversation")
    def rename_conversation(cid: str, body: RenameIn, caller: Caller = Depends(require_caller)) -> dict[str, str]:
        owned(cid, caller)
        try:
            ctx.conversations.rename(cid, caller.name, body.title)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return {"id": cid, "title": ctx.conversations.get(cid, caller.name)["title"]}

    @r.delete("/api/conversations/{cid}", tags=["conversations"], summary="Delete a saved conversation")
    def delete_conversation(cid: str, caller: Caller = Depends(require_caller)) -> dict[str, bool]:
        if not caller.name or not ctx.conversations.delete(cid, caller.name):
            raise HTTPException(404, NOT_FOUND)
        return {"deleted": True}

    return r
