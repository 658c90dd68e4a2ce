"""Admin uploads: safe file names, type and size checks, saving under ``<corpus_dir>/uploads/``,
re-indexing with progress, and removing a document (and its uploaded file)."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from assistant.access import AUDIENCES
from assistant.settings import Settings
from assistant.types import DOC_TYPES

UPLOADS = "uploads"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 120


class UploadError(ValueError):
    """An upload that is refused, with the reason to show the admin."""


def supported_suffixes() -> tuple[str, ...]:
    from ingest.loaders import SUPPORTED

    return SUPPORTED


def safe_name(original: str) -> str:
    """A file name that cannot leave the uploads folder: no separators, no '..', only [A-Za-z0-9._-].

    The directory part of ``original`` is dropped, other characters become '-', and runs of
    dots collapse to one. The extension must be one the ingester reads.
    """
    if not isinstance(original, str) or not original.strip():
        raise UploadError("the file has no name")
    base = re.split(r"[\\/]", original.strip())[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = _UNSAFE.sub("-", base)
    base = re.sub(r"\.{2,}", ".", base)
    base = re.sub(r"-{2,}", "-", base).strip(".-_")
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem:
        raise UploadError(f"{original!r} has no file extension; supported: {', '.join(supported_suffixes())}")
    suffix = "." + suffix.lower()
    if suffix not in supported_suffixes():
        raise UploadError(f"'{suffix}' files are not supported; supported: {', '.join(supported_suffixes())}")
    stem = stem[: MAX_NAME - len(suffix)].rstrip(".-_") or "document"
    return stem + suffix


def uploads_dir(settings: Settings) -> Path:
    return Path(settings.corpus_dir) / UPLOADS


def check_size(path: Path, max_mb: float) -> int:
    size = Path(path).stat().st_size
    if size == 0:
        raise UploadError("the file is empty")
    if size > max_mb * 2**20:
        raise UploadError(f"the file is {size / 2**20:.1f} MB; the limit is {max_mb:g} MB (setting upload_max_mb)")
    return size


def save_upload(
    src: Path,
    original_name: str,
    settings: Settings,
    *,
    title: str = "",
    audience: str = "staff",
    doc_type: str = "document",
) -> Path:
    """Copy an uploaded file into the uploads folder with a sidecar of its metadata; returns the new path.

    A file of the same name is replaced (that is how an admin updates a document).
    """
    name = safe_name(original_name)
    check_size(Path(src), settings.upload_max_mb)
    if audience not in AUDIENCES:
        raise UploadError(f"audience must be one of {', '.join(AUDIENCES)}")
    if doc_type not in DOC_TYPES:
        raise UploadError(f"document type must be one of {', '.join(DOC_TYPES)}")
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / name
    if dest.resolve().parent != folder.resolve():  # belt and braces: safe_name already prevents it
        raise UploadError("refusing a name outside the uploads folder")
    meta: dict[str, Any] = {"audience": audience, "doc_type": doc_type}
    try:  # a replaced upload keeps the programme its eligibility entry names (ingestion checks they agree)
        old = yaml.safe_load(sidecar(dest).read_text(encoding="utf-8")) if sidecar(dest).is_file() else None
    except (OSError, yaml.YAMLError):
        old = None
    if isinstance(old, dict) and old.get("programme"):
        meta["programme"] = str(old["programme"])
    title = " ".join((title or "").split())[:200]
    if title:
        meta["title"] = title
    tmp = dest.with_name(f".{name}.part")
    tmp_meta = dest.with_name(f".{name}.meta.part")  # dot names: never picked up by a sync
    shutil.copyfile(src, tmp)
    tmp_meta.write_text(yaml.safe_dump(meta, sort_keys=True, allow_unicode=True), encoding="utf-8")
    # Replacing a document: drop its old sidecar first. A crash (or a sync) between the steps then sees
    # the file with no sidecar, i.e. the default audience (staff), never the new file under the old
    # file's audience (a staff document shown to the public) or the old file under the new one.
    sidecar(dest).unlink(missing_ok=True)
    tmp.replace(dest)
    tmp_meta.replace(sidecar(dest))
    return dest


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".meta.yaml")


def doc_id_for(path: Path, settings: Settings) -> str:
    return Path(path).resolve().relative_to(Path(settings.corpus_dir).resolve()).as_posix()


def reindex(settings: Settings, progress: Callable[[str, dict], None] | None = None, **kwargs):
    """Sync ``corpus_dir`` into the index (unchanged files are skipped); returns the SyncReport."""
    from ingest.pipeline import sync

    return sync([Path(settings.corpus_dir)], settings, progress=progress, **kwargs)


def remove(doc_id: str, settings: Settings, store=None) -> tuple[Any, bool]:
    """Remove a document from the index; delete its file (and its eligibility entry) when it was uploaded.

    Returns (the removed DocRecord, whether the file was deleted). A document whose file lies
    outside ``uploads/`` comes back at the next re-index unless its file is removed too.
    """
    from ingest.pipeline import remove_document

    rec = remove_document(doc_id, settings, store=store)
    path = Path(rec.path).resolve()
    deleted = False
    if path.is_relative_to(uploads_dir(settings).resolve()):
        path.unlink(missing_ok=True)
        sidecar(path).unlink(missing_ok=True)
        deleted = True
        from assistant.web.eligibility_editor import EntryError, drop_entry

        try:
            drop_entry(settings, rec.doc_id)  # an entry for a file that is gone would stop the next ingestion
        except (EntryError, OSError):  # an unreadable catalogue: ingestion names the problem itself
            pass
        _prune_empty(path.parent, uploads_dir(settings).resolve())
    return rec, deleted


def _prune_empty(folder: Path, root: Path) -> None:
    """Remove the folders a removed upload leaves empty, up to and including ``uploads/`` itself."""
    while folder.is_relative_to(root):
        try:
            folder.rmdir()  # only an empty folder goes
        except OSError:
            return
        if folder == root:
            return
        folder = folder.parent
