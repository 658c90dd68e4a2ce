"""``GET /api/documents`` (what the caller may see), ``GET /api/documents/{doc_id}/file`` (its original), and
for admins ``GET``/``PUT /api/documents/{doc_id}/eligibility`` (a programme's eligibility entry, each criterion
backed by a clause of the document, verified verbatim before anything is saved)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant import access
from assistant.web.context import AppContext, Caller
from assistant.web.models import DocumentOut, document_out
from assistant.web.routes.deps import caller_dependency, unavailable_errors

# Original files are shown in the browser, but never allowed to run scripts on our origin.
FILE_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
INLINE_TYPES = {".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8",
                ".markdown": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8"}


_CLAUSE = Field(max_length=2000)


class NotEligibleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clause: str = _CLAUSE
    applies_to: Literal["country", "role"]


class EligibilityEntryIn(BaseModel):
    """A programme's eligibility entry: the values the engine matches on, each with the document's clause."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field("", max_length=60, description="programme id (new entries; an existing entry keeps its id)")
    title: str = Field("", max_length=200)
    names: list[str] = Field(default_factory=list, max_length=20, description="names a question may use")
    countries: list[str] = Field(max_length=300, description="countries or regions; or 'any country', 'developing countries'")
    countries_clause: str = _CLAUSE
    roles: list[str] = Field(max_length=20, description="role keys or words: judge, prosecutor, police officer, …")
    roles_clause: str = _CLAUSE
    topics: list[str] = Field(default_factory=list, max_length=50, description="topic keywords")
    topics_broad: bool = False
    topics_clause: str = _CLAUSE
    not_eligible: list[NotEligibleIn] = Field(default_factory=list, max_length=10)


def router(ctx: AppContext) -> APIRouter:
    from assistant.service import NotFoundError

    r = APIRouter()
    require_caller = caller_dependency(ctx)
    unavailable = unavailable_errors()

    @r.get("/api/documents", response_model=list[DocumentOut], tags=["documents"], summary="Documents the caller may see")
    def documents(q: str = "", caller: Caller = Depends(require_caller)) -> list[DocumentOut]:
        try:
            docs = ctx.assistant().documents(caller.role)
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        needle = q.strip().lower()
        return [document_out(d) for d in docs if needle in d.title.lower() or needle in d.doc_id.lower()]

    @r.get("/api/documents/{doc_id:path}/file", tags=["documents"], summary="The original file of a document",
           response_class=FileResponse, responses={404: {"description": "No such document for this caller"}})
    def document_file(doc_id: str, caller: Caller = Depends(require_caller)) -> FileResponse:
        try:
            path = ctx.assistant().document_file(doc_id, caller.role)
        except NotFoundError:
            raise HTTPException(404, "no such document") from None
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        return file_response(path)

    def admin_record(doc_id: str, caller: Caller):
        if not access.can(caller.role, "manage_eligibility"):
            raise HTTPException(403, "only administrators may edit eligibility entries")
        try:
            rec = ctx.assistant().manifest.docs.get(doc_id)
        except unavailable as exc:
            raise HTTPException(503, str(exc)) from exc
        if rec is None:
            raise HTTPException(404, "no such document in the index")
        return rec

    @r.get("/api/documents/{doc_id:path}/eligibility", tags=["documents"],
           summary="A document's eligibility entry and the clauses it offers (admins)",
           responses={403: {"description": "Not an administrator"}, 404: {"description": "No such document"}})
    def get_eligibility(doc_id: str, caller: Caller = Depends(require_caller)) -> dict[str, Any]:
        from assistant.web import eligibility_editor as editor

        rec = admin_record(doc_id, caller)
        try:
            return {"doc_id": doc_id, "entry": editor.form_values(editor.current_entry(ctx.settings, doc_id)) or None,
                    "clauses": editor.document_clauses(ctx.settings, doc_id), "audience": rec.audience}
        except editor.EntryError as exc:
            raise HTTPException(400, str(exc)) from None

    @r.put("/api/documents/{doc_id:path}/eligibility", tags=["documents"],
           summary="Add or edit a document's eligibility entry (admins); each clause must be in the document",
           responses={400: {"description": "A clause is not in the document, or a value is unknown: nothing saved"},
                      403: {"description": "Not an administrator"}, 404: {"description": "No such document"}})
    def put_eligibility(doc_id: str, body: EligibilityEntryIn, caller: Caller = Depends(require_caller)) -> dict[str, Any]:
        from assistant.web import eligibility_editor as editor

        rec = admin_record(doc_id, caller)
        try:
            entry = editor.save_entry(ctx.settings, rec, body.model_dump())
        except editor.EntryError as exc:
            raise HTTPException(400, str(exc)) from None
        return {"saved": True, "entry": entry}

    return r


def file_response(path: Path) -> FileResponse:
    suffix = path.suffix.lower()
    media = INLINE_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    disposition = "inline" if suffix in INLINE_TYPES else "attachment"
    return FileResponse(path, media_type=media, filename=path.name, content_disposition_type=disposition,
                        headers=FILE_HEADERS)
