"""``python -m assistant eligibility``: the structured check from the command line, beside ``ask``."""

from __future__ import annotations

import json

from conftest import CORPUS

from assistant.__main__ import main


def test_eligibility_subcommand_prints_verdicts_with_clauses(capsys, monkeypatch, tmp_path):
    from assistant.settings import Settings
    from ingest.pipeline import sync

    monkeypatch.setenv("PA_EMBED_MODEL", "hash")
    # what a reader may see is decided by the indexed documents' audiences: index the corpus first
    assert sync([CORPUS], Settings(index_dir=tmp_path / "index", corpus_dir=CORPUS, audit_log=None)).status == "ok"
    argv = ["eligibility", "--country", "Viet Nam", "--role", "prosecutor", "--corpus-dir", str(CORPUS),
            "--index-dir", str(tmp_path / "index")]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "eligible" in text and "rule-of-law-governance" in text
    assert '"Eligible countries: countries in Southeast Asia."' in text  # the clause, verbatim
    assert main([*argv, "--reader-role", "partner", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {p["programme"] for p in data["programmes"] if p["verdict"] == "eligible"} >= {"rule-of-law-governance"}


def test_eligibility_subcommand_explains_bad_input(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PA_EMBED_MODEL", "hash")
    common = ["--corpus-dir", str(CORPUS), "--index-dir", str(tmp_path / "index")]
    assert main(["eligibility", *common]) == 2
    assert "give --country or --role" in capsys.readouterr().err
    assert main(["eligibility", "--country", "Atlantis", "--role", "judge", *common]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_eligibility_subcommand_shows_nothing_from_an_empty_index(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("PA_EMBED_MODEL", "hash")
    argv = ["eligibility", "--country", "Viet Nam", "--role", "prosecutor", "--corpus-dir", str(CORPUS),
            "--index-dir", str(tmp_path / "empty")]
    assert main(argv) == 0
    assert "No programme you may see matches." in capsys.readouterr().out
