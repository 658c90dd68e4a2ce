"""``GET``/``PUT /api/documents/{doc_id}/eligibility`` per role, over a real `python app.py` on a copy of
the corpus: admins only (403 for the others, 401 without a token), a clause not in the document is a 400
that saves nothing, and a saved entry is used by ``/api/eligibility`` and ``/api/ask`` at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from assistant.web.users import add_user
from reliability.harness import AppProcess, copy_index

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
USERS = {"pat": ("partner", "partner-pass-1"), "sam": ("staff", "staff-pass-1"), "ada": ("admin", "admin-pass-1")}
DOC = "programmes/viet-nam-criminal-justice-reform.html"
URL = f"/api/documents/{DOC}/eligibility"
ROLES_CLAUSE = ("Eligible roles: officials of Viet Nam's criminal justice agencies, such as police, prosecution, "
                "courts and corrections (illustrative).")
ENTRY = {"countries": ["Viet Nam"], "countries_clause": "Eligible countries: Viet Nam.",
         "roles": ["judge"], "roles_clause": ROLES_CLAUSE, "topics": ["criminal justice reform"],
         "topics_clause": "Topics: reform and improvement of the criminal justice system of Viet Nam.",
         "not_eligible": [{"clause": "Not eligible: officials from countries other than Viet Nam.", "applies_to": "country"}]}


@pytest.fixture(scope="module")
def app(real_index, tmp_path_factory):
    base = tmp_path_factory.mktemp("elig-api")
    shutil.copytree(ROOT / "corpus", base / "corpus")  # the entry is written to this copy, never to the repository
    for name, (role, password) in USERS.items():
        add_user(base / "users.yaml", name, role, password)
    server = AppProcess(base, copy_index(real_index.index_dir, base / "index"), users_file=base / "users.yaml",
                        corpus_dir=base / "corpus").start()
    try:
        server.wait_ready()
        yield server, base / "corpus"
    finally:
        server.stop()


def headers(server, name: str) -> dict[str, str]:
    r = httpx.post(server.url + "/api/token", json={"name": name, "password": USERS[name][1]}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_only_admins_may_read_or_edit(app):
    server, corpus = app
    before = (corpus / "eligibility.yaml").read_bytes()
    assert httpx.get(server.url + URL, timeout=30).status_code == 401
    assert httpx.put(server.url + URL, json=ENTRY, timeout=30).status_code == 401
    for name in ("pat", "sam"):
        h = headers(server, name)
        assert httpx.get(server.url + URL, headers=h, timeout=30).status_code == 403
        r = httpx.put(server.url + URL, json=ENTRY, headers=h, timeout=30)
        assert r.status_code == 403 and "administrators" in r.json()["detail"]
    assert (corpus / "eligibility.yaml").read_bytes() == before


def test_admin_sees_the_entry_and_the_documents_clauses(app):
    server, _ = app
    h = headers(server, "ada")
    body = httpx.get(server.url + URL, headers=h, timeout=30).json()
    assert body["entry"]["id"] == "viet-nam-reform" and body["entry"]["countries"] == ["VN"]
    assert {"kind": "eligible_countries", "clause": "Eligible countries: Viet Nam.", "page": None} in body["clauses"]
    assert httpx.get(server.url + "/api/documents/no/such.md/eligibility", headers=h, timeout=30).status_code == 404


def test_a_clause_not_in_the_document_is_a_400_that_saves_nothing(app):
    server, corpus = app
    before = (corpus / "eligibility.yaml").read_bytes()
    r = httpx.put(server.url + URL, json={**ENTRY, "countries_clause": "Eligible countries: Viet Nam and Laos."},
                  headers=headers(server, "ada"), timeout=60)
    assert r.status_code == 400
    assert "'Eligible countries: Viet Nam and Laos.' is not in " + DOC in r.json()["detail"]
    assert (corpus / "eligibility.yaml").read_bytes() == before
    assert httpx.put(server.url + URL, json={**ENTRY, "colour": "red"}, headers=headers(server, "ada"),
                     timeout=30).status_code == 422


def test_a_saved_entry_is_used_at_once_by_the_api_and_the_chat(app):
    server, corpus = app
    pat = headers(server, "pat")

    def verdict() -> str:
        r = httpx.post(server.url + "/api/eligibility", json={"country": "Viet Nam", "role": "police officer",
                       "programme": "viet-nam-reform"}, headers=pat, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()["programmes"][0]["verdict"]

    assert verdict() == "eligible"
    r = httpx.put(server.url + URL, json=ENTRY, headers=headers(server, "ada"), timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["entry"]["eligible_roles"]["roles"] == ["judge"]
    assert "viet nam programme" in r.json()["entry"]["names"]  # what the form left out stays as written
    assert "roles: [judge]" in (corpus / "eligibility.yaml").read_text()
    assert verdict() == "depends"  # a police officer is no longer named (the list is illustrative)
    r = httpx.post(server.url + "/api/ask", json={"question": "Who can take part in the Viet Nam programme?"},
                   headers=pat, timeout=120)
    assert r.status_code == 200 and r.json()["kind"] == "eligibility"
    assert "the roles named: judge (illustrative)" in r.json()["answer"]
