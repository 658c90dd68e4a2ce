"""True streaming in the browser: with the `local` backend (the packaged Gemma GGUF through llama-cpp-python)
the answer shows in at least two visible steps of its draft before the verified, cited version replaces it.
Desktop and a 390 px phone, on Debian's Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reliability.harness import AppProcess
from tests.browser_kit import CHROMIUM, CHROMIUM_ARGS
from tests.test_app_browser import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Records every distinct text the newest answer's draft shows, until the final answer is in.
WATCH_JS = """() => { window.paDrafts = []; const chat = document.body;
  new MutationObserver(() => { const d = document.querySelectorAll('#pa-chat .pa-draft');
    if (d.length) { const t = d[d.length - 1].innerText.trim();
      if (t && window.paDrafts[window.paDrafts.length - 1] !== t) window.paDrafts.push(t); } })
  .observe(chat, {subtree: true, childList: true, characterData: true}); }"""


@pytest.fixture(scope="module")
def local_app(real_index, tmp_path_factory):

    import llama_cpp  # noqa: F401

    from assistant.backends.local import default_model_path

    gguf = default_model_path(real_index)
    base = tmp_path_factory.mktemp("browser-local")
    shutil.copytree(real_index.index_dir, base / "index")
    server = AppProcess(base, base / "index", env={"PA_BACKEND": "local", "PA_LOCAL_MODEL_PATH": str(gguf),
                                                   "PA_LLM_MAX_TOKENS": "96"}).start()
    try:
        server.wait_ready(180)
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_local_answer_streams_in_visible_steps(local_app, viewport):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make chromium`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        try:
            page.goto(local_app.url + "/", wait_until="domcontentloaded")
            page.wait_for_selector("#pa-chat", timeout=WAIT)
            page.evaluate(WATCH_JS)
            page.fill("#pa-question textarea", "What does the Nepal programme support?")
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.querySelectorAll('#pa-chat .pa-answer .pa-text:not(.pa-draft),"
                                   " #pa-chat .pa-notice, #pa-chat .pa-error').length > 0", timeout=180_000)
            drafts = page.evaluate("() => window.paDrafts")
            assert not page.locator("#pa-chat .pa-error").count()
            assert len(drafts) >= 2, drafts  # the draft grew in front of the reader
            assert all(b.startswith(a[: max(1, len(a) - 2)]) for a, b in zip(drafts, drafts[1:])), drafts
            assert not page.locator("#pa-chat .pa-draft").count()  # then replaced by the checked version
        finally:
            browser.close()
