"""Answer backends: who writes the draft answer. Our citation check runs after every one of them.

A backend implements :class:`AnswerBackend`; :func:`make_backend` is the one place
that turns the ``backend`` setting into an instance. Adding a backend is one new
module plus one line here.
"""

from __future__ import annotations

from assistant.backends.base import AnswerBackend, BackendError, Draft
from assistant.citations import Scorer
from assistant.settings import Settings

__all__ = ["AnswerBackend", "BackendError", "Draft", "make_backend"]


def make_backend(settings: Settings, scorer: Scorer) -> AnswerBackend:
    """Wire the configured backend (imports of heavy model libraries stay inside)."""
    if settings.backend == "extractive":
        from assistant.backends.extractive import ExtractiveBackend

        return ExtractiveBackend(settings, scorer)
    if settings.backend == "local":
        from assistant.backends.local import LocalBackend

        return LocalBackend(settings)
    if settings.backend == "openai":
        from assistant.backends.openai import OpenAIBackend

        return OpenAIBackend(settings)
    raise ValueError(f"unknown backend {settings.backend!r}")
