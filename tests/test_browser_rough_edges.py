"""Rough edges a new user met, each fixed (Debian's Chromium, desktop and a 390 px phone): one feedback
record per answer (the comment updates it) with the comment box in view after a thumbs-down; no index
jargon (chunk counts) for partners; opening the filters keeps the question box on screen."""

from __future__ import annotations

import sqlite3

import pytest

from tests.test_browser_conversations import app, ask, browser, open_app  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
IN_VIEW = """sel => { const r = document.querySelector(sel).getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }"""


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_one_feedback_row_comment_in_view_no_jargon_filters_keep_question(app, browser, viewport):  # noqa: F811
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        open_app(page, app.url, "pat")
        # filters open: the question box stays on screen
        page.click("#pa-filters button, #pa-filters .label-wrap")
        page.wait_for_timeout(500)
        assert page.evaluate(IN_VIEW, "#pa-question textarea")
        question = f"What does the Nepal programme support? ({viewport[0]})"
        ask(page, question)
        page.wait_for_timeout(1500)  # the app brings the new answer's start into view first (as a reader would wait)
        page.locator("#pa-chat button[aria-label=Dislike]").last.click()
        page.wait_for_selector("#pa-comment-row textarea", state="visible", timeout=30_000)
        page.wait_for_function(IN_VIEW, arg="#pa-comment-row textarea", timeout=5000)
        page.fill("#pa-comment-row textarea", "Missing the 2015 phase")
        page.click("#pa-comment-send")
        page.wait_for_function("() => document.querySelector('#pa-feedback-note').innerText.includes('Thank you')", timeout=30_000)
        with sqlite3.connect(app.workdir / "feedback.sqlite") as db:
            rows = db.execute("SELECT rating, comment FROM feedback WHERE question = ?", (question,)).fetchall()
        assert rows == [(-1, "Missing the 2015 phase")]
        # no index jargon for partners
        page.click("button[role=tab]:has-text('Documents')")
        page.wait_for_selector("table.pa-docs", timeout=30_000)
        assert "Chunks" not in page.inner_text("table.pa-docs") and "Pages" in page.locator("table.pa-docs").inner_html()
    finally:
        context.close()


def test_admins_still_see_chunk_counts(app, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        open_app(page, app.url, "ada")
        page.click("button[role=tab]:has-text('Documents')")
        page.wait_for_selector("table.pa-docs", timeout=30_000)
        assert "Chunks" in page.locator("table.pa-docs thead").inner_text()
    finally:
        context.close()
