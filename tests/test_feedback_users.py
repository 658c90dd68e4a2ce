"""Units of the app: feedback store and export, users and tokens, upload checks, HTML escaping."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from assistant.access import may_act_as
from assistant.web import uploads
from assistant.web.feedback import FeedbackStore
from assistant.web.feedback import main as feedback_main
from assistant.web.sessions import LoginThrottle, TokenStore
from assistant.web.users import (
    Users,
    UsersFileError,
    add_user,
    hash_password,
    read_users,
    verify_password,
)

ROOT = Path(__file__).resolve().parent.parent


# --- feedback -----------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    return FeedbackStore(tmp_path / "fb" / "feedback.sqlite")


def test_feedback_add_update_get(store):
    cites = [{"n": 1, "doc_id": "overview.md", "page": None}]
    fid = store.add("Q?", "A [1].", cites, -1, "", "partner", "abc123", user="pat", index_version="v1")
    store.update(fid, comment="  wrong year  ")
    store.update(fid, rating=1)
    row = store.get(fid)
    assert row["rating"] == 1 and row["comment"] == "wrong year" and row["citations"] == cites
    assert row["role"] == "partner" and row["user"] == "pat" and row["settings_hash"] == "abc123" and row["time"] > 0
    assert store.get(fid + 100) is None


@pytest.mark.parametrize("rating", [0, 2, "meh", None])
def test_feedback_rejects_bad_ratings(store, rating):
    with pytest.raises(ValueError):
        store.add("q", "a", [], rating, "", "public")


def test_feedback_comment_is_capped(store):
    fid = store.add("q", "a", [], 1, "x" * 5000, "public")
    assert len(store.get(fid)["comment"]) == 2000


def test_feedback_export_csv_and_jsonl(store, tmp_path):
    store.add("Q1?", "A1", [{"n": 1}], 1, "good", "staff", "h")
    store.add("Q2, \"quoted\"\nline", "A2", [], -1, "=HYPERLINK(\"x\")", "public", "h")
    assert store.export(tmp_path / "out.jsonl") == 2
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["rating"] for r in rows] == [1, -1] and rows[0]["citations"] == [{"n": 1}]
    assert store.export(tmp_path / "out.csv") == 2
    table = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert table[1]["question"] == 'Q2, "quoted"\nline'
    assert table[1]["comment"].startswith("'=")  # no formula runs when the CSV is opened in a spreadsheet
    assert json.loads(table[0]["citations"]) == [{"n": 1}]
    with pytest.raises(ValueError):
        store.export(tmp_path / "out.xml")


def test_feedback_cli_export(store, tmp_path, capsys):
    store.add("Q?", "A", [], 1, "", "public")
    assert feedback_main(["--db", str(store.path), "export", "--format", "jsonl"]) == 0
    assert json.loads(capsys.readouterr().out)["question"] == "Q?"
    out = tmp_path / "x.csv"
    assert feedback_main(["--db", str(store.path), "export", "--format", "csv", "--out", str(out)]) == 0
    assert out.read_text().startswith("id,time,question")
    assert feedback_main(["--db", str(tmp_path / "missing.sqlite"), "export"]) == 2


# --- users and tokens ---------------------------------------------------------------------------
def test_hash_and_verify():
    h = hash_password("correct horse")
    assert h.startswith("$argon2") and "correct horse" not in h
    assert verify_password(h, "correct horse")
    assert not verify_password(h, "wrong horse")
    assert not verify_password("not-a-hash", "correct horse")
    with pytest.raises(ValueError):
        hash_password("short")


def test_users_file_add_verify_and_roles(tmp_path):
    path = tmp_path / "users.yaml"
    add_user(path, "pat", "partner", "partner-pass")
    add_user(path, "ada", "admin", "admin-pass-1")
    add_user(path, "pat", "staff", "new-partner-pass")  # replaces, keeps the others
    assert path.stat().st_mode & 0o077 == 0
    users = Users(path)
    assert len(users) == 2
    assert users.verify("pat", "new-partner-pass").role == "staff"
    assert users.verify("pat", "partner-pass") is None
    assert users.verify("nobody", "whatever-pass") is None
    assert users.verify("ada", "") is None
    data = yaml.safe_load(path.read_text())
    assert set(data["users"]["ada"]) == {"password_hash", "role"}


@pytest.mark.parametrize("role", ["root", "Staff", "", "superuser"])
def test_unknown_role_is_rejected(tmp_path, role):
    with pytest.raises(ValueError):
        add_user(tmp_path / "users.yaml", "x", role, "long-enough")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({"users": {"x": {"password_hash": "$argon2id$x", "role": role}}}))
    with pytest.raises(UsersFileError):
        read_users(tmp_path / "bad.yaml")


@pytest.mark.parametrize("name", ["", "../etc", "a b", "x" * 65, "<script>"])
def test_bad_user_names_are_rejected(tmp_path, name):
    with pytest.raises(ValueError):
        add_user(tmp_path / "users.yaml", name, "staff", "long-enough")


def test_users_cli_with_password_stdin(tmp_path):
    path = tmp_path / "users.yaml"
    cmd = [sys.executable, "-m", "assistant.web.users", "--file", str(path), "add", "amara", "--role", "partner", "--password-stdin"]
    done = subprocess.run(cmd, input="s3cret-pass\n", capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert Users(path).verify("amara", "s3cret-pass").role == "partner"
    bad = subprocess.run(cmd[:-3] + ["--role", "root", "--password-stdin"], input="s3cret-pass\n", capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_may_act_as():
    assert may_act_as("admin", "staff") and may_act_as("staff", "partner") and may_act_as("partner", "partner")
    assert not may_act_as("partner", "staff") and not may_act_as("staff", "admin") and not may_act_as("public", "partner")
    with pytest.raises(ValueError):
        may_act_as("staff", "root")


def test_token_store():
    tokens = TokenStore(ttl_s=60)
    t = tokens.issue("pat", "partner")
    assert tokens.lookup(t).name == "pat"
    token_id, secret = t.split(".", 1)
    assert tokens.lookup(f"{token_id}.{secret[:-1]}x") is None
    assert tokens.lookup(secret) is None and tokens.lookup("") is None and tokens.lookup(None) is None
    short = tokens.issue("ada", "admin", ttl_s=0.01)
    time.sleep(0.05)
    assert tokens.lookup(short) is None
    tokens.revoke(t)
    assert tokens.lookup(t) is None


def test_login_throttle():
    throttle = LoginThrottle(limit=2, window_s=60)
    assert not throttle.blocked("pat")
    throttle.failed("pat")
    throttle.failed("pat")
    assert throttle.blocked("pat") and not throttle.blocked("ada")
    throttle.succeeded("pat")
    assert not throttle.blocked("pat")


# --- uploads ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "given, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\windows\\evil.txt", "evil.txt"),
        ("/abs/path/notes.MD", "notes.md"),
        ("my report (final) v2.docx", "my-report-final-v2.docx"),
        ("..hidden..name...txt", "hidden.name.txt"),
        ("Résumé ünïcode.html", "Resume-unicode.html"),
        ("a<script>b.md", "a-script-b.md"),
    ],
)
def test_safe_name(given, expected):
    name = uploads.safe_name(given)
    assert name == expected
    assert "/" not in name and "\\" not in name and ".." not in name


@pytest.mark.parametrize("given", ["", "   ", "noextension", "evil.exe", "page.php", "../catalogue.yaml", "x.meta.yaml", ".md", "...."])
def test_safe_name_refuses(given):
    with pytest.raises(uploads.UploadError):
        uploads.safe_name(given)


def test_save_upload_checks_size_and_writes_sidecar(make_settings, tmp_path):
    settings = make_settings(corpus_dir=tmp_path / "corpus", upload_max_mb=0.001)
    small = tmp_path / "small.md"
    small.write_text("# Note\n\nA small fact.\n")
    dest = uploads.save_upload(small, "../../Small Note.md", settings, title="  A <b>note</b> ", audience="partner")
    assert dest == tmp_path / "corpus" / "uploads" / "Small-Note.md" and dest.read_text() == small.read_text()
    meta = yaml.safe_load(uploads.sidecar(dest).read_text())
    assert meta == {"audience": "partner", "doc_type": "document", "title": "A <b>note</b>"}
    big = tmp_path / "big.md"
    big.write_text("x" * 2000)
    with pytest.raises(uploads.UploadError, match="limit"):
        uploads.save_upload(big, "big.md", settings)
    empty = tmp_path / "empty.md"
    empty.write_text("")
    with pytest.raises(uploads.UploadError, match="empty"):
        uploads.save_upload(empty, "empty.md", settings)
    with pytest.raises(uploads.UploadError):
        uploads.save_upload(small, "small.exe", settings)
    with pytest.raises(uploads.UploadError):
        uploads.save_upload(small, "small.md", settings, audience="everyone")
    assert sorted(p.name for p in (tmp_path / "corpus" / "uploads").iterdir()) == ["Small-Note.md", "Small-Note.md.meta.yaml"]


def test_upload_reindex_and_remove(make_settings, tmp_path):
    """The whole admin path on the fake embedder: upload, sync with progress, remove (file deleted too)."""
    settings = make_settings(corpus_dir=tmp_path / "corpus")
    (tmp_path / "corpus").mkdir()
    src = tmp_path / "src.md"
    src.write_text("# Zorblat\n\nThe Zorblat exchange began in 1987 in Reykjavik.\n")
    dest = uploads.save_upload(src, "zorblat.md", settings, audience="public", title="Zorblat note")
    events = []
    report = uploads.reindex(settings, lambda event, data: events.append(event))
    assert report.count("added") == 1 and {"file", "done", "keyword"} <= set(events)
    from assistant.service import Assistant

    docs = Assistant(settings).documents("public")
    assert [(d.doc_id, d.title) for d in docs] == [("uploads/zorblat.md", "Zorblat note")]
    rec, deleted = uploads.remove("uploads/zorblat.md", settings)
    assert deleted and rec.doc_id == "uploads/zorblat.md"
    assert not dest.exists() and not uploads.sidecar(dest).exists()
    assert not (tmp_path / "corpus" / "uploads").exists()  # the last upload gone leaves no empty folder
    assert (tmp_path / "corpus").is_dir()  # but the corpus stays
    assert Assistant(settings).documents("admin") == []
# --- rendering: document and user text is escaped ---------------------------------------------
def test_rendering_escapes_document_and_user_text():
    from assistant.types import Answer, Citation
    from assistant.web.render import render_answer, render_documents, render_user

    evil = "<script>alert(1)</script>"
    cite = Citation(n=1, doc_id=f"uploads/{evil}.md", title=f"Title {evil}", page=3, quote=f"Fact {evil} here.",
                    source_path="x", passage=f"Before. Fact {evil} here. After.", doc_type="document")
    answer = Answer(question=evil, text=f"Fact {evil} here [1].", declined=False, citations=(cite,), searched_for=f"{evil} rewritten")
    out = render_answer(answer, "src-1")
    assert "<script>" not in out and out.count("&lt;script&gt;") >= 4
    assert '<a class="pa-cite" href="#src-1-1"' in out and 'id="src-1-1"' in out
    assert "<mark>Fact &lt;script&gt;alert(1)&lt;/script&gt; here.</mark>" in out
    assert "\n\n" not in out
    assert "<script>" not in render_user(evil)

    class Rec:
        doc_id, title, doc_type, audience, pages, chunk_ids, indexed_at = f"a/{evil}.md", evil, "document", "public", 1, ["c"], 0.0

    table = render_documents([Rec()])
    assert "<script>" not in table and "&lt;script&gt;" in table


def test_answer_json_matches_cli_shape():
    from assistant.types import Answer, Citation
    from assistant.web.context import answer_json, file_url

    c = Citation(n=1, doc_id="a/b c.pdf", title="T", page=2, quote="q", source_path="corpus/a/b c.pdf", passage="long")
    data = answer_json(Answer(question="q", text="t [1].", declined=False, citations=(c,), searched_for="q"))
    assert data["citations"] == [{"n": 1, "doc_id": "a/b c.pdf", "title": "T", "page": 2, "quote": "q", "source_path": "corpus/a/b c.pdf"}]
    assert json.loads(json.dumps(data))["answer"] == "t [1]."
    assert file_url("a/b c.pdf", 2) == "/api/documents/a/b%20c.pdf/file#page=2"
    assert file_url("a/b.md", 2) == "/api/documents/a/b.md/file"
