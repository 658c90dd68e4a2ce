"""Boundary types spoken by ingestion, the assistant, the UI, the API and evals.

Nothing outside ``ingest/`` and ``assistant/`` sees llama-index or Chroma objects;
they see these frozen dataclasses (and their ``to_dict`` forms in JSON).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DOC_TYPES = ("programme_description", "seminar_record", "overview", "reference", "internal_note", "document")


@dataclass(frozen=True)
class DocMeta:
    """What the catalogue (or a sidecar file) says about one document."""

    doc_id: str
    title: str
    doc_type: str = "document"
    programme: str | None = None
    countries: tuple[str, ...] = ()
    region: str | None = None
    years: tuple[int, ...] = ()
    audience: str = "staff"
    illustrative: bool = False
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["countries"] = list(self.countries)
        data["years"] = list(self.years)
        return data


@dataclass(frozen=True)
class Block:
    """A run of text from a loader: one page (PDF) or one section (other formats)."""

    text: str
    page: int | None = None
    section: str = ""


@dataclass(frozen=True)
class Chunk:
    """One passage as stored: stable id, its text, and where it came from."""

    chunk_id: str
    doc_id: str
    text: str
    page: int | None
    section: str
    position: int
    meta: DocMeta
    context: str = ""  # document-level context read from the file (organisation, period), for retrieval

    def store_metadata(self) -> dict[str, Any]:
        """Flat metadata for Chroma: scalars, and lists only when non-empty (Chroma rejects empty ones)."""
        from assistant.access import audience_rank

        m = self.meta
        data: dict[str, Any] = {
            "doc_id": self.doc_id,
            "title": m.title,
            "doc_type": m.doc_type,
            "programme": m.programme or "",
            "region": m.region or "",
            "audience": m.audience,
            "access_rank": audience_rank(m.audience),
            "illustrative": m.illustrative,
            "page": self.page if self.page is not None else 0,
            "section": self.section,
            "position": self.position,
        }
        if self.context:
            data["doc_context"] = self.context
        if m.countries:
            data["countries"] = list(m.countries)
        if m.years:
            data["years"] = list(m.years)
        return data


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score, as the answer step sees it."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    page: int | None
    section: str
    doc_type: str
    audience: str
    score: float
    source_path: str = ""
    ranks: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """A numbered source behind one or more answer sentences."""

    n: int
    doc_id: str
    title: str
    page: int | None
    quote: str
    source_path: str
    chunk_id: str = ""
    passage: str = ""
    doc_type: str = ""
    score: float = 0.0
    quotes: tuple[str, ...] = ()  # each backing sentence; ``quote`` joins them

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quotes"] = list(self.quotes or (self.quote,))
        return data


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the answer and the citation numbers that back it."""

    text: str
    citations: tuple[int, ...]
    supported: bool = True
    support: float = 1.0


@dataclass(frozen=True)
class Answer:
    """What every interface returns for a question."""

    question: str
    text: str
    declined: bool
    citations: tuple[Citation, ...]
    searched_for: str
    sentences: tuple[AnswerSentence, ...] = ()
    closest: tuple[Citation, ...] = ()
    notices: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    settings_hash: str = ""
    index_version: str = ""
    backend: str = ""
    kind: str = "answer"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "declined": self.declined,
            "citations": [c.to_dict() for c in self.citations],
            "closest_sources": [c.to_dict() for c in self.closest],
            "sentences": [asdict(s) for s in self.sentences],
            "searched_for": self.searched_for,
            "notices": list(self.notices),
            "timings": self.timings,
            "settings_hash": self.settings_hash,
            "index_version": self.index_version,
            "backend": self.backend,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Filters:
    """Metadata filters a reader may set; all optional."""

    doc_type: str | None = None
    programme: str | None = None
    country: str | None = None
    region: str | None = None
    year: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        data = {k: v for k, v in (data or {}).items() if v not in (None, "", "Any", "any")}
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        if "year" in data:
            data["year"] = int(data["year"])
        return cls(**data)

    def is_empty(self) -> bool:
        return not any(asdict(self).values())
