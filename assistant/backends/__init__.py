"""Answer backends: who writes the draft answer. Our citation check runs after every one of them.

A backend implements :class:`AnswerBackend`; :func:`make_backend` is the one place
that turns the ``backend`` setting into an instance. Adding a backend is one new
module plus one line here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from assistant.citations import Scorer
from assistant.settings import Settings
from assistant.types import Passage


class BackendError(RuntimeError):
    """The model backend failed (server down, model missing); the message says what to do."""


@dataclass(frozen=True)
class Draft:
    """A backend's answer before verification: text with ``[n]`` markers into the passages."""

    text: str
    declined: bool = False
    reason: str = ""


class AnswerBackend(Protocol):
    name: str

    def draft(self, question: str, passages: list[Passage]) -> Draft:
        """Write an answer to ``question`` from ``passages`` (numbered from 1)."""
        ...

    def stream(self, question: str, passages: list[Passage], lang: str = "en") -> Iterator[str]:
        """The same draft as pieces of text, as they are produced (model backends write in ``lang``)."""
        ...


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
