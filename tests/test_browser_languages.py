"""The interface in the reader's language, in Debian's Chromium (desktop and a 390 px phone): questions in
French, Vietnamese and Arabic answered with a cited quote over the sample corpus (indexed as `make ingest`
does: MiniLM, and the multilingual index beside it that answers these readers), the labels in that language,
Arabic laid out right to left, the language selector inside the page; the Accept-Language header picks the language and the selector switches it at once (kept on reload)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import i18n

from reliability.harness import AppProcess
from tests.browser_kit import chromium, need_chromium, serving
from tests.test_app_browser import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
E5 = "multilingual-e5-small"
FINAL = "#pa-chat .pa-answer .pa-text:not(.pa-draft), #pa-chat .pa-notice, #pa-chat .pa-error"
DIRECTION = "sel => getComputedStyle(document.querySelector(sel)).direction"
STATE = """() => [document.querySelector('.gradio-container')?.getAttribute('dir'),
  document.querySelector('.pa-header')?.outerHTML.slice(0, 80), document.querySelectorAll('#pa-chat').length]"""
CASES = {  # language: (question, the fact in the cited quote, the Ask button's label, the Eligibility tab's label)
    "fr": ("En quelle année le Japon a-t-il commencé à aider le Népal à réformer sa justice pénale ?", "2013",
           "Demander", "Éligibilité"),
    "vi": ("Việc hỗ trợ quản lý nhà tù ở Myanmar bắt đầu vào năm nào?", "2015", "Hỏi", "Điều kiện tham gia"),
    "ar": ("في أي عام بدأ دعم إدارة السجون في ميانمار؟", "2015", "اسأل", "الأهلية"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The public demo over the sample corpus indexed with the defaults (the test suite turns the multilingual
    index off elsewhere)."""
    from assistant.settings import Settings
    from ingest.pipeline import sync

    need_chromium()
    base = tmp_path_factory.mktemp("browser-lang")
    settings = Settings(index_dir=base / "index", multilingual_model=E5, audit_log=None,
                        feedback_db=base / "feedback.sqlite")
    report = sync([ROOT / "corpus"], settings)
    assert report.status == "ok" and report.companion["status"] == "ok", report.to_dict()
    with serving(AppProcess(base, base / "index", env={"PA_MULTILINGUAL_MODEL": E5}), 180) as server:
        yield server


@pytest.fixture(scope="module")
def browser(app):
    with chromium() as b:
        yield b


def open_page(browser, url: str, accept_language: str, width: int = 1280, height: int = 800):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  extra_http_headers={"Accept-Language": accept_language})
    page = context.new_page()
    page.goto(url + "/", wait_until="domcontentloaded")
    page.wait_for_selector(".pa-who", timeout=WAIT)
    return context, page


def wait_label(page, selector: str, text: str) -> None:
    page.wait_for_function("([sel, text]) => { const el = document.querySelector(sel); return el && el.innerText.trim() === text; }",
                           arg=[selector, text], timeout=WAIT)


def ask(page, question: str):
    before = page.locator(FINAL).count()
    page.fill("#pa-question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[FINAL, before], timeout=WAIT)
    page.wait_for_selector("#pa-chat .pa-answer .pa-sources", timeout=WAIT)  # the source cards follow the text
    return page.locator("#pa-chat .pa-answer").last


@pytest.mark.parametrize("lang,viewport", [("fr", (1280, 800)), ("vi", (1280, 800)), ("ar", (1280, 800)), ("ar", (390, 844))],
                         ids=["fr-desktop", "vi-desktop", "ar-desktop", "ar-phone"])  # the phone: the hardest layout
def test_question_in_the_readers_language_cited_answer_labels_and_direction(app, browser, lang, viewport):
    question, fact, ask_label, elig_label = CASES[lang]
    context, page = open_page(browser, app.url, f"{lang},en;q=0.5", *viewport)
    try:
        wait_label(page, "#pa-ask", ask_label)  # the interface came up in the browser's language
        assert page.input_value("#pa-lang input") != "English"
        answer = ask(page, question)
        text = answer.locator(".pa-text").inner_text()
        assert fact in text  # the fact, in the quoted English sentence
        cite = answer.locator("a.pa-cite").first
        assert cite.get_attribute("href").startswith("#src-")
        card = answer.locator(".pa-source").first
        assert card.is_visible() and card.locator("mark").inner_text().strip()  # the quote highlighted in its card
        # the card's own words in the reader's language (the passage stays English)
        assert answer.locator(".pa-sources-h").inner_text().strip() == i18n.t("answer.sources", lang)
        assert card.locator(".pa-open").inner_text().startswith(i18n.t("answer.open", lang)[:6])
        assert "Open the document" not in card.inner_text()
        assert page.locator(f"button[role=tab]:has-text('{elig_label}')").count() == 1
        expected = "rtl" if lang == "ar" else "ltr"
        assert answer.evaluate("e => getComputedStyle(e).direction") == expected, page.evaluate(STATE)
        assert page.locator("#pa-question textarea").evaluate("e => getComputedStyle(e).direction") == expected
        top, box = page.locator("#pa-top").bounding_box(), page.locator("#pa-lang").bounding_box()
        assert top["x"] - 1 <= box["x"] and box["x"] + box["width"] <= top["x"] + top["width"] + 1  # selector in the page
        field = page.locator("#pa-lang input").bounding_box()
        assert box["x"] <= field["x"] and field["x"] + field["width"] <= box["x"] + box["width"]  # and its field in it
        if lang == "ar":  # laid out right to left: the Ask button right of New chat, the page's language Arabic
            assert page.locator(".gradio-container").first.get_attribute("dir") == "rtl"
            ask_box, new_box = page.locator("#pa-ask").bounding_box(), page.locator("#pa-clear").bounding_box()
            assert ask_box["x"] > new_box["x"]
            assert page.evaluate("() => document.documentElement.lang") == "ar"
    finally:
        context.close()


def test_accept_language_picks_the_interface_language(app, browser):
    context, page = open_page(browser, app.url, "de-DE, es;q=0.8, en;q=0.5")  # no German interface: Spanish next
    try:
        wait_label(page, "#pa-ask", "Preguntar")
        assert page.get_attribute("#pa-question textarea", "placeholder").startswith("Haga una pregunta")
        assert page.locator("button[role=tab]:has-text('Elegibilidad')").count() == 1
        assert page.evaluate(DIRECTION, "#pa-chat") == "ltr"
    finally:
        context.close()
    context, page = open_page(browser, app.url, "ja")  # nothing usable: English
    try:
        page.wait_for_timeout(1500)
        assert page.inner_text("#pa-ask").strip() == "Ask"
    finally:
        context.close()


def test_selector_switches_the_interface_at_once_and_keeps_it(app, browser):
    context, page = open_page(browser, app.url, "en-US,en;q=0.9")
    try:
        wait_label(page, "#pa-ask", "Ask")
        page.click("#pa-lang input")
        page.locator("[role=option]:has-text('Tiếng Việt')").click()
        wait_label(page, "#pa-ask", "Hỏi")  # without a reload
        page.wait_for_selector("button[role=tab]:has-text('Điều kiện tham gia')", timeout=WAIT)
        page.click("button[role=tab]:has-text('Điều kiện tham gia')")
        page.wait_for_selector("#pa-elig-btn", state="visible", timeout=WAIT)
        assert page.inner_text("#pa-elig-btn").strip() == "Kiểm tra"
        page.fill("#pa-elig-country textarea, #pa-elig-country input", "Birmanie")
        page.fill("#pa-elig-role textarea, #pa-elig-role input", "procureur")
        page.click("#pa-elig-btn")
        page.wait_for_selector("#pa-elig-result .pa-elig-table", timeout=WAIT)
        verdicts = set(page.locator("#pa-elig-result .pa-verdict").all_inner_texts())
        assert verdicts and verdicts <= {"đủ điều kiện", "không đủ điều kiện", "tùy trường hợp"}
        assert "Kết luận" in page.inner_text("#pa-elig-result thead")
        # to Arabic: right to left at once
        page.click("#pa-lang input")
        page.locator("[role=option]:has-text('العربية')").click()
        page.wait_for_function("() => getComputedStyle(document.querySelector('#pa-elig-btn')).direction === 'rtl'",
                               timeout=WAIT)
        wait_label(page, "#pa-elig-btn", "تحقّق")
        page.wait_for_function("() => [...document.querySelectorAll('#pa-elig-result .pa-verdict')]"
                               ".every(e => !/[a-z]/.test(e.innerText))", timeout=WAIT)  # the verdicts re-rendered
        # kept for this browser: a reload keeps Arabic although the header says English
        page.reload(wait_until="domcontentloaded")
        page.wait_for_selector(".pa-who", timeout=WAIT)
        wait_label(page, "#pa-ask", "اسأل")
        assert page.input_value("#pa-lang input") == "العربية"
    finally:
        context.close()
