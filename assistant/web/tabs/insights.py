"""The Insights tab (staff and admins only): plots of questions per day, share declined, thumbs up/down
and answer latency; the most frequent declined questions and the latest thumbs-down, each one click
from a draft evaluation case. Filters: a date range and a role. Partners never get this tab or its data."""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant import access
from assistant.web import insights
from assistant.web.context import AppContext
from assistant.web.tabs import UI_ONLY, role_of

TEXT = {  # the tab's strings, in one place (for translations)
    "start": "From (YYYY-MM-DD)",
    "end": "To (YYYY-MM-DD)",
    "role": "Role",
    "any": "Any",
    "refresh": "Show",
    "questions": "Questions per day",
    "declined": "Share declined",
    "ratings": "Thumbs up and down",
    "latency": "Median answer latency (s)",
    "top": "Most frequent declined questions (the documents to add next): select one to draft an evaluation case",
    "downs": "Latest thumbs-down with comments: select one to draft an evaluation case",
    "case": "Draft evaluation case (YAML, as `python -m evals from-feedback` writes it): review it, then add it to a suite",
    "summary": "{questions} questions, {declined} declined, {up} thumbs up, {down} thumbs down.",
    "denied": "Insights are for staff and admins.",
}
TOP_COLUMNS = ["question", "times", "role"]
DOWN_COLUMNS = ["when", "question", "comment", "role", "id"]


def _frame(rows: list[dict[str, Any]], columns: list[str]):
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def show(ctx: AppContext, start: str, end: str, role: str, request) -> tuple:
    """Every plot and table for the filters; a clear message for a bad date; nothing for partners."""
    if not access.can(role_of(ctx, request), "see_insights"):
        raise gr.Error(TEXT["denied"], print_exception=False)
    try:
        audit = insights.keep(insights.read_audit(ctx.settings.audit_log), start, end, role)
        feedback = insights.keep(ctx.feedback.rows(), start, end, role)
    except ValueError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    series = insights.per_day(audit, feedback)
    summary = TEXT["summary"].format(questions=len(audit), declined=sum(r["declined"] for r in audit),
                                     up=sum(f["rating"] > 0 for f in feedback), down=sum(f["rating"] < 0 for f in feedback))
    return (
        summary,
        _frame(series["questions"], ["day", "questions"]),
        _frame(series["declined"], ["day", "share declined"]),
        _frame(series["ratings"], ["day", "rating", "count"]),
        _frame(series["latency"], ["day", "median latency (s)"]),
        _frame(insights.top_declined(audit), TOP_COLUMNS),
        _frame(insights.latest_down(feedback), DOWN_COLUMNS),
    )


def draft_case(ctx: AppContext, table: str, data: gr.SelectData, frame, request) -> str:
    """The draft case for the selected row (a declined question or a thumbs-down)."""
    if not access.can(role_of(ctx, request), "see_insights"):
        raise gr.Error(TEXT["denied"], print_exception=False)
    row_index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
    row = frame.iloc[int(row_index)].to_dict()
    if table == "downs":
        return insights.case_yaml(row, ctx.feedback.get(int(row["id"])))
    return insights.case_yaml(row)


def build(ctx: AppContext):
    """Lay out the tab (inside an open ``gr.Tab``) and wire its events; returns the Show button's event
    inputs and outputs so the page can fill the tab when a staff member opens it."""
    with gr.Row(equal_height=True):
        start = gr.Textbox(label=TEXT["start"], elem_id="pa-ins-start", max_length=10, min_width=140)
        end = gr.Textbox(label=TEXT["end"], elem_id="pa-ins-end", max_length=10, min_width=140)
        role = gr.Dropdown(label=TEXT["role"], choices=[(TEXT["any"], "")] + [(r, r) for r in access.ROLES], value="",
                           elem_id="pa-ins-role", min_width=120)
        refresh = gr.Button(TEXT["refresh"], variant="primary", elem_id="pa-ins-show", min_width=80)
    summary = gr.Markdown("", elem_id="pa-ins-summary")
    with gr.Row():
        questions = gr.BarPlot(x_label_angle=-45, x="day", y="questions", title=TEXT["questions"], elem_id="pa-ins-questions", min_width=300)
        declined = gr.LinePlot(x_label_angle=-45, x="day", y="share declined", title=TEXT["declined"], elem_id="pa-ins-declined", min_width=300)
    with gr.Row():
        ratings = gr.BarPlot(x_label_angle=-45, x="day", y="count", color="rating", title=TEXT["ratings"], elem_id="pa-ins-ratings", min_width=300)
        latency = gr.LinePlot(x_label_angle=-45, x="day", y="median latency (s)", title=TEXT["latency"], elem_id="pa-ins-latency", min_width=300)
    top = gr.Dataframe(headers=TOP_COLUMNS, label=TEXT["top"], interactive=False, elem_id="pa-ins-top", wrap=True)
    downs = gr.Dataframe(headers=DOWN_COLUMNS, label=TEXT["downs"], interactive=False, elem_id="pa-ins-downs", wrap=True)
    case = gr.Code(label=TEXT["case"], language="yaml", elem_id="pa-ins-case", interactive=False)

    def on_show(start, end, role, request: gr.Request):
        return show(ctx, start, end, role, request)

    def on_top(data: gr.SelectData, frame, request: gr.Request):
        return draft_case(ctx, "top", data, frame, request)

    def on_down(data: gr.SelectData, frame, request: gr.Request):
        return draft_case(ctx, "downs", data, frame, request)

    io = dict(inputs=[start, end, role], outputs=[summary, questions, declined, ratings, latency, top, downs], **UI_ONLY)
    refresh.click(on_show, **io)
    top.select(on_top, [top], case, **UI_ONLY)
    downs.select(on_down, [downs], case, **UI_ONLY)
    return on_show, io
