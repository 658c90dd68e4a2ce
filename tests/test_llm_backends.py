"""Model backends through real model code: llama-cpp-python's OpenAI-compatible server and in-process GGUF.

The packaged model is a 270M base model; these tests assert the plumbing and what our
citation check does with its text, not the quality of its prose.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.backends.local import default_model_path
from assistant.service import Assistant
from benchmarks.common import free_port, stop_process, wait_for_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gguf(real_index):
    return default_model_path(real_index)


@pytest.fixture(scope="module")
def model_server(gguf, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("llm") / "server.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
             "--n_ctx", "2048", "--n_threads", "2", "--chat_format", "gemma"],
            stdout=fh, stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, timeout=120, proc=proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop_process(proc, grace=20)


def _check_verified(answer, assistant):
    assert answer.backend in ("openai", "local")
    assert answer.timings["answer_ms"] > 0
    if answer.declined:
        assert not answer.citations and answer.closest
        return
    numbers = {c.n for c in answer.citations}
    for sentence in answer.sentences:
        assert sentence.supported and sentence.support >= assistant.settings.support_min_score
        assert sentence.citations and set(sentence.citations) <= numbers
    for c in answer.citations:
        assert all(q in c.passage for q in c.quotes)


def test_openai_backend_answers_through_a_real_server(real_index, model_server):
    settings = real_index.model_copy(update={"backend": "openai", "openai_base_url": model_server, "llm_max_tokens": 64})
    assistant = Assistant(settings)
    events = list(assistant.stream("When did Japan start supporting prison management in Myanmar?", role="partner"))
    drafts = [e for e in events if e["type"] == "draft"]
    assert drafts, "the server's tokens are streamed as draft events"
    answer = events[-1]["answer"]
    _check_verified(answer, assistant)
    assert answer.searched_for


def test_openai_backend_unreachable_server_gives_a_clear_notice(real_index):
    settings = real_index.model_copy(update={"backend": "openai", "openai_base_url": f"http://127.0.0.1:{free_port()}/v1"})
    answer = Assistant(settings).ask("When did the Nepal programme start?", role="partner")
    assert answer.declined
    assert any("cannot reach the model server" in n for n in answer.notices)


def test_local_backend_runs_the_packaged_gguf(real_index, gguf):
    settings = real_index.model_copy(update={"backend": "local", "local_model_path": str(gguf), "llm_max_tokens": 48})
    assistant = Assistant(settings)
    answer = assistant.ask("What does UNAFEI stand for?", role="public")
    _check_verified(answer, assistant)
