"""``GET /api/docs``: the REST API's reference as one plain HTML page, made here from the OpenAPI
schema (``/api/openapi.json``). No script and nothing from a CDN runs on the app's origin."""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from assistant.web.context import AppContext

DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def router(ctx: AppContext) -> APIRouter:
    r = APIRouter()

    @r.get("/api/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(render(request.app.openapi()), headers={"Content-Security-Policy": DOCS_CSP})

    return r


def _schema_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref") or ""
    return ref.rsplit("/", 1)[-1]


def _fields(spec: dict[str, Any], name: str) -> str:
    model = (spec.get("components", {}).get("schemas", {}) or {}).get(name) or {}
    rows = []
    for field, prop in (model.get("properties") or {}).items():
        kind = prop.get("type") or _schema_name(prop) or " | ".join(
            str(a.get("type") or _schema_name(a)) for a in prop.get("anyOf", []))
        required = " (required)" if field in model.get("required", []) else ""
        rows.append(f"<li><code>{html.escape(field)}</code> <em>{html.escape(str(kind))}</em>{required}"
                    f" {html.escape(prop.get('description', ''))}</li>")
    return f"<ul>{''.join(rows)}</ul>" if rows else ""


def render(spec: dict[str, Any]) -> str:
    """Every operation: method, path, summary, its body's fields and its responses."""
    info = spec.get("info", {})
    parts = [f"<h1>{html.escape(info.get('title', 'API'))}</h1><p>{html.escape(info.get('description', ''))}</p>",
             "<p>Machine-readable: <a href='/api/openapi.json'>/api/openapi.json</a>.</p>"]
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            parts.append(f"<section><h2><code>{method.upper()} {html.escape(path)}</code></h2>"
                         f"<p>{html.escape(op.get('summary', ''))}</p>")
            params = [p for p in op.get("parameters", []) if isinstance(p, dict)]
            if params:
                parts.append("<p>Parameters:</p><ul>" + "".join(
                    f"<li><code>{html.escape(p['name'])}</code> ({html.escape(p.get('in', ''))})</li>" for p in params) + "</ul>")
            body = (op.get("requestBody", {}).get("content", {}).get("application/json", {}) or {}).get("schema", {})
            if body:
                parts.append(f"<p>JSON body ({html.escape(_schema_name(body))}):</p>{_fields(spec, _schema_name(body))}")
            codes = ", ".join(html.escape(str(c)) for c in op.get("responses", {}))
            parts.append(f"<p>Responses: {codes}</p></section>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>API: programme documents assistant</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem}"
            "section{border-top:1px solid #ddd;padding:.5rem 0} h2{font-size:1.05rem}</style></head><body>"
            + "".join(parts) + "</body></html>")
