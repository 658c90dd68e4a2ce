"""``GET /api/documents`` (what the caller may see) and ``GET /api/documents/{doc_id}/file`` (its original)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse

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

    return r


def file_response(path: Path) -> FileResponse:
    suffix = path.suffix.lower()
    media = INLINE_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    disposition = "inline" if suffix in INLINE_TYPES else "attachment"
    return FileResponse(path, media_type=media, filename=path.name, content_disposition_type=disposition,
                        headers=FILE_HEADERS)
