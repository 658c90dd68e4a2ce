"""Shared fixtures: offline guard, settings on temporary folders, a real Chroma server, a real index."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
if str(ROOT) not in sys.path:  # benchmarks/ and reliability/ are imported from the checkout, not installed
    sys.path.insert(0, str(ROOT))

from assistant.runtime import prepare_offline  # noqa: E402
from benchmarks.common import ChromaServer, free_port, wait_for_port  # noqa: E402,F401  (one copy, shared)

prepare_offline()

# One folder for models made from packaged ones (the encoder's ONNX export, the GGUF file) for the
# whole run, child processes included: each test's fresh index folder would otherwise export again.
if not os.environ.get("PA_MODEL_CACHE_DIR"):
    os.environ["PA_MODEL_CACHE_DIR"] = tempfile.mkdtemp(prefix="pa-test-models-")


# No multilingual index beside the main one unless a test asks for it (tests/test_multilingual_index.py): most
# tests build small indexes many times, and a second encoder pass each time would double the suite's time.
os.environ.setdefault("PA_MULTILINGUAL_MODEL", "off")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests never reach the network: only loopback connections are allowed."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1", "0.0.0.0") or self.family == socket.AF_UNIX
        ):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def make_settings(tmp_path):
    """Settings on temporary folders; the fake hash embedder unless a test asks for the real model."""
    from assistant.settings import Settings

    def build(**overrides):
        values = {
            "index_dir": tmp_path / "index",
            "embed_model": "hash",
            "audit_log": None,
            "feedback_db": tmp_path / "feedback.sqlite",
        }
        values.update(overrides)
        return Settings(**values)

    return build


@pytest.fixture
def chroma_server(tmp_path):
    """A real `chroma run` server on 127.0.0.1, stopped after the test."""
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def real_index(tmp_path_factory):
    """The sample corpus ingested once with the real packaged model (shared, read-only)."""
    from assistant.settings import Settings
    from ingest.pipeline import sync

    base = tmp_path_factory.mktemp("real-index")
    settings = Settings(index_dir=base / "index", audit_log=None, feedback_db=base / "feedback.sqlite")
    report = sync([CORPUS], settings)
    assert report.status == "ok", report.to_dict()
    return settings


@pytest.fixture
def corpus_copy(tmp_path):
    """A writable copy of the sample corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest
