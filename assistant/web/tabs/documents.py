"""The Documents tab: the list a reader may see, searchable by title; for admins, upload, re-index
and remove (each running alone, with its progress shown as it happens)."""

from __future__ import annotations

import html
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import access
from assistant.types import DOC_TYPES
from assistant.web import uploads
from assistant.web.context import AppContext
from assistant.web.render import label, render_documents
from assistant.web.tabs import UI_ONLY, role_of


@dataclass
class DocumentsTab:
    """The components the page fills in on load."""

    table: Any
    admin_box: Any
    remove_choice: Any


# --- handlers ---------------------------------------------------------------------------------
def doc_choices(docs) -> list[tuple[str, str]]:
    return [(f"{d.title} ({d.doc_id})", d.doc_id) for d in docs]


def search_docs(ctx: AppContext, query, request):
    role = role_of(ctx, request)
    return render_documents(ctx.assistant().documents(role), query, details=access.can(role, "see_index_details"))


def require_admin(ctx: AppContext, request) -> None:
    if not access.can(role_of(ctx, request), "manage_documents"):
        raise gr.Error("Only administrators may change the documents.")


def run_reindex(ctx: AppContext, log_lines: list[str]):
    """Sync the corpus folder in a thread and yield as its progress events arrive (lines go to ``log_lines``)."""
    events: queue.Queue = queue.Queue()
    result: dict[str, Any] = {}

    def progress(event: str, data: dict) -> None:
        events.put((event, data))

    def work() -> None:
        try:
            assistant = ctx.assistant()
            result["report"] = uploads.reindex(ctx.settings, progress, wait=False, embedder=assistant.embedder,
                                               store=assistant.store)
        except Exception as exc:
            result["error"] = exc
        finally:
            events.put(("end", {}))

    threading.Thread(target=work, name="reindex", daemon=True).start()
    while True:
        event, data = events.get()
        if event == "end":
            break
        if event == "file":
            log_lines.append(f"Indexing {int(data['index']) + 1}/{int(data['total'])}: {Path(data['path']).name}…")
        elif event == "done":
            log_lines.append(f"Indexed {Path(data['path']).name}: {int(data['chunks'])} chunks ({data['status']}).")
        elif event == "failed":
            log_lines.append(f"Could not index {Path(data['path']).name}: {data['reason']}")
        elif event == "removed":
            log_lines.append(f"Removed {data['doc_id']} (its file is gone).")
        elif event == "keyword":
            log_lines.append(f"Rebuilding the keyword index ({int(data['chunks'])} chunks)…")
        yield
    if "error" in result:
        exc = result["error"]
        busy = type(exc).__name__ == "IngestBusyError"
        log_lines.append("Another ingestion is running; try again shortly." if busy else f"Re-indexing failed: {exc}")
    else:
        r = result["report"]
        log_lines.append(f"Done in {r.seconds:.1f} s: {r.count('added')} added, {r.count('updated')} updated, "
                         f"{r.count('unchanged')} unchanged, {r.count('removed')} removed, {r.count('failed')} failed.")
    yield


def log_md(lines: list[str]) -> str:
    return "\n".join(f"- {html.escape(line)}" for line in lines[-30:])


def after_change(ctx: AppContext, request):
    docs = ctx.assistant().documents(role_of(ctx, request))
    return render_documents(docs, details=True), gr.update(choices=doc_choices(docs), value=None)  # admins only


def upload(ctx: AppContext, file, title, audience, doc_type, request):
    require_admin(ctx, request)
    lines: list[str] = []
    if not file:
        raise gr.Error("Choose a file to upload first.")
    try:
        dest = uploads.save_upload(Path(file), Path(file).name, ctx.settings, title=title or "", audience=audience,
                                   doc_type=doc_type)
    except uploads.UploadError as exc:
        raise gr.Error(str(exc)) from None
    lines.append(f"Saved {dest.name} in uploads/ (audience: {audience}). Re-indexing…")
    yield log_md(lines), gr.update(), gr.update(), gr.update(value=None)
    for _ in run_reindex(ctx, lines):
        yield log_md(lines), gr.update(), gr.update(), gr.update()
    yield (log_md(lines), *after_change(ctx, request), gr.update())


def reindex_only(ctx: AppContext, request):
    require_admin(ctx, request)
    lines = ["Re-indexing the corpus folder…"]
    yield log_md(lines), gr.update(), gr.update()
    for _ in run_reindex(ctx, lines):
        yield log_md(lines), gr.update(), gr.update()
    yield (log_md(lines), *after_change(ctx, request))


def remove(ctx: AppContext, doc_id, confirmed, request):
    require_admin(ctx, request)
    # A missing choice or confirmation is a message beside the button, not an error that covers the form.
    unchanged = (gr.update(), gr.update(), gr.update())
    if not doc_id:
        return (REMOVE_TEXT["choose"], *unchanged)
    if not confirmed:
        return (REMOVE_TEXT["confirm"], *unchanged)
    try:
        rec, deleted = uploads.remove(doc_id, ctx.settings, store=ctx.assistant().store)
    except KeyError:
        return (REMOVE_TEXT["gone"], *unchanged)
    note = ("Its uploaded file was deleted." if deleted else
            "Its file is outside uploads/, so it was left on disk and will return at the next re-index unless you delete it.")
    return (log_md([f"Removed {rec.doc_id}. {note}"]), *after_change(ctx, request), False)


REMOVE_TEXT = {
    "choose": "Choose a document to remove first.",
    "confirm": "To remove it, tick “Yes, remove it from the index”, then press Remove again.",
    "gone": "That document is no longer in the index.",
}


# --- layout and wiring ------------------------------------------------------------------------
def build(ctx: AppContext) -> DocumentsTab:
    """Lay out the Documents tab (inside an open ``gr.Tab``) and wire its events."""
    doc_search = gr.Textbox(label="Search by title", placeholder="e.g. Nepal", elem_id="pa-doc-search")
    doc_table = gr.HTML("", elem_id="pa-doc-table")
    with gr.Column(visible=False, elem_id="pa-admin", variant="panel") as admin_box:
        gr.Markdown("### Add or update a document\nSupported: " + ", ".join(uploads.supported_suffixes())
                    + f"; at most {ctx.settings.upload_max_mb:g} MB. A file with the same name replaces the old one.")
        with gr.Row():
            up_file = gr.File(label="File", file_types=list(uploads.supported_suffixes()), elem_id="pa-upload")
            with gr.Column():
                up_title = gr.Textbox(label="Title (optional)", elem_id="pa-upload-title", max_length=200)
                up_audience = gr.Dropdown(label="Who may see it", choices=list(access.AUDIENCES), value=access.DEFAULT_AUDIENCE,
                                          elem_id="pa-upload-audience")
                up_type = gr.Dropdown(label="Document type", choices=[(label(t), t) for t in DOC_TYPES],
                                      value="document", elem_id="pa-upload-type")
        with gr.Row():
            up_btn = gr.Button("Upload and re-index", variant="primary", elem_id="pa-upload-btn")
            reindex_btn = gr.Button("Re-index the corpus folder", elem_id="pa-reindex-btn")
        admin_log = gr.Markdown("", elem_id="pa-admin-log")  # progress right under the buttons that start it
        gr.Markdown("### Remove a document")
        with gr.Row():
            rm_doc = gr.Dropdown(label="Document", choices=[], elem_id="pa-remove-doc", scale=4)
            rm_ok = gr.Checkbox(label="Yes, remove it from the index", elem_id="pa-remove-ok", scale=1)
            rm_btn = gr.Button("Remove", variant="stop", elem_id="pa-remove-btn", scale=1)
        remove_log = gr.Markdown("", elem_id="pa-remove-log")

    def on_search(query, request: gr.Request):
        return search_docs(ctx, query, request)

    def on_upload(file, title, audience, doc_type, request: gr.Request):
        yield from upload(ctx, file, title, audience, doc_type, request)

    def on_reindex(request: gr.Request):
        yield from reindex_only(ctx, request)

    def on_remove(doc_id, confirmed, request: gr.Request):
        return remove(ctx, doc_id, confirmed, request)

    doc_search.change(on_search, [doc_search], [doc_table], **UI_ONLY)
    ingest = dict(concurrency_limit=1, concurrency_id="ingest", **UI_ONLY)
    up_btn.click(on_upload, [up_file, up_title, up_audience, up_type], [admin_log, doc_table, rm_doc, up_file], **ingest)
    reindex_btn.click(on_reindex, None, [admin_log, doc_table, rm_doc], **ingest)
    rm_btn.click(on_remove, [rm_doc, rm_ok], [remove_log, doc_table, rm_doc, rm_ok], **ingest)
    return DocumentsTab(doc_table, admin_box, rm_doc)
