"""The Eligibility tab: which programmes may an official attend, each verdict with the clause behind it."""

from __future__ import annotations

import gradio as gr

from assistant.web.context import AppContext
from assistant.web.render import render_eligibility
from assistant.web.tabs import UI_ONLY, role_of


def check(ctx: AppContext, country, role, topic, request) -> str:
    """The verdicts table for a country and an official's role, as the reader may see them."""
    if not (country or "").strip() and not (role or "").strip():
        return render_eligibility(None)
    try:
        return render_eligibility(ctx.assistant().eligibility(country, role, topic, reader_role=role_of(ctx, request)))
    except ValueError as exc:
        return render_eligibility(None, error=str(exc))


def build(ctx: AppContext) -> None:
    """Lay out the Eligibility tab (inside an open ``gr.Tab``) and wire its events."""
    gr.Markdown("Which programmes may an official attend? Each verdict cites the clause it rests on.")
    with gr.Row():
        e_country = gr.Textbox(label="Country or region", placeholder="e.g. Viet Nam, VN, Southeast Asia",
                               elem_id="pa-elig-country")
        e_role = gr.Textbox(label="Role", placeholder="e.g. prosecutor, prison officer", elem_id="pa-elig-role")
        e_topic = gr.Textbox(label="Topic (optional)", placeholder="e.g. corruption", elem_id="pa-elig-topic")
    e_btn = gr.Button("Check", variant="primary", elem_id="pa-elig-btn")
    e_table = gr.HTML(render_eligibility(None), elem_id="pa-elig-result")

    def on_check(country, role, topic, request: gr.Request):
        return check(ctx, country, role, topic, request)

    e_io = dict(inputs=[e_country, e_role, e_topic], outputs=[e_table], **UI_ONLY)
    e_btn.click(on_check, **e_io)
    e_country.submit(on_check, **e_io)
    e_role.submit(on_check, **e_io)
