"""The saved-conversations side panel: a signed-in user's conversations (first question and date),
opened again after a reload or a restart, renamed, deleted, exported as Markdown with citations.

Signed-in users' conversations live on the server (:mod:`assistant.web.conversations`); the
browser remembers only which one is open (``gr.BrowserState``). In the public demo (no users
file) the open conversation itself is kept in the browser and nothing is stored on the server.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import i18n
from assistant.web.context import AppContext
from assistant.web.conversations import to_markdown, turn_of
from assistant.web.tabs import UI_ONLY

def tx(key: str, lang: str | None = None) -> str:
    """One string of the panel in the reader's language (``conv.*`` in assistant/locales)."""
    return i18n.t(f"conv.{key}", lang)


def new_conv() -> dict[str, Any]:
    """The chat state of one browser tab: the open conversation's id, the messages shown, the turns asked,
    each answer's record (for feedback), feedback ids given, and which answer a comment is for."""
    return {"id": None, "display": [], "turns": [], "records": {}, "feedback": {}, "comment_for": None}


def user_of(request: Any) -> str | None:
    return getattr(request, "username", None) or None


def choices_for(ctx: AppContext, user: str | None) -> list[tuple[str, str]]:
    """The panel's list: ``title · date`` for each of the user's conversations, newest first."""
    return [(f"{c['title']} · {time.strftime('%d %b %Y', time.gmtime(c['created']))}", c["id"])
            for c in ctx.conversations.list(user)]


def persist(ctx: AppContext, conv: dict[str, Any], user: str | None, answer, index: int) -> None:
    """Save one answered turn (and the chat as shown) to the user's conversation, starting one if needed."""
    if user is None or ctx.users is None:
        return
    if not conv.get("id") or ctx.conversations.get(conv["id"], user) is None:
        conv["id"] = ctx.conversations.create(user, answer.question)
    turn = {**turn_of(answer), "index": index, "record": conv["records"].get(index)}
    ctx.conversations.append(conv["id"], user, turn, display=conv["display"])


def restore(saved: dict[str, Any]) -> dict[str, Any]:
    """The chat state of a saved conversation (feedback on its answers still works)."""
    conv = new_conv()
    conv.update(id=saved["id"], display=saved["display"])
    for t in saved["turns"]:
        conv["turns"] += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]}]
        if t.get("record") is not None and t.get("index") is not None:
            conv["records"][int(t["index"])] = t["record"]
    return conv


def from_browser(value: Any) -> dict[str, Any] | None:
    """A public demo conversation as the browser kept it (JSON turns integer keys into strings)."""
    if not isinstance(value, dict) or not isinstance(value.get("display"), list):
        return None
    conv = new_conv()
    conv.update(display=value["display"], turns=list(value.get("turns") or []))
    conv["records"] = {int(k): v for k, v in (value.get("records") or {}).items() if str(k).isdigit()}
    return conv


def to_browser(ctx: AppContext, conv: dict[str, Any] | None) -> Any:
    """What the browser keeps: the open conversation's id, or (public demo) the conversation itself."""
    if not conv:
        return None
    if ctx.users is not None:
        return {"id": conv.get("id")}
    # sent as JSON (Gradio's orjson refuses integer keys): the answer records keyed by their index as text
    return {"display": conv["display"], "turns": conv["turns"],
            "records": {str(k): v for k, v in conv["records"].items()}}


# --- handlers ---------------------------------------------------------------------------------
def on_page_load(ctx: AppContext, kept: Any, request) -> tuple:
    """Reopen the conversation this browser had open, and list the user's conversations."""
    user = user_of(request)
    conv = None
    if ctx.users is not None and isinstance(kept, dict) and kept.get("id"):
        saved = ctx.conversations.get(kept["id"], user)
        conv = restore(saved) if saved else None
    elif ctx.users is None:
        conv = from_browser(kept)
    conv = conv or new_conv()
    return conv["display"], conv, panel_update(ctx, user, conv.get("id"))


def panel_update(ctx: AppContext, user: str | None, selected: str | None = None):
    choices = choices_for(ctx, user)
    ids = [c[1] for c in choices]
    return gr.update(choices=choices, value=selected if selected in ids else None)


def after_answer(ctx: AppContext, conv: dict[str, Any] | None, request) -> tuple:
    return to_browser(ctx, conv), panel_update(ctx, user_of(request), (conv or {}).get("id"))


def open_conversation(ctx: AppContext, cid: str | None, conv: dict[str, Any] | None, request, lang: str | None = None) -> tuple:
    user = user_of(request)
    if not cid or (conv and conv.get("id") == cid):
        return gr.update(), conv, gr.update(), ""
    saved = ctx.conversations.get(cid, user)
    if saved is None:
        return gr.update(), conv, gr.update(), tx("gone", lang)
    conv = restore(saved)
    return conv["display"], conv, to_browser(ctx, conv), saved["title"]


def rename(ctx: AppContext, cid: str | None, title: str, request, lang: str | None = None) -> tuple:
    user = user_of(request)
    if not cid:
        return gr.update(), tx("pick", lang)
    try:
        ok = ctx.conversations.rename(cid, user, title)
    except ValueError as exc:
        return gr.update(), str(exc)
    return panel_update(ctx, user, cid), tx("renamed" if ok else "pick", lang)


def delete(ctx: AppContext, cid: str | None, conv: dict[str, Any] | None, request, lang: str | None = None) -> tuple:
    user = user_of(request)
    if not cid or not ctx.conversations.delete(cid, user):
        return gr.update(), conv, gr.update(), panel_update(ctx, user), tx("pick", lang)
    if conv and conv.get("id") == cid:
        conv = new_conv()
        return conv["display"], conv, None, panel_update(ctx, user), tx("deleted", lang)
    return gr.update(), conv, gr.update(), panel_update(ctx, user, (conv or {}).get("id")), tx("deleted", lang)


def export(ctx: AppContext, cid: str | None, request) -> str | None:
    """The open conversation as a Markdown file for the download button (None: nothing to export)."""
    saved = ctx.conversations.get(cid, user_of(request)) if cid else None
    if saved is None:
        return None
    slug = re.sub(r"[^A-Za-z0-9]+", "-", saved["title"]).strip("-")[:40] or "conversation"
    folder = Path(tempfile.mkdtemp(prefix="pa-export-"))
    path = folder / f"{slug}.md"
    path.write_text(to_markdown(saved), encoding="utf-8")
    return str(path)


# --- layout and wiring ------------------------------------------------------------------------
def build(ctx: AppContext, conv: gr.State, kept: gr.BrowserState):
    """Lay out the side panel (a ``gr.Sidebar``); returns its parts for :func:`wire`, the last one the
    ``(component, property, key)`` triples :func:`relabel` puts in the reader's language."""
    with gr.Sidebar(label=tx("panel"), open=False, elem_id="pa-conversations", position="left") as sidebar:
        heading = gr.Markdown(f"### {tx('panel')}")
        labelled = [(sidebar, "label", "panel"), (heading, "value", "#panel")]  # '#': a Markdown heading
        if ctx.users is None:
            public = gr.Markdown(tx("public"), elem_id="pa-conv-public")
            labelled.append((public, "value", "public"))
        listing = gr.Radio(label=tx("list"), choices=[], value=None, elem_id="pa-conv-list",
                           info=tx("empty"), visible=ctx.users is not None)
        with gr.Group(visible=ctx.users is not None):
            title = gr.Textbox(label=tx("rename"), elem_id="pa-conv-title", max_length=120)
            with gr.Row():
                rename_btn = gr.Button(tx("rename_btn"), elem_id="pa-conv-rename", size="sm")
                delete_btn = gr.Button(tx("delete_btn"), elem_id="pa-conv-delete", size="sm", variant="stop")
            export_btn = gr.DownloadButton(tx("export_btn"), value=None, elem_id="pa-conv-export", size="sm")
        note = gr.Markdown("", elem_id="pa-conv-note")
    labelled += [(listing, "label", "list"), (listing, "info", "empty"), (title, "label", "rename"),
                 (rename_btn, "value", "rename_btn"), (delete_btn, "value", "delete_btn"), (export_btn, "label", "export_btn")]
    return listing, title, rename_btn, delete_btn, export_btn, note, labelled


def labelled_components(parts) -> list:
    """The panel's components :func:`relabel` updates, each once, in its order."""
    seen: list = []
    for component, _, _ in parts[-1]:
        if not any(component is c for c in seen):
            seen.append(component)
    return seen


def relabel(parts, lang: str) -> list:
    """One ``gr.update`` per component of :func:`labelled_components`: its words in ``lang``."""
    updates: list[tuple[Any, dict]] = []
    for component, prop, key in parts[-1]:
        value = f"### {tx(key[1:], lang)}" if key.startswith("#") else tx(key, lang)
        for c, kw in updates:
            if c is component:
                kw[prop] = value
                break
        else:
            updates.append((component, {prop: value}))
    return [gr.update(**kw) for _, kw in updates]


def wire(ctx: AppContext, parts, chat, conv: gr.State, kept: gr.BrowserState, lang=None) -> None:
    """``lang``: the language selector (messages in the reader's language)."""
    listing, title, rename_btn, delete_btn, export_btn, note, _ = parts
    lang = lang if lang is not None else gr.State(i18n.DEFAULT)

    def on_open(cid, conv, selected, request: gr.Request):
        return open_conversation(ctx, cid, conv, request, selected)

    def on_rename(cid, new_title, selected, request: gr.Request):
        return rename(ctx, cid, new_title, request, selected)

    def on_delete(cid, conv, selected, request: gr.Request):
        return delete(ctx, cid, conv, request, selected)

    def on_export(cid, request: gr.Request):
        return export(ctx, cid, request)

    listing.input(on_open, [listing, conv, lang], [chat, conv, kept, title], **UI_ONLY)
    rename_btn.click(on_rename, [listing, title, lang], [listing, note], **UI_ONLY)
    delete_btn.click(on_delete, [listing, conv, lang], [chat, conv, kept, listing, note], **UI_ONLY)
    listing.change(on_export, [listing], [export_btn], **UI_ONLY)  # the button downloads the selected one
