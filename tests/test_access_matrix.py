"""Every route × every role, over real HTTP against two real ``python app.py`` processes (one with a
users file, one public demo), including guessed document ids and tampered URLs; then the secrets:
hashed passwords, constant-time token checks, and logs free of passwords, tokens and document text.

Roles: anonymous (no token, users file set), public (signed-in public user), demo (public demo, no
users file), partner, staff, admin. The app exposes no route that runs evals: checked below.
"""

from __future__ import annotations

import http.client
import inspect
import json
import shutil
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest

from reliability.harness import (
    CORPUS,
    AppProcess,
    GradioSession,
    copy_index,
    hash_index,
    index_settings,
    sign_in_form,
    unexpected_errors,
)

pytestmark = pytest.mark.slow

USERS = {"pub": ("public", "public-pass-1"), "pat": ("partner", "partner-pass-1"),
         "sam": ("staff", "staff-pass-1"), "ada": ("admin", "admin-pass-1")}
ROLE_USER = {role: name for name, (role, _) in USERS.items()}
ROLES = ("anonymous", "public", "demo", "partner", "staff", "admin")
RANK = {"public": 0, "demo": 0, "partner": 1, "staff": 2, "admin": 2}
AUDIENCE_RANK = {"public": 0, "partner": 1, "staff": 2}
LEVEL = {"public": 0, "partner": 1, "staff": 2, "admin": 3}  # "may act as" order (assistant.access)
STAFF_DOC = "internal/staff-note-nominations.md"
STAFF_MARK = "STAFF-ONLY-NOTE-01"
STAFF_SENTENCES = ("Do not forward to partner officials or publish",
                   "This note helps staff answer inquiries from partner officials")
WRONG_PASSWORD = "Wrong-Pass-7f3a9c"


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    from assistant.web.users import add_user

    base = tmp_path_factory.mktemp("access")
    index = hash_index(tmp_path_factory.getbasetemp())
    corpus = base / "corpus"
    shutil.copytree(CORPUS, corpus)
    users = base / "users.yaml"
    for name, (role, password) in USERS.items():
        add_user(users, name, role, password)
    add_user(users, "tess", "partner", "tess-pass-12")  # for the throttle test only
    env = {"PA_EMBED_MODEL": "hash"}
    secured = AppProcess(base / "secured", copy_index(index, base / "ix-secured"), users_file=users, corpus_dir=corpus,
                         env=env, verbose=True)
    demo = AppProcess(base / "demo", copy_index(index, base / "ix-demo"), corpus_dir=corpus, env=env, verbose=True)
    secured.start()
    demo.start()
    try:
        secured.wait_ready()
        demo.wait_ready()
        from assistant.store import Manifest

        manifest = Manifest.load(index_settings(secured.index_dir, embed_model="hash"))
        audiences = {d: r.audience for d, r in manifest.docs.items()}
        tokens = {}
        for name, (role, password) in USERS.items():
            r = httpx.post(secured.url + "/api/token", json={"name": name, "password": password}, timeout=60)
            assert r.status_code == 200 and r.json()["role"] == role
            tokens[role] = r.json()["access_token"]
        yield {"secured": secured, "demo": demo, "users": users, "corpus": corpus, "audiences": audiences,
               "tokens": tokens}
    finally:
        secured.stop()
        demo.stop()


def client_for(apps, role: str) -> tuple[str, dict[str, str]]:
    """(base URL, headers) of a role's caller."""
    if role == "demo":
        return apps["demo"].url, {}
    if role == "anonymous":
        return apps["secured"].url, {}
    return apps["secured"].url, {"Authorization": f"Bearer {apps['tokens'][role]}"}


def visible(apps, role: str) -> set[str]:
    if role == "anonymous":
        return set()
    return {d for d, a in apps["audiences"].items() if AUDIENCE_RANK[a] <= RANK[role]}


def doc_ids_in(data, known: set[str]) -> set[str]:
    """Every known document id that appears anywhere in a JSON value."""
    text = json.dumps(data)
    return {d for d in known if d in text}


# --- the REST API ----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_documents_list_and_files(apps, role):
    url, headers = client_for(apps, role)
    r = httpx.get(url + "/api/documents", headers=headers)
    if role == "anonymous":
        assert r.status_code == 401
    else:
        assert r.status_code == 200
        assert {d["doc_id"] for d in r.json()} == visible(apps, role)
    for doc_id in apps["audiences"]:  # every document of the corpus, allowed or not
        r = httpx.get(f"{url}/api/documents/{quote(doc_id)}/file", headers=headers)
        expected = 401 if role == "anonymous" else 200 if doc_id in visible(apps, role) else 404
        assert r.status_code == expected, (doc_id, r.status_code)
        if r.status_code == 200:
            assert "sandbox" in r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"
        elif doc_id == STAFF_DOC:
            assert STAFF_MARK not in r.text


TAMPERED = [
    STAFF_DOC.upper(), "Internal/staff-note-nominations.md", "internal%2Fstaff-note-nominations.md",
    "internal%252Fstaff-note-nominations.md", "internal%5Cstaff-note-nominations.md",
    "programmes/../internal/staff-note-nominations.md", "programmes/%2E%2E/internal/staff-note-nominations.md",
    "./internal/staff-note-nominations.md", "/internal/staff-note-nominations.md", "//internal/staff-note-nominations.md",
    "internal/staff-note-nominations.md%00", "internal/staff-note-nominations.md%00.pdf",
    "internal/./staff-note-nominations.md", "internal//staff-note-nominations.md", "internal/staff-note-nominations.md/",
    "internal/staff-note-nominations.md%20", "internal/staff-note-nominations%2Emd",
    "%C0%AE%C0%AE/corpus/internal/staff-note-nominations.md", "..%2F..%2Fcorpus%2Finternal%2Fstaff-note-nominations.md",
]
OUTSIDE = ["../users.yaml", "..%2Fusers.yaml", "../../etc/passwd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/etc/passwd",
           "%2Fetc%2Fpasswd", "..%5C..%5Cetc%5Cpasswd", "../ix-secured/manifest-x.json", "catalogue.yaml",
           "eligibility.yaml", "uploads/../../users.yaml", "overview.md%00/../../users.yaml", "~root/.bashrc",
           "overview.md/../internal/staff-note-nominations.md"]


def raw_get(url: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """GET with the path sent exactly as written (httpx would resolve '..' and '.' segments itself)."""
    parsed = httpx.URL(url)
    conn = http.client.HTTPConnection(parsed.host, parsed.port, timeout=60)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@pytest.mark.parametrize("role", ROLES)
def test_guessed_and_tampered_document_ids(apps, role):
    """Only a document's exact id (percent-decoded once, as any URL is) finds it; no variant reaches
    another document or a file outside the corpus, whoever asks."""
    url, headers = client_for(apps, role)
    for guess in TAMPERED + OUTSIDE:
        status, body = raw_get(url, f"/api/documents/{guess}/file", headers)
        assert "root:x:0:0" not in body and "argon2" not in body and "password_hash" not in body
        if role == "anonymous":
            assert status in (401, 404), (guess, status)
        elif status == 200:  # staff and admin may see the staff note: only its own id, encoded, finds it
            assert RANK[role] == 2 and guess in TAMPERED and STAFF_MARK in body, (role, guess)
            assert unquote(guess) == STAFF_DOC, guess
        else:
            assert status in (400, 404, 405), (guess, status)
        if RANK.get(role, -1) < 2:
            assert STAFF_MARK not in body, guess


QUESTIONS = ("What does the staff note on nominations say?", STAFF_MARK,
             "How are nominations for the courses handled internally?",
             "What does the Viet Nam criminal justice reform programme do?",
             "Which partner questions are answered in the FAQ?")


@pytest.mark.parametrize("role", ROLES)
def test_ask_and_sources_stay_within_the_role(apps, role):
    url, headers = client_for(apps, role)
    known = set(apps["audiences"])
    for question in QUESTIONS:
        r = httpx.post(url + "/api/ask", json={"question": question}, headers=headers, timeout=120)
        if role == "anonymous":
            assert r.status_code == 401
            continue
        assert r.status_code == 200, r.text
        data = r.json()
        shown = {k: data[k] for k in ("answer", "citations", "closest_sources", "sentences")}
        assert doc_ids_in(shown, known) <= visible(apps, role), (question, doc_ids_in(shown, known) - visible(apps, role))
        if RANK[role] < 2:
            assert STAFF_MARK not in json.dumps(shown) and "internal/" not in json.dumps(shown)
    # never above one's own role
    for wanted in ("public", "partner", "staff", "admin"):
        r = httpx.post(url + "/api/ask", json={"question": "What is UNAFEI?", "role": wanted}, headers=headers, timeout=120)
        if role == "anonymous":
            assert r.status_code == 401
        else:
            own = "public" if role == "demo" else role
            allowed = LEVEL[wanted] <= LEVEL[own]
            assert r.status_code == (200 if allowed else 403), (role, wanted, r.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_eligibility(apps, role):
    url, headers = client_for(apps, role)
    known = set(apps["audiences"])
    for body in ({"country": "Viet Nam", "role": "prosecutor"}, {"country": "Myanmar", "role": "prison officer"},
                 {"country": "Nepal", "role": "judge"}):
        r = httpx.post(url + "/api/eligibility", json=body, headers=headers, timeout=60)
        if role == "anonymous":
            assert r.status_code == 401
            continue
        assert r.status_code == 200, r.text
        assert doc_ids_in(r.json(), known) <= visible(apps, role)
        if RANK[role] == 0:
            assert "viet-nam-reform" not in {p["programme"] for p in r.json()["programmes"]}  # a partner programme


@pytest.mark.parametrize("role", ROLES)
def test_feedback_health_and_token(apps, role):
    url, headers = client_for(apps, role)
    body = {"question": "What is UNAFEI?", "answer": "An institute [1].", "rating": 1}
    r = httpx.post(url + "/api/feedback", json=body, headers=headers)
    assert r.status_code == (401 if role == "anonymous" else 200)
    health = httpx.get(url + "/api/health", headers=headers).json()
    if role == "anonymous":
        assert set(health) == {"status", "ready", "login_required"}  # strangers learn only whether it is up
    else:
        assert "index_version" in health
    r = httpx.post(url + "/api/token", json={"name": f"nobody-{role}", "password": WRONG_PASSWORD})
    assert r.status_code == (400 if role == "demo" else 401)


# --- the browser routes and Gradio's own -------------------------------------------------------
def browser(apps, role: str) -> httpx.Client:
    """An httpx client holding the role's browser session cookie (signed in through /login)."""
    if role == "demo":
        return httpx.Client(base_url=apps["demo"].url, timeout=60)
    client = httpx.Client(base_url=apps["secured"].url, timeout=60)
    if role != "anonymous":
        name = ROLE_USER[role]
        r = sign_in_form(client, name, USERS[name][1])
        assert r.status_code == 303
    return client


@pytest.mark.parametrize("role", ROLES)
def test_gradio_routes_and_private_files(apps, role):
    client = browser(apps, role)
    try:
        page = client.get("/", follow_redirects=False)
        config = client.get("/config")
        if role == "anonymous":
            assert page.status_code == 303 and page.headers["location"] == "/login"
            assert config.status_code == 401
            assert client.post("/gradio_api/upload", files=[("files", ("x.md", b"# x"))]).status_code == 401
        else:
            assert page.status_code == 200 and config.status_code == 200
        # the corpus, the index and the users file never leave through Gradio's file route, whoever asks
        secured_ix = apps["secured"].index_dir
        private = [apps["corpus"] / STAFF_DOC, apps["corpus"] / "overview.md", apps["users"],
                   next(secured_ix.glob("manifest-*.json")), secured_ix / "chroma" / "chroma.sqlite3"]
        for path in private:
            for form in (str(path.resolve()), quote(str(path.resolve())), str(path.resolve()).upper()):
                r = client.get(f"/gradio_api/file={form}")
                assert r.status_code in (401, 403, 404), (form, r.status_code)
                assert STAFF_MARK not in r.text and "argon2" not in r.text
        r = client.get("/gradio_api/file=/etc/passwd")
        assert r.status_code in (401, 403, 404) and "root:x:0:0" not in r.text
        # evals: the app exposes no route or UI event that runs them
        if role != "anonymous":
            fns = json.dumps([d.get("api_name") for d in config.json()["dependencies"]])
            assert "eval" not in fns.lower()
        paths = client.get("/api/openapi.json").json()["paths"]
        assert not [p for p in paths if "eval" in p.lower()]
    finally:
        client.close()


@pytest.mark.parametrize("role", ["public", "demo", "partner", "staff", "admin"])
def test_gradio_admin_events_need_the_admin_role(apps, role):
    app = apps["demo"] if role == "demo" else apps["secured"]
    name = None if role == "demo" else ROLE_USER[role]
    with GradioSession(app.url, name, USERS[name][1] if name else None) as session:
        docs_before = {d["doc_id"] for d in httpx.get(
            apps["secured"].url + "/api/documents",
            headers={"Authorization": f"Bearer {apps['tokens']['staff']}"}).json()}
        load = next(d for d in session.config["dependencies"] if any(t[1] == "load" for t in d["targets"]))
        # as the page does on opening (its one input: the language this browser kept); fills the admin's choices
        page = session.call_fn(load["id"], [""] * len(load["inputs"]))
        assert page.success, page.output
        shown = doc_ids_in(json.dumps(page.output), set(apps["audiences"]))
        assert shown == visible(apps, role), shown ^ visible(apps, role)  # the Documents tab: nothing above the role
        removal = session.call("pa-remove-btn", ["reference/partner-faq.md", True])
        upload = session.call("pa-upload-btn", [session.file_value("sneaky.md", b"# Sneaky\n\nSneaky text.\n"),
                                                "", "public", "document"])
        reindex = session.call("pa-reindex-btn", [])
        if role == "admin":  # the admin may; then undo it all (the removed file is outside uploads/: it returns)
            assert removal.success and upload.success and reindex.success, (removal.output, upload.output)
            (apps["corpus"] / "uploads" / "sneaky.md").unlink()
            (apps["corpus"] / "uploads" / "sneaky.md.meta.yaml").unlink()
            assert session.call("pa-reindex-btn", []).success
        else:
            assert not removal.success  # the id is not even among this session's choices
            blank = session.call("pa-remove-btn", [None, True])
            for result in (blank, upload, reindex):
                assert not result.success and "Only administrators" in str(result.output), result.output
            assert not (apps["corpus"] / "uploads" / "sneaky.md").exists()
        docs_after = {d["doc_id"] for d in httpx.get(
            apps["secured"].url + "/api/documents",
            headers={"Authorization": f"Bearer {apps['tokens']['staff']}"}).json()}
        assert docs_after == docs_before


def test_failed_sign_ins_are_throttled(apps):
    url = apps["secured"].url
    for _ in range(5):
        assert httpx.post(url + "/api/token", json={"name": "tess", "password": WRONG_PASSWORD}).status_code == 401
    r = httpx.post(url + "/api/token", json={"name": "tess", "password": "tess-pass-12"})  # even the right one, now
    assert r.status_code == 429 and "wait" in r.text
    with httpx.Client(base_url=url) as client:
        assert sign_in_form(client, "tess", "tess-pass-12").status_code == 429


def test_forwarded_for_does_not_reset_the_throttle(apps):
    """Issue 15: uvicorn trusted X-Forwarded-For from 127.0.0.1, so rotating it gave unlimited guesses."""
    url = apps["secured"].url
    for i in range(5):
        r = httpx.post(url + "/api/token", json={"name": " mallory", "password": WRONG_PASSWORD},
                       headers={"X-Forwarded-For": f"10.9.8.{i}"})
        assert r.status_code == 401
    r = httpx.post(url + "/api/token", json={"name": "mallory\t", "password": WRONG_PASSWORD},
                   headers={"X-Forwarded-For": "10.9.8.200"})
    assert r.status_code == 429


# --- secrets ----------------------------------------------------------------------------------
def test_passwords_are_stored_as_argon2_hashes(apps):
    import yaml

    text = apps["users"].read_text(encoding="utf-8")
    entries = yaml.safe_load(text)["users"]
    assert set(entries) == set(USERS) | {"tess"}
    for name, (_, password) in USERS.items():
        assert entries[name]["password_hash"].startswith("$argon2id$")
        assert password not in text
    assert apps["users"].stat().st_mode & 0o077 == 0  # readable by its owner only


def test_tokens_are_compared_in_constant_time(monkeypatch):
    import hmac

    import assistant.web.sessions as users
    from assistant.web.users import Users

    assert "hmac.compare_digest" in inspect.getsource(users.TokenStore.lookup)
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(users.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    store = users.TokenStore()
    token = store.issue("pat", "partner")
    token_id, _, secret = token.partition(".")
    assert store.lookup(f"{token_id}.{'x' * len(secret)}") is None
    assert store.lookup(token).name == "pat"
    assert len(calls) == 2  # every secret check goes through compare_digest, the right one and the wrong one
    # unknown users cost an argon2 verification too, so a name cannot be probed by timing
    u = Users.__new__(Users)
    u._users, u._dummy_hash, u.path = {}, None, Path("/nonexistent")
    u._reload = lambda: None
    assert u.verify("nobody", "whatever-123") is None and u._dummy_hash.startswith("$argon2id$")


def test_logs_hold_no_passwords_tokens_or_document_text(apps):
    """Both servers ran with -v through every test above; exercise the secret paths once more, then scan."""
    secured = apps["secured"]
    httpx.post(secured.url + "/api/token", json={"name": "sam", "password": WRONG_PASSWORD})
    with httpx.Client(base_url=secured.url) as client:
        sign_in_form(client, "ada", WRONG_PASSWORD)
    staff = {"Authorization": f"Bearer {apps['tokens']['staff']}"}
    answer = httpx.post(secured.url + "/api/ask", json={"question": "How should staff handle nominations and partner "
                        "inquiries?"}, headers=staff, timeout=120).json()
    assert httpx.get(f"{secured.url}/api/documents/{STAFF_DOC}/file", headers=staff).status_code == 200
    quoted = [c["quote"] for c in answer["citations"]] + [answer["answer"]]
    logs = secured.all_logs() + apps["demo"].all_logs()
    assert "INFO" in logs  # the logs were captured at all (-v)
    secrets_ = [p for _, p in USERS.values()] + [WRONG_PASSWORD] + [t.partition(".")[2] for t in apps["tokens"].values()]
    for secret in secrets_:
        assert secret not in logs
    for text in (STAFF_MARK, *STAFF_SENTENCES, *[q[:60] for q in quoted if len(q) > 40]):
        assert text not in logs, text
    assert unexpected_errors(logs) == []


def test_load_smoke_ten_users_of_every_role_at_once(apps):
    """10 concurrent users (roles round-robin) × 3 questions each: every answer 200. No latency is asserted."""
    from reliability.load import run_load

    roles = ["public", "partner", "staff", "admin"]
    headers = [{"Authorization": f"Bearer {apps['tokens'][r]}"} for r in roles]
    result = run_load(apps["secured"].url, users=10, duration_s=120, max_requests_per_user=3, headers=headers,
                      probe_every_s=0.5)
    assert result.requests == 30
    assert result.statuses() == {"200": 30}, [vars(s) for s in result.errors]
    assert all(status == 200 for status, _ in result.health)
