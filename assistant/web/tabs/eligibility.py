"""The Eligibility tab: which programmes may an official attend, each verdict with the clause behind it.

Labels, verdicts and messages follow the interface's language (the language selector's value); the
clauses stay verbatim in the documents' language, since they are what a verdict rests on."""

from __future__ import annotations

import html
import re

import gradio as gr

from assistant import crosslingual, i18n
from assistant.web.context import AppContext
from assistant.web.render import render_eligibility
from assistant.web.tabs import UI_ONLY, role_of

_VERDICT_SPAN = re.compile(r"(<span class='pa-verdict [^']*'>)(eligible|not eligible|depends)(</span>)")
_PAGE = re.compile(r", page (\d+) ↗</a>")  # the page of a clause's link
_SINCE = re.compile(r" · since (\d{4})</div>")  # a programme's start year under its title
_FIXED = (  # English pieces of render_eligibility's table -> their keys
    ("<th>Programme</th>", "<th>{}</th>", "elig.col_programme"),
    ("<th>Verdict</th>", "<th>{}</th>", "elig.col_verdict"),
    ("<th>Why (the clause behind it)</th>", "<th>{}</th>", "elig.col_why"),
    ("<p class=\"pa-muted\">Enter a country and a role, then press Check.</p>", "<p class=\"pa-muted\">{}</p>", "elig.empty"),
    ("<p>No programme you may see matches.</p>", "<p>{}</p>", "elig.none"),
)


def localise_table(table: str, lang: str | None) -> str:
    """The rendered verdicts table with its headings, verdicts and fixed messages in ``lang``."""
    if i18n.base(lang) == i18n.DEFAULT:
        return table
    out = _VERDICT_SPAN.sub(lambda m: m.group(1) + html.escape(i18n.verdict(m.group(2), lang)) + m.group(3), table)
    for english, pattern, key in _FIXED:
        out = out.replace(english, pattern.format(html.escape(i18n.t(key, lang))))
    out = _PAGE.sub(lambda m: ", " + html.escape(i18n.t("answer.page", lang, n=m.group(1))) + " ↗</a>", out)
    return _SINCE.sub(lambda m: " · " + html.escape(i18n.t("elig.since", lang, year=m.group(1))) + "</div>", out)


def localise_reasons(result: dict | None, lang: str | None) -> dict | None:
    """A copy of an eligibility result with its notices and each reason's text in ``lang`` (the clauses stay verbatim)."""
    if not result or i18n.base(lang) == i18n.DEFAULT:
        return result
    return {**result, "notices": [i18n.from_english(n, "note.", lang) or n for n in result.get("notices", [])],
            "programmes": [{**prog, "reasons": [{**r, "text": crosslingual.reasons(r["text"], lang)} for r in prog["reasons"]]}
                           for prog in result.get("programmes", [])]}


def check(ctx: AppContext, country, role, topic, request, lang: str | None = None) -> str:
    """The verdicts table for a country and an official's role, as the reader may see them."""
    if not (country or "").strip() and not (role or "").strip():
        return localise_table(render_eligibility(None), lang)
    try:
        result = ctx.assistant().eligibility(country, role, topic, reader_role=role_of(ctx, request))
        return localise_table(render_eligibility(localise_reasons(result, lang)), lang)
    except ValueError as exc:
        return render_eligibility(None, error=str(exc))


def relabel(lang: str) -> list:
    """Updates for the components :func:`build` returns (intro, country, role, topic, button, empty table)."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    rtl = i18n.is_rtl(lang)  # text boxes and Markdown set their own direction
    return [
        gr.update(value=t("elig.intro"), rtl=rtl),
        gr.update(label=t("elig.country"), placeholder=t("elig.country_placeholder"), rtl=rtl),
        gr.update(label=t("elig.role"), placeholder=t("elig.role_placeholder"), rtl=rtl),
        gr.update(label=t("elig.topic"), placeholder=t("elig.topic_placeholder"), rtl=rtl),
        gr.update(value=t("elig.button")),
    ]


def build(ctx: AppContext, lang=None) -> tuple:
    """Lay out the Eligibility tab (inside an open ``gr.Tab``) and wire its events; returns the components
    :func:`relabel` updates, in its order. ``lang``: the language selector."""
    lang = lang if lang is not None else gr.State(i18n.DEFAULT)
    intro = gr.Markdown(i18n.t("elig.intro"))
    with gr.Row():
        e_country = gr.Textbox(label=i18n.t("elig.country"), placeholder=i18n.t("elig.country_placeholder"),
                               elem_id="pa-elig-country")
        e_role = gr.Textbox(label=i18n.t("elig.role"), placeholder=i18n.t("elig.role_placeholder"), elem_id="pa-elig-role")
        e_topic = gr.Textbox(label=i18n.t("elig.topic"), placeholder=i18n.t("elig.topic_placeholder"), elem_id="pa-elig-topic")
    e_btn = gr.Button(i18n.t("elig.button"), variant="primary", elem_id="pa-elig-btn")
    e_table = gr.HTML(render_eligibility(None), elem_id="pa-elig-result")

    def on_check(country, role, topic, selected, request: gr.Request):
        return check(ctx, country, role, topic, request, selected)

    e_io = dict(inputs=[e_country, e_role, e_topic, lang], outputs=[e_table], **UI_ONLY)
    e_btn.click(on_check, **e_io)
    e_country.submit(on_check, **e_io)
    e_role.submit(on_check, **e_io)
    # a new language re-renders the table (the verdicts' words and headings) from the same inputs
    if not isinstance(lang, gr.State):
        lang.change(on_check, **e_io)
    return intro, e_country, e_role, e_topic, e_btn
