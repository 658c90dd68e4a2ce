"""A bounded load test of the REST API: N concurrent users (threads, one httpx client each) ask a
mix of answerable, declined, eligibility and follow-up questions for a fixed time, each user
capped at a number of requests. A probe thread times ``/api/health`` meanwhile, to show that the
app stays responsive while the answer slots are busy.

No load tool is needed for this: the server is CPU-bound on the same machine, so a thread per user
is an honest client, and the request count and the time are both bounded.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

# Questions over the sample corpus, by kind. Answerable and declined ones follow the eval suite;
# eligibility ones are answered by the structured engine (through /api/ask and /api/eligibility).
ANSWERABLE = (
    "When did Japan start supporting prison management in Myanmar?",
    "Which assistance strands does UNAFEI run in Southeast Asia?",
    "What does the Nepal programme support?",
    "Which ICC seminars were held in 2010?",
    "What is UNAFEI?",
    "What does the Viet Nam programme work on?",
)
DECLINED = (
    "What is the annual budget of the Nepal programme?",
    "Who won the football world cup in 1998?",
    "How many staff does UNAFEI employ in Brazil?",
)
ELIGIBILITY_ASK = (
    "Can a prosecutor from Viet Nam attend the Viet Nam programme?",
    "Is a prison officer from Myanmar eligible for the Myanmar prison management programme?",
    "Which programmes can a judge from Nepal attend?",
)
ELIGIBILITY_FORM = (
    {"country": "Nepal", "role": "judge"},
    {"country": "VN", "role": "prosecutor"},
    {"country": "Southeast Asia", "role": "prison officer", "topic": "corruption"},
)
FOLLOW_UPS = (
    ([("user", "What does the Nepal programme support?"),
      ("assistant", "It supports criminal justice reform in Nepal.")], "When did it start?"),
    ([("user", "When did Japan start supporting prison management in Myanmar?"),
      ("assistant", "In 2015.")], "And Viet Nam?"),
)
KINDS = ("answerable", "declined", "eligibility", "follow-up")


@dataclass
class Sample:
    kind: str
    status: int  # HTTP status; 0 for a client-side failure (timeout, connection)
    seconds: float
    error: str = ""


@dataclass
class LoadResult:
    users: int
    duration_s: float
    max_requests_per_user: int
    wall_s: float
    samples: list[Sample] = field(default_factory=list)
    health: list[tuple[int, float]] = field(default_factory=list)  # (status, seconds) of each probe

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.status != 200]

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    def statuses(self) -> dict[str, int]:
        return {str(k): v for k, v in sorted(Counter(s.status for s in self.samples).items())}

    def latency(self, kind: str | None = None) -> dict[str, float]:
        values = [s.seconds for s in self.samples if s.status == 200 and (kind is None or s.kind == kind)]
        return summarise(values)

    def health_latency(self) -> dict[str, float]:
        return summarise([t for status, t in self.health if status == 200])

    def to_dict(self) -> dict[str, Any]:
        return {
            "users": self.users, "duration_s": self.duration_s, "max_requests_per_user": self.max_requests_per_user,
            "wall_s": round(self.wall_s, 2), "requests": self.requests, "throughput_rps": round(self.throughput, 2),
            "statuses": self.statuses(), "errors": len(self.errors),
            "error_samples": [vars(s) for s in self.errors[:10]],
            "latency_s": self.latency(),
            "by_kind": {k: {"requests": sum(1 for s in self.samples if s.kind == k), "latency_s": self.latency(k)}
                        for k in KINDS},
            "health_probes": len(self.health), "health_failures": sum(1 for s, _ in self.health if s != 200),
            "health_latency_s": self.health_latency(),
        }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(round(q / 100 * len(ordered) + 0.5))))
    return ordered[rank - 1]


def summarise(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "mean": round(statistics.fmean(values), 3), "p50": round(percentile(values, 50), 3),
            "p95": round(percentile(values, 95), 3), "p99": round(percentile(values, 99), 3),
            "max": round(max(values), 3)}


_LETTERS = "bcdfghjklmnpqrstvwxz"


def tag(n: int) -> str:
    """A made-up word unique to ``n`` (consonants only, so it names no place, role or programme)."""
    out = ""
    for _ in range(6):
        n, r = divmod(n, len(_LETTERS))
        out += _LETTERS[r]
    return out


def request_for(kind: str, n: int, unique: int | None = None) -> tuple[str, dict[str, Any]]:
    """The ``n``-th request of a kind: (path, JSON body). With ``unique``, the question carries a
    made-up reference word, so no two questions are the same string and no cache answers for them."""
    suffix = f" (ref {tag(unique)})" if unique is not None else ""
    if kind == "answerable":
        return "/api/ask", {"question": ANSWERABLE[n % len(ANSWERABLE)] + suffix}
    if kind == "declined":
        return "/api/ask", {"question": DECLINED[n % len(DECLINED)] + suffix}
    if kind == "eligibility":
        if n % 2:
            return "/api/eligibility", ELIGIBILITY_FORM[n // 2 % len(ELIGIBILITY_FORM)]
        return "/api/ask", {"question": ELIGIBILITY_ASK[n // 2 % len(ELIGIBILITY_ASK)] + suffix}
    history, question = FOLLOW_UPS[n % len(FOLLOW_UPS)]
    return "/api/ask", {"question": question + suffix, "history": [{"role": r, "content": c} for r, c in history]}


def run_load(
    url: str,
    users: int = 20,
    duration_s: float = 60.0,
    max_requests_per_user: int = 200,
    headers: list[dict[str, str]] | None = None,
    timeout_s: float = 300.0,
    probe_every_s: float = 1.0,
    unique: bool = True,
) -> LoadResult:
    """``users`` threads asking for ``duration_s`` seconds (at most ``max_requests_per_user`` each).

    ``headers[i % len(headers)]`` is user i's (e.g. a bearer token of some role). A request in flight
    when the time is up finishes and counts; no new one starts.
    """
    result = LoadResult(users, duration_s, max_requests_per_user, 0.0)
    lock = threading.Lock()
    start_gate = threading.Barrier(users + 1)
    stop_at = [0.0]
    done = threading.Event()

    def user(i: int) -> None:
        hdrs = (headers or [{}])[i % len(headers or [{}])]
        with httpx.Client(base_url=url, headers=hdrs, timeout=timeout_s) as client:
            start_gate.wait()
            for n in range(max_requests_per_user):
                if time.monotonic() >= stop_at[0]:
                    break
                kind = KINDS[(i + n) % len(KINDS)]
                path, body = request_for(kind, i + n, i * max_requests_per_user + n if unique else None)
                t = time.perf_counter()
                try:
                    r = client.post(path, json=body)
                    sample = Sample(kind, r.status_code, time.perf_counter() - t,
                                    "" if r.status_code == 200 else r.text[:200])
                except httpx.HTTPError as exc:
                    sample = Sample(kind, 0, time.perf_counter() - t, f"{type(exc).__name__}: {exc}")
                with lock:
                    result.samples.append(sample)

    def probe() -> None:
        with httpx.Client(base_url=url, timeout=timeout_s) as client:
            while not done.wait(probe_every_s):
                t = time.perf_counter()
                try:
                    status = client.get("/api/health").status_code
                except httpx.HTTPError:
                    status = 0
                result.health.append((status, time.perf_counter() - t))

    threads = [threading.Thread(target=user, args=(i,), name=f"user-{i}", daemon=True) for i in range(users)]
    for t in threads:
        t.start()
    prober = threading.Thread(target=probe, name="health-probe", daemon=True)
    began = time.monotonic()
    stop_at[0] = began + duration_s
    start_gate.wait()
    prober.start()
    for t in threads:
        t.join(duration_s + timeout_s + 30)
    done.set()
    prober.join(timeout_s)
    result.wall_s = time.monotonic() - began
    return result
