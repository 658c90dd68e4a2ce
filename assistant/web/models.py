"""Request and response bodies of the REST API (pydantic models, documented at ``/api/docs``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant import access
from assistant.web.context import file_url
from assistant.web.feedback import MAX_CITATIONS, MAX_COMMENT, MAX_TEXT


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc_type: str | None = None
    programme: str | None = None
    country: str | None = None
    region: str | None = None
    year: int | None = None


class EligibilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str | None = Field(None, max_length=200, description="Country name, ISO code or region, e.g. 'Viet Nam', 'VN', 'Southeast Asia'.")
    role: str | None = Field(None, max_length=200, description="The official's role, e.g. 'prosecutor', 'prison officer'.")
    topic: str | None = Field(None, max_length=200, description="Optional topic, e.g. 'corruption'.")
    programme: str | None = Field(None, max_length=200, description="Optional programme id or name words.")


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=100_000, description="Longer than max_question_chars is cut, with a notice.")
    history: list[Turn] = Field(default_factory=list, max_length=100, description="Earlier turns, oldest first.")
    filters: FiltersIn | None = None
    role: str | None = Field(
        None, description=f"Ask as this role ({', '.join(access.ROLES)}); never above the caller's own role "
        "(default: the caller's role).", json_schema_extra={"enum": list(access.ROLES)},
    )
    conversation_id: str | None = Field(
        None, max_length=64, description="Continue this saved conversation (its turns are the history); "
        "without it a signed-in caller's question starts a new one. The answer returns the id used.",
    )
    stream: bool = Field(False, description="Answer as server-sent events (the same as POST /api/ask/stream).")

    @field_validator("question")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty: send the text of a question")
        return value

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str | None) -> str | None:
        return None if value is None else access.check_role(value)


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    page: int | None
    quote: str
    source_path: str


class AnswerOut(BaseModel):
    question: str
    answer: str
    declined: bool
    citations: list[CitationOut]
    closest_sources: list[dict[str, Any]]
    sentences: list[dict[str, Any]]
    searched_for: str
    notices: list[str]
    timings: dict[str, float]
    settings_hash: str
    index_version: str
    backend: str
    kind: str
    conversation_id: str | None = None


class ConversationOut(BaseModel):
    id: str
    title: str
    created: float
    updated: float
    turns: Any


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)


class TokenIn(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    name: str
    role: str


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    doc_type: str
    audience: str
    pages: int
    chunks: int
    indexed_at: float
    size: int
    programme: str | None = None
    countries: list[str] = []
    region: str | None = None
    years: list[int] = []
    file_url: str


class CitationIn(BaseModel):
    """A citation sent back with feedback: every field bounded (other keys are dropped)."""

    model_config = ConfigDict(extra="ignore")
    n: int | None = None
    doc_id: str = Field("", max_length=500)
    title: str = Field("", max_length=500)
    page: int | None = None
    quote: str = Field("", max_length=2000)
    source_path: str = Field("", max_length=1000)


class FeedbackIn(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_TEXT)
    answer: str = Field(max_length=MAX_TEXT)
    citations: list[CitationIn] = Field(default_factory=list, max_length=MAX_CITATIONS)
    rating: Literal[1, -1] = Field(description="+1 thumbs up, -1 thumbs down")
    comment: str = Field("", max_length=MAX_COMMENT)


def document_out(rec) -> DocumentOut:
    meta = rec.meta or {}
    return DocumentOut(
        doc_id=rec.doc_id, title=rec.title, doc_type=rec.doc_type, audience=rec.audience, pages=rec.pages,
        chunks=len(rec.chunk_ids), indexed_at=rec.indexed_at, size=rec.size, programme=meta.get("programme"),
        countries=list(meta.get("countries") or []), region=meta.get("region"), years=list(meta.get("years") or []),
        file_url=file_url(rec.doc_id),
    )
