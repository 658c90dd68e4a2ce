"""Screenshots of the app for the docs: Ask (after one answered question), the saved conversations,
Documents, the eligibility editor (admins) and Insights, at desktop (1280x800) and phone (390x844)
widths, into docs/screenshots/; and the Ask tab in French, Vietnamese and Arabic (right to left).

Starts ``python app.py`` on a free port over the existing index (run ``make ingest`` first),
signed in as a throwaway admin (``--role public`` shows the public demo instead), then stops it.
Needs Debian's chromium at /usr/bin/chromium (``make chromium``).

    python scripts/screenshots.py [--index-dir index] [--role admin|public] [--out docs/screenshots] [--languages-only]
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # benchmarks.common (the stop helper) and assistant/, from the checkout
    sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTION = "When did Japan start supporting prison management in Myanmar?"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@contextmanager
def running_app(args: list[str], env: dict[str, str]) -> Iterator[str]:
    """``python app.py ARGS`` on a free port until it is ready; yields its URL and stops it afterwards."""
    from benchmarks.common import free_port, stop_process

    url = f"http://127.0.0.1:{(port := free_port())}"
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *args], cwd=ROOT, env=env)
    try:
        wait_ready(url, proc)
        yield url
    finally:
        stop_process(proc, grace=10)


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as r:
                if b'"ready":true' in r.read():
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the app did not become ready")


def shoot(url: str, out: Path, login: tuple[str, str] | None) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size_name, (width, height) in SIZES.items():
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            page.goto(url + "/", wait_until="domcontentloaded")
            if login:
                page.fill("#name", login[0])
                page.fill("#password", login[1])
                page.click("button[type=submit]")
            page.wait_for_selector("#pa-question textarea", timeout=60_000)
            page.wait_for_selector(".pa-who", timeout=60_000)
            page.fill("#pa-question textarea", QUESTION)
            page.click("#pa-ask")
            page.wait_for_selector("#pa-chat .pa-sources, #pa-chat .pa-notice", timeout=120_000)
            page.wait_for_timeout(1200)
            path = out / f"ask-{size_name}.png"
            page.screenshot(path=str(path))
            saved.append(path)
            page.click("button[aria-label='Toggle Sidebar']")  # the saved-conversations panel
            page.wait_for_selector("#pa-conv-list label", timeout=30_000)
            page.wait_for_timeout(700)
            path = out / f"conversations-{size_name}.png"
            page.screenshot(path=str(path))
            saved.append(path)
            page.click("button[aria-label='Toggle Sidebar']")
            page.wait_for_timeout(700)
            page.click("button[role=tab]:has-text('Documents')")
            page.wait_for_selector("table.pa-docs", timeout=30_000)
            page.wait_for_timeout(300)
            path = out / f"documents-{size_name}.png"
            page.screenshot(path=str(path))
            saved.append(path)
            if login:  # admins: the eligibility editor, open on a programme's entry (nothing is saved)
                page.click("#pa-elig-doc input")
                page.keyboard.type("viet-nam-criminal")
                page.locator("ul[role=listbox] li", has_text="viet-nam-criminal").first.click()
                page.wait_for_selector("#pa-elig-note:has-text('Editing')", timeout=30_000)
                page.locator("#pa-elig-doc").scroll_into_view_if_needed()
                page.evaluate("() => document.querySelector('#pa-elig-doc').scrollIntoView({block: 'start'})")
                page.wait_for_timeout(500)
                path = out / f"eligibility-editor-{size_name}.png"
                page.screenshot(path=str(path))
                saved.append(path)
            if login:  # staff and admins: the Insights tab over the seeded history
                tab = page.locator("button[role=tab]:has-text('Insights')")
                if not tab.count() or not tab.first.is_visible():  # a phone keeps extra tabs in the overflow menu
                    page.locator(".overflow-menu button, button.overflow-menu, [class*=overflow] button").first.click()
                page.locator("button[role=tab]:has-text('Insights')").last.click()
                page.wait_for_selector("#pa-ins-questions canvas, #pa-ins-questions svg.marks", timeout=30_000)
                page.wait_for_timeout(1000)
                path = out / f"insights-{size_name}.png"
                page.screenshot(path=str(path), full_page=True)
                saved.append(path)
            page.context.close()
        browser.close()
    return saved


SEED_QUESTIONS = (  # (question, declined) for the Insights screenshot's made-up two weeks of use
    ("When did the Nepal programme start?", False), ("What is the annual budget of the Nepal programme?", True),
    ("Which ICC seminars were held in 2010?", False), ("Who can take part in the Viet Nam programme?", False),
    ("How many prisons does Myanmar have?", True), ("What does the Nepal programme support?", False),
)


def seed_history(audit: Path, feedback_db: Path, days: int = 14) -> None:
    """A small, made-up history of questions and ratings so that the Insights tab has something to plot."""
    import json
    import random

    from assistant.web.feedback import FeedbackStore

    rng = random.Random(7)
    now = time.time()
    store = FeedbackStore(feedback_db)
    with open(audit, "w", encoding="utf-8") as fh:
        for day in range(days, 0, -1):
            for _ in range(rng.randint(3, 12)):
                question, declined = rng.choice(SEED_QUESTIONS)
                t = now - day * 86400 + rng.uniform(0, 80000)
                fh.write(json.dumps({"time": t, "role": rng.choice(("partner", "staff")), "question": question,
                                     "declined": declined, "timings": {"total_ms": rng.uniform(150, 900)}}) + "\n")
            for _ in range(rng.randint(0, 3)):
                question, declined = rng.choice(SEED_QUESTIONS)
                rating = -1 if declined or rng.random() < 0.2 else 1
                fid = store.add(question, "(answer)", [], rating, "The budget is in the annex." if rating < 0 else "", "partner")
                with store._connect() as db:  # date the rating on its day
                    db.execute("UPDATE feedback SET time = ? WHERE id = ?", (now - day * 86400, fid))


# --- the interface in the reader's language ---------------------------------------------------
LANGUAGE_VIEWS = (  # (file name, Accept-Language, question, viewport): the Ask tab with an answer
    ("ask-fr-desktop", "fr", "En quelle année le Japon a-t-il commencé à aider le Népal à réformer sa justice pénale ?", "desktop"),
    ("ask-vi-desktop", "vi", "Việc hỗ trợ quản lý nhà tù ở Myanmar bắt đầu vào năm nào?", "desktop"),
    ("ask-ar-desktop", "ar", "في أي عام بدأ دعم إدارة السجون في ميانمار؟", "desktop"),  # right to left
    ("ask-ar-phone", "ar", "في أي عام بدأ دعم إدارة السجون في ميانمار؟", "phone"),
)
def shoot_languages(out: Path, index_dir: str) -> list[Path]:
    """French, Vietnamese and Arabic views of the public demo over the index as `make ingest` builds it (the
    multilingual index beside the main one answers these readers)."""
    from playwright.sync_api import sync_playwright

    saved = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PA_AUDIT_LOG": "", "GRADIO_ANALYTICS_ENABLED": "False"}
        args = ["--index-dir", index_dir, "--feedback-db", str(Path(tmp) / "feedback.sqlite")]
        with running_app(args, env) as url:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, lang, question, size in LANGUAGE_VIEWS:
                    width, height = SIZES[size]
                    context = browser.new_context(viewport={"width": width, "height": height},
                                                  extra_http_headers={"Accept-Language": lang})
                    page = context.new_page()
                    page.goto(url + "/", wait_until="domcontentloaded")
                    page.wait_for_selector(".pa-who", timeout=60_000)
                    page.wait_for_function("l => document.documentElement.lang === l", arg=lang, timeout=60_000)
                    page.fill("#pa-question textarea", question)
                    page.click("#pa-ask")
                    page.wait_for_selector("#pa-chat .pa-sources, #pa-chat .pa-notice", timeout=120_000)
                    page.wait_for_timeout(1200)
                    if page.locator(".toast-body").count():
                        raise SystemExit(f"{name}: the page shows an error: {page.inner_text('.toast-body')}")
                    page.evaluate("""() => { const a = document.querySelectorAll('#pa-chat .pa-answer');
                      a[a.length - 1].scrollIntoView({block: 'start'}); }""")
                    page.wait_for_timeout(300)
                    path = out / f"{name}.png"
                    page.screenshot(path=str(path))
                    saved.append(path)
                    context.close()
                browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index-dir", default=str(ROOT / "index"))
    p.add_argument("--role", choices=("admin", "public"), default="admin")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    p.add_argument("--languages-only", action="store_true", help="only the French, Vietnamese and Arabic views")
    args = p.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} is missing; run `make chromium`", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for path in shoot_languages(args.out, args.index_dir):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if args.languages_only:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["--index-dir", args.index_dir, "--feedback-db", str(Path(tmp) / "feedback.sqlite")]
        login = None
        if args.role == "admin":
            from assistant.web.users import add_user

            login = ("screenshots", secrets.token_urlsafe(12))
            add_user(Path(tmp) / "users.yaml", login[0], "admin", login[1])
            cmd += ["--users-file", str(Path(tmp) / "users.yaml")]
        audit = Path(tmp) / "audit.jsonl"
        seed_history(audit, Path(tmp) / "feedback.sqlite")
        env = {**os.environ, "PA_AUDIT_LOG": str(audit), "GRADIO_ANALYTICS_ENABLED": "False"}
        with running_app(cmd, env) as url:
            for path in shoot(url, args.out, login):
                print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
