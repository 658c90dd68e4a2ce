"""Admins add or edit a programme's eligibility entry for an indexed document (Documents tab, REST).

Each criterion (countries or regions, roles, topics, and optional ``Not eligible:`` rules) rests on a
clause picked from the document's own text. Saving checks the clauses as ingestion does
(:func:`ingest.eligibility_check.verify`, over a draft of the whole catalogue and the document's
metadata as it is about to be), then writes ``<corpus>/eligibility.yaml`` (the programme's block
only; comments and the other entries stay as written) and, for a document with a sidecar (an
upload), the sidecar's ``programme``. A clause that is not in the document, or any other problem,
raises :class:`EntryError` and nothing is written. The shared engine is dropped at once, so the
Eligibility tab, the chat and ``/api/eligibility`` use the new entry from the next question on.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import yaml

from assistant import eligibility
from assistant.eligibility_catalogue import CATALOGUE_FILE, LABELS
from assistant.places import PlaceError, country_name, regions, resolve
from assistant.roles import ROLES, match_role
from assistant.settings import Settings
from assistant.yamlfile import load_yaml

KINDS = ("eligible_countries", "eligible_roles", "topics", "not_eligible")
WHAT = {"eligible_countries": "countries", "eligible_roles": "roles", "topics": "topics", "not_eligible": "not eligible"}
ANY_COUNTRY = {"any", "any country", "all countries", "multi-national", "multinational", "several countries"}
DEVELOPING = {"developing", "developing countries", "any developing country"}
NEW_CATALOGUE = "# Programme eligibility catalogue (see the project's corpus/eligibility.yaml for the fields).\nversion: 1\nprogrammes:\n"
_LOCK = threading.Lock()


class EntryError(ValueError):
    """An entry that cannot be saved, with the reason to show the admin (nothing was written)."""


def _collapse(text: str) -> str:
    return " ".join(str(text or "").split())


def catalogue_path(settings: Settings) -> Path:
    return Path(settings.corpus_dir) / CATALOGUE_FILE


def _doc_path(settings: Settings, doc_id: str) -> Path:
    root = Path(settings.corpus_dir).resolve()
    path = (root / doc_id).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise EntryError(f"{doc_id} is not a file of the corpus folder; only its documents can have an eligibility entry")
    return path


def document_pages(settings: Settings, doc_id: str) -> dict[int | None, str]:
    """The document's text by page, read with the ingestion loaders (as the verification reads it)."""
    from ingest.eligibility_check import pages_of
    from ingest.loaders import LoadError, load

    try:
        return pages_of(load(_doc_path(settings, doc_id)))
    except (LoadError, OSError) as exc:
        raise EntryError(f"cannot read {doc_id}: {exc}") from None


def document_clauses(settings: Settings, doc_id: str) -> list[dict[str, Any]]:
    """The labelled Eligibility clauses of a document ('Eligible countries: …'), with their kind and page."""
    from ingest.eligibility_check import doc_clauses

    kinds = {label: kind for kind, label in LABELS.items()}
    found = []
    for page, text in sorted(document_pages(settings, doc_id).items(), key=lambda kv: kv[0] or 0):
        for clause in doc_clauses(text):
            kind = next(k for label, k in kinds.items() if clause.startswith(label))
            found.append({"kind": kind, "clause": clause, "page": page})
    return found


def _programmes(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise EntryError(f"cannot read the eligibility catalogue {path.name}: {exc}") from None
    items = data.get("programmes") if isinstance(data, dict) else None
    return [p for p in items if isinstance(p, dict)] if isinstance(items, list) else []


def current_entry(settings: Settings, doc_id: str) -> dict[str, Any] | None:
    """The catalogue entry of a document as written, or None."""
    return next((p for p in _programmes(catalogue_path(settings)) if p.get("doc_id") == doc_id), None)


def form_values(entry: dict[str, Any] | None) -> dict[str, Any]:
    """An entry in the editor's terms (the shape :func:`save_entry` takes)."""
    if not entry:
        return {}
    c, r, t = entry.get("eligible_countries") or {}, entry.get("eligible_roles") or {}, entry.get("topics") or {}
    places = ["any country"] if c.get("any_country") else ["developing countries"] if c.get("any_developing") else []
    return {"id": entry.get("id", ""), "title": entry.get("title", ""), "names": list(entry.get("names") or []),
            "countries": places + list(c.get("countries") or []) + list(c.get("regions") or []),
            "countries_clause": c.get("clause", ""), "roles": list(r.get("roles") or []), "roles_clause": r.get("clause", ""),
            "topics": list(t.get("keywords") or []), "topics_broad": bool(t.get("broad")), "topics_clause": t.get("clause", ""),
            "not_eligible": [{"clause": n.get("clause", ""), "applies_to": n.get("applies_to", "")}
                             for n in entry.get("not_eligible") or []]}


def place_names(values: list[str]) -> list[str]:
    """Country codes and region keys as the names an admin reads (each resolves back to itself)."""
    out = []
    for v in values:
        name = country_name(v) if len(v) == 2 and v.isupper() else regions()[v].name if v in regions() else v
        try:
            out.append(name if resolve(name).code == v else v)
        except PlaceError:
            out.append(v)
    return out


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "programme"


def _words(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;\n]", str(value or ""))
    return [w for w in (_collapse(x) for x in items) if w]


def _where(kind: str, clause: str, pages: dict[int | None, str], doc_id: str, offered: list[dict[str, Any]]) -> int | None:
    """The page a clause is on (None for a document without pages); EntryError when it is not in the document."""
    text = _collapse(clause)
    if not text:
        raise EntryError(f"pick the document's clause for {WHAT[kind]}")
    if not text.startswith(LABELS[kind]):
        raise EntryError(f"the clause for {WHAT[kind]} must be the document's line that starts with "
                         f"{LABELS[kind]!r}, not {text[:80]!r}")
    paginated = any(p is not None for p in pages)
    for page, body in sorted(pages.items(), key=lambda kv: kv[0] or 0):
        if text in _collapse(body):
            return page if paginated else None
    same = [o["clause"] for o in offered if o["kind"] == kind]
    hint = f" Its {WHAT[kind]} clause reads: {same[0]!r}." if len(same) == 1 else (
        f" It has {len(same)} such clauses: " + "; ".join(repr(s) for s in same) + "." if same else
        f" It has no line starting with {LABELS[kind]!r}; add one to the document and upload it again.")
    raise EntryError(f"the clause {text!r} is not in {doc_id} (it must be quoted verbatim).{hint}")


def _countries(values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    codes, region_keys = [], []
    for v in values:
        low = v.lower()
        if low in ANY_COUNTRY:
            out["any_country"] = True
        elif low in DEVELOPING:
            out["any_developing"] = True
        elif v in regions():
            region_keys.append(v)
        else:
            try:
                place = resolve(v)
            except PlaceError as exc:
                raise EntryError(str(exc)) from None
            (codes if place.kind == "country" else region_keys).append(place.code)
    if not (codes or region_keys or out):
        raise EntryError("name at least one country or region (or 'any country', 'developing countries')")
    if codes:
        out["countries"] = sorted(set(codes))
    if region_keys:
        out["regions"] = list(dict.fromkeys(region_keys))
    return out


def _roles(values: list[str]) -> list[str]:
    keys = []
    for v in values:
        key = v if v in ROLES else (match_role(v).key if v.strip() else None)
        if key not in ROLES:
            raise EntryError(f"unknown role {v!r}; known roles: " + ", ".join(label for label, _ in ROLES.values()))
        keys.append(key)
    if not keys:
        raise EntryError("name at least one role the programme is for")
    return list(dict.fromkeys(keys))


def build_entry(settings: Settings, rec: Any, form: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """The catalogue entry for an indexed document (``rec``: its manifest record) from the editor's values."""
    doc_id = rec.doc_id
    pages = document_pages(settings, doc_id)
    offered = document_clauses(settings, doc_id)

    def crit(kind: str, clause: str, **values: Any) -> dict[str, Any]:
        return {"clause": _collapse(clause), "page": _where(kind, clause, pages, doc_id, offered), **values}

    title = _collapse(form.get("title")) or (existing or {}).get("title") or rec.title
    pid = (existing or {}).get("id") or slug(_collapse(form.get("id")) or Path(doc_id).stem)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", pid):
        raise EntryError(f"the programme id {pid!r} may hold only lower-case letters, digits and '-'")
    names = [n.lower() for n in _words(form.get("names"))] or list((existing or {}).get("names") or []) or [title.lower()]
    topics: dict[str, Any] = {"keywords": _words(form.get("topics"))}
    if form.get("topics_broad"):
        topics["broad"] = True
    entry = dict(existing or {})
    entry.update({"id": pid, "title": title, "doc_id": doc_id, "names": names})
    entry.setdefault("organiser", "")
    entry.setdefault("format", [])
    entry.setdefault("since", None)
    entry["audience"] = rec.audience
    entry["eligible_countries"] = crit("eligible_countries", form.get("countries_clause", ""),
                                       **_countries(_words(form.get("countries"))))
    entry["eligible_roles"] = crit("eligible_roles", form.get("roles_clause", ""), roles=_roles(_words(form.get("roles"))))
    entry["topics"] = crit("topics", form.get("topics_clause", ""), **topics)
    rules = []
    for rule in form.get("not_eligible") or []:
        applies = (rule or {}).get("applies_to", "")
        if not _collapse((rule or {}).get("clause")):
            continue
        if applies not in ("country", "role"):
            raise EntryError("a 'Not eligible' clause must say whether it is about the country or the role")
        rules.append(crit("not_eligible", rule["clause"], applies_to=applies))
    old_rules = [r for r in (existing or {}).get("not_eligible") or [] if r.get("applies_to") == "seniority"]
    entry["not_eligible"] = rules + old_rules  # a seniority rule (hand-written) is kept as it was
    if not entry["not_eligible"]:
        entry.pop("not_eligible")
    order = ("id", "title", "organiser", "format", "since", "audience", "doc_id", "names", *KINDS)
    return {k: entry[k] for k in order if k in entry} | {k: v for k, v in entry.items() if k not in order}


# --- the catalogue file: one programme's block replaced, appended or dropped ------------------------
_ITEM = re.compile(r"^(\s*)- ")


def _block(entry: dict[str, Any]) -> str:
    dumped = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)
    return "".join("  " + line if line.strip() else line for line in dumped.splitlines(keepends=True))


def _rewrite(text: str, programmes: list[dict[str, Any]], index: int | None, block: str | None) -> str:
    """``text`` with item ``index`` of ``programmes:`` replaced by ``block`` (appended when index is None;
    dropped when block is None). Falls back to a fresh dump under the file's leading comments when the
    file is not laid out as one block per programme."""
    lines = text.splitlines(keepends=True)
    head = next((i for i, line in enumerate(lines) if re.match(r"^programmes:\s*(#.*)?$", line)), None)
    starts, indent = [], None
    if head is not None:
        for i in range(head + 1, len(lines)):
            m = _ITEM.match(lines[i])
            if m and (indent is None or m.group(1) == indent):
                indent = m.group(1)
                starts.append(i)
            elif lines[i].strip() and not lines[i].startswith((" ", "#")):
                break
    end = len(lines)
    if starts:
        end = next((i for i in range(starts[-1] + 1, len(lines))
                    if lines[i].strip() and not lines[i].startswith((" ", "#"))), len(lines))
    out = None
    if head is not None and len(starts) == len(programmes):
        bounds = [*starts, end]
        if index is None:
            tail = "" if not lines[:end] or lines[end - 1].endswith("\n") else "\n"
            out = "".join(lines[:end]) + tail + ("\n" if starts else "") + (block or "") + "".join(lines[end:])
        else:
            a, b = bounds[index], bounds[index + 1]
            while b > a + 1 and not lines[b - 1].strip():
                b -= 1  # keep the blank lines between programmes
            out = "".join(lines[:a]) + (block or "") + "".join(lines[b:])
    return out if out is not None else ""


def _apply(path: Path, entry: dict[str, Any] | None, doc_id: str) -> str:
    """The catalogue text with ``doc_id``'s entry set to ``entry`` (dropped when None)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else NEW_CATALOGUE
    programmes = _programmes(path)
    index = next((i for i, p in enumerate(programmes) if p.get("doc_id") == doc_id), None)
    if entry is None and index is None:
        return text
    expected = list(programmes)
    if entry is None:
        del expected[index]
    elif index is None:
        expected.append(entry)
    else:
        expected[index] = entry
    new = _rewrite(text, programmes, index, _block(entry) if entry is not None else None)
    try:
        ok = (load_yaml(new) or {}).get("programmes") == expected
    except yaml.YAMLError:
        ok = False
    if not ok:  # not laid out as expected: dump the data afresh under the leading comments
        data = load_yaml(text) if text.strip() else {}
        data = data if isinstance(data, dict) else {}
        data["programmes"] = expected
        comments = "".join(line for line in text.splitlines(keepends=True)[:200] if line.startswith("#"))
        new = comments + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)
    return new


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_entry(settings: Settings, rec: Any, form: dict[str, Any]) -> dict[str, Any]:
    """Verify and save the eligibility entry of the indexed document ``rec``; returns the entry as saved.

    EntryError (nothing written) when a clause is not in the document, a value is unknown, or the
    catalogue would not pass ingestion's check."""
    from ingest.eligibility_check import doc_meta, verify
    from ingest.metadata import MetadataError, read_catalogue

    root = Path(settings.corpus_dir)
    path = catalogue_path(settings)
    with _LOCK:
        existing = current_entry(settings, rec.doc_id)
        entry = build_entry(settings, rec, form, existing)
        clash = next((p for p in _programmes(path) if p.get("id") == entry["id"] and p.get("doc_id") != rec.doc_id), None)
        if clash:
            raise EntryError(f"the programme id {entry['id']!r} is already used by {clash.get('doc_id')}; choose another")
        try:
            docs = read_catalogue(root)
        except MetadataError as exc:
            raise EntryError(str(exc)) from None
        doc_file = _doc_path(settings, rec.doc_id)
        side = next((doc_file.with_name(doc_file.name + s) for s in (".meta.yaml", ".meta.yml")
                     if doc_file.with_name(doc_file.name + s).is_file()), None)
        meta = dict(doc_meta(root, rec.doc_id, docs) or {})
        if rec.doc_id in docs:  # listed in catalogue.yaml, which names its programme
            if meta.get("programme") != entry["id"]:
                raise EntryError(f"catalogue.yaml gives {rec.doc_id} the programme {meta.get('programme')!r}; "
                                 f"the entry must use that id (or set `programme: {entry['id']}` there)")
            new_side = None
        else:
            meta = meta or {"audience": rec.audience, "doc_type": rec.doc_type}
            new_side = {**meta, "programme": entry["id"]}
        entry["audience"] = meta.get("audience") or rec.audience  # verify: the same as the document's
        draft = path.with_name(f".{path.name}.draft")
        try:
            draft.write_text(_apply(path, entry, rec.doc_id), encoding="utf-8")
            problems = verify(root, catalogue=draft, metadata={rec.doc_id: new_side} if new_side else None)
            if problems:
                mine = [p for p in problems if repr(entry["id"]) in p] or problems
                raise EntryError("not saved: " + "; ".join(p.removeprefix("eligibility catalogue: ") for p in mine[:5]))
            if new_side is not None and new_side != (meta if side else None):
                _write(side or doc_file.with_name(doc_file.name + ".meta.yaml"),
                       yaml.safe_dump(new_side, sort_keys=True, allow_unicode=True))
            os.replace(draft, path)
        finally:
            draft.unlink(missing_ok=True)
        eligibility.forget(path)
    return entry


def drop_entry(settings: Settings, doc_id: str) -> bool:
    """Remove the entry of ``doc_id`` from the catalogue (a removed upload); whether there was one."""
    path = catalogue_path(settings)
    with _LOCK:
        if not path.is_file() or current_entry(settings, doc_id) is None:
            return False
        _write(path, _apply(path, None, doc_id))
        eligibility.forget(path)
    return True
