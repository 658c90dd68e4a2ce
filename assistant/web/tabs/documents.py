"""The Documents tab: the list a reader may see, searchable by title; for admins, upload, re-index
and remove (each running alone, with its progress shown as it happens), and the eligibility editor
(a programme's entry, each criterion backed by a clause of the document; assistant/web/eligibility_editor.py)."""

from __future__ import annotations

import html
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import access, i18n
from assistant.roles import ROLES
from assistant.types import DOC_TYPES
from assistant.web import eligibility_editor as editor
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
    search: Any  # the search box (its words follow the reader's language: :func:`relabel`)


# --- handlers ---------------------------------------------------------------------------------
def doc_choices(docs) -> list[tuple[str, str]]:
    return [(f"{d.title} ({d.doc_id})", d.doc_id) for d in docs]


def search_docs(ctx: AppContext, query, request, lang: str | None = None):
    role = role_of(ctx, request)
    return render_documents(ctx.assistant().documents(role), query, details=access.can(role, "see_index_details"), lang=lang)


def relabel(lang: str) -> list:
    """The search box's words in ``lang`` (the list itself is re-rendered by the page)."""
    return [gr.update(label=i18n.t("docs.search", lang), placeholder=i18n.t("docs.search_placeholder", lang))]


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
        elif event == "companion":
            log_lines.append(f"Updating the index for questions in other languages ({data['model']})…")
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
    choices = doc_choices(docs)  # admins only
    return render_documents(docs, details=True), gr.update(choices=choices, value=None), gr.update(choices=choices)


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
    yield log_md(lines), gr.update(), gr.update(), gr.update(), gr.update(value=None)
    for _ in run_reindex(ctx, lines):
        yield log_md(lines), gr.update(), gr.update(), gr.update(), gr.update()
    table, rm_choices, el_choices = after_change(ctx, request)
    doc_id = uploads.doc_id_for(dest, ctx.settings)
    if eligibility_hint(ctx, doc_id, lines):  # open the editor on it
        el_choices = gr.update(choices=el_choices["choices"], value=doc_id)
    yield log_md(lines), table, rm_choices, el_choices, gr.update()


def eligibility_hint(ctx: AppContext, doc_id: str, lines: list[str]) -> bool:
    """Say so when a newly indexed document states Eligibility clauses but has no entry yet (else the
    Eligibility tab would not know it, and nothing would say why)."""
    if doc_id not in ctx.assistant().manifest.docs:
        return False
    try:
        clauses = editor.document_clauses(ctx.settings, doc_id)
        if not clauses or editor.current_entry(ctx.settings, doc_id) is not None:
            return False
    except editor.EntryError:
        return False
    lines.append(f"It states {len(clauses)} Eligibility clause(s) but has no eligibility entry yet: add it under "
                 "“Eligibility of a programme” below, so that the Eligibility tab and the chat know the programme.")
    return True


def reindex_only(ctx: AppContext, request):
    require_admin(ctx, request)
    lines = ["Re-indexing the corpus folder…"]
    yield log_md(lines), gr.update(), gr.update(), gr.update()
    for _ in run_reindex(ctx, lines):
        yield log_md(lines), gr.update(), gr.update(), gr.update()
    yield (log_md(lines), *after_change(ctx, request))


def remove(ctx: AppContext, doc_id, confirmed, request):
    require_admin(ctx, request)
    # A missing choice or confirmation is a message beside the button, not an error that covers the form.
    unchanged = (gr.update(), gr.update(), gr.update(), gr.update())
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


# --- the eligibility editor (admins) ------------------------------------------------------------
EDITOR_FIELDS = ("id", "title", "names", "countries", "countries_clause", "roles", "roles_clause", "topics",
                 "topics_broad", "topics_clause", "not_clause", "not_applies")


def load_entry(ctx: AppContext, doc_id, request) -> list:
    """The editor filled for a document: its entry (or a start from its clauses), and its clauses to pick."""
    if not access.can(role_of(ctx, request), "manage_eligibility"):
        raise gr.Error("Only administrators may edit eligibility entries.")
    blank = [gr.update(value="", choices=[]) if f.endswith("clause") else gr.update() for f in EDITOR_FIELDS]
    if not doc_id:
        return ["", *blank]
    rec = ctx.assistant().manifest.docs.get(doc_id)
    try:
        if rec is None:
            raise editor.EntryError("that document is no longer in the index")
        clauses = editor.document_clauses(ctx.settings, doc_id)
        entry = editor.current_entry(ctx.settings, doc_id)
    except editor.EntryError as exc:
        return [f"⚠ {html.escape(str(exc))}", *blank]
    v = editor.form_values(entry)
    of = {k: [c["clause"] for c in clauses if c["kind"] == k] for k in editor.KINDS}

    def pick(kind: str, current: str = ""):
        offered = of[kind] + ([current] if current and current not in of[kind] else [])
        return gr.update(choices=offered, value=current or (offered[0] if len(offered) == 1 and kind != "not_eligible" else None))

    rule = next((r for r in v.get("not_eligible", []) if r["applies_to"] in ("country", "role")), {})
    if entry:
        note = f"Editing the entry **{html.escape(v['id'])}**. Each criterion must rest on a clause of this document."
    elif clauses:
        note = (f"No eligibility entry yet: {len(clauses)} clause(s) found in the document. Fill in the values each "
                "clause states, then save.")
    else:
        note = ("⚠ This document has no Eligibility clauses (lines starting 'Eligible countries:', 'Eligible roles:', "
                "'Topics:'). Add them to the document and upload it again.")
    pid = gr.update(value=v.get("id") or editor.slug(Path(doc_id).stem), interactive=not entry)  # an entry keeps its id
    return [note, pid, v.get("title") or rec.title, ", ".join(v.get("names", [])),
            ", ".join(editor.place_names(v.get("countries", []))), pick("eligible_countries", v.get("countries_clause", "")),
            v.get("roles", []), pick("eligible_roles", v.get("roles_clause", "")), ", ".join(v.get("topics", [])),
            v.get("topics_broad", False), pick("topics", v.get("topics_clause", "")),
            pick("not_eligible", rule.get("clause", "")), rule.get("applies_to") or "country"]


def save_entry(ctx: AppContext, doc_id, values: list, request) -> str:
    """Verify and save the entry; a message beside the button says what happened (nothing saved on a problem)."""
    if not access.can(role_of(ctx, request), "manage_eligibility"):
        raise gr.Error("Only administrators may edit eligibility entries.")
    if not doc_id:
        return "Choose a document first."
    form = dict(zip(EDITOR_FIELDS, values))
    form["not_eligible"] = [{"clause": form.pop("not_clause") or "", "applies_to": form.pop("not_applies") or ""}]
    rec = ctx.assistant().manifest.docs.get(doc_id)
    try:
        if rec is None:
            raise editor.EntryError("that document is no longer in the index")
        entry = editor.save_entry(ctx.settings, rec, form)
    except editor.EntryError as exc:
        return f"⚠ Not saved: {html.escape(str(exc))}"
    return (f"✓ Saved the eligibility entry **{html.escape(entry['id'])}** ({html.escape(entry['title'])}). The Eligibility "
            "tab, the chat and the API use it now.")


REMOVE_TEXT = {
    "choose": "Choose a document to remove first.",
    "confirm": "To remove it, tick “Yes, remove it from the index”, then press Remove again.",
    "gone": "That document is no longer in the index.",
}


# --- layout and wiring ------------------------------------------------------------------------
def build_editor():
    """The eligibility editor's components (inside the admin panel): document, fields, note, save, log."""
    gr.Markdown("### Eligibility of a programme\nPick an indexed programme description; each criterion must rest on "
                "a clause of its own text, checked word for word before anything is saved.")
    el_doc = gr.Dropdown(label="Document", choices=[], elem_id="pa-elig-doc")
    el_note = gr.Markdown("", elem_id="pa-elig-note")
    clause = dict(choices=[], allow_custom_value=True, filterable=True, min_width=320)  # a phone: a row of its own
    with gr.Row():
        el_id = gr.Textbox(label="Programme id", elem_id="pa-elig-id", max_length=60, scale=1)
        el_title = gr.Textbox(label="Programme title", elem_id="pa-elig-title", max_length=200, scale=2)
        el_names = gr.Textbox(label="Names a question may use (comma-separated)", elem_id="pa-elig-names", scale=2)
    with gr.Row():
        el_countries = gr.Textbox(label="Countries or regions (comma-separated; or 'any country', 'developing countries')",
                                  elem_id="pa-elig-countries", min_width=320)
        el_countries_clause = gr.Dropdown(label="…stated by the clause", elem_id="pa-elig-countries-clause", **clause)
    with gr.Row():
        el_roles = gr.Dropdown(label="Roles", choices=[(names[0], key) for key, names in ROLES.items()], multiselect=True,
                               elem_id="pa-elig-roles", min_width=320)
        el_roles_clause = gr.Dropdown(label="…stated by the clause", elem_id="pa-elig-roles-clause", **clause)
    with gr.Row():
        el_topics = gr.Textbox(label="Topic keywords (comma-separated)", elem_id="pa-elig-topics", min_width=320)
        el_broad = gr.Checkbox(label="Broad: another topic is 'depends'", elem_id="pa-elig-broad")
        el_topics_clause = gr.Dropdown(label="…stated by the clause", elem_id="pa-elig-topics-clause", **clause)
    with gr.Row():
        el_not_clause = gr.Dropdown(label="'Not eligible' clause (optional)", elem_id="pa-elig-not-clause", **clause)
        el_not_applies = gr.Radio(["country", "role"], value="country", label="It is about", elem_id="pa-elig-not-applies")
    el_save = gr.Button("Save the eligibility entry", variant="primary", elem_id="pa-elig-save")
    el_log = gr.Markdown("", elem_id="pa-elig-log")
    fields = [el_id, el_title, el_names, el_countries, el_countries_clause, el_roles, el_roles_clause, el_topics, el_broad,
              el_topics_clause, el_not_clause, el_not_applies]
    return el_doc, fields, el_note, el_save, el_log


def build(ctx: AppContext, lang=None) -> DocumentsTab:
    """Lay out the Documents tab (inside an open ``gr.Tab``) and wire its events. ``lang``: the language
    selector (the list's headings and messages; the admin panel stays English)."""
    lang = lang if lang is not None else gr.State(i18n.DEFAULT)
    doc_search = gr.Textbox(label=i18n.t("docs.search"), placeholder=i18n.t("docs.search_placeholder"), elem_id="pa-doc-search")
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
        el_doc, el_fields, el_note, el_save, el_log = build_editor()

    def on_search(query, selected, request: gr.Request):
        return search_docs(ctx, query, request, selected)

    def on_upload(file, title, audience, doc_type, request: gr.Request):
        yield from upload(ctx, file, title, audience, doc_type, request)

    def on_reindex(request: gr.Request):
        yield from reindex_only(ctx, request)

    def on_remove(doc_id, confirmed, request: gr.Request):
        return remove(ctx, doc_id, confirmed, request)

    def on_pick(doc_id, request: gr.Request):
        return load_entry(ctx, doc_id, request)

    def on_save(doc_id, pid, title, names, countries, countries_clause, roles, roles_clause, topics, broad, topics_clause,
                not_clause, not_applies, request: gr.Request):
        return save_entry(ctx, doc_id, [pid, title, names, countries, countries_clause, roles, roles_clause, topics, broad,
                                        topics_clause, not_clause, not_applies], request)

    def on_page(request: gr.Request):
        role = role_of(ctx, request)
        if not access.can(role, "manage_eligibility"):
            return gr.update(choices=[])
        return gr.update(choices=doc_choices(ctx.assistant().documents(role)))

    doc_search.change(on_search, [doc_search, lang], [doc_table], **UI_ONLY)
    ingest = dict(concurrency_limit=1, concurrency_id="ingest", **UI_ONLY)
    up_btn.click(on_upload, [up_file, up_title, up_audience, up_type], [admin_log, doc_table, rm_doc, el_doc, up_file],
                 **ingest)
    reindex_btn.click(on_reindex, None, [admin_log, doc_table, rm_doc, el_doc], **ingest)
    rm_btn.click(on_remove, [rm_doc, rm_ok], [remove_log, doc_table, rm_doc, el_doc, rm_ok], **ingest)
    el_doc.change(on_pick, [el_doc], [el_note, *el_fields], trigger_mode="always_last", **UI_ONLY)  # the last pick wins
    el_save.click(on_save, [el_doc, *el_fields], [el_log], **ingest)  # not while an ingestion runs
    el_doc.focus(on_page, None, [el_doc], **UI_ONLY)  # the documents as they are now, when the admin opens the list
    return DocumentsTab(doc_table, admin_box, rm_doc, doc_search)
