"""The REST API and the browser sign-in pages, one module per group of routes.

Routes (documented at ``/api/docs``): ``POST /api/token``, ``POST /api/ask``, ``POST /api/eligibility``,
``GET /api/documents``, ``GET /api/documents/{doc_id}/file``, ``POST /api/feedback``,
``GET /api/health``, ``POST /api/logout``, ``GET /api/conversations`` (and ``GET``/``PATCH``/``DELETE
/api/conversations/{id}``), ``POST /api/ask/stream``; ``/login`` and ``/logout`` for the browser; the reference at
``/api/docs`` (plain HTML made from ``/api/openapi.json``, nothing from a CDN).

When a users file is configured every route but health, token and login needs a caller: a
bearer token from ``POST /api/token``, or (for GET routes, so that file links in the browser
work) the browser's session cookie. The caller's role decides what is retrieved and listed.
"""

from __future__ import annotations

from fastapi import APIRouter

from assistant.web.context import AppContext


def build_router(ctx: AppContext) -> APIRouter:
    """Every route of the app but the Gradio UI, for ``app.include_router``."""
    from assistant.web.routes import auth, conversations, docs, documents, health, questions

    router = APIRouter()
    for module in (health, auth, questions, conversations, documents, docs):
        router.include_router(module.router(ctx))
    return router
