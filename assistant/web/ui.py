"""The Gradio UI: Ask (streamed, cited answers; saved conversations in a side panel), Documents (list;
upload and remove for admins), Eligibility (verdicts with their clauses), Insights (staff and admins). A thin shell: each tab is built by its module in
``assistant/web/tabs/``, and every answer, document and check comes from
:class:`~assistant.service.Assistant` through the shared :class:`~assistant.web.context.AppContext`.

Every piece of document or user text is passed through ``html.escape`` before it is put
into HTML, so a ``<script>`` in a document or a question shows as text.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import gradio as gr

from assistant import access
from assistant.web.context import AppContext
from assistant.web.render import esc, filter_choices, render_documents
from assistant.web.tabs import UI_ONLY, ask, conversations, documents, eligibility, insights, role_of


def header_html(ctx: AppContext, name: str | None, role: str, note: str = "", csrf: str = "") -> str:
    logout = "/logout?" + urlencode({"csrf": csrf}) if csrf else "/logout"
    who = (f"Signed in as <strong>{esc(name)}</strong> ({esc(role)}) · <a href='{esc(logout)}'>Sign out</a>"
           if name else "Public demo: you see public documents only")
    return (f"<div class='pa-header'><h1>Programme documents assistant</h1><p class='pa-who'>{who}{note}</p>"
            "<p class='pa-lead'>Ask about the criminal-justice programmes; every answer cites the documents and pages it comes from.</p></div>")


def _logout_csrf(ctx: AppContext, request) -> str:
    try:
        session = ctx.session_of(request)
    except Exception:  # a request without cookies (an API client of the Gradio app)
        return ""
    return session.csrf if session else ""


def load_page(ctx: AppContext, request):
    """On page load: the header with who is signed in, the filters' choices, the documents, the admin panel."""
    role = role_of(ctx, request)
    name = getattr(request, "username", None)
    try:
        docs = ctx.assistant().documents(role)
        note = ""
    except Exception as exc:
        docs, note = [], f" · <span class='pa-warn'>index not available: {esc(exc)}</span>"
    if ctx.error:
        note = f" · <span class='pa-warn'>{esc(ctx.error)}</span>"
    choices = filter_choices(docs)
    admin = access.can(role, "manage_documents")
    return (
        header_html(ctx, name, role, note, csrf=_logout_csrf(ctx, request)),
        *[gr.update(choices=choices[k], value="") for k in ("programme", "place", "year", "doc_type")],
        render_documents(docs, details=access.can(role, "see_index_details")),
        gr.update(visible=admin),
        gr.update(choices=documents.doc_choices(docs) if admin else [], value=None),
    )


def build_ui(ctx: AppContext) -> gr.Blocks:
    """The whole Blocks app: a header, then one tab per module of ``assistant/web/tabs/``."""
    # delete_cache: uploads land in Gradio's temp folder first; drop copies older than a day, hourly.
    with gr.Blocks(title="Programme documents assistant", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        conv = gr.State(None)
        # Which conversation this browser has open (public demo: the conversation itself). The key must outlive
        # a restart (Gradio's default is random per process); it guards nothing secret: the server checks owners.
        stable = hashlib.sha256(str(ctx.settings.feedback_db.resolve()).encode()).hexdigest()[:24]
        kept = gr.BrowserState(None, storage_key="pa-conversation", secret=stable)
        panel = conversations.build(ctx, conv, kept)
        header = gr.HTML("<div class='pa-header'><h1>Programme documents assistant</h1></div>", elem_id="pa-header")

        def after_answer(conv, request: gr.Request):
            return conversations.after_answer(ctx, conv, request)

        with gr.Tabs():
            with gr.Tab("Ask", id="ask", elem_id="pa-tab-ask"):
                ask_tab = ask.build(ctx, conv, after=(after_answer, [conv], [kept, panel[0]]))
            with gr.Tab("Documents", id="documents", elem_id="pa-tab-docs"):
                docs_tab = documents.build(ctx)
            with gr.Tab("Eligibility", id="eligibility", elem_id="pa-tab-elig"):
                eligibility.build(ctx)
            with gr.Tab("Insights", id="insights", elem_id="pa-tab-insights", visible=False) as insights_tab:
                on_insights, insights_io = insights.build(ctx)  # staff and admins only (shown on load)
        insights_tab.select(on_insights, **insights_io)

        def on_insights_access(request: gr.Request):
            return gr.update(visible=access.can(role_of(ctx, request), "see_insights"))

        def on_load(request: gr.Request):
            return load_page(ctx, request)

        def on_resume(kept, request: gr.Request):
            return conversations.on_page_load(ctx, kept, request)

        conversations.wire(ctx, panel, ask_tab.chat, conv, kept)
        demo.load(on_load, None, [header, ask_tab.programme, ask_tab.place, ask_tab.year, ask_tab.doc_type,
                                  docs_tab.table, docs_tab.admin_box, docs_tab.remove_choice], **UI_ONLY)
        demo.load(on_resume, [kept], [ask_tab.chat, conv, panel[0]], **UI_ONLY)
        demo.load(on_insights_access, None, insights_tab, **UI_ONLY)
    # Answers run on a few threads at once (the CPU-bound model is shared; more would only queue
    # inside torch); ingestion runs alone (concurrency_id "ingest"); at most 64 wait.
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo
