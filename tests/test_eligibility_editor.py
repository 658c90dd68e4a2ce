"""The eligibility editor's save and verify logic: an admin's entry for an uploaded programme description
is checked as ingestion checks the catalogue, saved (the rest of the file as written), used at once by
the engine, kept through a re-upload and a re-index, and dropped with the upload."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from assistant.web import eligibility_editor as editor
from assistant.web import uploads
from ingest.eligibility_check import verify

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = """# Mongolia Judicial Exchange

The Mongolia Judicial Exchange brings judges and prosecutors of Mongolia to Japan each year.

## Eligibility

Eligible countries: Mongolia.
Eligible roles: judges and prosecutors of Mongolia.
Topics: judicial training and case management.
"""
FORM = {"title": "Mongolia Judicial Exchange", "names": "mongolia exchange, mongolia judicial exchange",
        "countries": "Mongolia", "countries_clause": "Eligible countries: Mongolia.",
        "roles": ["judge", "prosecutor"], "roles_clause": "Eligible roles: judges and prosecutors of Mongolia.",
        "topics": "judicial training, case management", "topics_clause": "Topics: judicial training and case management."}


@pytest.fixture
def corpus(make_settings, tmp_path):
    """A copy of the sample corpus (its hand-written eligibility.yaml included) with one uploaded programme."""
    root = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", root)
    settings = make_settings(corpus_dir=root)
    src = tmp_path / "mongolia.md"
    src.write_text(DESCRIPTION)
    uploads.save_upload(src, "mongolia.md", settings, audience="public", doc_type="programme_description")
    report = uploads.reindex(settings)
    assert report.count("failed") == 0
    from assistant.service import Assistant

    service = Assistant(settings)
    rec = service.manifest.docs["uploads/mongolia.md"]
    return settings, service, rec


def test_document_clauses_are_offered_with_their_kind(corpus):
    settings, _, rec = corpus
    found = editor.document_clauses(settings, rec.doc_id)
    assert [(c["kind"], c["clause"], c["page"]) for c in found] == [
        ("eligible_countries", "Eligible countries: Mongolia.", None),
        ("eligible_roles", "Eligible roles: judges and prosecutors of Mongolia.", None),
        ("topics", "Topics: judicial training and case management.", None)]


def test_save_keeps_the_file_and_is_used_at_once(corpus):
    settings, service, rec = corpus
    path = settings.corpus_dir / "eligibility.yaml"
    before = path.read_text()
    assert service.eligibility("Mongolia", "judge")["programmes"]  # the engine is built (and cached) first
    assert "mongolia-judicial-exchange" not in {p["programme"] for p in service.eligibility("Mongolia", "judge")["programmes"]}
    entry = editor.save_entry(settings, rec, FORM)
    assert entry["id"] == "mongolia" and entry["eligible_countries"]["countries"] == ["MN"]
    after = path.read_text()
    assert after.startswith(before.rstrip("\n"))  # comments and every hand-written entry as they were
    assert verify(settings.corpus_dir) == []  # ingestion's own check passes
    assert yaml.safe_load(uploads.sidecar(settings.corpus_dir / rec.doc_id).read_text())["programme"] == "mongolia"
    result = service.eligibility("Mongolia", "judge")
    verdicts = {p["programme"]: p["verdict"] for p in result["programmes"]}
    assert verdicts["mongolia"] == "eligible"
    clauses = {r["clause"] for p in result["programmes"] if p["programme"] == "mongolia" for r in p["reasons"]}
    assert "Eligible countries: Mongolia." in clauses
    answer = service.eligibility_answer("Can a prosecutor from Mongolia join the Mongolia exchange?", "public")
    assert answer is not None and "Mongolia Judicial Exchange: eligible" in answer.text
    assert [c.doc_id for c in answer.citations] == ["uploads/mongolia.md"]
    # a re-index afterwards passes the catalogue check, and the entry survives it
    report = uploads.reindex(settings)
    assert report.count("failed") == 0 and report.count("updated") == 1  # the sidecar now names the programme
    assert editor.current_entry(settings, rec.doc_id)["id"] == "mongolia"


def test_edit_replaces_only_that_entry(corpus):
    settings, service, rec = corpus
    editor.save_entry(settings, rec, FORM)
    first = (settings.corpus_dir / "eligibility.yaml").read_text()
    edited = editor.save_entry(settings, rec, {**FORM, "roles": ["judge"], "id": "ignored-new-id"})
    assert edited["id"] == "mongolia" and edited["eligible_roles"]["roles"] == ["judge"]
    text = (settings.corpus_dir / "eligibility.yaml").read_text()
    assert text.count("doc_id: uploads/mongolia.md") == 1
    assert text.split("- id: mongolia")[0] == first.split("- id: mongolia")[0]
    assert editor.form_values(editor.current_entry(settings, rec.doc_id))["roles"] == ["judge"]
    assert service.eligibility("Mongolia", "prosecutor", programme="mongolia")["programmes"][0]["verdict"] == "not eligible"


@pytest.mark.parametrize("change, message", [
    ({"countries_clause": "Eligible countries: Mongolia and Kazakhstan."}, "is not in uploads/mongolia.md"),
    ({"roles_clause": "Eligible roles: anyone at all."}, "is not in uploads/mongolia.md"),
    ({"topics_clause": "judicial training and case management."}, "must be the document's line that starts with 'Topics:'"),
    ({"countries_clause": ""}, "pick the document's clause for countries"),
    ({"countries": "Atlantis"}, "unknown country or region 'Atlantis'"),
    ({"roles": ["astronaut"]}, "unknown role 'astronaut'"),
    ({"roles": []}, "at least one role"),
])
def test_a_bad_entry_is_refused_and_nothing_is_written(corpus, change, message):
    settings, service, rec = corpus
    path = settings.corpus_dir / "eligibility.yaml"
    side = uploads.sidecar(settings.corpus_dir / rec.doc_id)
    before, side_before = path.read_bytes(), side.read_bytes()
    with pytest.raises(editor.EntryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        editor.save_entry(settings, rec, {**FORM, **change})
    assert path.read_bytes() == before and side.read_bytes() == side_before
    assert not list(settings.corpus_dir.glob(".eligibility*"))
    assert "mongolia" not in {p["programme"] for p in service.eligibility("Mongolia", "judge")["programmes"]}


def test_the_missing_clause_error_shows_the_documents_clause(corpus):
    settings, _, rec = corpus
    with pytest.raises(editor.EntryError) as err:
        editor.save_entry(settings, rec, {**FORM, "countries_clause": "Eligible countries: Kazakhstan."})
    assert "Eligible countries: Mongolia." in str(err.value)


def test_an_id_used_by_another_programme_is_refused(corpus):
    settings, _, rec = corpus
    with pytest.raises(editor.EntryError, match="already used by programmes/viet-nam"):
        editor.save_entry(settings, rec, {**FORM, "id": "viet-nam-reform"})


def test_reupload_keeps_the_programme_and_removal_drops_the_entry(corpus, tmp_path):
    settings, service, rec = corpus
    editor.save_entry(settings, rec, FORM)
    src = tmp_path / "again.md"
    src.write_text(DESCRIPTION + "\nA new paragraph.\n")
    dest = uploads.save_upload(src, "mongolia.md", settings, audience="public", doc_type="programme_description")
    assert yaml.safe_load(uploads.sidecar(dest).read_text())["programme"] == "mongolia"
    assert uploads.reindex(settings).count("failed") == 0
    before_entry = (settings.corpus_dir / "eligibility.yaml").read_text().split("  - id: mongolia")[0]
    uploads.remove(rec.doc_id, settings)
    assert editor.current_entry(settings, rec.doc_id) is None
    assert (settings.corpus_dir / "eligibility.yaml").read_text().rstrip("\n") == before_entry.rstrip("\n")
    assert not (settings.corpus_dir / "uploads").exists()
    assert verify(settings.corpus_dir) == []
    assert uploads.reindex(settings).count("failed") == 0


def test_a_corpus_without_a_catalogue_gets_one(make_settings, tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    settings = make_settings(corpus_dir=root)
    src = tmp_path / "mongolia.md"
    src.write_text(DESCRIPTION)
    uploads.save_upload(src, "mongolia.md", settings, audience="partner")
    uploads.reindex(settings)
    from assistant.service import Assistant

    service = Assistant(settings)
    editor.save_entry(settings, service.manifest.docs["uploads/mongolia.md"], FORM)
    assert verify(root) == []
    assert service.eligibility("Mongolia", "judge", reader_role="partner")["programmes"][0]["verdict"] == "eligible"
    assert service.eligibility("Mongolia", "judge", reader_role="public")["programmes"] == []


class _Ctx:
    """What the Documents tab's handlers use of the app: settings, the assistant, the caller's role."""

    def __init__(self, settings, service, role: str) -> None:
        self.settings, self.service, self.role = settings, service, role

    def assistant(self):
        return self.service

    def role_for(self, username):
        return self.role


def _values(form: dict) -> list:
    return [form.get("id", ""), form.get("title", ""), form.get("names", ""), form["countries"], form["countries_clause"],
            form["roles"], form["roles_clause"], form.get("topics", ""), False, form["topics_clause"], None, "country"]


@pytest.mark.parametrize("role", ["public", "partner", "staff"])
def test_the_tab_refuses_others_than_admins(corpus, role):
    import gradio as gr

    from assistant.web.tabs import documents

    settings, service, rec = corpus
    before = (settings.corpus_dir / "eligibility.yaml").read_bytes()
    ctx = _Ctx(settings, service, role)
    with pytest.raises(gr.Error, match="Only administrators"):
        documents.save_entry(ctx, rec.doc_id, _values(FORM), None)
    with pytest.raises(gr.Error, match="Only administrators"):
        documents.load_entry(ctx, rec.doc_id, None)
    assert (settings.corpus_dir / "eligibility.yaml").read_bytes() == before


def test_the_tab_loads_offers_and_saves_for_an_admin(corpus):
    from assistant.web.tabs import documents

    settings, service, rec = corpus
    ctx = _Ctx(settings, service, "admin")
    loaded = documents.load_entry(ctx, rec.doc_id, None)
    assert "3 clause(s) found" in loaded[0]
    fields = dict(zip(documents.EDITOR_FIELDS, loaded[1:]))
    assert fields["countries_clause"]["value"] == "Eligible countries: Mongolia."  # the only one: chosen already
    assert fields["not_clause"]["choices"] == [] and fields["id"]["value"] == "mongolia"
    bad = documents.save_entry(ctx, rec.doc_id, _values({**FORM, "roles_clause": "Eligible roles: everyone."}), None)
    assert bad.startswith("⚠ Not saved") and "is not in uploads/mongolia.md" in bad
    assert editor.current_entry(settings, rec.doc_id) is None
    ok = documents.save_entry(ctx, rec.doc_id, _values(FORM), None)
    assert ok.startswith("✓ Saved") and editor.current_entry(settings, rec.doc_id)["id"] == "mongolia"
    again = documents.load_entry(ctx, rec.doc_id, None)
    assert "Editing the entry" in again[0] and again[4] == "Mongolia"  # countries shown by name
    assert documents.save_entry(ctx, "", _values(FORM), None) == "Choose a document first."
