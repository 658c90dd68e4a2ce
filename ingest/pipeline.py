"""Incremental sync of document folders into the index.

Plan by content hash (file bytes + metadata): unchanged files are skipped,
changed ones re-chunked and replaced, vanished ones deleted. Each document is
committed on its own (upsert new chunks, delete its stale ones, then record it in
the manifest, written atomically), so a crash part-way leaves every document
either in its old or its new version, and re-running converges. A file that
cannot be read is reported and skipped; if an older version of it was indexed,
that version stays.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.access import audience_rank
from assistant.embedding import Embedder, EmbeddingCache, embedder_for
from assistant.keyword import FORMAT as KEYWORD_FORMAT
from assistant.keyword import KeywordIndex
from assistant.settings import Settings
from assistant.store import ChromaStore, DocRecord, Manifest
from assistant.types import Chunk, DocMeta
from ingest.chunking import chunk_blocks, embedding_text
from ingest.eligibility_check import CATALOGUE_FILE, check_catalogue
from ingest.loaders import PARSER_VERSION, LoadError, check_file, load
from ingest.metadata import MetadataError, is_metadata_file, meta_for, read_catalogue

log = logging.getLogger(__name__)


class IngestBusyError(RuntimeError):
    """Another ingestion holds the index lock."""


@dataclass
class FileResult:
    path: str
    doc_id: str
    status: str  # added | updated | unchanged | removed | failed
    reason: str = ""
    chunks: int = 0


@dataclass
class SyncReport:
    files: list[FileResult] = field(default_factory=list)
    chunks_written: int = 0
    chunks_embedded: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    index_version: str = ""
    companion: dict[str, Any] | None = None  # the multilingual index's own pass (Settings.companion), if any

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def status(self) -> str:
        failed = self.count("failed")
        if not failed:
            return "ok"
        return "partial" if len(self.files) > failed else "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "dry_run": self.dry_run,
            **{k: self.count(k) for k in ("added", "updated", "unchanged", "removed", "failed")},
            "failures": [{"path": f.path, "reason": f.reason} for f in self.files if f.status == "failed"],
            "changes": [asdict(f) for f in self.files if f.status in ("added", "updated", "removed")],
            "chunks": self.chunks_written,
            "embedded": self.chunks_embedded,
            "cache_hits": self.cache_hits,
            "seconds": round(self.seconds, 3),
            "index_version": self.index_version,
            **({"multilingual_index": self.companion} if self.companion else {}),
        }


@dataclass
class _Planned:
    path: Path
    doc_id: str
    sha256: str
    meta: DocMeta
    action: str  # add | update | unchanged


def _open_lock(settings: Settings):
    """The index's lock file, opened for writing; a clear error when the index folder cannot be written."""
    folder = settings.index_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return open(folder / ".ingest.lock", "w")
    except (FileExistsError, NotADirectoryError) as exc:
        raise ValueError(f"the index folder {folder} is not a folder (a file is in its way)") from exc
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise PermissionError(exc.errno, f"the index folder is not writable: {exc.strerror}", str(folder)) from exc
        raise


@contextmanager
def index_lock(settings: Settings, wait: bool = True) -> Iterator[None]:
    """Serialise ingestions of one index (a second waits, or fails fast with ``wait=False``)."""
    with _open_lock(settings) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise IngestBusyError(f"another ingestion is running on {settings.index_dir}") from None
            log.warning("another ingestion is running on %s; waiting for it", settings.index_dir)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _scan(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """(root, file) pairs for every candidate file, and the folders scanned (for deletions)."""
    found: list[tuple[Path, Path]] = []
    roots: list[Path] = []
    for given in paths:
        if given.is_dir():
            roots.append(given)
            for dirpath, dirnames, filenames in os.walk(given):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
                for name in sorted(filenames):
                    file = Path(dirpath) / name
                    if not name.startswith(".") and not is_metadata_file(file) and not _leaves(given, file):
                        found.append((given, file))
        elif given.is_file():
            found.append((given.parent, given))
        else:
            raise FileNotFoundError(f"no such file or folder: {given}")
    return found, roots


def _leaves(root: Path, file: Path) -> bool:
    """A symlink whose target lies outside ``root`` is never followed (nor indexed); os.walk already
    leaves linked folders alone."""
    if not file.is_symlink() or file.resolve().is_relative_to(root.resolve()):
        return False
    log.warning("skipping %s: a link to a file outside the corpus", file)
    return True


def _hash_file(path: Path, meta: DocMeta) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    digest.update(json.dumps({"meta": meta.to_dict(), "parser": PARSER_VERSION}, sort_keys=True).encode())
    return digest.hexdigest()


def plan(paths: list[Path], settings: Settings, manifest: Manifest, report: SyncReport) -> tuple[list[_Planned], list[str]]:
    """What a sync would do: files to add/update/skip, doc ids to remove. Failures go to ``report``."""
    found, roots = _scan(paths)
    planned: list[_Planned] = []
    seen: dict[str, Path] = {}
    catalogues: dict[Path, dict] = {}
    for root, file in found:
        doc_id = file.relative_to(root).as_posix()
        shown = str(file)
        try:
            if doc_id in seen:
                raise LoadError(f"document id {doc_id!r} is also used by {seen[doc_id]}")
            seen[doc_id] = file
            check_file(file, settings.max_file_mb)
            if root not in catalogues:
                catalogues[root] = read_catalogue(root)
            meta = meta_for(doc_id, file, catalogues[root], settings.default_audience)
            sha = _hash_file(file, meta)
        except (LoadError, MetadataError, OSError) as exc:
            report.files.append(FileResult(shown, doc_id, "failed", str(exc)))
            continue
        old = manifest.docs.get(doc_id)
        action = "add" if old is None else ("unchanged" if old.sha256 == sha else "update")
        planned.append(_Planned(file, doc_id, sha, meta, action))
    resolved_roots = [r.resolve() for r in roots]
    failed_ids = {f.doc_id for f in report.files if f.status == "failed"}
    removed = []
    for doc_id, rec in manifest.docs.items():
        if doc_id in seen or doc_id in failed_ids:
            continue
        src = Path(rec.path).resolve()
        if any(src.is_relative_to(r) for r in resolved_roots) and not src.exists():
            removed.append(doc_id)
    return planned, removed


ProgressFn = Callable[[str, dict[str, Any]], None]


def sync(
    paths: list[Path],
    settings: Settings,
    *,
    dry_run: bool = False,
    wait: bool = True,
    progress: ProgressFn | None = None,
    embedder: Embedder | None = None,
    store: ChromaStore | None = None,
    companion_embedder: Embedder | None = None,
) -> SyncReport:
    """Bring the index in step with ``paths``, and the multilingual index beside it when configured
    (``companion_embedder``: its encoder, already loaded); see the module docstring for the guarantees.

    A full disk surfaces as ``OSError(ENOSPC)`` whichever layer hit it (SQLite and Chroma raise their
    own kinds); re-running once there is space again converges, as after a crash.
    """
    report = _sync_one(paths, settings, dry_run=dry_run, wait=wait, progress=progress, embedder=embedder, store=store)
    companion = settings.companion
    if companion is not None and not dry_run:
        # the multilingual index beside the main one (setting multilingual_model): the same documents, its own
        # encoder, collections, keyword index and manifest; unchanged files are skipped there as here
        (progress or (lambda event, data: None))("companion", {"model": companion.embed_model})
        extra = _sync_one(paths, companion, dry_run=False, wait=wait, progress=progress, embedder=companion_embedder,
                          store=None)
        report.companion = {"model": companion.embed_model, "status": extra.status, "chunks": extra.chunks_written,
                            "embedded": extra.chunks_embedded, "seconds": round(extra.seconds, 3)}
        report.seconds += extra.seconds
    return report


def _sync_one(paths: list[Path], settings: Settings, **options: Any) -> SyncReport:
    """:func:`_sync` of one index (``options``: its keyword arguments), a full disk reported as such."""
    try:
        return _sync(paths, settings, **options)
    except (OSError, ValueError, LookupError, IngestBusyError):
        raise
    except Exception as exc:
        if not _disk_full(exc, settings.index_dir):
            raise
        raise OSError(errno.ENOSPC, f"no space left on the disk of the index ({type(exc).__name__}: {exc})",
                      str(settings.index_dir)) from exc


def _disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether an error from SQLite or Chroma was (most likely) caused by a full disk."""
    text = str(exc).lower()
    if "disk is full" in text or "no space left" in text:
        return True
    try:  # Chroma's compaction errors do not say why; a disk with next to no space left does
        return shutil.disk_usage(folder).free < 8 * 2**20
    except OSError:
        return False


def _sync(
    paths: list[Path],
    settings: Settings,
    *,
    dry_run: bool,
    wait: bool,
    progress: ProgressFn | None,
    embedder: Embedder | None,
    store: ChromaStore | None,
) -> SyncReport:
    started = time.perf_counter()
    report = SyncReport(dry_run=dry_run)
    notify = progress or (lambda event, data: None)
    with index_lock(settings, wait=wait):
        manifest = Manifest.load(settings)
        planned, removed = plan(paths, settings, manifest, report)
        if manifest.dirty and not dry_run:
            # After a crash a recorded document may have lost its chunks (a removal or an update cut
            # short after the delete): its file is unchanged, so write it again rather than skip it.
            store = store or ChromaStore(settings)
            present = _present_by_rank(store)
            for p in planned:
                if p.action == "unchanged" and not _intact(manifest.docs[p.doc_id], present):
                    p.action = "update"
        todo = [p for p in planned if p.action != "unchanged"]
        for root in [Path(r) for r in paths if (Path(r) / CATALOGUE_FILE).is_file()]:
            # eligibility catalogue vs its documents: CatalogueError before anything is written
            # (only when a document or the catalogue changed since the last successful sync)
            if todo or removed or (root / CATALOGUE_FILE).stat().st_mtime >= manifest.updated_at:
                check_catalogue(root)
        for p in planned:
            if p.action == "unchanged":
                report.files.append(FileResult(str(p.path), p.doc_id, "unchanged", chunks=len(manifest.docs[p.doc_id].chunk_ids)))
        if dry_run:
            for p in todo:
                report.files.append(FileResult(str(p.path), p.doc_id, "added" if p.action == "add" else "updated"))
            for doc_id in removed:
                report.files.append(FileResult(manifest.docs[doc_id].path, doc_id, "removed"))
            report.seconds = time.perf_counter() - started
            report.index_version = manifest.version
            return report

        store = store or ChromaStore(settings)
        keyword_dir = settings.index_dir / f"keyword-{settings.index_settings_hash}"
        crashed_before = manifest.dirty
        changed = bool(todo or removed)
        if changed or crashed_before:
            manifest.dirty = True
            manifest.save(settings)

        for doc_id in removed:
            rec = manifest.docs[doc_id]
            store.delete_ids(sorted(set(rec.chunk_ids) | set(store.ids_for_doc(doc_id))))
            del manifest.docs[doc_id]
            manifest.save(settings)
            report.files.append(FileResult(rec.path, doc_id, "removed", chunks=len(rec.chunk_ids)))
            notify("removed", {"doc_id": doc_id})

        if todo:
            embedder = embedder or embedder_for(settings)
            cache = EmbeddingCache(settings.index_dir / "embed-cache.sqlite")
            try:
                _write_documents(todo, settings, manifest, store, embedder, cache, report, notify, crashed_before)
            finally:
                report.cache_hits = cache.hits
                report.chunks_embedded = cache.misses
                cache.close()

        if crashed_before:
            _sweep_orphans(store, manifest)
        changed = bool(removed) or any(f.status in ("added", "updated") for f in report.files)
        keyword_stale = _keyword_stamp(keyword_dir) != manifest.version
        if changed or crashed_before or keyword_stale:
            if changed or crashed_before:
                manifest.generation += 1
            notify("keyword", {"chunks": sum(len(r.chunk_ids) for r in manifest.docs.values())})
            rebuild_keyword_index(store, keyword_dir, manifest.version)
            manifest.dirty = False
            manifest.save(settings)
        elif manifest.dirty:  # every planned write failed to load: nothing was written, the index is clean
            manifest.dirty = False
            manifest.save(settings)
        report.index_version = manifest.version
    report.seconds = time.perf_counter() - started
    log.info("sync done: %s", {k: v for k, v in report.to_dict().items() if k not in ("failures", "changes")})
    return report


def _write_documents(
    todo: list[_Planned],
    settings: Settings,
    manifest: Manifest,
    store: ChromaStore,
    embedder: Embedder,
    cache: EmbeddingCache,
    report: SyncReport,
    notify: ProgressFn,
    crashed_before: bool = False,
) -> None:
    """Load and chunk files in groups, embed each group, commit document by document.

    A loader thread (:class:`_Prefetcher`) reads and chunks the files in order, up to
    ``PREFETCH_CHUNKS`` chunks ahead, while the encoder works on the current group (ONNX Runtime and
    the Rust tokenizer run outside the GIL, so the loader's Python work overlaps them): by the time
    a group is written, most of the next one is loaded. Groups are ``ingest_group_chunks`` chunks
    (one manifest save each; the encoder's length sort works across a group, so larger groups pad
    less) except the first, at most ``FIRST_GROUP_CHUNKS``, so that encoding starts early."""
    group: list[tuple[_Planned, list[Chunk], int]] = []
    group_chunks = 0
    target = min(FIRST_GROUP_CHUNKS, settings.ingest_group_chunks)
    with _Prefetcher(todo, settings, max(PREFETCH_CHUNKS, 2 * settings.ingest_group_chunks)) as loaded:
        for index, item, result in loaded:
            notify("file", {"path": str(item.path), "index": index, "total": len(todo)})
            if isinstance(result, LoadError):
                kept = " (the previously indexed version is kept)" if item.action == "update" else ""
                report.files.append(FileResult(str(item.path), item.doc_id, "failed", f"{result}{kept}"))
                notify("failed", {"path": str(item.path), "reason": str(result)})
                continue
            blocks, chunks = result
            pages = max((b.page or 0) for b in blocks) or 1
            group.append((item, chunks, pages))
            group_chunks += len(chunks)
            if group_chunks >= target:
                _commit_group(group, settings, manifest, store, embedder, cache, report, notify, crashed_before)
                group, group_chunks, target = [], 0, settings.ingest_group_chunks
    if group:
        _commit_group(group, settings, manifest, store, embedder, cache, report, notify, crashed_before)


class _Prefetcher:
    """Loads and chunks ``todo`` in a thread of its own, in order, holding at most ``budget`` chunks
    (and always at least one file) that the consumer has not taken yet. Iterating yields
    ``(index, item, (blocks, chunks) or LoadError)``; any other error of a loader is raised in the
    consumer. Leaving the ``with`` block stops the thread (a failed write loads nothing more)."""

    def __init__(self, todo: list[_Planned], settings: Settings, budget: int) -> None:
        self._todo, self._settings, self._budget = todo, settings, budget
        self._ready: deque = deque()
        self._held = 0
        self._stopped = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="loader", daemon=True)

    def __enter__(self) -> _Prefetcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join()

    def _run(self) -> None:
        for index, item in enumerate(self._todo):
            with self._cond:
                while self._held >= self._budget and self._ready and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
            try:
                result: Any = _load_and_chunk(item, self._settings)
            except BaseException as exc:  # handed to the consumer, which decides
                result = exc
            with self._cond:
                self._ready.append((index, item, result))
                self._held += len(result[1]) if isinstance(result, tuple) else 0
                self._cond.notify_all()

    def __iter__(self) -> Iterator[tuple[int, _Planned, Any]]:
        for _ in range(len(self._todo)):
            with self._cond:
                while not self._ready:
                    self._cond.wait()
                index, item, result = self._ready.popleft()
                self._held -= len(result[1]) if isinstance(result, tuple) else 0
                self._cond.notify_all()
            if isinstance(result, BaseException) and not isinstance(result, LoadError):
                raise result
            yield index, item, result


PREFETCH_CHUNKS = 2048  # loaded ahead of the encoder at most (at least two groups)
FIRST_GROUP_CHUNKS = 256
WRITE_SLICE = 256  # chunks embedded, then handed to the writer thread, at a time


def _load_and_chunk(item: _Planned, settings: Settings) -> tuple[list, list[Chunk]]:
    blocks = load(item.path, settings.max_file_mb)
    chunks = chunk_blocks(item.meta, blocks, settings.chunk_size, settings.chunk_overlap)
    if not chunks:
        raise LoadError("no text to index after cleaning")
    return blocks, chunks


def _embed_and_upsert(chunks: list[Chunk], store: ChromaStore, embedder: Embedder, cache: EmbeddingCache, step: int) -> None:
    """Embed chunks slice by slice and write each slice while the next one is being embedded.

    The texts are sorted by length first (longest first, as the encoder itself does within a
    call), so slicing adds no padding; a single writer thread does the Chroma upserts in order,
    overlapping them with the encoder. The first write error is raised after the last slice."""
    texts = [embedding_text(c) for c in chunks]
    order = sorted(range(len(chunks)), key=lambda i: -len(texts[i]))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-writer") as writer:
        pending = []
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            vectors = cache.embed(embedder, [texts[i] for i in rows])
            part = [chunks[i] for i in rows]
            pending.append(
                writer.submit(
                    store.upsert,
                    [c.chunk_id for c in part],
                    vectors,
                    [c.text for c in part],
                    [c.store_metadata() for c in part],
                )
            )
            if pending[0].done():
                pending.pop(0).result()  # a failed write stops the group early
        for future in pending:
            future.result()


def _rank_of(audience: str) -> int:
    return audience_rank(audience)


def _commit_group(group, settings, manifest, store, embedder, cache, report, notify, crashed_before=False) -> None:
    """Embed and write a group of documents in one batch, then record them in the manifest.

    A crash after the upsert but before the manifest save leaves chunks the manifest does
    not own yet: the next run re-writes those documents (same ids) and, as the manifest is
    marked dirty, sweeps anything left over. Stale chunks of an updated document are known
    from its manifest record, which is exact unless the last run crashed: only then is the
    store scanned for them (a metadata scan per document costs ~10 ms at 100k chunks)."""
    all_chunks = [c for _, chunks, _ in group for c in chunks]
    _embed_and_upsert(all_chunks, store, embedder, cache, WRITE_SLICE)
    done = []
    for item, chunks, pages in group:
        ids = [c.chunk_id for c in chunks]
        old = manifest.docs.get(item.doc_id)
        stale = set(store.ids_for_doc(item.doc_id)) - set(ids) if crashed_before else set()
        if old:
            stale |= set(old.chunk_ids) - set(ids)
        if stale:
            store.delete_ids(sorted(stale))
        rank = _rank_of(item.meta.audience)
        if crashed_before or (old and _rank_of(old.audience) != rank):
            # its audience changed (or may have, mid-crash): the old copies sit in another partition
            others = [r for r in store.ranks() if r != rank]
            store.delete_ids(sorted(set(ids) | set(old.chunk_ids if old else ())), ranks=others)
        manifest.docs[item.doc_id] = DocRecord(
            doc_id=item.doc_id,
            path=str(item.path.resolve()),
            sha256=item.sha256,
            chunk_ids=ids,
            title=item.meta.title,
            doc_type=item.meta.doc_type,
            audience=item.meta.audience,
            pages=pages,
            indexed_at=time.time(),
            size=item.path.stat().st_size,
            meta=item.meta.to_dict(),
        )
        done.append((item, len(ids)))
    manifest.save(settings)
    for item, count in done:
        status = "added" if item.action == "add" else "updated"
        report.files.append(FileResult(str(item.path), item.doc_id, status, chunks=count))
        report.chunks_written += count
        notify("done", {"path": str(item.path), "chunks": count, "status": status})


def _present_by_rank(store: ChromaStore) -> dict[int, set[str]]:
    """The chunk ids stored in each access partition."""
    return {rank: {cid for cid, _, _ in store.iter_all(include=(), ranks=[rank])} for rank in store.ranks()}


def _intact(rec: DocRecord, present: dict[int, set[str]]) -> bool:
    """Are all of a recorded document's chunks in the partition of its audience?"""
    return set(rec.chunk_ids) <= present.get(_rank_of(rec.audience), set())


def _sweep_orphans(store: ChromaStore, manifest: Manifest) -> None:
    """After a crash: delete stored chunks that no manifest entry owns (in that partition)."""
    owned: dict[int, set[str]] = {rank: set() for rank in store.ranks()}
    for rec in manifest.docs.values():
        owned.setdefault(_rank_of(rec.audience), set()).update(rec.chunk_ids)
    for rank, present in _present_by_rank(store).items():
        orphans = sorted(present - owned.get(rank, set()))
        if orphans:
            log.warning("removing %d orphaned chunks left by an interrupted run", len(orphans))
            store.delete_ids(orphans, ranks=[rank])


def keyword_current(settings: Settings) -> bool:
    """Whether the index's keyword index matches its manifest (layout, tokens and generation)."""
    keyword_dir = settings.index_dir / f"keyword-{settings.index_settings_hash}"
    return _keyword_stamp(keyword_dir) == Manifest.load(settings).version


def _keyword_stamp(folder: Path) -> str | None:
    """The stamp of the saved keyword index, read from the head of its file (no full parse)."""
    try:
        with open(folder / "keyword.json", "rb") as fh:
            head = fh.read(256)
        marker = b'"stamp":"'
        start = head.index(marker) + len(marker)
        stamp = head[start : head.index(b'"', start)].decode()
        if f'"format":{KEYWORD_FORMAT},'.encode() not in head:
            return None  # another layout or tokenizer: stale whatever its stamp says
        return stamp
    except (OSError, ValueError):
        return None


def rebuild_keyword_index(store: ChromaStore, folder: Path, stamp: str) -> KeywordIndex:
    """Derive the BM25 index from what the store holds (the store is the source of truth)."""
    ids, texts, metas = [], [], []
    for cid, doc, meta in store.iter_all():
        ids.append(cid)
        texts.append(doc or "")
        metas.append(meta or {})
    index = KeywordIndex(ids, texts, metas, stamp=stamp)
    index.save(folder)
    return index


def recover(settings: Settings, store: ChromaStore | None = None) -> bool:
    """Finish off an ingestion that crashed (the manifest is still marked dirty and no ingestion holds
    the lock): drop stored chunks no record owns and records whose chunks are gone (the next sync adds
    those documents again), rebuild the keyword index, mark the index clean. True if there was work.

    Run by the app at start-up, so a restarted app never serves half-written documents.
    """
    with index_lock(settings, wait=False):
        manifest = Manifest.load(settings)
        if not manifest.dirty:
            return False
        store = store or ChromaStore(settings)
        present = _present_by_rank(store)
        for doc_id in [d for d, rec in manifest.docs.items() if not _intact(rec, present)]:
            log.warning("dropping %s from the manifest: its chunks were lost in a crash", doc_id)
            del manifest.docs[doc_id]
        _sweep_orphans(store, manifest)
        manifest.generation += 1
        rebuild_keyword_index(store, settings.index_dir / f"keyword-{settings.index_settings_hash}", manifest.version)
        manifest.dirty = False
        manifest.save(settings)
        log.warning("recovered the index after an interrupted ingestion (now %s)", manifest.version)
        return True


def remove_document(doc_id: str, settings: Settings, store: ChromaStore | None = None) -> DocRecord:
    """Delete one document from the index (store, keyword index and manifest) in one step, and from the
    multilingual index beside it when there is one."""
    rec = _remove_one(doc_id, settings, store)
    companion = settings.companion
    if companion is not None and doc_id in Manifest.load(companion).docs:
        _remove_one(doc_id, companion, None)
    return rec


def _remove_one(doc_id: str, settings: Settings, store: ChromaStore | None) -> DocRecord:
    with index_lock(settings):
        manifest = Manifest.load(settings)
        rec = manifest.docs.get(doc_id)
        if rec is None:
            raise KeyError(doc_id)
        store = store or ChromaStore(settings)
        manifest.dirty = True
        manifest.save(settings)
        store.delete_ids(sorted(set(rec.chunk_ids) | set(store.ids_for_doc(doc_id))))
        del manifest.docs[doc_id]
        manifest.generation += 1
        rebuild_keyword_index(store, settings.index_dir / f"keyword-{settings.index_settings_hash}", manifest.version)
        manifest.dirty = False
        manifest.save(settings)
        return rec
