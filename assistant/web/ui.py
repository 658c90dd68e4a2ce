"""The Gradio UI: Ask (streamed, cited answers), Documents (list; upload and remove for admins),
Eligibility (verdicts with their clauses). A thin shell: every answer, document and check comes from
:class:`~assistant.service.Assistant` through the shared :class:`~assistant.api.AppContext`.

Every piece of document or user text is passed through ``html.escape`` before it is put
into HTML, so a ``<script>`` in a document or a question shows as text.
"""

from __future__ import annotations

import html
import logging
import queue
import threading
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.api import CITATION_KEYS, AppContext
from assistant.render import (
    esc,
    filter_choices,
    label,
    make_filters,
    render_answer,
    render_documents,
    render_draft,
    render_eligibility,
    render_error,
    render_status,
    render_user,
)
from assistant.types import DOC_TYPES

log = logging.getLogger(__name__)

EXAMPLES = (
    "When did Japan start supporting prison management in Myanmar?",
    "Which assistance strands does UNAFEI run in Southeast Asia?",
    "What does the Nepal programme support?",
    "Which ICC seminars were held in 2010?",
)


# The chatbot scrolls to its bottom; bring the start of the newest answer into view instead.
SHOW_ANSWER_JS = """() => { setTimeout(() => {
  const answers = document.querySelectorAll('#pa-chat .pa-answer');
  if (answers.length) answers[answers.length - 1].scrollIntoView({block: 'start'});
}, 800); }"""


# --- the Blocks app ---------------------------------------------------------------------------
def build_ui(ctx: AppContext) -> gr.Blocks:
    from assistant import uploads

    def role_of(request: gr.Request | None) -> str:
        try:
            return ctx.role_for(getattr(request, "username", None))
        except PermissionError as exc:
            raise gr.Error(str(exc)) from None

    def new_conv() -> dict[str, Any]:
        return {"display": [], "turns": [], "records": {}, "feedback": {}, "comment_for": None}

    # --- Ask ------------------------------------------------------------------------------
    def ask(question, conv, programme, place, year, doc_type, request: gr.Request):
        conv = conv or new_conv()
        text = (question or "").strip()
        if not text:
            gr.Warning("Type a question first.")
            yield gr.update(), conv["display"], conv
            return
        role = role_of(request)
        display = conv["display"] + [{"role": "user", "content": render_user(text)},
                                     {"role": "assistant", "content": render_status("Searching the documents…")}]
        index = len(display) - 1
        yield "", display, conv
        searched = None
        try:
            assistant = ctx.assistant()
            for event in assistant.stream(text, conv["turns"], role, make_filters(programme, place, year, doc_type)):
                if event["type"] == "searched_for":
                    searched = event["query"] if event["rewritten"] else None
                    display[index] = {"role": "assistant", "content": render_status("Reading the passages found…", searched)}
                elif event["type"] == "draft":
                    display[index] = {"role": "assistant", "content": render_draft(event["text"], searched)}
                elif event["type"] == "answer":
                    answer = event["answer"]
                    display[index] = {"role": "assistant", "content": render_answer(answer, f"src-{index}")}
                    conv["turns"] = conv["turns"] + [{"role": "user", "content": answer.question},
                                                     {"role": "assistant", "content": answer.text}]
                    conv["records"][index] = {
                        "question": answer.question, "answer": answer.text, "role": role,
                        "citations": [{k: getattr(c, k) for k in CITATION_KEYS} for c in answer.citations],
                        "settings_hash": answer.settings_hash, "index_version": answer.index_version,
                    }
                yield "", display, conv
        except ValueError as exc:
            display[index] = {"role": "assistant", "content": render_error(str(exc))}
        except Exception as exc:  # a broken index or model must show as a message, not a stack trace
            log.exception("answering failed")
            display[index] = {"role": "assistant", "content": render_error(f"The assistant is not available ({type(exc).__name__}: {exc}).")}
        conv["display"] = display
        yield "", display, conv

    def clear():
        conv = new_conv()
        return conv["display"], conv, gr.update(visible=False), ""

    def on_like(data: gr.LikeData, conv, request: gr.Request):
        conv = conv or new_conv()
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        record = conv["records"].get(index)
        rating = 1 if data.liked in (True, "Like") else -1 if data.liked in (False, "Dislike") else None
        if record is None or rating is None:
            return gr.update(visible=False), gr.update(), "", conv
        fid = conv["feedback"].get(index)
        if fid is None:
            fid = ctx.feedback.add(record["question"], record["answer"], record["citations"], rating, "", record["role"],
                                   record["settings_hash"], user=getattr(request, "username", None),
                                   index_version=record["index_version"])
            conv["feedback"][index] = fid
        else:
            ctx.feedback.update(fid, rating=rating)
        conv["comment_for"] = index
        word = "helpful" if rating > 0 else "not helpful"
        return (gr.update(visible=True), gr.update(value=""), f"Saved: marked {word}. Add a comment below if you like.", conv)

    def send_comment(comment, conv):
        conv = conv or new_conv()
        fid = conv["feedback"].get(conv.get("comment_for"))
        if fid is None:
            return gr.update(visible=False), "", "Rate an answer first (thumbs up or down).", conv
        ctx.feedback.update(fid, comment=comment or "")
        conv["comment_for"] = None
        return gr.update(visible=False), "", "Thank you: your feedback was saved.", conv

    # --- Documents ----------------------------------------------------------------------------
    def load_page(request: gr.Request):
        role = role_of(request)
        name = getattr(request, "username", None)
        try:
            docs = ctx.assistant().documents(role)
            note = ""
        except Exception as exc:
            docs, note = [], f" · <span class='pa-warn'>index not available: {esc(exc)}</span>"
        if ctx.error:
            note = f" · <span class='pa-warn'>{esc(ctx.error)}</span>"
        who = (f"Signed in as <strong>{esc(name)}</strong> ({esc(role)}) · <a href='/logout'>Sign out</a>"
               if name else "Public demo: you see public documents only")
        header = (f"<div class='pa-header'><h1>Programme documents assistant</h1><p class='pa-who'>{who}{note}</p>"
                  "<p class='pa-lead'>Ask about the criminal-justice programmes; every answer cites the documents and pages it comes from.</p></div>")
        choices = filter_choices(docs)
        admin = role == "admin"
        return (
            header,
            *[gr.update(choices=choices[k], value="") for k in ("programme", "place", "year", "doc_type")],
            render_documents(docs),
            gr.update(visible=admin),
            gr.update(choices=doc_choices(docs) if admin else [], value=None),
        )

    def doc_choices(docs) -> list[tuple[str, str]]:
        return [(f"{d.title} ({d.doc_id})", d.doc_id) for d in docs]

    def eligibility(country, role, topic, request: gr.Request):
        if not (country or "").strip() and not (role or "").strip():
            return render_eligibility(None)
        try:
            return render_eligibility(ctx.assistant().eligibility(country, role, topic, reader_role=role_of(request)))
        except ValueError as exc:
            return render_eligibility(None, error=str(exc))

    def search_docs(query, request: gr.Request):
        return render_documents(ctx.assistant().documents(role_of(request)), query)

    def require_admin(request) -> None:
        if role_of(request) != "admin":
            raise gr.Error("Only administrators may change the documents.")

    def run_reindex(log_lines: list[str]):
        """Sync the corpus folder in a thread and yield log lines as its progress events arrive."""
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

    def after_change(request):
        docs = ctx.assistant().documents(role_of(request))
        return render_documents(docs), gr.update(choices=doc_choices(docs), value=None)

    def upload(file, title, audience, doc_type, request: gr.Request):
        require_admin(request)
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
        for _ in run_reindex(lines):
            yield log_md(lines), gr.update(), gr.update(), gr.update()
        yield (log_md(lines), *after_change(request), gr.update())

    def reindex_only(request: gr.Request):
        require_admin(request)
        lines = ["Re-indexing the corpus folder…"]
        yield log_md(lines), gr.update(), gr.update()
        for _ in run_reindex(lines):
            yield log_md(lines), gr.update(), gr.update()
        yield (log_md(lines), *after_change(request))

    def remove(doc_id, confirmed, request: gr.Request):
        require_admin(request)
        if not doc_id:
            raise gr.Error("Choose a document to remove.")
        if not confirmed:
            raise gr.Error("Tick the confirmation box first.")
        try:
            rec, deleted = uploads.remove(doc_id, ctx.settings, store=ctx.assistant().store)
        except KeyError:
            raise gr.Error("That document is no longer in the index.") from None
        note = ("Its uploaded file was deleted." if deleted else
                "Its file is outside uploads/, so it was left on disk and will return at the next re-index unless you delete it.")
        return (log_md([f"Removed {rec.doc_id}. {note}"]), *after_change(request), False)

    # --- layout -----------------------------------------------------------------------------------
    # delete_cache: uploads land in Gradio's temp folder first; drop copies older than a day, hourly.
    with gr.Blocks(title="Programme documents assistant", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        conv = gr.State(None)
        header = gr.HTML("<div class='pa-header'><h1>Programme documents assistant</h1></div>", elem_id="pa-header")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask", elem_id="pa-tab-ask"):
                with gr.Accordion("Filters", open=False, elem_id="pa-filters"):
                    with gr.Row(equal_height=True):
                        f_programme = gr.Dropdown(label="Programme", choices=[("Any", "")], value="", min_width=160)
                        f_place = gr.Dropdown(label="Country or region", choices=[("Any", "")], value="", min_width=160)
                        f_year = gr.Dropdown(label="Year", choices=[("Any", "")], value="", min_width=100)
                        f_type = gr.Dropdown(label="Document type", choices=[("Any", "")], value="", min_width=160)
                chat = gr.Chatbot(
                    elem_id="pa-chat", label="Conversation", show_label=False, layout="panel", height="58vh", min_height=320, latex_delimiters=[],
                    examples=[{"text": q} for q in EXAMPLES], buttons=["copy"],
                    placeholder="<div class='pa-placeholder'><strong>Ask a question about the programme documents.</strong>"
                                "<br>Answers cite their sources; open a source to read the passage in context.</div>",
                )
                with gr.Row(elem_id="pa-ask-row", equal_height=True):
                    question = gr.Textbox(label="Your question", show_label=False, container=False,
                                          placeholder="Ask a question, e.g. When did the Nepal programme start?",
                                          elem_id="pa-question", scale=6, lines=1, max_lines=6, autofocus=True)
                    ask_btn = gr.Button("Ask", variant="primary", elem_id="pa-ask", scale=1, min_width=70)
                    clear_btn = gr.Button("New chat", elem_id="pa-clear", scale=1, min_width=70)
                feedback_note = gr.Markdown("", elem_id="pa-feedback-note")
                with gr.Row(visible=False, elem_id="pa-comment-row") as comment_row:
                    comment = gr.Textbox(label="Comment on this answer (optional)", elem_id="pa-comment", scale=5,
                                         max_length=2000)
                    comment_btn = gr.Button("Send comment", elem_id="pa-comment-send", scale=1, min_width=80)
            with gr.Tab("Documents", id="documents", elem_id="pa-tab-docs"):
                doc_search = gr.Textbox(label="Search by title", placeholder="e.g. Nepal", elem_id="pa-doc-search")
                doc_table = gr.HTML("", elem_id="pa-doc-table")
                with gr.Column(visible=False, elem_id="pa-admin", variant="panel") as admin_box:
                    gr.Markdown("### Add or update a document\nSupported: " + ", ".join(uploads.supported_suffixes())
                                + f"; at most {ctx.settings.upload_max_mb:g} MB. A file with the same name replaces the old one.")
                    with gr.Row():
                        up_file = gr.File(label="File", file_types=list(uploads.supported_suffixes()), elem_id="pa-upload")
                        with gr.Column():
                            up_title = gr.Textbox(label="Title (optional)", elem_id="pa-upload-title", max_length=200)
                            up_audience = gr.Dropdown(label="Who may see it", choices=list(uploads.AUDIENCES), value="staff",
                                                      elem_id="pa-upload-audience")
                            up_type = gr.Dropdown(label="Document type", choices=[(label(t), t) for t in DOC_TYPES],
                                                  value="document", elem_id="pa-upload-type")
                    with gr.Row():
                        up_btn = gr.Button("Upload and re-index", variant="primary", elem_id="pa-upload-btn")
                        reindex_btn = gr.Button("Re-index the corpus folder", elem_id="pa-reindex-btn")
                    gr.Markdown("### Remove a document")
                    with gr.Row():
                        rm_doc = gr.Dropdown(label="Document", choices=[], elem_id="pa-remove-doc", scale=4)
                        rm_ok = gr.Checkbox(label="Yes, remove it from the index", elem_id="pa-remove-ok", scale=1)
                        rm_btn = gr.Button("Remove", variant="stop", elem_id="pa-remove-btn", scale=1)
                    admin_log = gr.Markdown("", elem_id="pa-admin-log")
            with gr.Tab("Eligibility", id="eligibility", elem_id="pa-tab-elig"):
                gr.Markdown("Which programmes may an official attend? Each verdict cites the clause it rests on.")
                with gr.Row():
                    e_country = gr.Textbox(label="Country or region", placeholder="e.g. Viet Nam, VN, Southeast Asia",
                                           elem_id="pa-elig-country")
                    e_role = gr.Textbox(label="Role", placeholder="e.g. prosecutor, prison officer", elem_id="pa-elig-role")
                    e_topic = gr.Textbox(label="Topic (optional)", placeholder="e.g. corruption", elem_id="pa-elig-topic")
                e_btn = gr.Button("Check", variant="primary", elem_id="pa-elig-btn")
                e_table = gr.HTML(render_eligibility(None), elem_id="pa-elig-result")

        # --- wiring (UI-only events: the REST API under /api is the programmatic interface) ---------------
        ui = dict(api_visibility="private")
        ask_io = dict(inputs=[question, conv, f_programme, f_place, f_year, f_type], outputs=[question, chat, conv], **ui)
        question.submit(ask, **ask_io).then(None, js=SHOW_ANSWER_JS, **ui)
        ask_btn.click(ask, **ask_io).then(None, js=SHOW_ANSWER_JS, **ui)
        chat.example_select(pick_example, None, question, **ui).then(ask, **ask_io).then(None, js=SHOW_ANSWER_JS, **ui)
        clear_btn.click(clear, None, [chat, conv, comment_row, feedback_note], **ui)
        feedback_io = dict(outputs=[comment_row, comment, feedback_note, conv], **ui)
        chat.like(on_like, [conv], **feedback_io)
        comment.submit(send_comment, [comment, conv], **feedback_io)
        comment_btn.click(send_comment, [comment, conv], **feedback_io)
        doc_search.change(search_docs, [doc_search], [doc_table], **ui)
        ingest = dict(concurrency_limit=1, concurrency_id="ingest", **ui)
        up_btn.click(upload, [up_file, up_title, up_audience, up_type], [admin_log, doc_table, rm_doc, up_file], **ingest)
        reindex_btn.click(reindex_only, None, [admin_log, doc_table, rm_doc], **ingest)
        rm_btn.click(remove, [rm_doc, rm_ok], [admin_log, doc_table, rm_doc, rm_ok], **ingest)
        e_io = dict(inputs=[e_country, e_role, e_topic], outputs=[e_table], **ui)
        e_btn.click(eligibility, **e_io)
        e_country.submit(eligibility, **e_io)
        e_role.submit(eligibility, **e_io)
        demo.load(load_page, None, [header, f_programme, f_place, f_year, f_type, doc_table, admin_box, rm_doc], **ui)
    # Answers run on a few threads at once (the CPU-bound model is shared; more would only queue
    # inside torch); ingestion runs alone (concurrency_id "ingest" above); at most 64 wait.
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def theme():
    """Blue accents and the reader's own system fonts (nothing fetched from a font service)."""
    return gr.themes.Default(primary_hue="blue", font=["system-ui", "ui-sans-serif", "Segoe UI", "Roboto", "sans-serif"],
                             font_mono=["ui-monospace", "SFMono-Regular", "Consolas", "monospace"])


def pick_example(data: gr.SelectData) -> str:
    value = data.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


CSS = """
.gradio-container {max-width: 1100px !important; width: 100% !important; margin: 0 auto !important}
/* Gradio scopes rules inside @media to its content area, so the outer padding shrinks with clamp() instead */
.gradio-container .main.app {padding-left: clamp(6px, 5vw - 14px, 32px) !important; padding-right: clamp(6px, 5vw - 14px, 32px) !important}
.pa-header h1 {font-size: 1.4rem; margin: .2rem 0}
.pa-header p {margin: .15rem 0}
.pa-who {font-size: .9rem; color: var(--body-text-color-subdued)}
.pa-lead {font-size: .95rem}
.pa-warn {color: #b45309}
.pa-q {white-space: pre-wrap}
.pa-answer p {margin: .3rem 0}
.pa-searched {font-size: .85rem; color: var(--body-text-color-subdued)}
.pa-status {font-style: italic; color: var(--body-text-color-subdued)}
a.pa-cite {font-weight: 600; text-decoration: none; padding: 0 .1rem; border-radius: 3px}
a.pa-cite:hover, a.pa-cite:focus {text-decoration: underline; outline: 2px solid var(--color-accent-soft)}
.pa-unsupported {color: #b45309; font-size: .85em}
.pa-notice {border-left: 4px solid #d97706; background: rgba(217,119,6,.08); padding: .5rem .75rem; border-radius: 4px}
.pa-notices {font-size: .85rem; color: var(--body-text-color-subdued); margin: .3rem 0 .3rem 1.1rem; padding: 0}
.pa-sources {margin-top: .6rem}
.pa-sources-h {font-weight: 600; font-size: .9rem; margin-bottom: .25rem !important}
.pa-source {border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .7rem; margin: .4rem 0;
            background: var(--background-fill-secondary); scroll-margin-top: 1rem}
.pa-source:target {outline: 3px solid var(--color-accent); outline-offset: 1px}
.pa-meta {font-size: .8rem; color: var(--body-text-color-subdued); overflow-wrap: anywhere}
.pa-passage {margin: .35rem 0 !important; padding: .1rem 0 .1rem .6rem !important; border-left: 3px solid var(--border-color-accent);
             font-size: .88rem; overflow-wrap: anywhere}
.pa-passage mark {background: #fde68a; color: #111; padding: 0 .1rem}
.pa-open {font-size: .85rem}
.pa-error {color: #b91c1c}
.pa-placeholder {text-align: center; opacity: .85}
#pa-ask-row {align-items: stretch; gap: .5rem}
.pa-table-wrap {overflow-x: auto}
table.pa-docs {width: 100%; border-collapse: collapse; font-size: .9rem; border: 0 !important}
table.pa-docs a, .pa-answer a {padding: 0 !important}
table.pa-docs tr {border: 0 !important}
table.pa-docs caption {text-align: left; font-size: .85rem; color: var(--body-text-color-subdued); padding: .3rem 0}
table.pa-docs th, table.pa-docs td {text-align: left; padding: .45rem .5rem; border: 0 !important;
                                    border-bottom: 1px solid var(--border-color-primary) !important; vertical-align: top}
table.pa-docs td.num {text-align: right}
.pa-id {font-size: .75rem; color: var(--body-text-color-subdued); overflow-wrap: anywhere}
.pa-empty {color: var(--body-text-color-subdued)}
@media (max-width: 640px) {
  .pa-header h1 {font-size: 1.15rem}
  .pa-lead {display: none}
  table.pa-docs thead {display: none}
  table.pa-docs caption {display: block; width: 100%}
  table.pa-docs, table.pa-docs tbody, table.pa-docs tr {display: block; width: 100%}
  table.pa-docs tr {padding: .5rem 0; border-bottom: 1px solid var(--border-color-primary)}
  table.pa-docs td {display: inline-block; border: 0 !important; padding: .1rem .6rem .1rem 0; font-size: .8rem}
  table.pa-docs td.pa-doc-title {display: block; font-size: .95rem}
  table.pa-docs td[data-label]::before {content: attr(data-label) ": "; color: var(--body-text-color-subdued)}
  #pa-ask-row {flex-wrap: wrap}
  #pa-question {min-width: 100% !important; flex-basis: 100% !important}
  #pa-ask-row > button {flex: 1 1 40% !important}
}
.pa-elig-table {width: 100%; border-collapse: collapse}
.pa-elig-table th, .pa-elig-table td {text-align: left; vertical-align: top; padding: 8px; border-bottom: 1px solid #e5e7eb}
.pa-verdict {font-weight: 600; padding: 2px 8px; border-radius: 10px; white-space: nowrap}
.pa-yes {background: #dcfce7; color: #166534} .pa-no {background: #fee2e2; color: #991b1b} .pa-maybe {background: #fef9c3; color: #854d0e}
.pa-reasons {margin: 0; padding-left: 18px} .pa-clause {font-style: italic}
@media (max-width: 600px) {.pa-elig-table thead {display: none} .pa-elig-table td {display: block; border: 0; padding: 4px 0}
  .pa-elig-table tr {display: block; border-bottom: 1px solid #e5e7eb; padding: 8px 0}}
"""
