"""The browser app and REST API on one server: ``python app.py`` (or ``make run``) → http://127.0.0.1:7860.

One FastAPI app carries the REST API (``/api/...``, documented at ``/api/docs``), the sign-in
pages, and the Gradio UI mounted at ``/``. The assistant's index and model load in a background
thread, so the port opens at once. Everything here is wiring; the web face is in ``assistant/web/``, the work in ``assistant/``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger("app")


def create_app(settings, *, warm_up: bool = True):
    """The FastAPI app with the API routes and the Gradio UI mounted at ``/``."""
    from assistant.web.context import AppContext
    from assistant.web.gradio_sessions import SessionBinding
    from assistant.web.middleware import BodyLimit, LoginRedirect, OriginGuard, SecurityHeaders, validation_error
    from assistant.web.routes import build_router

    ctx = AppContext(settings)
    if warm_up:  # the index and model load while gradio is imported and the UI built (~2 s)
        ctx.warm_up_in_background()

    import gradio as gr
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError

    from assistant.web.style import CSS, theme
    from assistant.web.ui import build_ui

    app = FastAPI(
        title="Programme documents assistant",
        description="Cited answers over the programme documents. With a users file configured, "
        "get a token from POST /api/token and send it as 'Authorization: Bearer <token>'.",
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",  # /api/docs: our own page, no CDN
    )
    app.state.ctx = ctx
    app.add_exception_handler(RequestValidationError, validation_error)  # a 422, never a 500, whatever the input
    app.include_router(build_router(ctx))  # before the mount: routes added later would be shadowed by "/"
    # Middleware, innermost first: the sign-in redirect; the body limit (before any parsing or auth);
    # the origin check (before any route, Gradio's included); the framing headers on every response.
    if ctx.login_required:
        app.add_middleware(SessionBinding, ctx=ctx)  # a Gradio session hash belongs to the user who opened it
        app.add_middleware(LoginRedirect, ctx=ctx)
    app.add_middleware(BodyLimit, limit=int(settings.max_body_mb * 2**20), upload_limit=int((settings.upload_max_mb + 1) * 2**20))
    app.add_middleware(OriginGuard, allowed_origins=settings.allowed_origins)
    app.add_middleware(SecurityHeaders)
    private = [str(Path(p).resolve()) for p in (settings.corpus_dir, settings.index_dir, settings.feedback_db.parent)]
    if settings.users_file:
        private.append(str(Path(settings.users_file).resolve()))
    app = gr.mount_gradio_app(
        app, build_ui(ctx), path="/",
        auth_dependency=ctx.ui_user if ctx.login_required else None,
        blocked_paths=private,  # documents only ever leave through /api/documents/{id}/file
        max_file_size=f"{settings.upload_max_mb:g}mb",
        ssr_mode=False, css=CSS, theme=theme(), footer_links=[],
        server_name=settings.host, server_port=settings.port,
    )
    return app


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Serve the programme documents assistant: chat UI at /, REST API at /api (docs at /api/docs).",
        epilog="example: python app.py --users-file users.yaml --port 7860",
    )
    p.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    p.add_argument("--index-dir", type=Path, help="index folder (setting index_dir)")
    p.add_argument("--corpus-dir", type=Path, help="corpus folder; uploads go to its uploads/ (setting corpus_dir)")
    p.add_argument("--users-file", type=Path, help="YAML users file; when set, sign-in is required (setting users_file)")
    p.add_argument("--feedback-db", type=Path, help="SQLite file for feedback (setting feedback_db)")
    p.add_argument("--host", help="address to bind (setting host, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (setting port, default 7860)")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from assistant.runtime import configure_logging, prepare_offline

    prepare_offline()
    configure_logging(args.verbose)
    logging.getLogger("app").setLevel(logging.INFO)
    logging.getLogger("assistant.web").setLevel(logging.INFO)
    from pydantic import ValidationError

    from assistant.settings import load_settings
    from assistant.web.users import UsersFileError

    try:
        settings = load_settings(
            args.config, index_dir=args.index_dir, corpus_dir=args.corpus_dir, users_file=args.users_file,
            feedback_db=args.feedback_db, host=args.host, port=args.port,
        )
        app = create_app(settings)
    except (ValidationError, ValueError, UsersFileError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    mode = f"sign-in required ({settings.users_file})" if settings.users_file else "public demo (no users file)"
    log.info("serving on http://%s:%d (%s); API docs at /api/docs", settings.host, settings.port, mode)
    # proxy_headers off: X-Forwarded-For is read only from the trusted_proxies setting (assistant/web/signin.py)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=5,
                proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
