"""The Gradio UI: Ask (streamed, cited answers; saved conversations in a side panel), Documents (list;
upload and remove for admins), Eligibility (verdicts with their clauses), Insights (staff and admins). A thin shell: each tab is built by its module in
``assistant/web/tabs/``, and every answer, document and check comes from
:class:`~assistant.service.Assistant` through the shared :class:`~assistant.web.context.AppContext`.

Every piece of document or user text is passed through ``html.escape`` before it is put
into HTML, so a ``<script>`` in a document or a question shows as text.

The interface speaks the reader's language: on load it is the one kept in this browser (the language
selector's last choice) or else the best match for the browser's Accept-Language header
(:func:`assistant.i18n.pick_language`); the selector switches every label at once and keeps the choice.
A right-to-left language (Arabic) sets ``dir="rtl"`` on the app's content. Gradio's own ``gr.I18n``
is not used: it translates from the browser's locale only, so a selector could not switch it.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import gradio as gr

from assistant import access, i18n
from assistant.web.context import AppContext
from assistant.web.render import esc, filter_choices, render_documents
from assistant.web.tabs import UI_ONLY, ask, conversations, documents, eligibility, insights, role_of

# Sets the page's direction and language from the selector's value (the app's content, mirrored for Arabic).
SET_DIR_JS = """(lang) => {
  const rtl = RTL_CODES.includes(lang);
  for (const el of document.querySelectorAll('.gradio-container')) el.setAttribute('dir', rtl ? 'rtl' : 'ltr');
  document.documentElement.setAttribute('lang', lang || 'en');
}""".replace("RTL_CODES", repr([code for code in i18n.UI_LANGUAGES if i18n.is_rtl(code)]))


def header_html(ctx: AppContext, name: str | None, role: str, note: str = "", csrf: str = "", lang: str = i18n.DEFAULT) -> str:
    t = lambda key, **kw: esc(i18n.t(key, lang, **kw))  # noqa: E731
    logout = "/logout?" + urlencode({"csrf": csrf}) if csrf else "/logout"
    who = (i18n.t("header.signed_in", lang, name=f"<strong>{esc(name)}</strong>", role=esc(role))
           + f" · <a href='{esc(logout)}'>{t('header.sign_out')}</a>" if name else t("header.public"))
    direction = "rtl" if i18n.is_rtl(lang) else "ltr"
    return (f"<div class='pa-header' data-dir='{direction}' lang='{esc(i18n.base(lang))}'><h1>{t('app.title')}</h1><p class='pa-who'>{who}{note}</p>"
            f"<p class='pa-lead'>{t('header.lead')}</p></div>")


def choose_language(stored: str | None, request) -> str:
    """The language kept in this browser (the selector's last choice), else the Accept-Language header's best."""
    if stored in i18n.UI_LANGUAGES:
        return stored
    headers = getattr(request, "headers", None) or {}
    return i18n.pick_language(headers.get("accept-language"))


def _logout_csrf(ctx: AppContext, request) -> str:
    try:
        session = ctx.session_of(request)
    except Exception:  # a request without cookies (an API client of the Gradio app)
        return ""
    return session.csrf if session else ""


def _documents(ctx: AppContext, role: str, lang: str) -> tuple[list, str]:
    """The documents this role may see, and a note for the header when the index is not available."""
    try:
        docs = ctx.assistant().documents(role)
        note = ""
    except Exception as exc:
        docs, note = [], f" · <span class='pa-warn'>{esc(i18n.t('header.index_unavailable', lang, error=exc))}</span>"
    if ctx.error:
        note = f" · <span class='pa-warn'>{esc(ctx.error)}</span>"
    return docs, note


def _filter_updates(docs: list, lang: str, reset: bool) -> list:
    choices = filter_choices(docs)
    anyone = i18n.t("ask.any", lang)
    keep = {} if not reset else {"value": ""}
    return [gr.update(choices=[(anyone if v == "" else k, v) for k, v in choices[name]], **keep)
            for name in ("programme", "place", "year", "doc_type")]


def load_page(ctx: AppContext, request, lang: str = i18n.DEFAULT):
    """On page load: the header with who is signed in, the filters' choices, the documents, the admin panel."""
    role = role_of(ctx, request)
    name = getattr(request, "username", None)
    docs, note = _documents(ctx, role, lang)
    admin = access.can(role, "manage_documents")
    return (
        header_html(ctx, name, role, note, csrf=_logout_csrf(ctx, request), lang=lang),
        *_filter_updates(docs, lang, reset=True),
        render_documents(docs, details=access.can(role, "see_index_details"), lang=lang),
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
        kept_lang = gr.BrowserState("", storage_key="pa-language")  # the selector's last choice in this browser
        with gr.Row(elem_id="pa-top", equal_height=False):
            header = gr.HTML("<div class='pa-header'><h1>Programme documents assistant</h1></div>", elem_id="pa-header")
            language = gr.Dropdown(choices=[(name, code) for code, name in i18n.languages()], value=None,
                                   label=i18n.t("app.language"), elem_id="pa-lang", scale=0, min_width=150,
                                   interactive=True)

        def after_answer(conv, request: gr.Request):
            return conversations.after_answer(ctx, conv, request)

        with gr.Tabs():
            with gr.Tab("Ask", id="ask", elem_id="pa-tab-ask") as ask_t:
                ask_tab = ask.build(ctx, conv, after=(after_answer, [conv], [kept, panel[0]]), lang=language)
            with gr.Tab("Documents", id="documents", elem_id="pa-tab-docs") as docs_t:
                docs_tab = documents.build(ctx, lang=language)
            with gr.Tab("Eligibility", id="eligibility", elem_id="pa-tab-elig") as elig_t:
                elig_labelled = eligibility.build(ctx, lang=language)
            with gr.Tab("Insights", id="insights", elem_id="pa-tab-insights", visible=False) as insights_tab:
                on_insights, insights_io = insights.build(ctx)  # staff and admins only (shown on load)
        insights_tab.select(on_insights, **insights_io)
        labelled = [language, ask_t, docs_t, elig_t, insights_tab, *ask_tab.labelled, *elig_labelled,
                    *conversations.labelled_components(panel), docs_tab.search]

        def relabel(lang: str) -> list:
            t = lambda key: i18n.t(key, lang)  # noqa: E731
            return [gr.update(value=lang, label=t("app.language")),
                    *[gr.update(label=t(key)) for key in ("tab.ask", "tab.documents", "tab.eligibility", "tab.insights")],
                    *ask.relabel(lang), *eligibility.relabel(lang), *conversations.relabel(panel, lang),
                    *documents.relabel(lang)]

        def on_insights_access(request: gr.Request):
            return gr.update(visible=access.can(role_of(ctx, request), "see_insights"))

        def on_load(stored, request: gr.Request):
            lang = choose_language(stored, request)
            return (*load_page(ctx, request, lang), *relabel(lang))

        def on_language(lang, query, request: gr.Request):
            """The selector: every label at once, the header, the filters' "Any", the documents list; kept for this browser."""
            lang = lang if lang in i18n.UI_LANGUAGES else i18n.DEFAULT
            role = role_of(ctx, request)
            docs, note = _documents(ctx, role, lang)
            head = header_html(ctx, getattr(request, "username", None), role, note, csrf=_logout_csrf(ctx, request), lang=lang)
            table = render_documents(docs, query, details=access.can(role, "see_index_details"), lang=lang)
            return (head, *_filter_updates(docs, lang, reset=False), table, lang, *relabel(lang))

        def on_resume(kept, request: gr.Request):
            return conversations.on_page_load(ctx, kept, request)

        conversations.wire(ctx, panel, ask_tab.chat, conv, kept, lang=language)
        filters = [ask_tab.programme, ask_tab.place, ask_tab.year, ask_tab.doc_type]
        demo.load(on_load, [kept_lang], [header, *filters, docs_tab.table, docs_tab.admin_box, docs_tab.remove_choice,
                                         *labelled], **UI_ONLY).then(None, [language], None, js=SET_DIR_JS, **UI_ONLY)
        language.input(on_language, [language, docs_tab.search], [header, *filters, docs_tab.table, kept_lang, *labelled],
                       **UI_ONLY).then(None, [language], None, js=SET_DIR_JS, **UI_ONLY)
        demo.load(on_resume, [kept], [ask_tab.chat, conv, panel[0]], **UI_ONLY)
        demo.load(on_insights_access, None, insights_tab, **UI_ONLY)
    # Answers run on a few threads at once (the CPU-bound model is shared; more would only queue
    # inside torch); ingestion runs alone (concurrency_id "ingest"); at most 64 wait.
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo
