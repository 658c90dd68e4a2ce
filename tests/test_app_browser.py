"""The browser app driven by headless Chromium (Debian's /usr/bin/chromium, never `playwright install`).

One real `python app.py` with a users file over a private copy of the real index and corpus;
each user signs in through the login form in a fresh browser context.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from assistant.web.users import add_user
from reliability.harness import AppProcess
from tests.browser_kit import chromium, need_chromium, serving, upload

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
USERS = {"pat": ("partner", "partner-pass-1"), "sam": ("staff", "staff-pass-1"), "ada": ("admin", "admin-pass-1")}
STAFF_DOC = "internal/staff-note-nominations.md"
STAFF_MARK = "STAFF-ONLY-NOTE-01"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"  # runs without a <script> tag if ever put into the page as HTML
WAIT = 90_000  # ms


@pytest.fixture(scope="module")
def app_server(real_index, tmp_path_factory):
    need_chromium()
    base = tmp_path_factory.mktemp("browser")
    shutil.copytree(real_index.index_dir, base / "index")
    shutil.copytree(ROOT / "corpus", base / "corpus")  # uploads go to this copy, never to the repository
    for name, (role, password) in USERS.items():
        add_user(base / "users.yaml", name, role, password)
    with serving(AppProcess(base, base / "index", users_file=base / "users.yaml", corpus_dir=base / "corpus")) as app:
        yield {"url": app.url, "feedback_db": base / "feedback.sqlite", "base": base}


@pytest.fixture(scope="module")
def browser(app_server):
    with chromium() as b:
        yield b


class Session:
    """One signed-in user in a fresh browser context; records any JavaScript dialog."""

    def __init__(self, browser, url: str, name: str, width: int = 1280, height: int = 800) -> None:
        self.url = url
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.goto(url + "/", wait_until="domcontentloaded")
        self.page.wait_for_selector("#name", timeout=WAIT)  # redirected to the sign-in form
        self.page.fill("#name", name)
        self.page.fill("#password", USERS[name][1])
        self.page.click("button[type=submit]")
        self.page.wait_for_selector(".pa-who", timeout=WAIT)
        assert f"({USERS[name][0]})" in self.page.inner_text(".pa-who")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def ask(self, question: str):
        """Ask and wait for the final answer; returns the locator of the newest answer."""
        page = self.page
        before = page.locator("#pa-chat .pa-answer").count()
        page.fill("#pa-question textarea", question)
        page.keyboard.press("Enter")  # keyboard works, no mouse needed
        final = page.locator("#pa-chat .pa-answer:has(.pa-text:not(.pa-draft)), #pa-chat .pa-answer:has(.pa-notice),"
                             " #pa-chat .pa-error")
        page.wait_for_function(
            "n => document.querySelectorAll('#pa-chat .pa-answer .pa-text:not(.pa-draft), #pa-chat .pa-notice,"
            " #pa-chat .pa-error').length > n", arg=before, timeout=WAIT)
        return final.last

    def open_tab(self, name: str) -> None:
        self.page.click(f"button[role=tab]:has-text('{name}')")

    def close(self) -> None:
        self.context.close()


def test_cited_answer_source_card_and_file_link(app_server, browser):
    s = Session(browser, app_server["url"], "sam")
    try:
        page = s.page
        answer = s.ask("When did Japan start supporting prison management in Myanmar?")
        assert "2015" in answer.locator(".pa-text").inner_text()
        cite = answer.locator("a.pa-cite").first
        anchor = cite.get_attribute("href")
        assert anchor.startswith("#src-")
        cite.click()
        page.wait_for_function("h => location.hash === h", arg=anchor, timeout=WAIT)
        card = page.locator(f"#pa-chat .pa-source{anchor}")
        assert card.is_visible()
        assert card.locator("mark").inner_text().strip()  # the quoted passage is highlighted
        assert page.evaluate("() => document.querySelector(':target').id") == anchor[1:]
        link = card.locator("a.pa-open")
        href = link.get_attribute("href")
        assert href.startswith("/api/documents/") and link.get_attribute("target") == "_blank"
        doc_path = href.split("#")[0]
        if doc_path.endswith(".pdf/file"):
            assert "#page=" in href
        # the link opens the original file with this browser's session
        response = s.context.request.get(app_server["url"] + doc_path)
        assert response.status == 200
        if doc_path.endswith(".pdf/file"):
            assert response.body().startswith(b"%PDF")
        # a follow-up is rewritten into a standalone question, and the app says what it searched for
        follow_up = s.ask("And Viet Nam?")
        assert "Viet Nam" in follow_up.locator(".pa-searched").inner_text()
        assert not s.dialogs
    finally:
        s.close()


def test_declined_notice_and_feedback_is_stored(app_server, browser):
    s = Session(browser, app_server["url"], "sam", width=390, height=844)  # phone width
    try:
        page = s.page
        answer = s.ask("What is the annual budget of the Nepal programme?")
        notice = answer.locator(".pa-notice")
        assert "Not answered" in notice.inner_text()
        assert "Closest sources" in answer.inner_text() and answer.locator(".pa-source").count() >= 1
        page.locator("#pa-chat button[aria-label=Dislike]").last.click()
        page.wait_for_selector("#pa-comment textarea", timeout=WAIT)
        comment = f"Should point to the budget annex {uuid.uuid4().hex[:6]}"
        page.fill("#pa-comment textarea", comment)
        page.click("#pa-comment-send")
        page.wait_for_selector("#pa-feedback-note:has-text('your feedback was saved')", timeout=WAIT)
        with sqlite3.connect(app_server["feedback_db"]) as db:
            rows = db.execute("SELECT question, rating, comment, role, user FROM feedback WHERE comment = ?", (comment,)).fetchall()
        assert rows == [("What is the annual budget of the Nepal programme?", -1, comment, "staff", "sam")]
    finally:
        s.close()


def test_partner_cannot_see_or_download_the_staff_note(app_server, browser):
    s = Session(browser, app_server["url"], "pat")
    try:
        page = s.page
        s.open_tab("Documents")
        page.wait_for_selector("table.pa-docs", timeout=WAIT)
        table = page.inner_text("table.pa-docs")
        assert "Nepal" in table and "staff-note" not in table and "internal/" not in table
        assert not page.locator("#pa-upload-btn").first.is_visible()  # no admin panel for partners
        for path in (STAFF_DOC, "internal%2Fstaff-note-nominations.md", "programmes/../internal/staff-note-nominations.md"):
            r = s.context.request.get(f"{app_server['url']}/api/documents/{path}/file")
            assert r.status == 404 and STAFF_MARK not in r.text()
        s.open_tab("Ask")
        answer = s.ask("What does the internal staff note on nominations say?")
        text = answer.inner_text()
        assert STAFF_MARK not in text and "internal/" not in text
    finally:
        s.close()


def test_admin_upload_then_ask_and_script_renders_as_text(app_server, browser, tmp_path):
    s = Session(browser, app_server["url"], "ada")
    try:
        page = s.page
        fact = f"Zorblat{uuid.uuid4().hex[:6]}"
        doc = tmp_path / f"{fact.lower()} notes.md"
        doc.write_text(f"# The {fact} exchange\n\nThe {fact} exchange programme with Reykjavik began in 1987. {SCRIPT} {IMG} "
                       f"It trains prison officers from Iceland every spring.\n", encoding="utf-8")
        s.open_tab("Documents")
        log = upload(page, doc, f"{fact} note {SCRIPT} {IMG}", WAIT)
        assert "1 added" in log and "Indexing" in log
        # the progress sits right under the button that started it, not at the bottom of the page
        gap = page.evaluate("() => document.querySelector('#pa-admin-log').getBoundingClientRect().top"
                            " - document.querySelector('#pa-upload-btn').getBoundingClientRect().bottom")
        assert 0 <= gap < 120, gap
        page.wait_for_selector(f"table.pa-docs :text('{fact} note')", timeout=WAIT)
        row = page.locator("table.pa-docs tr", has_text=fact)
        assert SCRIPT in row.inner_text() and IMG in row.inner_text()  # shown literally ...
        assert page.evaluate("() => document.querySelectorAll('#pa-doc-table script, #pa-doc-table img').length") == 0
        assert f"uploads/{fact.lower()}-notes.md" in row.inner_text()  # the name was made safe
        saved = app_server["base"] / "corpus" / "uploads" / f"{fact.lower()}-notes.md"
        assert saved.is_file()

        s.open_tab("Ask")
        answer = s.ask(f"When did the {fact} exchange programme with Reykjavik begin?")
        assert "1987" in answer.locator(".pa-text").inner_text()
        card = answer.locator(".pa-source", has_text=fact).first
        assert SCRIPT in card.inner_text() and IMG in card.inner_text()
        assert page.evaluate("() => document.querySelectorAll('#pa-chat script, #pa-chat img[onerror]').length") == 0

        # remove it again: out of the index, and its uploaded file is deleted
        s.open_tab("Documents")
        page.click("#pa-remove-doc input")
        page.keyboard.type(fact)
        page.locator("ul[role=listbox] li", has_text=fact).first.click()
        page.click("#pa-remove-btn")  # not confirmed: a plain message beside the button, no error over the form
        page.wait_for_selector("#pa-remove-log:has-text('tick')", timeout=WAIT)
        assert not page.locator(".toast-body, .error").count()
        page.click("#pa-remove-ok input")
        page.click("#pa-remove-btn")
        page.wait_for_selector("#pa-remove-log:has-text('uploaded file was deleted')", timeout=WAIT)
        assert not saved.exists()
        assert not saved.parent.exists() or any(saved.parent.iterdir())  # no empty uploads/ folder left
        assert fact not in page.inner_text("#pa-doc-table")
        assert not s.dialogs
    finally:
        s.close()


def test_partner_eligibility_tab_shows_verdicts_with_working_source_links(app_server, browser):
    s = Session(browser, app_server["url"], "pat")
    try:
        page = s.page
        page.get_by_role("tab", name="Eligibility").click()
        page.fill("#pa-elig-country textarea, #pa-elig-country input", "Myanmar")
        page.fill("#pa-elig-role textarea, #pa-elig-role input", "prison officer")
        page.click("#pa-elig-btn")
        page.wait_for_selector("#pa-elig-result .pa-elig-table", timeout=WAIT)
        table = page.locator("#pa-elig-result .pa-elig-table")
        text = table.inner_text()
        assert "Myanmar: Improvement of Prison Management" in text
        row = table.locator("tr", has_text="Myanmar: Improvement of Prison Management")
        assert row.locator(".pa-verdict").inner_text().strip() == "eligible"
        assert "Eligible countries: Myanmar." in row.inner_text()
        nepal = table.locator("tr", has_text="Nepal: Reform")
        assert nepal.locator(".pa-verdict").inner_text().strip() == "not eligible"
        assert STAFF_MARK not in text
        href = row.locator("a.pa-open").first.get_attribute("href")
        assert href.startswith("/api/documents/programmes/myanmar-prison-management.pdf/file#page=2")
        response = s.context.request.get(app_server["url"] + href.split("#")[0])
        assert response.status == 200 and response.body().startswith(b"%PDF")
        # an unknown country gets a clear message with suggestions
        page.fill("#pa-elig-country textarea, #pa-elig-country input", "Austrlia")
        page.click("#pa-elig-btn")
        page.wait_for_selector("#pa-elig-result .pa-error", timeout=WAIT)
        assert "Australia" in page.inner_text("#pa-elig-result")
        assert not s.dialogs
    finally:
        s.close()
