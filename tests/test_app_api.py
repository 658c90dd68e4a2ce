"""The REST API over real HTTP: a real `python app.py` process over the real index (real model).

One server with a users file (partner, staff, admin) and one public demo server, shared by
the module. The staff-only note must stay out of a partner's reach whatever the URL.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from assistant.web.feedback import FeedbackStore
from assistant.web.users import add_user
from reliability.harness import AppProcess, copy_index, sign_in_form

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
STAFF_DOC = "internal/staff-note-nominations.md"
STAFF_MARK = "STAFF-ONLY-NOTE-01"
PASSWORDS = {"pat": ("partner", "partner-pass-1"), "sam": ("staff", "staff-pass-1"), "ada": ("admin", "admin-pass-1")}


def make_users(path: Path) -> Path:
    for name, (role, password) in PASSWORDS.items():
        add_user(path, name, role, password)
    return path


@pytest.fixture(scope="module")
def servers(real_index, tmp_path_factory):
    """(server with users, public demo server), started together."""
    base = tmp_path_factory.mktemp("api")
    (base / "users").mkdir()
    (base / "public").mkdir()
    users = make_users(base / "users.yaml")
    with_users = AppProcess(base / "users", copy_index(real_index.index_dir, base / "users" / "index"), users_file=users)
    public = AppProcess(base / "public", copy_index(real_index.index_dir, base / "public" / "index"))
    with_users.start()
    public.start()
    try:
        with_users.wait_ready()
        public.wait_ready()
        yield with_users, public
    finally:
        with_users.stop()
        public.stop()


@pytest.fixture(scope="module")
def server(servers):
    return servers[0]


@pytest.fixture(scope="module")
def public_server(servers):
    return servers[1]


def token(server, name: str) -> dict[str, str]:
    r = httpx.post(server.url + "/api/token", json={"name": name, "password": PASSWORDS[name][1]}, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == PASSWORDS[name][0] and body["token_type"] == "bearer"
    return {"Authorization": f"Bearer {body['access_token']}"}


@pytest.fixture(scope="module")
def partner(server):
    return token(server, "pat")


@pytest.fixture(scope="module")
def staff(server):
    return token(server, "sam")


def ask(server, headers, question, **extra) -> httpx.Response:
    return httpx.post(server.url + "/api/ask", json={"question": question, **extra}, headers=headers, timeout=120)


# --- service, sign-in ---------------------------------------------------------------------
def test_health_and_openapi(server, staff):
    anonymous = httpx.get(server.url + "/api/health").json()
    assert anonymous == {"status": "ok", "ready": True, "login_required": True}  # strangers learn nothing else
    full = httpx.get(server.url + "/api/health", headers=staff).json()
    assert full["documents"] >= 10 and full["chunks"] > 0 and full["settings_hash"]
    paths = httpx.get(server.url + "/api/openapi.json").json()["paths"]
    for path in ("/api/ask", "/api/documents", "/api/documents/{doc_id}/file", "/api/feedback", "/api/token", "/api/health"):
        assert path in paths


def test_no_token_is_401(server):
    for method, path, body in [("GET", "/api/documents", None), ("POST", "/api/ask", {"question": "x"}),
                               ("GET", f"/api/documents/{STAFF_DOC}/file", None), ("GET", "/api/documents/overview.md/file", None),
                               ("POST", "/api/feedback", {"question": "q", "answer": "a", "rating": 1})]:
        r = httpx.request(method, server.url + path, json=body)
        assert r.status_code == 401, (path, r.status_code)
        assert r.headers.get("www-authenticate") == "Bearer"
    bad = {"Authorization": "Bearer 0123456789abcdef.not-a-real-secret"}
    assert httpx.get(server.url + "/api/documents", headers=bad).status_code == 401
    assert httpx.post(server.url + "/api/token", json={"name": "pat", "password": "wrong-password"}).status_code == 401
    assert httpx.post(server.url + "/api/token", json={"name": "nobody", "password": "whatever1"}).status_code == 401


def test_browser_page_needs_sign_in(server):
    r = httpx.get(server.url + "/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert httpx.get(server.url + "/config").status_code == 401  # Gradio's own routes are closed too
    with httpx.Client(base_url=server.url) as stranger:
        assert sign_in_form(stranger, "pat", "nope-nope").status_code == 401
    with httpx.Client(base_url=server.url) as browser:
        r = sign_in_form(browser, "pat", PASSWORDS["pat"][1])
        assert r.status_code == 303 and "pa_session" in r.cookies
        assert "httponly" in r.headers["set-cookie"].lower()
        assert browser.get("/", follow_redirects=False).status_code == 200
        ids = {d["doc_id"] for d in browser.get("/api/documents").json()}  # GET routes accept the session cookie
        assert ids and STAFF_DOC not in ids
        assert browser.get(f"/api/documents/{STAFF_DOC}/file").status_code == 404
        assert browser.post("/api/ask", json={"question": "What is UNAFEI?"}).status_code == 401  # POST needs a token
        # Gradio's file route never serves corpus files, whoever asks
        assert browser.get(f"/gradio_api/file={(ROOT / 'corpus' / STAFF_DOC).resolve()}").status_code in (403, 404)
        ask_first = browser.get("/logout")  # a bare link (from anywhere) asks before signing out
        assert ask_first.status_code == 200 and browser.get("/api/documents").status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', ask_first.text).group(1)
        assert browser.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
        assert browser.get("/api/documents").status_code == 401


# --- questions --------------------------------------------------------------------------------
def test_ask_returns_cited_answer_with_pages(server, staff):
    r = ask(server, staff, "When did Japan start supporting prison management in Myanmar?")
    assert r.status_code == 200, r.text
    data = r.json()
    assert not data["declined"], data
    assert "2015" in data["answer"]
    assert data["citations"], data
    for c in data["citations"]:
        assert set(c) == {"n", "doc_id", "title", "page", "quote", "source_path"}
        assert c["quote"]
    assert any(isinstance(c["page"], int) and c["page"] >= 1 for c in data["citations"])
    assert set(data) >= {"question", "answer", "closest_sources", "searched_for", "notices", "settings_hash", "timings"}


def test_ask_validation(server, staff):
    r = ask(server, staff, "   ")
    assert r.status_code == 422 and "empty" in r.text
    assert ask(server, staff, "What is UNAFEI?", filters={"colour": "red"}).status_code == 422
    assert httpx.post(server.url + "/api/ask", json={}, headers=staff).status_code == 422
    long = ask(server, staff, "What is UNAFEI? " + "word " * 1000)
    assert long.status_code == 200
    assert any("only the first" in n for n in long.json()["notices"])


def test_declined_question_lists_closest_sources(server, staff):
    data = ask(server, staff, "What is the annual budget of the Nepal programme?").json()
    assert data["declined"] and not data["citations"]
    assert data["closest_sources"]


def test_role_cannot_be_raised(server, partner, staff):
    assert ask(server, partner, "What is UNAFEI?", role="staff").status_code == 403
    assert ask(server, partner, "What is UNAFEI?", role="admin").status_code == 403
    assert ask(server, staff, "What is UNAFEI?", role="public").status_code == 200


# --- documents and access -----------------------------------------------------------------------
def test_documents_per_role(server, public_server, partner, staff):
    listed = {}
    for who, headers, srv in (("public", {}, public_server), ("partner", partner, server), ("staff", staff, server)):
        r = httpx.get(srv.url + "/api/documents", headers=headers)
        assert r.status_code == 200
        listed[who] = {d["doc_id"]: d for d in r.json()}
    assert {d["audience"] for d in listed["public"].values()} == {"public"}
    assert {d["audience"] for d in listed["partner"].values()} == {"public", "partner"}
    assert STAFF_DOC in listed["staff"] and STAFF_DOC not in listed["partner"] and STAFF_DOC not in listed["public"]
    assert set(listed["public"]) < set(listed["partner"]) < set(listed["staff"])
    doc = listed["staff"][STAFF_DOC]
    assert doc["chunks"] > 0 and doc["pages"] >= 1 and doc["file_url"].endswith("/file")
    found = httpx.get(server.url + "/api/documents", params={"q": "nepal"}, headers=partner).json()
    assert found and all("nepal" in (d["title"] + d["doc_id"]).lower() for d in found)


def test_file_download(server, public_server, staff):
    r = httpx.get(server.url + f"/api/documents/{STAFF_DOC}/file", headers=staff)
    assert r.status_code == 200 and STAFF_MARK in r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert "sandbox" in r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"
    pdf = httpx.get(public_server.url + "/api/documents/programmes/corruption-criminal-justice-response.pdf/file")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    encoded = httpx.get(public_server.url + "/api/documents/programmes%2Fcorruption-criminal-justice-response.pdf/file")
    assert encoded.status_code == 200
    assert httpx.get(public_server.url + "/api/documents/no/such.pdf/file").status_code == 404


GUESSES = [
    STAFF_DOC,
    "internal%2Fstaff-note-nominations.md",
    "internal%252Fstaff-note-nominations.md",
    "programmes/../internal/staff-note-nominations.md",
    "programmes/%2E%2E/internal/staff-note-nominations.md",
    "./internal/staff-note-nominations.md",
    "/internal/staff-note-nominations.md",
    "../corpus/internal/staff-note-nominations.md",
    "%2E%2E/%2E%2E/corpus/internal/staff-note-nominations.md",
    "INTERNAL/staff-note-nominations.md",
    "internal/staff-note-nominations.md%00.pdf",
    "internal/staff-briefing-icc-outreach.docx",
]


def test_partner_cannot_reach_the_staff_note(server, public_server, partner):
    for headers, srv in ((partner, server), ({}, public_server)):
        ids = {d["doc_id"] for d in httpx.get(srv.url + "/api/documents", headers=headers).json()}
        assert not any(i.startswith("internal/") for i in ids)
        for guess in GUESSES:
            r = httpx.get(f"{srv.url}/api/documents/{guess}/file", headers=headers)
            assert r.status_code in (404, 400), (guess, r.status_code)
            assert STAFF_MARK not in r.text
        for question in ("What does the staff note on nominations say?", STAFF_MARK, "How are nominations for the courses handled internally?"):
            r = ask(srv, headers, question)
            assert r.status_code == 200
            data = r.json()
            shown = json.dumps([data[k] for k in ("answer", "citations", "closest_sources", "sentences")])
            assert STAFF_MARK not in shown and "internal/" not in shown, question


def test_public_demo_needs_no_token(public_server):
    assert httpx.post(public_server.url + "/api/token", json={"name": "x", "password": "y"}).status_code == 400
    r = ask(public_server, {}, "What is UNAFEI?")
    assert r.status_code == 200
    assert httpx.get(public_server.url + "/", follow_redirects=False).status_code == 200
    assert ask(public_server, {}, "What is UNAFEI?", role="partner").status_code == 403


def test_feedback_is_stored(server, partner):
    body = {"question": "What is UNAFEI?", "answer": "A UN institute [1].", "rating": -1, "comment": "too short",
            "citations": [{"n": 1, "doc_id": "overview.md", "page": None}]}
    r = httpx.post(server.url + "/api/feedback", json=body, headers=partner)
    assert r.status_code == 200
    row = FeedbackStore(server.workdir / "feedback.sqlite").get(r.json()["id"])
    assert row["rating"] == -1 and row["comment"] == "too short" and row["role"] == "partner" and row["user"] == "pat"
    assert row["citations"] == body["citations"] and row["settings_hash"]
    assert httpx.post(server.url + "/api/feedback", json={**body, "rating": 5}, headers=partner).status_code == 422


def test_eligibility_api_gives_verdicts_with_clauses(server, public_server, partner):
    r = httpx.post(server.url + "/api/eligibility", json={"country": "Nepal", "role": "judge", "programme": "viet-nam-reform"},
                   headers=partner, timeout=60)
    assert r.status_code == 200, r.text
    [viet] = r.json()["programmes"]
    assert viet["verdict"] == "not eligible"
    assert any(x["clause"] == "Not eligible: officials from countries other than Viet Nam." for x in viet["reasons"])
    r = httpx.post(server.url + "/api/eligibility", json={"country": "Vietnam", "role": "prosecutor"}, headers=partner, timeout=60)
    verdicts = {p["programme"]: p["verdict"] for p in r.json()["programmes"]}
    assert verdicts["viet-nam-reform"] == "eligible" and verdicts["nepal-reform"] == "not eligible"
    # the public demo sees only public programmes (the Viet Nam programme is for partners)
    r = httpx.post(public_server.url + "/api/eligibility", json={"country": "VN", "role": "prosecutor"}, timeout=60)
    assert "viet-nam-reform" not in {p["programme"] for p in r.json()["programmes"]}
    r = httpx.post(server.url + "/api/eligibility", json={"country": "Atlantis", "role": "judge"}, headers=partner, timeout=60)
    assert r.status_code == 422 and "Atlantis" in r.text
    r = httpx.post(server.url + "/api/eligibility", json={"country": "Nepal"}, timeout=60)
    assert r.status_code == 401
