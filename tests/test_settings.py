"""Settings: defaults < config file (TOML, YAML) < environment (PA_*) < CLI flags; unknown keys rejected."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No PA_* variable from the outside world may decide a result here."""
    for key in list(os.environ):
        if key.upper().startswith("PA_"):
            monkeypatch.delenv(key)


def _toml(tmp_path: Path, body: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_given():
    s = load_settings()
    assert s.chunk_size == Settings.model_fields["chunk_size"].default == 200
    assert s.top_k == 6
    assert s.embed_model == "all-MiniLM-L6-v2"
    assert s.chroma_host is None


@pytest.mark.parametrize(
    "name, body",
    [
        ("settings.toml", 'chunk_size = 300\ntop_k = 9\nindex_dir = "/srv/ix"\n'),
        ("settings.yaml", "chunk_size: 300\ntop_k: 9\nindex_dir: /srv/ix\n"),
        ("settings.yml", "chunk_size: 300\ntop_k: 9\nindex_dir: /srv/ix\n"),
    ],
)
def test_config_file_beats_defaults(tmp_path, name, body):
    s = load_settings(_toml(tmp_path, body, name))
    assert (s.chunk_size, s.top_k, s.index_dir) == (300, 9, Path("/srv/ix"))
    assert s.rrf_k == 60  # untouched keys keep their defaults


def test_config_file_from_pa_config(tmp_path, monkeypatch):
    monkeypatch.setenv("PA_CONFIG", str(_toml(tmp_path, "top_k = 11\n")))
    assert load_settings().top_k == 11


def test_explicit_config_beats_pa_config(tmp_path, monkeypatch):
    monkeypatch.setenv("PA_CONFIG", str(_toml(tmp_path, "top_k = 11\n", "env.toml")))
    assert load_settings(_toml(tmp_path, "top_k = 12\n", "flag.toml")).top_k == 12


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_environment_beats_config_file(tmp_path, monkeypatch, suffix):
    body = "chunk_size = 300\ntop_k = 9\n" if suffix == ".toml" else "chunk_size: 300\ntop_k: 9\n"
    cfg = _toml(tmp_path, body, "settings" + suffix)
    monkeypatch.setenv("PA_CHUNK_SIZE", "400")
    s = load_settings(cfg)
    assert s.chunk_size == 400  # env wins over the file
    assert s.top_k == 9  # the file still wins where env says nothing


def test_lower_case_environment_name_also_beats_config_file(tmp_path, monkeypatch):
    """pydantic-settings reads PA_* names case-insensitively; the file must not win over pa_chunk_size."""
    monkeypatch.setenv("pa_chunk_size", "400")
    assert load_settings().chunk_size == 400
    assert load_settings(_toml(tmp_path, "chunk_size = 300\n")).chunk_size == 400


def test_cli_flags_beat_environment_and_file(tmp_path, monkeypatch):
    cfg = _toml(tmp_path, "chunk_size = 300\nembed_model = \"from-file\"\n")
    monkeypatch.setenv("PA_CHUNK_SIZE", "400")
    monkeypatch.setenv("PA_EMBED_MODEL", "from-env")
    s = load_settings(cfg, chunk_size=500, embed_model="hash")
    assert (s.chunk_size, s.embed_model) == (500, "hash")


def test_none_flags_do_not_mask_environment_or_file(tmp_path, monkeypatch):
    cfg = _toml(tmp_path, "top_k = 9\n")
    monkeypatch.setenv("PA_CHUNK_SIZE", "400")
    s = load_settings(cfg, chunk_size=None, top_k=None, index_dir=None)
    assert (s.chunk_size, s.top_k, s.index_dir) == (400, 9, Path("index"))


def test_full_precedence_chain_one_key(tmp_path, monkeypatch):
    """The same key set at every level: each level beats the one below it."""
    cfg = _toml(tmp_path, "candidates = 20\n")
    assert load_settings().candidates == 30
    assert load_settings(cfg).candidates == 20
    monkeypatch.setenv("PA_CANDIDATES", "40")
    assert load_settings(cfg).candidates == 40
    assert load_settings(cfg, candidates=50).candidates == 50


def test_environment_values_are_validated(monkeypatch):
    monkeypatch.setenv("PA_CHUNK_SIZE", "not-a-number")
    with pytest.raises(ValidationError, match="chunk_size"):
        load_settings()


@pytest.mark.parametrize(
    "name, body",
    [("bad.toml", 'chunk_size = 300\nchunck_overlap = 10\n'), ("bad.yaml", "chunk_size: 300\nchunck_overlap: 10\n")],
)
def test_unknown_key_in_config_file_is_rejected_by_name(tmp_path, name, body):
    with pytest.raises(ValidationError) as info:
        load_settings(_toml(tmp_path, body, name))
    message = str(info.value)
    assert "chunck_overlap" in message
    assert "not permitted" in message.lower() or "extra" in message.lower()


def test_unknown_override_is_rejected():
    with pytest.raises(ValidationError, match="no_such_setting"):
        load_settings(no_such_setting=1)


def test_out_of_range_value_is_rejected(tmp_path):
    with pytest.raises(ValidationError, match="chunk_size"):
        load_settings(_toml(tmp_path, "chunk_size = 5\n"))


@pytest.mark.parametrize(
    "name, body, fragment",
    [
        ("missing.toml", None, "not found"),
        ("settings.ini", "chunk_size = 300\n", ".toml or .yaml"),
        ("list.yaml", "- 1\n- 2\n", "mapping"),
    ],
)
def test_bad_config_files_give_clear_errors(tmp_path, name, body, fragment):
    path = tmp_path / name
    if body is not None:
        path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=fragment):
        load_settings(path)


def test_empty_strings_turn_optional_paths_off(monkeypatch):
    monkeypatch.setenv("PA_AUDIT_LOG", "")
    assert load_settings().audit_log is None
    assert load_settings(users_file="off").users_file is None


def test_collection_name_follows_model_and_chunking():
    base = Settings(embed_model="hash")
    assert base.collection_name.startswith("chunks_")
    assert Settings(embed_model="hash").collection_name == base.collection_name  # deterministic
    assert Settings(embed_model="hash-32").collection_name != base.collection_name
    assert Settings(embed_model="hash", chunk_size=300).collection_name != base.collection_name
    assert Settings(embed_model="hash", chunk_overlap=10).collection_name != base.collection_name
    # settings that do not change the vectors do not change the collection
    assert Settings(embed_model="hash", top_k=9, backend="local").collection_name == base.collection_name


def test_settings_hash_follows_answer_settings():
    base = Settings(embed_model="hash")
    assert Settings(embed_model="hash", top_k=9).settings_hash != base.settings_hash
    assert Settings(embed_model="hash", port=9999).settings_hash == base.settings_hash


def test_every_field_is_described():
    undocumented = [name for name, f in Settings.model_fields.items() if not f.description]
    assert undocumented == []


def test_cli_flags_and_config_reach_the_ingest_command(tmp_path, monkeypatch, capsys):
    """`python -m ingest status --config F --index-dir D`: the flag beats PA_INDEX_DIR, which beats the file."""
    from ingest.__main__ import main

    cfg = _toml(tmp_path, f'index_dir = "{(tmp_path / "from-file").as_posix()}"\nembed_model = "hash"\n')
    assert main(["status", "--json", "--config", str(cfg)]) == 0
    assert json.loads(capsys.readouterr().out)["documents"] == []
    assert (tmp_path / "from-file").exists() is False  # status never creates an index

    monkeypatch.setenv("PA_INDEX_DIR", str(tmp_path / "from-env"))
    flag_dir = tmp_path / "from-flag"
    for expected, extra in ((tmp_path / "from-env", []), (flag_dir, ["--index-dir", str(flag_dir)])):
        assert main(["status", "--config", str(cfg), *extra]) == 0
        assert f"in {expected}:" in capsys.readouterr().out
