"""A new user's first hour: the model-server recipe's GGUF can be written before the `local` backend has
ever run, and asking an empty index says that nothing is indexed yet and how to index it (CLI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PA_INDEX_DIR": str(tmp_path / "index"),
           "PA_AUDIT_LOG": str(tmp_path / "audit.jsonl"), "PA_EMBED_MODEL": "hash", "HF_HUB_OFFLINE": "1"}
    import os

    env["PA_MODEL_CACHE_DIR"] = os.environ.get("PA_MODEL_CACHE_DIR", str(tmp_path / "cache"))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_gguf_command_writes_the_model_the_recipe_serves(tmp_path):
    done = run(["-m", "assistant.backends.local"], tmp_path)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.name == "gemma3-270m-q4_k_m.gguf"  # in the models folder (the model cache when one is set)
    assert path.stat().st_size > 100_000_000 and path.read_bytes()[:4] == b"GGUF"


def test_cli_on_an_empty_index_says_how_to_index(tmp_path):
    done = run(["-m", "assistant", "ask", "What does the Nepal programme support?"], tmp_path)
    assert "Nothing is indexed yet" in done.stdout + done.stderr and "python -m ingest corpus" in done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_empty_index_in_api_health_and_browser(tmp_path, viewport):
    import time

    import httpx
    from playwright.sync_api import sync_playwright

    from reliability.harness import AppProcess
    from tests.browser_kit import CHROMIUM, CHROMIUM_ARGS

    app = AppProcess(tmp_path, tmp_path / "index", env={"PA_EMBED_MODEL": "hash"}).start()
    try:
        health: dict = {}
        for _ in range(300):  # health answers at once; it must not say ready over an empty index
            try:
                health = httpx.get(app.url + "/api/health", timeout=2).json()
                if health.get("status") not in (None, "starting"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        assert health["status"] == "no documents indexed" and health["ready"] is False
        answer = httpx.post(app.url + "/api/ask", json={"question": "What does the Nepal programme support?"}, timeout=60).json()
        assert answer["answer"].startswith("Nothing is indexed yet") and answer["kind"] == "empty_index"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.goto(app.url + "/", wait_until="domcontentloaded")
            page.wait_for_selector("#pa-question textarea", timeout=60_000)
            page.fill("#pa-question textarea", "What does the Nepal programme support?")
            page.keyboard.press("Enter")
            page.wait_for_function("() => [...document.querySelectorAll('#pa-chat .pa-answer')]"
                                   ".some(a => a.innerText.includes('Nothing is indexed yet'))", timeout=60_000)
            assert "python -m ingest corpus" in page.inner_text("#pa-chat")
            page.click("button[role=tab]:has-text('Documents')")
            page.wait_for_selector("#pa-doc-table .pa-empty", timeout=30_000)
            assert "python -m ingest corpus" in page.inner_text("#pa-doc-table")
            browser.close()
    finally:
        app.stop()
