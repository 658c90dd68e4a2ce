"""Document metadata: a ``catalogue.yaml`` at a corpus root, or a ``<file>.meta.yaml`` sidecar.

A sidecar wins over the catalogue. A document with neither gets its title from
its file name and the ``default_audience`` setting (staff only, the safe default).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from assistant.access import AUDIENCES
from assistant.types import DOC_TYPES, DocMeta
from assistant.yamlfile import load_yaml

CATALOGUE = "catalogue.yaml"
_FIELDS = {"title", "doc_type", "programme", "countries", "region", "years", "audience", "illustrative", "summary"}


class MetadataError(ValueError):
    """A catalogue or sidecar entry that is malformed; the message names the file and field."""


def is_metadata_file(path: Path) -> bool:
    return path.name in (CATALOGUE, "eligibility.yaml") or path.name.endswith((".meta.yaml", ".meta.yml"))


def read_catalogue(root: Path) -> dict[str, dict[str, Any]]:
    """The ``documents:`` mapping of ``root/catalogue.yaml`` (empty when there is none)."""
    path = root / CATALOGUE
    if not path.is_file():
        return {}
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise MetadataError(f"{path}: not valid YAML ({exc})") from exc
    docs = data.get("documents", {}) if isinstance(data, dict) else None
    if not isinstance(docs, dict):
        raise MetadataError(f"{path}: expected a 'documents:' mapping of file path -> metadata")
    return {str(k): v or {} for k, v in docs.items()}


def _sidecar(path: Path) -> dict[str, Any] | None:
    for suffix in (".meta.yaml", ".meta.yml"):
        side = path.with_name(path.name + suffix)
        if side.is_file():
            try:
                data = load_yaml(side.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise MetadataError(f"{side}: not valid YAML ({exc})") from exc
            if not isinstance(data, dict):
                raise MetadataError(f"{side}: expected a mapping of metadata fields")
            return data
    return None


def make_meta(doc_id: str, path: Path, raw: dict[str, Any] | None, default_audience: str) -> DocMeta:
    """Validate one entry into a :class:`DocMeta` (clear errors naming the field)."""
    raw = dict(raw or {})
    where = f"metadata of {doc_id}"
    unknown = set(raw) - _FIELDS
    if unknown:
        raise MetadataError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    audience = raw.get("audience", default_audience)
    if audience not in AUDIENCES:
        raise MetadataError(f"{where}: audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    doc_type = raw.get("doc_type", "document")
    if doc_type not in DOC_TYPES:
        raise MetadataError(f"{where}: doc_type must be one of {', '.join(DOC_TYPES)}, not {doc_type!r}")
    countries = raw.get("countries") or []
    years = raw.get("years") or []
    if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
        raise MetadataError(f"{where}: countries must be a list of names")
    try:
        years_t = tuple(int(y) for y in years)
    except (TypeError, ValueError) as exc:
        raise MetadataError(f"{where}: years must be a list of years") from exc
    title = raw.get("title") or path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    return DocMeta(
        doc_id=doc_id,
        title=str(title),
        doc_type=doc_type,
        programme=raw.get("programme") or None,
        countries=tuple(countries),
        region=raw.get("region") or None,
        years=years_t,
        audience=audience,
        illustrative=bool(raw.get("illustrative", False)),
        summary=str(raw.get("summary") or ""),
    )


def meta_for(
    doc_id: str, path: Path, catalogue: dict[str, dict[str, Any]], default_audience: str
) -> DocMeta:
    side = _sidecar(path)
    return make_meta(doc_id, path, side if side is not None else catalogue.get(doc_id), default_audience)
