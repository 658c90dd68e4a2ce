"""Incremental sync: unchanged skipped, changed replaced, vanished removed; store, manifest, keyword agree."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import docfactory as df
import numpy as np
import pytest

from assistant.settings import Settings
from assistant.store import ChromaStore, Manifest, scope_for
from assistant.types import Filters
from ingest.pipeline import index_lock, remove_document, sync

CATALOGUE = {
    "report.pdf": {"title": "Nepal programme report", "doc_type": "programme_description", "audience": "partner",
                   "countries": ["Nepal"], "years": [2013]},
    "notes/guide.md": {"title": "Guide for partners", "doc_type": "reference", "audience": "public"},
    "brief.docx": {"title": "Staff brief", "doc_type": "internal_note", "audience": "staff"},
    "page.html": {"title": "Web page", "audience": "public", "countries": ["Viet Nam"]},
    # memo.txt has no entry: it gets the default audience (staff)
}


def _guide_sections(version: str) -> list[tuple[str, str]]:
    return [("Purpose", f"The guide {version} explains how partners apply. {df.LOREM}"),
            ("Deadlines", f"Applications for the {version} round close in March.")]


@pytest.fixture
def corpus(tmp_path) -> Path:
    root = tmp_path / "docs"
    pages = [df.default_page_text(n, sentences=10) for n in (1, 2, 3)]
    df.make_pdf(root / "report.pdf", pages)
    df.make_markdown(root / "notes" / "guide.md", _guide_sections("original"))
    df.make_docx(root / "brief.docx")
    df.make_html(root / "page.html")
    df.make_text(root / "memo.txt", "MEMO\n\nThe office moves to the third floor in May.\n")
    df.write_catalogue(root, CATALOGUE)
    return root


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings(chunk_size=64, chunk_overlap=8)


def _statuses(report) -> dict[str, str]:
    return {f.doc_id: f.status for f in report.files}


def _by_status(report, status: str) -> set[str]:
    return {f.doc_id for f in report.files if f.status == status}


ALL = {"report.pdf", "notes/guide.md", "brief.docx", "page.html", "memo.txt"}


def test_first_sync_adds_everything(corpus, settings):
    report = sync([corpus], settings)
    assert report.status == "ok"
    assert _statuses(report) == dict.fromkeys(ALL, "added")
    state = df.IndexState(settings).assert_consistent()
    assert state.doc_ids_in_store() == ALL
    assert report.chunks_written == len(state.store_ids) == report.chunks_embedded
    assert {c.split("#")[1].split("-")[0] for c in state.ids_of("report.pdf")} == {"p1", "p2", "p3"}
    assert state.manifest.docs["report.pdf"].pages == 3
    memo = next(iter(state.ids_of("memo.txt")))
    assert state.metas[memo]["audience"] == "staff"  # no metadata: the safe default
    pdf_meta = state.metas[next(iter(state.ids_of("report.pdf")))]
    assert pdf_meta["countries"] == ["Nepal"] and pdf_meta["access_rank"] == 1


def test_second_sync_changes_nothing(corpus, settings):
    first = sync([corpus], settings)
    before = df.IndexState(settings)
    keyword_file = settings.index_dir / f"keyword-{settings.index_settings_hash}" / "keyword.json"
    keyword_bytes = keyword_file.read_bytes()
    second = sync([corpus], settings)
    assert _statuses(second) == dict.fromkeys(ALL, "unchanged")
    assert second.status == "ok"
    assert (second.chunks_written, second.chunks_embedded, second.cache_hits) == (0, 0, 0)
    assert second.index_version == first.index_version
    after = df.IndexState(settings).assert_consistent()
    assert after.texts == before.texts and after.metas == before.metas
    assert keyword_file.read_bytes() == keyword_bytes  # not rebuilt


def _edit_delete_add(corpus: Path) -> None:
    df.make_markdown(corpus / "notes" / "guide.md", _guide_sections("revised"))  # edit
    (corpus / "page.html").unlink()  # delete
    df.make_text(corpus / "new" / "added.txt", "A new circular about the spring seminar in Hanoi.")  # add
    pages = [df.default_page_text(n, sentences=10) for n in (1, 2)]  # the PDF loses its third page
    df.make_pdf(corpus / "report.pdf", pages)


def test_edit_delete_add_are_reported_and_applied(corpus, settings):
    sync([corpus], settings)
    before = df.IndexState(settings)
    old_pdf_ids = before.ids_of("report.pdf")
    page3 = {c for c in old_pdf_ids if "#p3-" in c}
    assert page3

    _edit_delete_add(corpus)
    report = sync([corpus], settings)

    assert report.status == "ok"
    assert _by_status(report, "updated") == {"notes/guide.md", "report.pdf"}
    assert _by_status(report, "removed") == {"page.html"}
    assert _by_status(report, "added") == {"new/added.txt"}
    assert _by_status(report, "unchanged") == {"brief.docx", "memo.txt"}
    assert report.cache_hits > 0  # pages 1-2 of the PDF did not change: their vectors came from the cache

    after = df.IndexState(settings).assert_consistent()
    # the deleted document is gone from the store, the keyword index and the manifest
    assert "page.html" not in after.doc_ids_in_store()
    assert after.store.ids_for_doc("page.html") == []
    assert not [c for c in after.keyword.ids if c.startswith("page.html#")]
    assert "page.html" not in after.manifest.docs
    # the PDF lost its page 3: those ids are gone, pages 1-2 kept theirs
    new_pdf_ids = after.ids_of("report.pdf")
    assert not page3 & after.store_ids and not page3 & set(after.keyword.ids)
    assert new_pdf_ids == old_pdf_ids - page3
    assert after.manifest.docs["report.pdf"].pages == 2
    # the edited document holds only its new text
    guide = " ".join(after.texts[c] for c in after.ids_of("notes/guide.md"))
    assert "revised" in guide and "original" not in guide
    keyword_hits = {after.metas[cid]["doc_id"] for cid, _ in after.keyword.search("revised", 50, "staff")}
    assert "notes/guide.md" in keyword_hits  # the keyword side indexes the new text ...
    old_words = {after.metas[cid]["doc_id"] for cid, _ in after.keyword.search("original", 50, "staff")}
    assert "notes/guide.md" not in old_words  # ... and no longer the old
    # untouched documents are untouched
    for doc in ("brief.docx", "memo.txt"):
        assert {c: after.texts[c] for c in after.ids_of(doc)} == {c: before.texts[c] for c in before.ids_of(doc)}
    assert after.manifest.generation == before.manifest.generation + 1
    assert report.index_version == after.manifest.version


def test_edited_document_with_fewer_chunks_leaves_no_stale_chunk(corpus, settings):
    long_sections = [(f"Part {i}", f"Long part {i}. {df.LOREM} {df.LOREM}") for i in range(8)]
    df.make_markdown(corpus / "notes" / "guide.md", long_sections)
    sync([corpus], settings)
    many = df.IndexState(settings).ids_of("notes/guide.md")
    df.make_markdown(corpus / "notes" / "guide.md", [("Only", "One short part remains.")])
    report = sync([corpus], settings)
    assert _by_status(report, "updated") == {"notes/guide.md"}
    after = df.IndexState(settings).assert_consistent()
    assert len(after.ids_of("notes/guide.md")) == 1 < len(many)


def test_dry_run_changes_nothing(corpus, settings):
    sync([corpus], settings)
    index = settings.index_dir

    def snapshot():
        files = {}
        for path in sorted(index.rglob("*")):
            if path.is_file() and "chroma" not in path.parts and path.suffix != ".lock":
                files[path.relative_to(index).as_posix()] = path.read_bytes()
        state = df.IndexState(settings)
        return files, state.texts, state.metas

    before = snapshot()
    _edit_delete_add(corpus)
    report = sync([corpus], settings, dry_run=True)
    assert report.dry_run
    assert _by_status(report, "updated") == {"notes/guide.md", "report.pdf"}
    assert _by_status(report, "removed") == {"page.html"}
    assert _by_status(report, "added") == {"new/added.txt"}
    assert report.chunks_written == report.chunks_embedded == 0
    assert snapshot() == before
    # and the real run afterwards still finds all the work to do
    real = sync([corpus], settings)
    assert _statuses(real) == _statuses(report)


def test_dry_run_on_an_empty_index_creates_no_store(corpus, settings):
    report = sync([corpus], settings, dry_run=True)
    assert _by_status(report, "added") == ALL
    assert not (settings.index_dir / "chroma").exists()
    assert not Manifest.path_for(settings).exists()


def test_catalogue_metadata_change_triggers_update(corpus, settings):
    sync([corpus], settings)
    store = ChromaStore(settings)
    vector = np.ones(64, dtype=np.float32) / 8
    public_before = {m["doc_id"] for _, _, _, m in store.query(vector, 100, scope_for("public"))}
    assert "notes/guide.md" in public_before

    catalogue = {**CATALOGUE, "notes/guide.md": {**CATALOGUE["notes/guide.md"], "audience": "staff"}}
    df.write_catalogue(corpus, catalogue)
    report = sync([corpus], settings)
    assert _by_status(report, "updated") == {"notes/guide.md"}
    assert _by_status(report, "unchanged") == ALL - {"notes/guide.md"}
    assert report.chunks_embedded == 0  # same text: vectors from the cache

    after = df.IndexState(settings).assert_consistent()
    assert {after.metas[c]["audience"] for c in after.ids_of("notes/guide.md")} == {"staff"}
    assert after.manifest.docs["notes/guide.md"].audience == "staff"
    public_after = {m["doc_id"] for _, _, _, m in ChromaStore(settings).query(vector, 100, scope_for("public"))}
    assert "notes/guide.md" not in public_after
    assert "notes/guide.md" not in {after.keyword.ids[i].split("#")[0]
                                    for i in np.flatnonzero(after.keyword.mask("public", None))}


def test_sidecar_metadata_beats_catalogue_and_triggers_update(corpus, settings):
    sync([corpus], settings)
    (corpus / "memo.txt.meta.yaml").write_text("title: Office move memo\naudience: public\ncountries: [Japan]\n")
    report = sync([corpus], settings)
    assert _by_status(report, "updated") == {"memo.txt"}
    state = df.IndexState(settings).assert_consistent()
    meta = state.metas[next(iter(state.ids_of("memo.txt")))]
    assert (meta["title"], meta["audience"], meta["countries"]) == ("Office move memo", "public", ["Japan"])
    assert "memo.txt.meta.yaml" not in state.manifest.docs  # a sidecar is not a document


@pytest.mark.parametrize(
    "break_it, reason",
    [(df.make_corrupt_pdf, "corrupt"), (df.make_scanned_pdf, "no text layer"), (df.make_empty, "empty")],
)
def test_changed_file_that_became_unreadable_keeps_its_old_version(corpus, settings, break_it, reason):
    sync([corpus], settings)
    before = df.IndexState(settings)
    old_record = before.manifest.docs["report.pdf"]
    break_it(corpus / "report.pdf")

    report = sync([corpus], settings)
    assert report.status == "partial"
    failed = [f for f in report.files if f.status == "failed"]
    assert [f.doc_id for f in failed] == ["report.pdf"]
    assert reason in failed[0].reason
    assert _by_status(report, "removed") == set()

    after = df.IndexState(settings).assert_consistent()
    assert after.ids_of("report.pdf") == before.ids_of("report.pdf")
    assert {c: after.texts[c] for c in after.ids_of("report.pdf")} == {
        c: before.texts[c] for c in before.ids_of("report.pdf")}
    assert after.manifest.docs["report.pdf"].sha256 == old_record.sha256

    df.make_pdf(corpus / "report.pdf", [df.default_page_text(4)])  # fixed: the new version replaces the old
    fixed = sync([corpus], settings)
    assert fixed.status == "ok" and _by_status(fixed, "updated") == {"report.pdf"}
    assert {c.split("-")[0] for c in df.IndexState(settings).assert_consistent().ids_of("report.pdf")} == {
        "report.pdf#p1"}


def test_corrupt_pdf_failure_mentions_the_kept_version(corpus, settings):
    sync([corpus], settings)
    df.make_corrupt_pdf(corpus / "report.pdf")
    report = sync([corpus], settings)
    (failure,) = [f for f in report.files if f.status == "failed"]
    assert "previously indexed version is kept" in failure.reason


def test_syncing_another_folder_does_not_remove_documents(corpus, settings, tmp_path):
    sync([corpus], settings)
    other = tmp_path / "other"
    df.make_text(other / "elsewhere.txt", "A document in another folder.")
    report = sync([other], settings)
    assert _statuses(report) == {"elsewhere.txt": "added"}
    state = df.IndexState(settings).assert_consistent()
    assert state.doc_ids_in_store() == ALL | {"elsewhere.txt"}


def test_a_single_file_can_be_synced(corpus, settings):
    report = sync([corpus / "memo.txt"], settings)
    assert _statuses(report) == {"memo.txt": "added"}
    df.IndexState(settings).assert_consistent()


def test_the_same_document_id_twice_is_refused(corpus, settings, tmp_path):
    twin = tmp_path / "twin"
    df.make_text(twin / "memo.txt", "Another memo with the same relative path.")
    report = sync([corpus, twin], settings)
    (failure,) = [f for f in report.files if f.status == "failed"]
    assert failure.doc_id == "memo.txt" and "also used by" in failure.reason
    assert report.status == "partial"


def test_deleted_keyword_index_is_rebuilt_without_a_new_generation(corpus, settings):
    first = sync([corpus], settings)
    shutil.rmtree(settings.index_dir / f"keyword-{settings.index_settings_hash}")
    second = sync([corpus], settings)
    assert second.index_version == first.index_version
    df.IndexState(settings).assert_consistent()


def test_new_parser_version_rereads_every_document_but_embeds_nothing(corpus, settings, monkeypatch):
    import ingest.pipeline

    sync([corpus], settings)
    monkeypatch.setattr(ingest.pipeline, "PARSER_VERSION", ingest.pipeline.PARSER_VERSION + 1)
    report = sync([corpus], settings)
    assert _by_status(report, "updated") == ALL
    assert report.chunks_embedded == 0 and report.cache_hits == report.chunks_written > 0
    df.IndexState(settings).assert_consistent()


def test_another_embed_model_gets_its_own_collection(corpus, settings, make_settings):
    sync([corpus], settings)
    other = make_settings(chunk_size=64, chunk_overlap=8, embed_model="hash-32")
    report = sync([corpus], other)
    assert _by_status(report, "added") == ALL  # nothing shared with the other model's index
    assert other.collection_name != settings.collection_name
    assert df.IndexState(other).assert_consistent().store_ids == df.IndexState(settings).store_ids
    assert len(df.IndexState(other).store.query(np.ones(32, dtype=np.float32), 3, scope_for("staff"))) == 3


# ------------------------------------------------------------------------------- the lock


def test_ingestions_are_serialised_by_the_lock(corpus, settings):
    held = threading.Event()
    release = threading.Event()

    def holder():
        with index_lock(settings):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(5)
    result: dict = {}
    second = threading.Thread(target=lambda: result.update(report=sync([corpus], settings)))
    second.start()
    time.sleep(0.6)
    assert second.is_alive() and "report" not in result  # waiting for the lock
    assert not Manifest.path_for(settings).exists()  # and nothing written meanwhile
    release.set()
    thread.join(5)
    second.join(30)
    assert result["report"].status == "ok"


# ------------------------------------------------------------------------------- status and remove


def test_cli_status_lists_documents(corpus, settings, capsys, monkeypatch):
    from ingest.__main__ import main

    sync([corpus], settings)
    flags = ["--index-dir", str(settings.index_dir), "--embed-model", "hash"]
    assert main(["status", "--json", *flags]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["documents"] == []  # default chunking (200/30) is another index: nothing there

    # chunk sizes are not CLI flags: pass them through the environment like a deployment would
    monkeypatch.setenv("PA_CHUNK_SIZE", "64")
    monkeypatch.setenv("PA_CHUNK_OVERLAP", "8")
    assert main(["status", "--json", *flags]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["doc_id"] for d in data["documents"]} == ALL
    assert data["index_version"] == Manifest.load(settings).version
    pdf = next(d for d in data["documents"] if d["doc_id"] == "report.pdf")
    assert pdf["pages"] == 3 and pdf["chunks"] == len(Manifest.load(settings).docs["report.pdf"].chunk_ids)
    assert main(["status", *flags]) == 0
    text = capsys.readouterr().out
    assert "5 documents" in text and "report.pdf" in text


def test_cli_remove_deletes_from_store_keyword_index_and_manifest(corpus, make_settings, capsys):
    from ingest.__main__ import main

    settings = make_settings()
    sync([corpus], settings)
    assert df.IndexState(settings).ids_of("brief.docx")
    flags = ["--index-dir", str(settings.index_dir), "--embed-model", "hash"]
    assert main(["remove", "brief.docx", *flags]) == 0
    assert "removed brief.docx" in capsys.readouterr().out
    state = df.IndexState(settings).assert_consistent()
    assert "brief.docx" not in state.manifest.docs
    assert not state.ids_of("brief.docx")
    assert not [c for c in state.keyword.ids if c.startswith("brief.docx#")]

    assert main(["remove", "brief.docx", "--json", *flags]) == 1  # no longer indexed
    assert json.loads(capsys.readouterr().out) == {"removed": [], "not_found": ["brief.docx"]}
    # the file is still there, so the next sync adds it back
    assert _by_status(sync([corpus], settings), "added") == {"brief.docx"}


def test_remove_document_unknown_id_raises_key_error(settings):
    with pytest.raises(KeyError):
        remove_document("nope.md", settings)


def test_cli_help_shows_examples():
    result = df.run_ingest("--help", timeout=60)
    assert result.returncode == 0
    assert "examples:" in result.stdout and "python -m ingest corpus" in result.stdout
    assert "exit status" in result.stdout
    assert result.stderr == ""


# ------------------------------------------------------------------------------- the real model


@pytest.mark.slow
def test_second_run_with_real_model_embeds_nothing_and_is_much_faster(corpus_copy, tmp_path):
    settings = Settings(index_dir=tmp_path / "real-index", audit_log=None, feedback_db=tmp_path / "f.sqlite")
    assert settings.embed_model == "all-MiniLM-L6-v2"

    started = time.perf_counter()
    first = sync([corpus_copy], settings)
    first_s = time.perf_counter() - started
    n_docs = first.count("added")
    assert first.status == "ok" and n_docs >= 10
    assert first.chunks_embedded > 50

    started = time.perf_counter()
    second = sync([corpus_copy], settings)
    second_s = time.perf_counter() - started
    assert second.status == "ok"
    assert second.count("unchanged") == n_docs and second.count("added") == second.count("updated") == 0
    assert second.chunks_embedded == 0 and second.chunks_written == 0 and second.cache_hits == 0
    assert second.index_version == first.index_version
    assert second_s < 0.5 * first_s, (first_s, second_s)

    state = df.IndexState(settings).assert_consistent()
    cid = next(iter(state.store_ids))
    parts = [state.store.partition(r).get(ids=[cid], include=["embeddings"])["embeddings"] for r in state.store.ranks()]
    vector = next(v[0] for v in parts if len(v))
    assert len(vector) == 384
    assert state.store.query(np.asarray(vector), 1, scope_for("staff", Filters()))[0][1] == pytest.approx(1.0, abs=1e-4)
