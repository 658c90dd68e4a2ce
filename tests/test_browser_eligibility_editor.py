"""The eligibility editor in the browser (Debian's Chromium, desktop and a 390 px phone): an admin uploads
a programme description (a two-page PDF made here), adds its eligibility entry from the document's own
clauses (a clause that is not in the document is refused with a clear message), and the programme then
appears in the Eligibility tab with its clause and page, and in the chat as a compact table."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from assistant.web.users import add_user
from reliability.harness import AppProcess
from tests.browser_kit import chromium, need_chromium, serving, upload
from tests.docfactory import make_pdf
from tests.test_app_browser import USERS, WAIT
from tests.test_browser_conversations import ask, open_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def app(real_index, tmp_path_factory):
    need_chromium()
    base = tmp_path_factory.mktemp("browser-elig-editor")
    shutil.copytree(real_index.index_dir, base / "index")
    shutil.copytree(ROOT / "corpus", base / "corpus")  # uploads and the catalogue are written to this copy
    for name, (role, password) in USERS.items():
        add_user(base / "users.yaml", name, role, password)
    with serving(AppProcess(base, base / "index", users_file=base / "users.yaml", corpus_dir=base / "corpus")) as server:
        yield server, base / "corpus"


@pytest.fixture(scope="module")
def browser(app):
    with chromium() as b:
        yield b


def description(path: Path, name: str) -> Path:
    overview = (f"The {name} Exchange brings judges of Mongolia to Japan for a month of study visits and "
                "lectures on court administration. It has run every autumn since 2019.")
    eligibility = ("Eligible countries: Mongolia.\n"
                   "Eligible roles: judges of the courts of Mongolia.\n"
                   "Topics: court administration and case management.")
    return make_pdf(path, [overview, eligibility], headings=[f"The {name} Exchange", "Eligibility"])


def choose(page, selector: str, text: str) -> None:
    """Pick the option containing ``text`` in a Gradio dropdown."""
    page.click(f"{selector} input")
    page.fill(f"{selector} input", "")
    page.keyboard.type(text)
    page.locator("ul[role=listbox] li", has_text=text).first.click()


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_admin_adds_eligibility_for_an_uploaded_programme(app, browser, tmp_path, viewport):
    server, corpus = app
    name = f"Khuree{uuid.uuid4().hex[:5]}"
    pdf = description(tmp_path / f"{name.lower()}-exchange.pdf", name)
    context = browser.new_context(viewport=dict(zip(("width", "height"), VIEWPORTS[viewport])))
    page = context.new_page()
    try:
        open_app(page, server.url, "ada")
        page.click("button[role=tab]:has-text('Documents')")
        log = upload(page, pdf, f"The {name} Exchange", WAIT)
        assert "3 Eligibility clause(s) but has no eligibility entry yet" in log

        # the editor opens on the new document; its clauses are offered (one of each kind, so already chosen)
        page.wait_for_function("n => document.querySelector('#pa-elig-doc input').value.includes(n)", arg=name,
                               timeout=WAIT)
        page.wait_for_selector("#pa-elig-note:has-text('3 clause(s) found')", timeout=WAIT)
        assert page.input_value("#pa-elig-countries-clause input") == "Eligible countries: Mongolia."
        page.fill("#pa-elig-names input, #pa-elig-names textarea", f"{name} exchange, {name} programme")
        page.fill("#pa-elig-countries input, #pa-elig-countries textarea", "Mongolia")
        choose(page, "#pa-elig-roles", "judge")
        page.keyboard.press("Escape")
        page.fill("#pa-elig-topics input, #pa-elig-topics textarea", "court administration, case management")

        # a clause that is not in the document: a clear message, and nothing is saved
        catalogue = (corpus / "eligibility.yaml").read_text()
        page.fill("#pa-elig-countries-clause input", "Eligible countries: Mongolia and Kazakhstan.")
        page.keyboard.press("Enter")
        page.click("#pa-elig-save")
        page.wait_for_selector("#pa-elig-log:has-text('Not saved')", timeout=WAIT)
        assert "is not in uploads/" in page.inner_text("#pa-elig-log")
        assert "Eligible countries: Mongolia." in page.inner_text("#pa-elig-log")  # what the document does say
        assert (corpus / "eligibility.yaml").read_text() == catalogue

        choose(page, "#pa-elig-countries-clause", "Eligible countries: Mongolia.")
        page.click("#pa-elig-save")
        page.wait_for_selector("#pa-elig-log:has-text('Saved the eligibility entry')", timeout=WAIT)
        assert f"doc_id: uploads/{pdf.name}" in (corpus / "eligibility.yaml").read_text()
        assert not page.locator(".toast-body").count()

        # the Eligibility tab has it at once, with its clause and the page it is on
        page.click("button[role=tab]:has-text('Eligibility')")
        page.fill("#pa-elig-country textarea, #pa-elig-country input", "Mongolia")
        page.fill("#pa-elig-role textarea, #pa-elig-role input", "judge")
        page.click("#pa-elig-btn")
        row = page.locator("#pa-elig-result .pa-elig-table tr", has_text=f"The {name} Exchange")
        row.wait_for(timeout=WAIT)
        assert row.locator(".pa-verdict").inner_text().strip() == "eligible"
        assert "Eligible countries: Mongolia." in row.inner_text()
        href = row.locator("a.pa-open").first.get_attribute("href")
        assert href == f"/api/documents/uploads/{pdf.name}/file#page=2"

        # and so has the chat: a compact table that names the roles when none was given
        page.click("button[role=tab]:has-text('Ask')")
        ask(page, f"Who can take part in the {name} programme?")
        table = page.locator("#pa-chat .pa-answer").last.locator("table.pa-elig-chat")
        table.wait_for(timeout=WAIT)
        [line] = [t for t in table.locator("tbody tr").all_inner_texts()]
        assert f"The {name} Exchange" in line and "the roles named: judge" in line
        assert table.locator("a.pa-cite").count() == 1
    finally:
        context.close()
