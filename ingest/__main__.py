"""Command line: ``python -m ingest PATH...``, ``python -m ingest status``, ``python -m ingest remove DOC``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

EPILOG = """examples:
  python -m ingest corpus                      index the sample corpus (incremental)
  python -m ingest corpus --dry-run            show what would be added, updated, removed
  python -m ingest ~/docs --index-dir /tmp/ix --json
  python -m ingest status                      list indexed documents
  python -m ingest remove programmes/nepal-criminal-justice-reform.pdf

exit status: 0 all files indexed, 1 partial (some files skipped, see the list),
2 usage or configuration error, 3 another ingestion holds the index (--no-wait)."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--index-dir", type=Path, help="index folder (setting index_dir)")
    parser.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    parser.add_argument("--chroma-host", help="use a Chroma server at this host (setting chroma_host)")
    parser.add_argument("--chroma-port", type=int, help="Chroma server port (setting chroma_port)")
    parser.add_argument("--embed-model", help="embedding model (setting embed_model)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")


def _parser(command: str) -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    if command == "status":
        p = argparse.ArgumentParser(prog="python -m ingest status", description="List indexed documents.")
    elif command == "remove":
        p = argparse.ArgumentParser(prog="python -m ingest remove", description="Remove documents from the index.")
        p.add_argument("doc_ids", nargs="+", metavar="DOC", help="document id as shown by 'status'")
    else:
        p = argparse.ArgumentParser(
            prog="python -m ingest",
            description="Index documents (PDF, DOCX, HTML, Markdown, text) into the assistant's store. "
            "Unchanged files are skipped, changed ones replaced, vanished ones removed.",
            epilog=EPILOG,
            formatter_class=fmt,
        )
        p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders to index")
        p.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
        p.add_argument("--no-wait", action="store_true", help="exit (status 3) if another ingestion is running")
    _common(p)
    return p


class _Progress:
    """A tqdm bar over files (with chunk counts and ETA) when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None
        self.chunks = 0

    def __call__(self, event: str, data: dict) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if event == "file" and self.bar is None:
            self.bar = tqdm(total=data["total"], unit="file", file=sys.stderr, dynamic_ncols=True)
        if self.bar is None:
            return
        if event == "file":
            self.bar.set_description(Path(data["path"]).name[:30])
        elif event in ("done", "failed"):
            self.chunks += data.get("chunks", 0)
            self.bar.set_postfix(chunks=self.chunks)
            self.bar.update(1)
        elif event == "keyword":
            self.bar.set_description("keyword index")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _settings(args: argparse.Namespace):
    from assistant.settings import load_settings

    return load_settings(
        args.config,
        index_dir=args.index_dir,
        chroma_host=args.chroma_host,
        chroma_port=args.chroma_port,
        embed_model=args.embed_model,
    )


def _print_report(report, as_json: bool) -> None:
    data = report.to_dict()
    if as_json:
        print(json.dumps(data, indent=1))
        return
    verb = "would be " if report.dry_run else ""
    print(
        f"{data['added']} {verb}added, {data['updated']} {verb}updated, {data['unchanged']} unchanged, "
        f"{data['removed']} {verb}removed, {data['failed']} failed; {data['chunks']} chunks written "
        f"({data['embedded']} embedded, {data['cache_hits']} from cache) in {data['seconds']:.1f}s"
    )
    if extra := data.get("multilingual_index"):
        print(f"multilingual index ({extra['model']}, for questions in other languages): {extra['chunks']} chunks written "
              f"({extra['embedded']} embedded) in {extra['seconds']:.1f}s of the {data['seconds']:.1f}s" + ("" if extra["status"] == "ok" else f", {extra['status']}"))
    for change in data["changes"]:
        print(f"  {change['status']:8} {change['doc_id']}" + (f" ({change['chunks']} chunks)" if change["chunks"] else ""))
    for failure in data["failures"]:
        print(f"  skipped  {failure['path']}: {failure['reason']}")
    if report.status != "ok":
        print(f"status: {report.status} (the files above were skipped; everything else is indexed)")


def main(argv: list[str] | None = None) -> int:
    from assistant.runtime import prepare_offline

    prepare_offline()
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in ("status", "remove") else "sync"
    args = _parser(command).parse_args(argv[1:] if command != "sync" else argv)
    from assistant.runtime import configure_logging

    configure_logging(args.verbose)
    from pydantic import ValidationError

    from assistant.embedding import ModelMissingError
    from assistant.store import StoreUnavailableError
    from ingest.pipeline import IngestBusyError

    try:
        settings = _settings(args)
        if command == "status":
            return _status(settings, args.json)
        if command == "remove":
            return _remove(settings, args.doc_ids, args.json)
        from ingest.pipeline import sync

        progress = _Progress(enabled=sys.stderr.isatty() and not args.json)
        try:
            report = sync(args.paths, settings, dry_run=args.dry_run, wait=not args.no_wait, progress=progress)
        finally:
            progress.close()
        _print_report(report, args.json)
        return 0 if report.status == "ok" else 1
    except IngestBusyError as exc:
        print(f"error: {exc}; try again when it has finished", file=sys.stderr)
        return 3
    except (ValidationError, ValueError, FileNotFoundError, ModelMissingError, StoreUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"error: cannot write the index ({exc}); check the permissions of index_dir", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.strerror or exc} ({exc.filename or 'index'}); is the disk full?", file=sys.stderr)
        return 2


def _status(settings, as_json: bool) -> int:
    from assistant.store import Manifest

    manifest = Manifest.load(settings)
    docs = sorted(manifest.docs.values(), key=lambda r: r.doc_id)
    side = Manifest.load(settings.companion) if settings.companion is not None else None
    missing = sorted(set(manifest.docs) - set(side.docs)) if side is not None else []
    extra = None if side is None else {"model": settings.companion.embed_model, "index_version": side.version,
                                       "collection": side.collection, "documents": len(side.docs), "missing": missing}
    if as_json:
        print(
            json.dumps(
                {
                    "index_version": manifest.version,
                    "collection": manifest.collection,
                    "documents": [
                        {"doc_id": r.doc_id, "title": r.title, "doc_type": r.doc_type, "audience": r.audience,
                         "pages": r.pages, "chunks": len(r.chunk_ids), "path": r.path, "indexed_at": r.indexed_at}
                        for r in docs
                    ],
                    "multilingual_index": extra,
                },
                indent=1,
            )
        )
        return 0
    print(f"index {manifest.version} ({manifest.collection}) in {settings.index_dir}: {len(docs)} documents")
    for r in docs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.indexed_at))
        print(f"  {len(r.chunk_ids):4} chunks  {r.audience:7}  {when}  {r.doc_id}")
    if extra is not None:
        state = f"{len(missing)} not in it yet: run the ingestion again" if missing else "in step"
        print(f"multilingual index {extra['index_version']} ({extra['model']}, for questions in other languages): "
              f"{extra['documents']} documents, {state}")
    return 0


def _remove(settings, doc_ids: list[str], as_json: bool) -> int:
    from ingest.pipeline import remove_document

    missing = []
    removed = []
    for doc_id in doc_ids:
        try:
            rec = remove_document(doc_id, settings)
            removed.append({"doc_id": doc_id, "chunks": len(rec.chunk_ids)})
        except KeyError:
            missing.append(doc_id)
    if as_json:
        print(json.dumps({"removed": removed, "not_found": missing}))
    else:
        for r in removed:
            print(f"removed {r['doc_id']} ({r['chunks']} chunks); delete or move the file too, or the next ingest adds it back")
        for m in missing:
            print(f"not indexed: {m} (see 'python -m ingest status')", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
