"""What the browser tests share: Debian's Chromium driven by Playwright, and a real app served for a module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reliability.harness import AppProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make chromium` (make test does it)")


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium (never `playwright install`: Debian's binary, no network)."""
    from playwright.sync_api import sync_playwright

    need_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving(server: AppProcess, ready_s: float = 120) -> Iterator[AppProcess]:
    """Start ``server``, wait until it answers ready, and stop it afterwards (also when it never got ready)."""
    server.start()
    try:
        server.wait_ready(ready_s)
        yield server
    finally:
        server.stop()


def upload(page, path: Path, title: str, timeout_ms: float) -> str:
    """As an admin on the Documents tab: choose ``path``, give it ``title``, upload it and wait for the re-index
    to finish; returns the progress log."""
    page.wait_for_selector("#pa-upload-btn", timeout=timeout_ms)
    page.set_input_files("#pa-upload input[type=file]", str(path))
    page.wait_for_selector(f"#pa-upload :text('{path.name}')", timeout=timeout_ms)
    page.fill("#pa-upload-title input, #pa-upload-title textarea", title)
    page.click("#pa-upload-btn")
    page.wait_for_selector("#pa-admin-log:has-text('Done in')", timeout=timeout_ms)
    return page.inner_text("#pa-admin-log")
