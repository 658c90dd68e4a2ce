"""The Insights tab in the browser (desktop and 390 px): with a seeded audit log and feedback history, staff
see the four plots drawn, the most frequent declined question and the latest thumbs-down, and one click
drafts an evaluation case; partners have no Insights tab."""

from __future__ import annotations

import shutil
import time

import pytest

from assistant.web.feedback import FeedbackStore
from assistant.web.users import add_user
from reliability.harness import AppProcess
from tests.browser_kit import chromium, serving
from tests.test_app_browser import USERS, WAIT
from tests.test_browser_conversations import open_app
from tests.test_insights import seed_audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PLOTS = ("#pa-ins-questions", "#pa-ins-declined", "#pa-ins-ratings", "#pa-ins-latency")


@pytest.fixture(scope="module")
def app(real_index, tmp_path_factory):
    base = tmp_path_factory.mktemp("browser-insights")
    shutil.copytree(real_index.index_dir, base / "index")
    for name, (role, password) in USERS.items():
        add_user(base / "users.yaml", name, role, password)
    seed_audit(base / "audit.jsonl", t0=time.time() - 3 * 86400)
    store = FeedbackStore(base / "feedback.sqlite")
    store.add("When did the Nepal programme start?", "In 2012 [1].", [], 1, "", "partner")
    store.add("Who funds the Nepal programme?", "The documents do not cover this.", [], -1, "JICA funds it", "partner")
    env = {"PA_AUDIT_LOG": str(base / "audit.jsonl")}
    with serving(AppProcess(base, base / "index", users_file=base / "users.yaml", env=env)) as server:
        yield server


@pytest.fixture(scope="module")
def browser(app):
    with chromium() as b:
        yield b


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_staff_see_plots_and_draft_a_case_partners_see_no_tab(app, browser, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        open_app(page, app.url, "sam")
        tab = page.locator("button[role=tab]:has-text('Insights')")
        if not tab.count() or not tab.first.is_visible():  # on a phone, extra tabs sit behind the overflow menu
            page.locator(".overflow-menu button, button.overflow-menu, [class*=overflow] button").first.click()
        page.locator("button[role=tab]:has-text('Insights')").last.click()
        page.wait_for_function("() => (document.querySelector('#pa-ins-summary') || {}).innerText?.includes('questions')",
                               timeout=WAIT)
        assert "5 questions, 3 declined, 1 thumbs up, 1 thumbs down" in page.inner_text("#pa-ins-summary")
        for plot in PLOTS:  # each plot is drawn (Vega renders a canvas or svg with marks)
            page.wait_for_selector(f"{plot} canvas, {plot} svg.marks", timeout=WAIT)
        top = page.locator("#pa-ins-top")
        assert "What is the budget of the Nepal programme?" in top.inner_text()
        downs = page.locator("#pa-ins-downs")
        assert "JICA funds it" in downs.inner_text()
        downs.locator("span:visible").filter(has_text="JICA funds it").first.click()
        page.wait_for_function("() => (document.querySelector('#pa-ins-case .cm-content') || {}).innerText?.includes('JICA funds it')",
                               timeout=WAIT)
        case = page.inner_text("#pa-ins-case .cm-content")
        assert "Who funds the Nepal programme?" in case and "- from-feedback" in case
        top.locator("span:visible").filter(has_text="What is the budget").first.click()
        page.wait_for_function("() => (document.querySelector('#pa-ins-case .cm-content') || {}).innerText?.includes('declined 3 time')", timeout=WAIT)
        # filter by role: partners asked 2 questions (staff see the counts; partners never see this tab)
        page.locator("#pa-ins-role input").click()
        page.locator("ul[role=listbox] li:has-text('partner')").first.click()
        page.click("#pa-ins-show")
        page.wait_for_function("() => document.querySelector('#pa-ins-summary').innerText.startsWith('2 questions')", timeout=WAIT)
        partner = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
        ppage = partner.new_page()
        open_app(ppage, app.url, "pat")
        ppage.wait_for_timeout(1500)  # the tab would appear on load
        assert not ppage.locator("button[role=tab]:has-text('Insights')").count()
        assert not ppage.locator("#pa-ins-summary").is_visible()
        partner.close()
    finally:
        context.close()
