"""Faults: bad files among good ones, a run killed part-way, two runs at once, CLI errors."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import docfactory as df
import pytest

from assistant.types import DocMeta
from ingest.chunking import chunk_blocks
from ingest.loaders import load
from ingest.pipeline import index_lock, sync

BAD = {
    "corrupt.pdf": (df.make_corrupt_pdf, "corrupt"),
    "locked.pdf": (df.make_encrypted_pdf, "encrypted"),
    "empty.md": (df.make_empty, "empty"),
    "picture.txt": (df.make_binary_txt, "binary"),
    "scan.pdf": (df.make_scanned_pdf, "no text layer"),
    "fake.docx": (df.make_docx_not_zip, "not a valid zip"),
}


def _add_bad_and_good(root: Path) -> None:
    for name, (build, _) in BAD.items():
        build(root / "incoming" / name)
    df.make_pdf(root / "incoming" / "good.pdf", 2)


def _failures(report) -> dict[str, str]:
    return {f.doc_id: f.reason for f in report.files if f.status == "failed"}


def test_bad_inputs_are_skipped_with_reasons_and_the_rest_is_indexed(tmp_path, make_settings):
    settings = make_settings()
    root = tmp_path / "docs"
    df.make_markdown(root / "kept.md")
    df.make_docx(root / "kept.docx")
    sync([root], settings)
    before = df.IndexState(settings)

    _add_bad_and_good(root)
    report = sync([root], settings)

    assert report.status == "partial"
    failures = _failures(report)
    assert set(failures) == {f"incoming/{name}" for name in BAD}
    for name, (_, reason) in BAD.items():
        assert reason in failures[f"incoming/{name}"], (name, failures[f"incoming/{name}"])
    assert {f.doc_id for f in report.files if f.status == "added"} == {"incoming/good.pdf"}
    assert {f.doc_id for f in report.files if f.status == "unchanged"} == {"kept.md", "kept.docx"}

    after = df.IndexState(settings).assert_consistent()
    assert after.doc_ids_in_store() == {"kept.md", "kept.docx", "incoming/good.pdf"}
    assert after.ids_of("kept.md") == before.ids_of("kept.md")
    assert after.store.count() == len(before.store_ids) + len(after.ids_of("incoming/good.pdf"))
    # a second run reports the same bad files again and changes nothing else
    again = sync([root], settings)
    assert set(_failures(again)) == set(failures) and again.chunks_written == 0


def test_oversized_file_is_skipped_by_setting(tmp_path, make_settings):
    root = tmp_path / "docs"
    df.make_text(root / "small.txt", "A short and valid note.")
    df.make_text(root / "huge.txt", "A long line of text about the programme.\n" * 5000)
    report = sync([root], make_settings(max_file_mb=0.1))
    assert report.status == "partial"
    assert "too large" in _failures(report)["huge.txt"]


def test_only_bad_files_gives_failed_status(tmp_path, make_settings):
    root = tmp_path / "docs"
    df.make_empty(root / "a.txt")
    df.make_corrupt_pdf(root / "b.pdf")
    report = sync([root], make_settings())
    assert report.status == "failed" and report.count("failed") == 2


def test_cli_bad_input_directory_exit_1_and_json(tmp_path, make_settings):
    settings = make_settings()  # the CLI below uses the same index: hash embedder, default chunking
    root = tmp_path / "docs"
    df.make_markdown(root / "kept.md")
    sync([root], settings)
    before = df.IndexState(settings)
    count_before = before.store.count()
    df.drop_chroma_clients(settings)  # let the subprocess own the store

    _add_bad_and_good(root)
    result = df.run_ingest(root, "--index-dir", settings.index_dir, "--json", "--embed-model", "hash")

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "partial"
    assert (data["added"], data["unchanged"], data["failed"]) == (1, 1, len(BAD))
    reasons = {Path(f["path"]).name: f["reason"] for f in data["failures"]}
    assert set(reasons) == set(BAD)
    for name, (_, reason) in BAD.items():
        assert reason in reasons[name]
    assert [c["doc_id"] for c in data["changes"]] == ["incoming/good.pdf"]

    after = df.IndexState(settings, fresh=True).assert_consistent()
    assert after.store.count() == count_before + data["chunks"]
    assert after.ids_of("kept.md") == before.ids_of("kept.md")
    # the ids the other process wrote are the ids this process computes (stable across processes)
    good = root / "incoming" / "good.pdf"
    expected = chunk_blocks(DocMeta(doc_id="incoming/good.pdf", title="x"), load(good), 200, 30)
    assert after.manifest.docs["incoming/good.pdf"].chunk_ids == [c.chunk_id for c in expected]

    # the text form lists every skipped file with its reason
    text = df.run_ingest(root, "--index-dir", settings.index_dir, "--embed-model", "hash")
    assert text.returncode == 1
    for name, (_, reason) in BAD.items():
        assert any(name in line and reason in line for line in text.stdout.splitlines() if "skipped" in line)
    assert "status: partial" in text.stdout


# ------------------------------------------------------------------------------- killed part-way


def _read_manifest(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _run_and_kill(docs: Path, index: Path, manifest: Path, condition, timeout: float = 90) -> tuple[bool, dict | None]:
    """Start `python -m ingest`, SIGKILL it as soon as ``condition(manifest)`` holds; True if it was killed."""
    proc = subprocess.Popen(
        df.ingest_cmd(docs, "--index-dir", index, "--embed-model", "hash", "--json"),
        # small commit groups: documents are committed a few at a time, so there is a middle to kill in
        cwd=df.ROOT, env=df.cli_env(PA_EMBED_BATCH_SIZE="2", PA_INGEST_GROUP_CHUNKS="8"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False, _read_manifest(manifest)
            data = _read_manifest(manifest)
            if data is not None and condition(data):
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                return True, _read_manifest(manifest)
            time.sleep(0.003)
        raise AssertionError("the ingestion neither reached the kill point nor finished")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _check_crashed_state(settings) -> None:
    """Right after a kill: whatever the manifest records is fully in the store (each document old or new)."""
    state = df.IndexState(settings, fresh=True)
    assert state.manifest.dirty
    assert state.manifest_ids <= state.store_ids
    df.drop_chroma_clients(settings)


def _recover_and_check(docs: Path, settings) -> df.IndexState:
    """Re-run (as the next ingestion would) and check the index is whole and consistent."""
    df.drop_chroma_clients(settings)
    report = sync([docs], settings)
    assert report.status == "ok", report.to_dict()
    state = df.IndexState(settings).assert_consistent()
    on_disk = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")}
    assert set(state.manifest.docs) == on_disk == state.doc_ids_in_store()
    for doc_id in on_disk:  # every document is there in its current version, chunk for chunk
        path = docs / doc_id
        chunks = chunk_blocks(DocMeta(doc_id=doc_id, title="x"), load(path), 200, 30)
        assert [state.texts.get(c.chunk_id) for c in chunks] == [c.text for c in chunks], doc_id
    # and a further run finds nothing to do
    assert sync([docs], settings).chunks_written == 0
    df.drop_chroma_clients(settings)
    return state


def test_killed_ingestion_converges_on_rerun(tmp_path, make_settings):
    settings = make_settings()
    docs = tmp_path / "docs"
    index = settings.index_dir
    manifest = index / f"manifest-{settings.index_settings_hash}.json"
    df.make_many_docs(docs, 40)

    # 1. killed while loading and embedding: the manifest is marked dirty, no document committed yet
    started = time.monotonic()
    killed, data = _run_and_kill(docs, index, manifest, lambda m: m["dirty"] and time.monotonic() - started > 1.0)
    assert killed and data["dirty"] and len(data["docs"]) < 40
    _recover_and_check(docs, settings)

    # 2. killed in the middle of adding documents (a fresh index)
    shutil.rmtree(index)
    killed, data = _run_and_kill(docs, index, manifest, lambda m: len(m["docs"]) >= 10)
    assert killed and data["dirty"] and 10 <= len(data["docs"]) < 40
    _check_crashed_state(settings)
    _recover_and_check(docs, settings)

    # 3. killed in the middle of updating: every document grows (new chunk ids), some vanish, some are new
    for path in sorted(docs.glob("doc-*.md")):
        i = int(path.stem.split("-")[1])
        sections = [(f"Revised part {j}", f"Revision of document{i} part{j} on topic{i + j}. {df.LOREM}")
                    for j in range(9)]
        df.make_markdown(path, sections, title=f"Revised document {i}")
    for i in (3, 17, 33):
        (docs / f"doc-{i:03d}.md").unlink()
    df.make_markdown(docs / "extra" / "late-arrival.md")
    t0 = time.time()
    killed, data = _run_and_kill(
        docs, index, manifest, lambda m: sum(r["indexed_at"] > t0 for r in m["docs"].values()) >= 12
    )
    assert killed and data["dirty"]
    assert 12 <= sum(r["indexed_at"] > t0 for r in data["docs"].values()) < 37
    _check_crashed_state(settings)
    state = _recover_and_check(docs, settings)
    assert "doc-017.md" not in state.manifest.docs and "extra/late-arrival.md" in state.manifest.docs
    assert all(len(r.chunk_ids) >= 9 for k, r in state.manifest.docs.items() if k.startswith("doc-"))


class _Crash(BaseException):
    """Stands for the process dying: nothing after it runs, no cleanup."""


def test_crash_between_store_write_and_manifest_write_leaves_no_orphan(tmp_path, make_settings, monkeypatch):
    """Chunks written for a document the manifest never recorded, whose file is then deleted, are swept."""
    from assistant.store import Manifest

    settings = make_settings()
    docs = tmp_path / "docs"
    df.make_markdown(docs / "a-first.md")
    df.make_markdown(docs / "b-victim.md", [("Only", "The victim document has its own words.")])
    real_save = Manifest.save

    def dying_save(self, s):
        if "b-victim.md" in self.docs:
            raise _Crash
        real_save(self, s)

    monkeypatch.setattr(Manifest, "save", dying_save)
    with pytest.raises(_Crash):
        sync([docs], settings)
    monkeypatch.setattr(Manifest, "save", real_save)

    crashed = df.IndexState(settings)
    assert crashed.manifest.dirty and "b-victim.md" not in crashed.manifest.docs
    assert crashed.ids_of("b-victim.md")  # written to the store, never recorded: an orphan to be
    (docs / "b-victim.md").unlink()

    report = sync([docs], settings)
    assert report.status == "ok"
    state = df.IndexState(settings).assert_consistent()
    assert state.doc_ids_in_store() == {"a-first.md"}
    assert state.manifest.generation > crashed.manifest.generation


# ------------------------------------------------------------------------------- concurrency and CLI errors


def test_second_ingestion_with_no_wait_exits_3_while_the_lock_is_held(tmp_path, make_settings):
    settings = make_settings()
    docs = tmp_path / "docs"
    df.make_markdown(docs / "a.md")
    args = (docs, "--index-dir", settings.index_dir, "--embed-model", "hash", "--dry-run")
    with index_lock(settings):
        busy = df.run_ingest(*args, "--no-wait")
    assert busy.returncode == 3
    assert busy.stdout == ""
    assert "another ingestion is running" in busy.stderr and "try again" in busy.stderr
    assert "Traceback" not in busy.stderr
    free = df.run_ingest(*args, "--no-wait")
    assert free.returncode == 0 and "1 would be added" in free.stdout


def test_lock_without_wait_raises_busy_in_process(make_settings):
    from ingest.pipeline import IngestBusyError

    settings = make_settings()
    with index_lock(settings):
        with pytest.raises(IngestBusyError, match="another ingestion is running"):
            with index_lock(settings, wait=False):
                pass
    with index_lock(settings, wait=False):  # released again
        pass


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["{tmp}/does-not-exist"], "no such file or folder"),
        (["{tmp}", "--config", "{tmp}/missing.toml"], "config file not found"),
        (["status", "--config", "{tmp}/missing.yaml"], "config file not found"),
    ],
)
def test_cli_usage_errors_exit_2_with_a_one_line_message(tmp_path, args, fragment):
    args = [a.format(tmp=tmp_path) for a in args]
    result = df.run_ingest(*args, "--index-dir", tmp_path / "ix", "--embed-model", "hash")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr


def test_cli_unknown_setting_in_config_exits_2_naming_it(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("chunk_size = 300\nchunk_sise = 100\n")
    result = df.run_ingest("status", "--config", cfg)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "chunk_sise" in result.stderr


def test_cli_without_arguments_is_a_usage_error(tmp_path):
    result = df.run_ingest()
    assert result.returncode == 2 and "usage:" in result.stderr and "Traceback" not in result.stderr
