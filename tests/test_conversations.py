"""Saved conversations: the SQLite store and its Markdown export (fast), and the REST routes over a real
`python app.py` (another user's conversation is a 404; the answer says which conversation it used; a
restart keeps them; `/api/ask/stream` sends server-sent events; an empty index says how to fill it)."""

from __future__ import annotations

import json

import httpx
import pytest

from assistant.web.conversations import ConversationStore, history_of, title_from, to_markdown
from assistant.web.users import add_user
from reliability.harness import AppProcess, copy_index

PASSWORDS = {"pat": ("partner", "partner-pass-1"), "sam": ("staff", "staff-pass-1")}
TURN = {"question": "When did the Nepal programme start?", "answer": "It started in 2012 [1].", "declined": False,
        "citations": [{"n": 1, "doc_id": "programmes/nepal.pdf", "title": "Nepal programme", "page": 3,
                       "quote": "The programme began in 2012."}]}


def test_store_is_per_user_and_survives_reopening(tmp_path):
    store = ConversationStore(tmp_path / "app.sqlite")
    cid = store.create("sam")
    assert store.append(cid, "sam", TURN, display=[{"role": "user", "content": "x"}])
    assert not store.append(cid, "pat", TURN)  # not pat's
    assert store.get(cid, "pat") is None and store.list("pat") == []
    again = ConversationStore(tmp_path / "app.sqlite")  # a restart
    conv = again.get(cid, "sam")
    assert conv["title"] == TURN["question"] and conv["turns"][0]["answer"] == TURN["answer"]
    assert conv["display"] == [{"role": "user", "content": "x"}]
    assert [c["id"] for c in again.list("sam")] == [cid] and again.list("sam")[0]["turns"] == 1
    assert history_of(conv["turns"])[0] == {"role": "user", "content": TURN["question"]}
    assert again.rename(cid, "sam", "  Nepal\n dates ") and again.get(cid, "sam")["title"] == "Nepal dates"
    with pytest.raises(ValueError):
        again.rename(cid, "sam", "   ")
    assert not again.delete(cid, "pat") and again.delete(cid, "sam") and again.get(cid, "sam") is None


def test_markdown_export_carries_every_citation():
    md = to_markdown({"title": "# Nepal", "created": 0, "turns": [TURN, {**TURN, "question": "And Viet Nam?"}]})
    assert md.startswith("# \\# Nepal\n")
    assert "## 1. When did the Nepal programme start?" in md and "## 2. And Viet Nam?" in md
    assert md.count("- [1] Nepal programme (`programmes/nepal.pdf`, page 3): “The programme began in 2012.”") == 2
    assert len(title_from("x" * 500)) == 120


@pytest.fixture(scope="module")
def server(real_index, tmp_path_factory):
    base = tmp_path_factory.mktemp("conv-api")
    for name, (role, password) in PASSWORDS.items():
        add_user(base / "users.yaml", name, role, password)
    app = AppProcess(base, copy_index(real_index.index_dir, base / "index"), users_file=base / "users.yaml").start()
    try:
        app.wait_ready()
        yield app
    finally:
        app.stop()


def auth(server, name: str) -> dict[str, str]:
    r = httpx.post(server.url + "/api/token", json={"name": name, "password": PASSWORDS[name][1]}, timeout=30)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.slow
def test_conversation_routes_restart_and_other_users(server):
    sam, pat = auth(server, "sam"), auth(server, "pat")
    first = httpx.post(server.url + "/api/ask", json={"question": "When did Japan start supporting prison management in Myanmar?"},
                       headers=sam, timeout=120)
    assert first.status_code == 200, first.text
    cid = first.json()["conversation_id"]
    assert cid
    follow = httpx.post(server.url + "/api/ask", json={"question": "And Viet Nam?", "conversation_id": cid}, headers=sam, timeout=120)
    assert follow.status_code == 200 and follow.json()["conversation_id"] == cid
    assert "Viet Nam" in follow.json()["searched_for"]  # the saved turns were the history
    listed = httpx.get(server.url + "/api/conversations", headers=sam, timeout=30).json()
    assert [c["id"] for c in listed] == [cid] and listed[0]["turns"] == 2
    # another user: the same 404 as a missing one, for reading, asking into, and deleting
    for r in (httpx.get(f"{server.url}/api/conversations/{cid}", headers=pat, timeout=30),
              httpx.post(server.url + "/api/ask", json={"question": "x?", "conversation_id": cid}, headers=pat, timeout=30),
              httpx.delete(f"{server.url}/api/conversations/{cid}", headers=pat, timeout=30),
              httpx.get(f"{server.url}/api/conversations/nope", headers=sam, timeout=30)):
        assert r.status_code == 404, r.text
    assert httpx.get(server.url + "/api/conversations", headers=pat, timeout=30).json() == []
    md = httpx.get(f"{server.url}/api/conversations/{cid}?format=md", headers=sam, timeout=30)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    quote = first.json()["citations"][0]["quote"]
    assert " ".join(quote.split()) in md.text and first.json()["citations"][0]["doc_id"] in md.text
    server.stop()  # a restart keeps conversations (and, with server-side tokens, maybe sessions)
    server.start()
    server.wait_ready()
    sam = auth(server, "sam")
    kept = httpx.get(f"{server.url}/api/conversations/{cid}", headers=sam, timeout=30)
    assert kept.status_code == 200 and len(kept.json()["turns"]) == 2
    assert httpx.patch(f"{server.url}/api/conversations/{cid}", json={"title": "Prisons"}, headers=sam, timeout=30).json()["title"] == "Prisons"
    assert httpx.delete(f"{server.url}/api/conversations/{cid}", headers=sam, timeout=30).status_code == 200
    assert httpx.get(f"{server.url}/api/conversations/{cid}", headers=sam, timeout=30).status_code == 404


@pytest.mark.slow
def test_ask_stream_sends_server_sent_events(server):
    sam = auth(server, "sam")
    events = []
    for route, body in (("/api/ask/stream", {}), ("/api/ask", {"stream": True})):
        with httpx.stream("POST", server.url + route, json={"question": "What does the Nepal programme support?", **body},
                          headers=sam, timeout=120) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            text = "".join(r.iter_text())
        blocks = [b for b in text.split("\n\n") if b.strip()]
        kinds = [b.split("\n")[0].removeprefix("event: ") for b in blocks]
        assert kinds[0] == "searched_for" and kinds[-1] == "answer", kinds
        final = json.loads(blocks[-1].split("\n", 1)[1].removeprefix("data: "))
        assert final["citations"] and final["conversation_id"]
        events.append(final)
    assert events[0]["answer"] == events[1]["answer"]


def test_empty_index_says_how_to_fill_it(make_settings):
    from assistant.service import EMPTY_INDEX, Assistant

    assistant = Assistant(make_settings())
    answer = assistant.ask("What does the Nepal programme support?")
    assert answer.text == EMPTY_INDEX and answer.kind == "empty_index" and "ingest" in answer.text
    health = assistant.health()
    assert health["ready"] is False and health["status"] == "no documents indexed"


def test_public_demo_conversation_goes_to_the_browser_as_json_and_back():
    """The public demo keeps the conversation in the browser: what is sent must pass Gradio's orjson
    (integer dict keys made every answer fail with 'Dict key must be str') and come back the same."""
    from types import SimpleNamespace

    import orjson

    from assistant.web.tabs.conversations import from_browser, new_conv, to_browser

    conv = new_conv()
    conv.update(display=[{"role": "user", "content": "When did the Nepal programme start?"}],
                turns=["When did the Nepal programme start?"], records={0: {"answer": "2013"}, 3: {"answer": "x"}})
    sent = to_browser(SimpleNamespace(users=None), conv)
    back = from_browser(orjson.loads(orjson.dumps(sent)))
    assert back["records"] == conv["records"] and back["turns"] == conv["turns"] and back["display"] == conv["display"]
