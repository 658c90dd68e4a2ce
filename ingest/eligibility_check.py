"""Check the eligibility catalogue against the documents it quotes.

``verify(corpus_root)`` loads every document that ``corpus_root/eligibility.yaml`` cites
with the ingestion loaders, collapses whitespace, and checks that each clause appears
(on the cited page for a PDF); that each Eligibility clause of the document is in the
catalogue; and that programme id and audience agree with ``catalogue.yaml``. Ingestion
calls :func:`check_catalogue` for roots that hold the file and stops on any problem.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.eligibility_catalogue import CATALOGUE_FILE, LABELS, CatalogueError, read_catalogue
from assistant.types import Block
from assistant.yamlfile import load_yaml
from ingest.loaders import LoadError, load
from ingest.metadata import MetadataError, _sidecar
from ingest.metadata import read_catalogue as read_doc_catalogue

__all__ = ["CATALOGUE_FILE", "CatalogueError", "check_catalogue", "doc_clauses", "doc_meta", "pages_of", "verify"]

_LABEL_RE = "|".join(re.escape(label) for label in LABELS.values())


def collapse(text: str) -> str:
    return " ".join(text.split())


def doc_clauses(text: str) -> list[str]:
    """The one-line Eligibility clauses in a text ('Eligible countries: ...', 'Not eligible: ...'; not 'Note: ...')."""
    found = []
    for para in re.split(r"\n\s*\n", text):
        for part in re.split(r"\s(?=(?:" + _LABEL_RE + r"|Note:))", " " + para):
            part = collapse(part)
            if re.match(_LABEL_RE, part):
                found.append(part)
    return found


def pages_of(blocks: list[Block]) -> dict[int | None, str]:
    """A loaded document's text by page (one key, None, for a document without pages)."""
    pages: dict[int | None, list[str]] = {}
    for block in blocks:
        pages.setdefault(block.page, []).append(block.text)
    return {page: "\n\n".join(texts) for page, texts in pages.items()}


def doc_meta(root: Path, doc_id: str, docs: dict[str, dict]) -> dict | None:
    """The metadata the catalogue is checked against: the document's entry in ``catalogue.yaml``, or, for a
    document not listed there (an upload), its sidecar. (A sidecar that makes a listed document stricter
    does not stop ingestion: the index's audience decides who sees the programme.)"""
    if doc_id in docs:
        return docs[doc_id]
    try:
        return _sidecar(root / doc_id)
    except MetadataError:
        return None


def verify(corpus_root: Path, catalogue: Path | None = None, metadata: dict[str, dict] | None = None) -> list[str]:
    """Problems with ``corpus_root/eligibility.yaml`` (empty when every clause checks out).

    ``catalogue``: check this file instead (a draft about to replace it); ``metadata``: doc id -> the
    metadata a document is about to have (a sidecar about to be written)."""
    root = Path(corpus_root)
    path = Path(catalogue) if catalogue else root / CATALOGUE_FILE
    programmes, problems = read_catalogue(path)
    try:
        docs = read_doc_catalogue(root)
    except MetadataError as exc:
        docs, problems = {}, [*problems, f"eligibility catalogue: {exc}"]
    try:  # as written (the engine itself applies the stricter of the two audiences)
        declared = {str(e.get("id")): e for e in load_yaml(path.read_text(encoding="utf-8"))["programmes"]}
    except Exception:  # malformed: read_catalogue has said so already
        declared = {}
    for p in programmes:
        where = f"eligibility catalogue: programme {p.id!r}"
        meta = (metadata or {}).get(p.doc_id) or doc_meta(root, p.doc_id, docs)
        audience = declared.get(p.id, {}).get("audience", p.audience)
        if docs and meta is None:
            problems.append(f"{where}: document {p.doc_id} is not listed in catalogue.yaml and has no sidecar")
        elif meta is not None and meta.get("programme") != p.id:
            problems.append(f"{where}: catalogue.yaml gives {p.doc_id} the programme {meta.get('programme')!r}")
        elif meta is not None and meta.get("audience") != audience:
            problems.append(f"{where}: audience {audience!r} differs from {meta.get('audience')!r} in catalogue.yaml")
        try:
            pages = pages_of(load(root / p.doc_id))
        except (LoadError, OSError) as exc:
            problems.append(f"{where}: cannot read {p.doc_id} ({exc})")
            continue
        paginated = any(page is not None for page in pages)
        quoted = set()
        for criterion in p.criteria():
            clause, page = criterion.source.clause, criterion.source.page
            quoted.add(collapse(clause))
            if paginated and page is None:
                problems.append(f"{where}: clause '{clause}' needs the page of {p.doc_id} it is on")
            elif not paginated and page is not None:
                problems.append(f"{where}: clause '{clause}' gives page {page}, but {p.doc_id} has no pages")
            elif collapse(clause) not in collapse(pages.get(page, "") if paginated else " ".join(pages.values())):
                on = f"on page {page} of" if paginated else "in"
                problems.append(f"{where}: clause '{clause}' not found {on} {p.doc_id}")
        for page, text in sorted(pages.items(), key=lambda kv: kv[0] or 0):
            for clause in doc_clauses(text):
                if clause not in quoted:
                    on = f"on page {page} of" if page else "in"
                    problems.append(f"{where}: clause '{clause}' {on} {p.doc_id} is missing from the catalogue")
    listed = set(declared) | {p.id for p in programmes}
    for doc_id, meta in docs.items():
        if meta.get("doc_type") == "programme_description" and meta.get("programme") and meta["programme"] not in listed:
            problems.append(f"eligibility catalogue: programme {meta['programme']!r} ({doc_id}) has no entry")
    return problems


def check_catalogue(corpus_root: Path) -> None:
    """Raise :class:`CatalogueError` naming each programme and clause when :func:`verify` finds problems."""
    problems = verify(corpus_root)
    if problems:
        raise CatalogueError("\n".join(problems))
