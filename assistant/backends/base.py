"""What every answer backend shares: the protocol, the draft it returns and the error it raises
(a module of its own so the backends and :func:`assistant.backends.make_backend` do not import each other)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

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
