"""A new user's first hour: the model-server recipe's GGUF can be written before the `local` backend has
ever run, and asking an empty index says that nothing is indexed yet and how to index it (CLI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PA_INDEX_DIR": str(tmp_path / "index"),
           "PA_AUDIT_LOG": str(tmp_path / "audit.jsonl"), "PA_EMBED_MODEL": "hash", "HF_HUB_OFFLINE": "1"}
    import os

    env["PA_MODEL_CACHE_DIR"] = os.environ.get("PA_MODEL_CACHE_DIR", str(tmp_path / "cache"))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_gguf_command_writes_the_model_the_recipe_serves(tmp_path):
    done = run(["-m", "assistant.backends.local"], tmp_path)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.name == "gemma3-270m-q4_k_m.gguf"  # in the models folder (the model cache when one is set)
    assert path.stat().st_size > 100_000_000 and path.read_bytes()[:4] == b"GGUF"


def test_cli_on_an_empty_index_says_how_to_index(tmp_path):
    done = run(["-m", "assistant", "ask", "What does the Nepal programme support?"], tmp_path)
    assert "Nothing is indexed yet" in done.stdout + done.stderr and "python -m ingest corpus" in done.stdout + done.stderr
