"""Saved conversations in the browser (Debian's Chromium, desktop and a 390 px phone): a conversation
survives a reload and an app restart, another user cannot open it, the Markdown export carries the
citations; a question with no words asks for a question."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from assistant.web.users import add_user
from reliability.harness import AppProcess
from tests.browser_kit import chromium, need_chromium, serving
from tests.test_app_browser import USERS, WAIT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "When did Japan start supporting prison management in Myanmar?"
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def app(real_index, tmp_path_factory):
    need_chromium()
    base = tmp_path_factory.mktemp("browser-conv")
    shutil.copytree(real_index.index_dir, base / "index")
    for name, (role, password) in USERS.items():
        add_user(base / "users.yaml", name, role, password)
    with serving(AppProcess(base, base / "index", users_file=base / "users.yaml")) as server:
        yield server


@pytest.fixture(scope="module")
def browser(app):
    with chromium() as b:
        yield b


def open_app(page, url: str, name: str) -> None:
    """Go to the app, signing in if the server asks (a restart may have ended the session)."""
    page.goto(url + "/", wait_until="domcontentloaded")
    page.wait_for_selector("#name, .pa-who", timeout=WAIT)
    if page.locator("#name").count():
        page.fill("#name", name)
        page.fill("#password", USERS[name][1])
        page.click("button[type=submit]")
    page.wait_for_selector(".pa-who", timeout=WAIT)


def ask(page, question: str):
    before = page.locator("#pa-chat .pa-answer .pa-text:not(.pa-draft), #pa-chat .pa-error").count()
    page.fill("#pa-question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('#pa-chat .pa-answer .pa-text:not(.pa-draft), #pa-chat .pa-error')"
                           ".length > n", arg=before, timeout=WAIT)


ON_SCREEN = """() => { const el = document.querySelector('#pa-conv-list');
  if (!el) return false; const r = el.getBoundingClientRect();
  return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth + 1; }"""


def open_panel(page) -> None:
    """Open the side panel (closed at first) and wait until it has slid into view."""
    page.wait_for_selector("#pa-conv-list", state="attached", timeout=WAIT)
    if not page.evaluate(ON_SCREEN):
        page.click("button[aria-label='Toggle Sidebar']")
    page.wait_for_function(ON_SCREEN, timeout=WAIT)
    page.wait_for_timeout(400)  # the slide animation


def chat_text(page) -> str:
    return page.locator("#pa-chat").inner_text()


def wait_answer_with(page, text: str) -> None:
    """Wait until an answer in the chat (not the example questions) contains ``text``."""
    page.wait_for_function("t => [...document.querySelectorAll('#pa-chat .pa-answer')].some(a => a.innerText.includes(t))",
                           arg=text, timeout=WAIT)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_conversation_survives_reload_and_restart_and_stays_private(app, browser, viewport, tmp_path):
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    try:
        open_app(page, app.url, "sam")
        ask(page, QUESTION)
        assert "2015" in chat_text(page)
        # the side panel lists it under its first question and date
        open_panel(page)
        item = page.locator("#pa-conv-list label").filter(has_text=QUESTION[:30])
        item.first.wait_for(timeout=WAIT)
        assert page.locator("#pa-conv-list input:checked").count() == 1
        page.reload(wait_until="domcontentloaded")
        wait_answer_with(page, "2015")
        # the Markdown export carries the answer's citations (document, page, quote)
        open_panel(page)
        page.locator("#pa-conv-export").wait_for(timeout=WAIT)
        with page.expect_download(timeout=WAIT) as download:
            page.click("#pa-conv-export")
        md = Path(download.value.path()).read_text(encoding="utf-8")
        assert f"## 1. {QUESTION}" in md and "Sources:" in md and "“" in md and "`" in md
        cid = page.evaluate("() => fetch('/api/conversations').then(r => r.json())")[0]["id"]
        assert cid in page.evaluate("() => fetch('/api/conversations').then(r => r.json()).then(x => x.map(c => c.id))")
        # another user cannot open it: 404 from the API, and nothing in their panel
        token = httpx.post(app.url + "/api/token", json={"name": "pat", "password": USERS["pat"][1]}, timeout=30).json()["access_token"]
        other = httpx.get(f"{app.url}/api/conversations/{cid}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert other.status_code == 404
        other_ctx = browser.new_context(viewport={"width": width, "height": height})
        other_page = other_ctx.new_page()
        open_app(other_page, app.url, "pat")
        open_panel(other_page)
        assert QUESTION[:30] not in other_page.locator("#pa-conv-list").inner_text()
        assert not other_page.locator("#pa-chat .pa-answer").count()
        other_ctx.close()
        # an app restart: the same browser opens the same conversation again
        app.stop()
        app.start().wait_ready(120)
        open_app(page, app.url, "sam")
        wait_answer_with(page, "2015")
        # rename and delete from the panel
        open_panel(page)
        page.fill("#pa-conv-title textarea, #pa-conv-title input", f"Myanmar prisons {viewport}")
        page.click("#pa-conv-rename")
        page.locator("#pa-conv-list label").filter(has_text=f"Myanmar prisons {viewport}").wait_for(timeout=WAIT)
        page.click("#pa-conv-delete")
        page.wait_for_function("() => !document.querySelector('#pa-chat .pa-answer')", timeout=WAIT)
        assert page.evaluate("id => fetch('/api/conversations/' + id).then(r => r.status)", cid) == 404
    finally:
        context.close()


def test_a_question_with_no_words_asks_for_a_question(app, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        open_app(page, app.url, "pat")
        ask(page, QUESTION)
        ask(page, "🙂🙂🙂")
        last = page.locator("#pa-chat .pa-error").last
        assert "type a question in words" in last.inner_text()
        assert "Nepal" not in last.inner_text() and not page.locator("#pa-chat .pa-searched").filter(has_text="🙂").count()
    finally:
        context.close()
