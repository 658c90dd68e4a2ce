"""Shared helpers: run ``python app.py`` as a subprocess, drive its Gradio events over plain HTTP
(as the browser does), and take snapshots of an index to prove that nothing was lost or added.

Used by ``python -m reliability`` and by the fault, access and hostile-input tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import free_port, stop_process  # noqa: E402,F401  (one copy, shared)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: offline, no PA_* settings leaking in from outside (except
    PA_MODEL_CACHE_DIR, where models exported from packaged ones are kept: a cache, not a behaviour; and
    PA_MULTILINGUAL_MODEL, which the test suite turns off for every index it builds unless a test asks)."""
    kept = ("PA_MODEL_CACHE_DIR", "PA_MULTILINGUAL_MODEL")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PA_") or k in kept}
    env.update({"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False", "GRADIO_ANALYTICS_ENABLED": "False", "PA_AUDIT_LOG": ""})
    env.update(extra)
    return env


def run_cli(module: str, *args: str | Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    """``python -m MODULE ARGS`` in the repository root; output captured as text."""
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT, env=clean_env(**env),
                          capture_output=True, text=True, timeout=timeout)


class AppProcess:
    """``python app.py`` on a free port; ``stop`` (SIGTERM) or ``kill`` (SIGKILL) it.

    ``env`` adds PA_* settings (e.g. ``PA_EMBED_MODEL=hash``); the log (stdout and stderr) goes to
    ``workdir/app-<n>.log``, one file per start.
    """

    def __init__(self, workdir: Path, index_dir: Path, *, users_file: Path | None = None,
                 corpus_dir: Path | None = None, env: dict[str, str] | None = None, verbose: bool = False,
                 port: int | None = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.index_dir = Path(index_dir)
        self.users_file, self.corpus_dir = users_file, corpus_dir
        self.env = dict(env or {})
        self.verbose = verbose
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.log_path = self.workdir / "app-0.log"

    def start(self) -> AppProcess:
        cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(self.port), "--index-dir", str(self.index_dir),
               "--feedback-db", str(self.workdir / "feedback.sqlite")]
        if self.users_file:
            cmd += ["--users-file", str(self.users_file)]
        if self.corpus_dir:
            cmd += ["--corpus-dir", str(self.corpus_dir)]
        if self.verbose:
            cmd.append("-v")
        self.starts += 1
        self.log_path = self.workdir / f"app-{self.starts}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=clean_env(**self.env), stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 180) -> AppProcess:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc and self.proc.returncode}: {self.log()[-3000:]}")
            try:
                if httpx.get(self.url + "/api/health", timeout=2).json().get("ready"):
                    return self
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.3)
        raise TimeoutError(f"the app was not ready after {timeout}s: {self.log()[-3000:]}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def all_logs(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(self.workdir.glob("app-*.log")))

    def kill(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(15)
        self._close()

    def stop(self) -> None:
        stop_process(self.proc, grace=20)
        self._close()

    def _close(self) -> None:
        log = getattr(self, "_log", None)
        if log is not None and not log.closed:
            log.close()

    def __enter__(self) -> AppProcess:
        return self.start().wait_ready()

    def __exit__(self, *exc) -> None:
        self.stop()


def token_headers(url: str, name: str, password: str) -> dict[str, str]:
    r = httpx.post(url + "/api/token", json={"name": name, "password": password}, timeout=60)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# --- the Gradio UI over HTTP -------------------------------------------------------------------
class GradioError(RuntimeError):
    """A Gradio event ended in an error (``gr.Error`` message in ``str(exc)``)."""


@dataclass
class EventResult:
    success: bool
    output: Any
    messages: list[dict]


def sign_in_form(client: httpx.Client, name: str, password: str) -> httpx.Response:
    """Sign in as a browser does: open /login (its form carries a CSRF token, matched by a cookie), then post it."""
    page = client.get("/login", follow_redirects=False)
    found = re.search(r'name="csrf" value="([^"]*)"', page.text)
    data = {"name": name, "password": password, "csrf": found.group(1) if found else ""}
    return client.post("/login", data=data, follow_redirects=False)


class GradioSession:
    """One browser session without a browser: sign in through /login, then trigger the UI's events
    (found by the ``elem_id`` of the button that triggers them) through Gradio's queue, as the page does."""

    def __init__(self, url: str, name: str | None = None, password: str | None = None, timeout: float = 120) -> None:
        self.url = url
        self.client = httpx.Client(base_url=url, timeout=timeout)
        self.session_hash = uuid.uuid4().hex[:11]
        if name:
            r = sign_in_form(self.client, name, password or "")
            if r.status_code != 303:
                raise GradioError(f"sign-in as {name} failed: {r.status_code}")
        self._config: dict | None = None

    def close(self) -> None:
        self.client.close()

    @property
    def config(self) -> dict:
        if self._config is None:
            r = self.client.get("/config")
            r.raise_for_status()
            self._config = r.json()
        return self._config

    def component_id(self, elem_id: str) -> int:
        for comp in self.config["components"]:
            if comp.get("props", {}).get("elem_id") == elem_id:
                return comp["id"]
        raise KeyError(elem_id)

    def fn_index(self, trigger_elem_id: str, event: str = "click") -> tuple[int, int]:
        """(fn_index, trigger_id) of the event ``event`` of the component ``trigger_elem_id``."""
        cid = self.component_id(trigger_elem_id)
        for dep in self.config["dependencies"]:
            if [cid, event] in [list(t) for t in dep.get("targets", [])]:
                return dep["id"], cid
        raise KeyError(f"{trigger_elem_id}.{event}")

    def upload(self, name: str, data: bytes) -> httpx.Response:
        """POST /gradio_api/upload, as the File component does: the response lists the server paths."""
        return self.client.post("/gradio_api/upload", files=[("files", (name, data, "application/octet-stream"))])

    def file_value(self, name: str, data: bytes) -> dict:
        r = self.upload(name, data)
        r.raise_for_status()
        [path] = r.json()
        return {"path": path, "orig_name": name, "size": len(data), "mime_type": None, "url": None,
                "meta": {"_type": "gradio.FileData"}}

    def call(self, trigger_elem_id: str, data: list[Any], event: str = "click", timeout: float = 300) -> EventResult:
        """Run one event to its end; its last output (or error message) comes back."""
        fn_index, trigger_id = self.fn_index(trigger_elem_id, event)
        return self.call_fn(fn_index, data, trigger_id, timeout)

    def call_fn(self, fn_index: int, data: list[Any], trigger_id: int | None = None, timeout: float = 300) -> EventResult:
        body = {"data": data, "fn_index": fn_index, "trigger_id": trigger_id, "session_hash": self.session_hash,
                "event_data": None}
        r = self.client.post("/gradio_api/queue/join", json=body)
        if r.status_code != 200:
            raise GradioError(f"queue/join answered {r.status_code}: {r.text[:300]}")
        event_id = r.json()["event_id"]
        messages: list[dict] = []
        deadline = time.time() + timeout
        with self.client.stream("GET", "/gradio_api/queue/data", params={"session_hash": self.session_hash},
                                timeout=timeout) as stream:
            for line in stream.iter_lines():
                if time.time() > deadline:
                    raise TimeoutError(f"event {event_id} did not finish in {timeout}s")
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") not in (None, event_id):
                    continue
                messages.append(msg)
                if msg.get("msg") == "process_completed":
                    output = msg.get("output") or {}
                    if not msg.get("success", False):
                        return EventResult(False, output.get("error") or output, messages)
                    return EventResult(True, output.get("data"), messages)
                if msg.get("msg") == "close_stream":
                    break
        raise GradioError(f"the event stream closed before event {event_id} completed: {messages[-3:]}")

    def __enter__(self) -> GradioSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- index snapshots ---------------------------------------------------------------------------
def index_settings(index_dir: Path, **overrides: Any):
    from assistant.settings import Settings

    values: dict[str, Any] = {"index_dir": Path(index_dir), "audit_log": None}
    values.update(overrides)
    return Settings(**values)


@dataclass(frozen=True)
class Snapshot:
    """What an index holds: manifest entries (doc id -> sha, chunk ids, audience), its version, the
    store's chunk ids and the keyword index's ids. Two equal snapshots mean nothing was lost or added."""

    docs: dict[str, tuple[str, tuple[str, ...], str]]
    version: str
    dirty: bool
    store_ids: frozenset[str]
    keyword_ids: frozenset[str]
    keyword_stamp: str | None

    @property
    def chunks(self) -> int:
        return len(self.store_ids)

    def consistent(self) -> bool:
        manifest_ids = {c for _, ids, _ in self.docs.values() for c in ids}
        return (not self.dirty and manifest_ids == set(self.store_ids) == set(self.keyword_ids)
                and self.keyword_stamp == self.version)

    def problems(self) -> list[str]:
        manifest_ids = {c for _, ids, _ in self.docs.values() for c in ids}
        out = []
        if self.dirty:
            out.append("manifest marked dirty")
        if manifest_ids != set(self.store_ids):
            out.append(f"store and manifest differ: {len(self.store_ids - manifest_ids)} orphans, "
                       f"{len(manifest_ids - self.store_ids)} missing")
        if set(self.keyword_ids) != set(self.store_ids):
            out.append("keyword index and store differ")
        if self.keyword_stamp != self.version:
            out.append(f"keyword stamp {self.keyword_stamp} != index version {self.version}")
        return out


def snapshot(settings) -> Snapshot:
    """Read an index back from disk (a fresh Chroma client, so other processes' writes are seen)."""
    from assistant.keyword import KeywordIndex
    from assistant.store import ChromaStore, Manifest

    manifest = Manifest.load(settings)
    store = ChromaStore(settings)
    store.reopen()
    try:
        ids = frozenset(cid for cid, _, _ in store.iter_all(include=()))
    finally:
        store.reopen()
    keyword = KeywordIndex.load(settings.index_dir / f"keyword-{settings.index_settings_hash}")
    return Snapshot(
        docs={d: (r.sha256, tuple(r.chunk_ids), r.audience) for d, r in manifest.docs.items()},
        version=manifest.version, dirty=manifest.dirty, store_ids=ids,
        keyword_ids=frozenset(keyword.ids) if keyword else frozenset(),
        keyword_stamp=keyword.stamp if keyword else None,
    )


def copy_index(src: Path, dest: Path) -> Path:
    """A private copy of an index folder (without its lock file)."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ingest.lock"))
    return dest


def ingest(paths: list[Path], index_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m ingest PATHS --index-dir INDEX_DIR ARGS`` as a subprocess."""
    return run_cli("ingest", *paths, "--index-dir", index_dir, *args, **env)


_HASH_INDEX: dict[str, Path] = {}


def hash_index(base: Path) -> Path:
    """The sample corpus indexed with the fake hash embedder (fast), built once per process under
    ``base``; callers copy it (``copy_index``) before changing anything."""
    if "path" not in _HASH_INDEX or not (_HASH_INDEX["path"] / "chroma").is_dir():
        path = Path(base) / "hash-index"
        shutil.rmtree(path, ignore_errors=True)
        result = ingest([CORPUS], path, "--embed-model", "hash", "--json")
        if result.returncode != 0:
            raise RuntimeError(f"indexing the corpus failed: {result.stderr[-2000:]}")
        _HASH_INDEX["path"] = path
    return _HASH_INDEX["path"]


def unexpected_errors(log: str) -> list[str]:
    """The last line of every traceback in a log, except Gradio's own ``gradio.exceptions.Error`` (a message
    shown to the user on purpose, e.g. "Invalid file type", which Gradio logs with its traceback)."""
    out = []
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            last = lines[j] if j < len(lines) else "(truncated)"
            if not last.startswith("gradio.exceptions.Error"):
                out.append(last)
    if "Internal Server Error" in log:
        out.append("Internal Server Error")
    return out
