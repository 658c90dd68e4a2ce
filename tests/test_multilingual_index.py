"""The multilingual index beside the main one (setting multilingual_model): built by the same ingestion,
kept in step with it (added, unchanged, removed), and answering the readers of other languages, while English
questions stay on the main encoder. Fast tests use two different hash encoders; one slow test uses the real
pair (MiniLM for English, multilingual-e5-small beside it) over the sample corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import MULTILINGUAL_MODEL, PACKAGED_MODEL, Settings

DOCS = {
    "seminar-2018.md": "# Prison seminar\n\nThe seminar on prison management took place in Hanoi in 2018. "
    "Forty prison officers from six provinces attended it.\n",
    "court-notes.md": "# Court administration\n\nCourt registrars met to compare case management systems. "
    "The meeting agreed to share templates for hearing notices.\n",
}


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def dual(make_settings):
    return make_settings(multilingual_model="hash-48", default_audience="public")


def _version(settings: Settings) -> str:
    from assistant.store import Manifest

    return Manifest.load(settings).version


def test_setting_turns_the_second_index_on_and_off():
    assert Settings(multilingual_model="off").companion is None
    assert Settings(multilingual_model="").companion is None
    assert Settings(embed_model=MULTILINGUAL_MODEL).companion is None  # already multilingual: nothing beside it
    assert Settings.model_fields["multilingual_model"].default == MULTILINGUAL_MODEL  # on by default (tests: off)
    dual = Settings(multilingual_model=MULTILINGUAL_MODEL)
    companion = dual.companion
    assert companion is not None and companion.embed_model == MULTILINGUAL_MODEL
    assert dual.embed_model == PACKAGED_MODEL and companion.decline_model is None and companion.companion is None
    assert companion.collection_name != dual.collection_name
    assert Settings(multilingual_model="off").settings_hash != dual.settings_hash  # answers can differ


def test_ingestion_builds_both_indexes_and_keeps_them_in_step(dual, docs):
    from assistant.store import ChromaStore, Manifest
    from ingest.pipeline import remove_document, sync

    report = sync([docs], dual)
    extra = report.to_dict()["multilingual_index"]
    assert extra["model"] == "hash-48" and extra["status"] == "ok" and extra["chunks"] == report.chunks_written > 0
    main, side = Manifest.load(dual), Manifest.load(dual.companion)
    assert set(main.docs) == set(side.docs) == set(DOCS)
    assert main.collection != side.collection
    assert ChromaStore(dual.companion).count() == ChromaStore(dual).count()

    again = sync([docs], dual)  # nothing changed: nothing written in either
    assert again.chunks_written == 0 and again.companion["chunks"] == 0

    remove_document("court-notes.md", dual)
    assert set(Manifest.load(dual).docs) == set(Manifest.load(dual.companion).docs) == {"seminar-2018.md"}
    assert ChromaStore(dual.companion).ids_for_doc("court-notes.md") == []

    (docs / "court-notes.md").unlink()
    (docs / "seminar-2018.md").write_text(DOCS["seminar-2018.md"] + "\nA second seminar followed.\n", encoding="utf-8")
    updated = sync([docs], dual)
    assert updated.count("updated") == 1 and updated.companion["chunks"] > 0


def test_readers_of_other_languages_are_answered_from_the_multilingual_index(dual, docs):
    from assistant.service import Assistant
    from ingest.pipeline import sync

    sync([docs], dual)
    assistant = Assistant(dual)
    english = assistant.ask("When did the seminar on prison management take place?")
    assert english.index_version == _version(dual) != _version(dual.companion)
    french = assistant.ask("Quand le séminaire sur la gestion des prisons a-t-il eu lieu ?")
    assert french.index_version == _version(dual.companion)
    chosen = assistant.ask("When did the seminar on prison management take place?", lang="vi")  # the interface's choice
    assert chosen.index_version == _version(dual.companion)
    health = assistant.health()
    assert health["multilingual_index"] == {"model": "hash-48", "ready": True}


def test_evaluation_retrieves_from_the_index_that_answered(dual, docs):
    from assistant.service import Assistant
    from ingest.pipeline import sync

    sync([docs], dual)
    assistant = Assistant(dual)
    companion = assistant.companion
    calls: list[dict] = []
    real = companion.retrieve
    companion.retrieve = lambda *args, **kwargs: calls.append(kwargs) or real(*args, **kwargs)
    question = "Quand le séminaire sur la gestion des prisons a-t-il eu lieu ?"
    passages = assistant.retrieve_as_asked(question, question, k=3)
    assert len(calls) == 1 and calls[0]["keyword_weight"] < 1.0 and 0 < len(passages) <= 3
    assistant.retrieve_as_asked("When did the seminar take place?", "When did the seminar take place?")
    assert len(calls) == 1  # English: the main index


def test_an_index_built_before_the_setting_answers_from_the_main_one_until_ingested_again(make_settings, docs):
    from assistant.service import Assistant
    from ingest.pipeline import sync

    sync([docs], make_settings(multilingual_model="off", default_audience="public"))
    dual = make_settings(multilingual_model="hash-48", default_audience="public")
    assistant = Assistant(dual)
    health = assistant.health()
    assert health["multilingual_index"]["ready"] is False and "python -m ingest" in health["multilingual_index"]["hint"]
    french = assistant.ask("Quand le séminaire sur la gestion des prisons a-t-il eu lieu ?")
    assert french.index_version == _version(dual)  # the main index still answers

    report = sync([docs], dual)  # the main index is unchanged; the one beside it is built
    assert report.chunks_written == 0 and report.companion["chunks"] > 0
    assert assistant.health()["multilingual_index"]["ready"] is True
    french = assistant.ask("Quand le séminaire sur la gestion des prisons a-t-il eu lieu ?")
    assert french.index_version == _version(dual.companion)


def test_eval_index_cache_made_without_it_is_brought_up_to_date(make_settings, docs, tmp_path):
    from evals.runner import docs_index

    built, info = docs_index(docs, make_settings(multilingual_model="off"), tmp_path / "cache", log=lambda m: None)
    assert not info["reused"]
    dual, info = docs_index(docs, make_settings(multilingual_model="hash-48"), tmp_path / "cache", log=lambda m: None)
    assert not info["reused"] and dual.index_dir == built.index_dir  # same cache folder, synced again
    assert _version(dual.companion).endswith(".1")
    again, info = docs_index(docs, make_settings(multilingual_model="hash-48"), tmp_path / "cache", log=lambda m: None)
    assert info["reused"]


@pytest.mark.slow
def test_real_pair_over_the_sample_corpus(tmp_path_factory):
    """MiniLM answers English, multilingual-e5-small beside it answers French and Vietnamese with the fact quoted."""
    from assistant.service import Assistant
    from ingest.pipeline import sync
    from tests.conftest import CORPUS

    base = tmp_path_factory.mktemp("dual")
    settings = Settings(index_dir=base / "index", audit_log=None, feedback_db=base / "f.sqlite",
                        multilingual_model=MULTILINGUAL_MODEL)
    report = sync([CORPUS], settings)
    assert report.status == "ok" and report.companion["chunks"] == report.chunks_written
    assistant = Assistant(settings)
    for question, fact in [("Depuis quand le Japon aide-t-il le Myanmar pour ses prisons ?", "2015"),
                           ("Chương trình cải cách tư pháp hình sự ở Nepal bắt đầu từ năm nào?", "2013")]:
        answer = assistant.ask(question, role="public")
        assert not answer.declined, (question, answer.notices)
        assert answer.index_version == _version(settings.companion)
        assert any(fact in c.quote for c in answer.citations), answer.citations
    english = assistant.ask("When did the Nepal programme start?", role="public")
    assert not english.declined and "2013" in english.text
    assert english.index_version == _version(settings)


def test_status_names_the_multilingual_index_and_what_it_lacks(make_settings, docs, monkeypatch, capsys):
    import json

    from ingest.__main__ import main
    from ingest.pipeline import sync

    settings = make_settings(multilingual_model="off", default_audience="public")
    sync([docs], settings)
    monkeypatch.setenv("PA_MULTILINGUAL_MODEL", "hash-48")
    args = ["status", "--index-dir", str(settings.index_dir), "--embed-model", "hash"]
    assert main(args) == 0
    assert "2 not in it yet: run the ingestion again" in capsys.readouterr().out
    sync([docs], make_settings(multilingual_model="hash-48", default_audience="public"))
    assert main([*args, "--json"]) == 0
    extra = json.loads(capsys.readouterr().out)["multilingual_index"]
    assert extra["model"] == "hash-48" and extra["documents"] == 2 and extra["missing"] == []


def test_a_lagging_multilingual_index_never_shows_what_the_main_index_hides(make_settings, docs):
    """An audience raised (or a document removed) in the main index while the one beside it was not brought up to date
    (an ingestion stopped between its two passes): readers of other languages see what the main index allows."""
    from assistant.service import Assistant
    from assistant.store import Manifest
    from ingest.pipeline import sync

    dual = make_settings(multilingual_model="hash-48", default_audience="public")
    sync([docs], dual)
    (docs / "seminar-2018.md.meta.yaml").write_text("audience: staff\n", encoding="utf-8")
    (docs / "court-notes.md").unlink()
    sync([docs], make_settings(multilingual_model="off", default_audience="public"))  # the main index only
    assert Manifest.load(dual.companion).docs["seminar-2018.md"].audience == "public"  # the lagging one

    assistant = Assistant(dual)
    question = "Quand le séminaire sur la gestion des prisons a-t-il eu lieu ?"
    for role in ("public", "partner"):
        assert assistant.retrieve_as_asked(question, question, role=role) == []
        answer = assistant.ask(question, role=role)
        assert answer.declined and not answer.citations and not answer.closest
    staff = assistant.retrieve_as_asked(question, question, role="staff")
    assert {p.doc_id for p in staff} == {"seminar-2018.md"}  # staff still see it; the removed one is gone for all
