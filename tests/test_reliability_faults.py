"""Faults the running system must survive: the app killed in the middle of an upload, an upload and
a CLI ingestion at once, a removal cut short, the Chroma server going away, a read-only index and a
full disk. After each, the index is consistent (store = manifest = keyword index) and nothing that
was indexed before is lost. Indexes here use the fake hash embedder, so they build in seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from reliability.harness import (
    CORPUS,
    AppProcess,
    GradioSession,
    copy_index,
    hash_index,
    index_settings,
    ingest,
    snapshot,
    token_headers,
    unexpected_errors,
)

ROOT = Path(__file__).resolve().parent.parent
HASH = {"PA_EMBED_MODEL": "hash"}
ADMIN = ("ada", "admin-pass-1")


@pytest.fixture(scope="module")
def base_index(tmp_path_factory) -> Path:
    return hash_index(tmp_path_factory.getbasetemp())


@pytest.fixture
def workspace(tmp_path, base_index):
    """A private corpus copy, index copy and users file (one admin)."""
    from assistant.web.users import add_user

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    ix = copy_index(base_index, tmp_path / "ix")
    users = tmp_path / "users.yaml"
    add_user(users, ADMIN[0], "admin", ADMIN[1])
    return {"base": tmp_path, "corpus": corpus, "ix": ix, "users": users, "settings": index_settings(ix, embed_model="hash")}


def big_markdown(word: str, sections: int = 120) -> str:
    """A long document (hundreds of chunks), so its indexing takes long enough to be interrupted."""
    parts = [f"# The {word} exchange", ""]
    for i in range(sections):
        parts += [f"## Part {i}", "", f"The {word} exchange trains prison wardens, section {i}. " * 12
                  + f"Cohort {i} of the {word} exchange met in spring.", ""]
    return "\n".join(parts)


def _manifest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def upload_and_kill(app: AppProcess, settings, name: str, text: str, condition, timeout: float = 120) -> bool:
    """Upload ``name`` as admin through the UI's HTTP events and SIGKILL the app as soon as
    ``condition(manifest)`` holds. True if it was killed there, False if the upload finished first."""
    from assistant.store import Manifest

    path = Manifest.path_for(settings)
    session = GradioSession(app.url, *ADMIN)
    value = session.file_value(name, text.encode())

    def run() -> None:
        try:
            session.call("pa-upload-btn", [value, "", "public", "document"], timeout=timeout)
        except Exception:  # the server dies under it: expected
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            data = _manifest(path)
            if data is not None and condition(data):
                app.kill()
                return True
            if not thread.is_alive():
                return False
            time.sleep(0.002)
        raise AssertionError("the upload neither reached the kill point nor finished")
    finally:
        thread.join(30)
        session.close()


def ask(app: AppProcess, headers: dict, question: str) -> dict:
    r = httpx.post(app.url + "/api/ask", json={"question": question}, headers=headers, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def assert_crashed_state(settings) -> None:
    """Right after a kill: whatever the manifest records is wholly in the store."""
    snap = snapshot(settings)
    assert snap.dirty, "the kill came after the upload had finished"
    recorded = {c for _, ids, _ in snap.docs.values() for c in ids}
    assert recorded <= snap.store_ids


@pytest.mark.slow
def test_app_killed_during_upload_is_consistent_on_restart(workspace):
    w, settings = workspace, workspace["settings"]
    before = snapshot(settings)
    assert before.consistent()
    app = AppProcess(w["base"] / "app", w["ix"], users_file=w["users"], corpus_dir=w["corpus"], env=HASH)
    app.start().wait_ready()
    try:
        # 1. killed while the uploaded document is embedded and written, before it is recorded
        killed = upload_and_kill(app, settings, "big-one.md", big_markdown("Quokkaville"),
                                 lambda m: m["dirty"] and "uploads/big-one.md" not in m["docs"])
        assert killed
        assert_crashed_state(settings)
        saved = w["corpus"] / "uploads" / "big-one.md"
        assert saved.is_file() and saved.with_name("big-one.md.meta.yaml").is_file()  # saved before indexing

        app.start().wait_ready()  # the restarted app finishes off the interrupted run before serving
        restarted = snapshot(settings)
        assert restarted.consistent(), restarted.problems()
        assert restarted.docs == before.docs and restarted.store_ids == before.store_ids  # nothing lost, no orphans
        assert "recovered the index" in app.log()
        headers = token_headers(app.url, *ADMIN)
        assert ask(app, headers, "What does the Nepal programme support?")["question"]

        with GradioSession(app.url, *ADMIN) as admin:  # the admin re-indexes: the upload goes in
            result = admin.call("pa-reindex-btn", [])
        assert result.success and "1 added" in result.output[0], result.output
        after = snapshot(settings)
        assert after.consistent(), after.problems()
        assert after.docs["uploads/big-one.md"][2] == "public"
        assert {d: after.docs[d] for d in before.docs} == before.docs

        # 2. killed after the document is recorded, while the keyword index is rebuilt
        killed = upload_and_kill(app, settings, "big-two.md", big_markdown("Wombatton"),
                                 lambda m: m["dirty"] and "uploads/big-two.md" in m["docs"])
        assert killed
        assert_crashed_state(settings)
        app.start().wait_ready()
        restarted = snapshot(settings)
        assert restarted.consistent(), restarted.problems()
        assert "uploads/big-two.md" in restarted.docs  # wholly written before the kill: kept
        assert {d: restarted.docs[d] for d in after.docs} == after.docs
        answer = ask(app, token_headers(app.url, *ADMIN), "Who does the Wombatton exchange train?")
        shown = [c["doc_id"] for c in answer["citations"]] + [c["doc_id"] for c in answer["closest_sources"]]
        assert "uploads/big-two.md" in shown
    finally:
        app.stop()


@pytest.mark.slow
def test_app_upload_and_cli_ingest_at_once_are_serialised(workspace):
    """test_ingest_faults covers two CLI runs; here the app's upload and a CLI run overlap on one index."""
    from assistant.store import Manifest

    w, settings = workspace, workspace["settings"]
    before = snapshot(settings)
    app = AppProcess(w["base"] / "app", w["ix"], users_file=w["users"], corpus_dir=w["corpus"], env=HASH)
    app.start().wait_ready()
    try:
        session = GradioSession(app.url, *ADMIN)
        value = session.file_value("big-upload.md", big_markdown("Quokkaville").encode())
        result: dict = {}
        thread = threading.Thread(target=lambda: result.setdefault(
            "upload", session.call("pa-upload-btn", [value, "", "partner", "document"])), daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not ((_manifest(Manifest.path_for(settings)) or {}).get("dirty")):  # the app holds the lock now
            assert time.monotonic() < deadline and thread.is_alive(), "the upload never started indexing"
            time.sleep(0.005)
        (w["corpus"] / "cli-added.md").write_text(
            "# Zebrafinch\n\nThe Zebrafinch programme for probation officers began in 1999.\n", encoding="utf-8")
        cli = ingest([w["corpus"]], w["ix"], "--embed-model", "hash")
        thread.join(120)
        session.close()

        assert cli.returncode == 0, cli.stderr
        assert "another ingestion is running" in cli.stderr and "waiting" in cli.stderr  # it queued behind the app
        assert result["upload"].success and "1 added" in result["upload"].output[0]
        after = snapshot(settings)
        assert after.consistent(), after.problems()
        assert {"uploads/big-upload.md", "cli-added.md"} <= set(after.docs)
        assert {d: after.docs[d] for d in before.docs} == before.docs
        headers = token_headers(app.url, *ADMIN)
        answer = ask(app, headers, "When did the Zebrafinch programme begin?")  # the app sees the CLI's work
        assert "1999" in answer["answer"] and answer["citations"][0]["doc_id"] == "cli-added.md"
    finally:
        app.stop()


class _Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


def test_removal_cut_short_is_repaired(tmp_path, make_settings, monkeypatch):
    """A removal killed after its chunks were deleted but before the manifest was saved: the next sync
    writes the document again (its file is unchanged), and start-up recovery leaves a consistent index."""
    import docfactory as df

    import ingest.pipeline as pipeline
    from ingest.pipeline import recover, remove_document, sync

    settings = make_settings()
    docs = tmp_path / "docs"
    df.make_markdown(docs / "keep.md")
    df.make_markdown(docs / "victim.md", [("Only", "The victim document has its own words about wardens.")])
    sync([docs], settings)
    before = snapshot(settings)

    def cut_short(*args, **kwargs):
        raise _Crash

    for repair in ("sync", "recover"):
        monkeypatch.setattr(pipeline, "rebuild_keyword_index", cut_short)
        with pytest.raises(_Crash):
            remove_document("victim.md", settings)
        monkeypatch.undo()
        crashed = snapshot(settings)
        assert crashed.dirty and not set(crashed.docs["victim.md"][1]) & crashed.store_ids  # recorded, chunks gone

        if repair == "sync":
            report = sync([docs], settings)
            assert [f.doc_id for f in report.files if f.status == "updated"] == ["victim.md"]
            after = snapshot(settings)
            assert after.docs == before.docs and after.store_ids == before.store_ids
        else:
            assert recover(settings) is True
            after = snapshot(settings)
            assert after.consistent() and "victim.md" not in after.docs
            sync([docs], settings)  # and the next sync adds it back
            after = snapshot(settings)
            assert after.docs == before.docs
        assert after.consistent(), after.problems()
        df.IndexState(settings).assert_consistent()
    assert recover(settings) is False  # a clean index: nothing to do


@pytest.mark.slow
def test_chroma_server_stopped_while_the_app_runs(tmp_path):
    from conftest import ChromaServer

    server = ChromaServer(tmp_path / "chroma-data")
    server.start()
    ix = tmp_path / "ix"
    env = {**HASH, "PA_CHROMA_HOST": "127.0.0.1", "PA_CHROMA_PORT": str(server.port)}
    app = None
    try:
        result = ingest([CORPUS], ix, "--json", **env)
        assert result.returncode == 0, result.stderr
        app = AppProcess(tmp_path / "app", ix, env=env)
        app.start().wait_ready()
        question = "What does the Nepal programme support?"
        assert ask(app, {}, question)["citations"]

        server.stop()
        for _ in range(2):  # the first call finds the connection gone, the next cannot reconnect
            r = httpx.post(app.url + "/api/ask", json={"question": question}, timeout=60)
            assert r.status_code == 503, r.text
            assert "Chroma" in r.json()["detail"] and str(server.port) in r.json()["detail"]
        health = httpx.get(app.url + "/api/health", timeout=30)
        assert health.status_code == 200 and health.json()["status"] == "store unavailable"
        assert app.alive()

        server.start()  # same port, same data folder
        deadline = time.time() + 60
        while True:
            r = httpx.post(app.url + "/api/ask", json={"question": question}, timeout=60)
            if r.status_code == 200 or time.time() > deadline:
                break
            time.sleep(0.5)
        assert r.status_code == 200 and r.json()["citations"]
        assert httpx.get(app.url + "/api/health", timeout=30).json()["status"] == "ok"
        assert unexpected_errors(app.log()) == []
    finally:
        if app is not None:
            app.stop()
        server.stop()


# --- the disk: read-only, not a folder, full ------------------------------------------------------
@contextmanager
def mounted(target: Path, *args: str):
    """``mount ARGS TARGET`` for the block; skipped where this user may not mount (tests run as root in CI)."""
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()} (see docs/reliability.md)")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _one_line_error(result, fragment: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr


def test_read_only_index_gives_a_clear_error_and_changes_nothing(workspace):
    w, settings = workspace, workspace["settings"]
    (w["corpus"] / "new-note.md").write_text("# New\n\nA new note on probation officers.\n", encoding="utf-8")
    before = snapshot(settings)
    # root ignores chmod, so make the folder really read-only: a read-only bind mount of itself
    with mounted(w["ix"], "--bind", str(w["ix"])):
        done = subprocess.run(["mount", "-o", "remount,ro,bind", str(w["ix"])], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only: {done.stderr.strip()}")
        result = ingest([w["corpus"]], w["ix"], "--embed-model", "hash")
        _one_line_error(result, "not writable")
        assert "Read-only file system" in result.stderr and str(w["ix"]) in result.stderr
        listing = subprocess.run([sys.executable, "-m", "ingest", "status", "--index-dir", str(w["ix"]),
                                  "--embed-model", "hash"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert listing.returncode == 0 and f"{len(before.docs)} documents" in listing.stdout  # reading still works
    assert snapshot(settings) == before


def test_a_file_where_the_index_folder_should_be(tmp_path):
    blocker = tmp_path / "ix"
    blocker.write_text("not a folder")
    result = ingest([CORPUS / "overview.md"], blocker, "--embed-model", "hash")
    _one_line_error(result, "is not a folder")
    assert blocker.read_text() == "not a folder"


def test_full_disk_gives_a_clear_error_loses_nothing_and_converges(workspace):
    w = workspace
    with mounted(w["base"] / "small", "-t", "tmpfs", "-o", "size=4m", "tmpfs") as disk:
        ix = copy_index(w["ix"], disk / "ix")
        small = index_settings(ix, embed_model="hash")
        before = snapshot(small)
        for i in range(6):
            (w["corpus"] / f"extra-{i}.txt").write_text(
                f"Extra paragraph {i} about prosecutors and judges in the programme. " * 400, encoding="utf-8")
        free = shutil.disk_usage(disk).free
        filler = disk / "filler"
        filler.write_bytes(b"\0" * max(0, free - 128 * 1024))  # leave 128 KiB: the index fills it mid-run
        result = ingest([w["corpus"]], ix, "--embed-model", "hash")
        _one_line_error(result, "is the disk full?")

        filler.unlink()
        crashed = snapshot(small)
        assert {d: crashed.docs[d] for d in before.docs} == before.docs  # nothing that was indexed is lost
        assert set(before.store_ids) <= crashed.store_ids
        recorded = {c for _, ids, _ in crashed.docs.values() for c in ids}
        assert recorded <= crashed.store_ids

        again = ingest([w["corpus"]], ix, "--embed-model", "hash")  # space again: a re-run converges
        assert again.returncode == 0, again.stderr
        after = snapshot(small)
        assert after.consistent(), after.problems()
        assert {f"extra-{i}.txt" for i in range(6)} <= set(after.docs)
        assert {d: after.docs[d] for d in before.docs} == before.docs
