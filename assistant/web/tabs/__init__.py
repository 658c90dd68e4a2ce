"""The Gradio UI's tabs: one builder per tab (``build(ctx, ...)`` lays out its components and wires its
events), with handlers that are plain functions of the :class:`~assistant.web.context.AppContext`."""

from __future__ import annotations

from typing import Any

from assistant.web.context import AppContext

UI_ONLY = {"api_visibility": "private"}  # UI-only events: the REST API under /api is the programmatic interface


def role_of(ctx: AppContext, request: Any) -> str:
    """The role of the user behind a Gradio request; a Gradio error when they must sign in again."""
    import gradio as gr

    try:
        return ctx.role_for(getattr(request, "username", None))
    except PermissionError as exc:
        raise gr.Error(str(exc)) from None
