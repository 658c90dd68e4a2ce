"""The Ask tab: filters, the chat with streamed, cited answers, and thumbs up/down with a comment."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant import crosslingual, i18n
from assistant.lang import detect
from assistant.service import has_words
from assistant.web.context import CITATION_KEYS, AppContext
from assistant.web.render import (
    esc,
    make_filters,
    render_answer,
    render_draft,
    render_error,
    render_status,
    render_user,
)
from assistant.web.tabs import UI_ONLY, role_of
from assistant.web.tabs.conversations import new_conv, persist

log = logging.getLogger(__name__)

EXAMPLES = (
    "When did Japan start supporting prison management in Myanmar?",
    "Which assistance strands does UNAFEI run in Southeast Asia?",
    "What does the Nepal programme support?",
    "Which ICC seminars were held in 2010?",
)

# The chatbot scrolls to its bottom; bring the start of the newest answer into view instead.
SHOW_COMMENT_JS = """() => { setTimeout(() => {
  const box = document.querySelector('#pa-comment-row');
  if (box) box.scrollIntoView({block: 'nearest'});
}, 300); }"""
SHOW_ANSWER_JS = """() => { setTimeout(() => {
  const answers = document.querySelectorAll('#pa-chat .pa-answer');
  if (answers.length) answers[answers.length - 1].scrollIntoView({block: 'start'});
}, 800); }"""


@dataclass
class AskTab:
    """The components other parts of the page fill in (the filters' choices on load, the labels in the
    reader's language: ``labelled`` in the order :func:`relabel` updates them)."""

    programme: Any
    place: Any
    year: Any
    doc_type: Any
    chat: Any = None
    labelled: tuple = ()


def placeholder_html(lang: str) -> str:
    return (f"<div class='pa-placeholder'><strong>{esc(i18n.t('ask.intro', lang))}</strong>"
            f"<br>{esc(i18n.t('ask.placeholder_more', lang))}</div>")


def relabel(lang: str) -> list:
    """Updates for ``AskTab.labelled`` (chat, question, ask, new chat, filters, 4 filter labels, comment, send)."""
    t = lambda key: i18n.t(key, lang)  # noqa: E731
    rtl = i18n.is_rtl(lang)  # the chat and text boxes set their own direction
    return [
        gr.update(placeholder=placeholder_html(lang), label=t("ask.conversation"), rtl=rtl),
        gr.update(label=t("ask.question"), placeholder=t("ask.question_placeholder"), rtl=rtl),
        gr.update(value=t("ask.button")), gr.update(value=t("ask.new_chat")), gr.update(label=t("ask.filters")),
        gr.update(label=t("ask.programme")), gr.update(label=t("ask.country")), gr.update(label=t("ask.year")),
        gr.update(label=t("ask.doc_type")), gr.update(label=t("ask.comment"), rtl=rtl), gr.update(value=t("ask.send_comment")),
    ]


def reader_language(question: str, selected: str | None) -> str | None:
    """The language the answer is for: the question's own when it shows one (None: the service detects it),
    the interface's when the question is too short or ambiguous to tell ("Myanmar?")."""
    if not selected or detect(question, default=""):
        return None
    return i18n.base(selected)


# --- handlers ---------------------------------------------------------------------------------
def ask(ctx: AppContext, question, conv, programme, place, year, doc_type, request, lang: str | None = None):
    """Stream one answer into the chat: status lines, then the draft, then the checked answer.
    ``lang``: the interface's language (messages; the answer's when the question does not show one)."""
    conv = conv or new_conv()
    text = (question or "").strip()
    if not text:
        gr.Warning(i18n.t("status.type_first", lang))
        yield gr.update(), conv["display"], conv
        return
    if not has_words(text):
        display = conv["display"] + [{"role": "user", "content": render_user(text)},
                                     {"role": "assistant", "content": render_error(i18n.t("ask.no_words", lang, text=text[:40]), lang)}]
        conv["display"] = display
        yield "", display, conv
        return
    role = role_of(ctx, request)
    asked_in = reader_language(text, lang)
    # the answer card's words: the question's language where the interface has it, else the interface's
    shown_in = asked_in or crosslingual.reader_language(text)
    shown_in = shown_in if i18n.base(shown_in) in i18n.UI_LANGUAGES else lang
    display = conv["display"] + [{"role": "user", "content": render_user(text)},
                                 {"role": "assistant", "content": render_status(i18n.t("status.searching", lang))}]
    index = len(display) - 1
    yield "", display, conv
    searched = answer = None
    try:
        assistant = ctx.assistant()
        filters = make_filters(programme, place, year, doc_type)
        for event in assistant.stream(text, conv["turns"], role, filters, user=getattr(request, "username", None),
                                      lang=asked_in):
            if event["type"] == "searched_for":
                searched = event["query"] if event["rewritten"] else None
                display[index] = {"role": "assistant", "content": render_status(i18n.t("status.reading", lang), searched, shown_in)}
            elif event["type"] == "draft":
                display[index] = {"role": "assistant", "content": render_draft(event["text"], searched, shown_in)}
            elif event["type"] == "answer":
                answer = event["answer"]
                display[index] = {"role": "assistant", "content": render_answer(answer, f"src-{index}", shown_in)}
                conv["turns"] = conv["turns"] + [{"role": "user", "content": answer.question},
                                                 {"role": "assistant", "content": answer.text}]
                conv["records"][index] = {
                    "question": answer.question, "answer": answer.text, "role": role,
                    "citations": [{k: getattr(c, k) for k in CITATION_KEYS} for c in answer.citations],
                    "settings_hash": answer.settings_hash, "index_version": answer.index_version,
                }
            yield "", display, conv
    except ValueError as exc:
        display[index] = {"role": "assistant", "content": render_error(str(exc), lang)}
    except Exception as exc:  # a broken index or model must show as a message, not a stack trace
        log.exception("answering failed")
        display[index] = {"role": "assistant", "content": render_error(
            i18n.t("status.unavailable", lang, error=f"{type(exc).__name__}: {exc}"), lang)}
    conv["display"] = display
    if answer is not None:
        try:
            persist(ctx, conv, getattr(request, "username", None), answer, index)
        except Exception:  # an answer shown must not be lost to a database hiccup; say so in the log
            log.exception("could not save the conversation")
    yield "", display, conv


def clear():
    conv = new_conv()
    return conv["display"], conv, gr.update(visible=False), ""


def rate(ctx: AppContext, data, conv, request, lang: str | None = None):
    """Store a thumbs up or down on an answer (a second click changes it) and offer a comment box."""
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
    saved = i18n.t("feedback.saved_helpful" if rating > 0 else "feedback.saved_unhelpful", lang)
    return (gr.update(visible=True), gr.update(value=""), saved, conv)


def send_comment(ctx: AppContext, comment, conv, lang: str | None = None):
    conv = conv or new_conv()
    fid = conv["feedback"].get(conv.get("comment_for"))
    if fid is None:
        return gr.update(visible=False), "", i18n.t("feedback.rate_first", lang), conv
    ctx.feedback.update(fid, comment=comment or "")
    conv["comment_for"] = None
    return gr.update(visible=False), "", i18n.t("feedback.thanks", lang), conv


def pick_example(data: gr.SelectData) -> str:
    value = data.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


# --- layout and wiring ------------------------------------------------------------------------
def build(ctx: AppContext, conv: gr.State, after=None, lang=None) -> AskTab:
    """Lay out the Ask tab (inside an open ``gr.Tab``) and wire its events; ``after`` is
    ``(fn, inputs, outputs)`` run once each answer (or a new chat) is done (saving the conversation);
    ``lang`` is the language selector (its value is passed to the handlers)."""
    lang = lang if lang is not None else gr.State(i18n.DEFAULT)
    chat = gr.Chatbot(
        elem_id="pa-chat", label="Conversation", show_label=False, layout="panel", height="58vh", min_height=320, latex_delimiters=[],
        examples=[{"text": q} for q in EXAMPLES], buttons=["copy"],
        placeholder=placeholder_html("en"),
    )
    with gr.Row(elem_id="pa-ask-row", equal_height=True):
        question = gr.Textbox(label="Your question", show_label=False, container=False,
                              placeholder="Ask a question, e.g. When did the Nepal programme start?",
                              elem_id="pa-question", scale=6, lines=1, max_lines=6, autofocus=True)
        ask_btn = gr.Button("Ask", variant="primary", elem_id="pa-ask", scale=1, min_width=70)
        clear_btn = gr.Button("New chat", elem_id="pa-clear", scale=1, min_width=70)
    # below the question box, so that opening the filters never pushes it off screen
    with gr.Accordion("Filters", open=False, elem_id="pa-filters") as filters:
        with gr.Row(equal_height=True):
            f_programme = gr.Dropdown(label="Programme", choices=[("Any", "")], value="", min_width=160)
            f_place = gr.Dropdown(label="Country or region", choices=[("Any", "")], value="", min_width=160)
            f_year = gr.Dropdown(label="Year", choices=[("Any", "")], value="", min_width=100)
            f_type = gr.Dropdown(label="Document type", choices=[("Any", "")], value="", min_width=160)
    feedback_note = gr.Markdown("", elem_id="pa-feedback-note")
    with gr.Row(visible=False, elem_id="pa-comment-row") as comment_row:
        comment = gr.Textbox(label="Comment on this answer (optional)", elem_id="pa-comment", scale=5, max_length=2000)
        comment_btn = gr.Button("Send comment", elem_id="pa-comment-send", scale=1, min_width=80)

    def on_ask(question, conv, programme, place, year, doc_type, selected, request: gr.Request):
        yield from ask(ctx, question, conv, programme, place, year, doc_type, request, selected)

    def on_like(data: gr.LikeData, conv, selected, request: gr.Request):
        return rate(ctx, data, conv, request, selected)

    def on_comment(comment, conv, selected):
        return send_comment(ctx, comment, conv, selected)

    def then_after(event):
        return event.then(*after, **UI_ONLY) if after else event

    ask_io = dict(inputs=[question, conv, f_programme, f_place, f_year, f_type, lang], outputs=[question, chat, conv], **UI_ONLY)
    then_after(question.submit(on_ask, **ask_io)).then(None, js=SHOW_ANSWER_JS, **UI_ONLY)
    then_after(ask_btn.click(on_ask, **ask_io)).then(None, js=SHOW_ANSWER_JS, **UI_ONLY)
    then_after(chat.example_select(pick_example, None, question, **UI_ONLY).then(on_ask, **ask_io)).then(None, js=SHOW_ANSWER_JS, **UI_ONLY)
    then_after(clear_btn.click(clear, None, [chat, conv, comment_row, feedback_note], **UI_ONLY))
    feedback_io = dict(outputs=[comment_row, comment, feedback_note, conv], **UI_ONLY)
    chat.like(on_like, [conv, lang], **feedback_io).then(None, js=SHOW_COMMENT_JS, **UI_ONLY)  # the comment box in view
    comment.submit(on_comment, [comment, conv, lang], **feedback_io)
    comment_btn.click(on_comment, [comment, conv, lang], **feedback_io)
    labelled = (chat, question, ask_btn, clear_btn, filters, f_programme, f_place, f_year, f_type, comment, comment_btn)
    return AskTab(f_programme, f_place, f_year, f_type, chat, labelled)
