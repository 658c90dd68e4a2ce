"""What the Insights tab shows, computed from the audit log (every answer: time, role, declined, timings)
and the feedback database: questions per day, share declined, thumbs up/down per day, answer latency,
the most frequent declined questions and the latest thumbs-down with their comments.

Pure functions over rows, so they are tested without a browser; only staff and admins see the result
(capability ``see_insights``), and nothing here is shown to partners.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_AUDIT_BYTES = 64 * 1024 * 1024  # read at most the newest 64 MiB of the audit log


def day_of(ts: float) -> str:
    return _dt.datetime.fromtimestamp(float(ts), _dt.UTC).strftime("%Y-%m-%d")


def read_audit(path: Path | None) -> list[dict[str, Any]]:
    """The audit log's answers (time, role, question, declined, latency); bad lines are skipped."""
    if path is None or not Path(path).is_file():
        return []
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - MAX_AUDIT_BYTES))
        raw = fh.read().decode("utf-8", errors="replace")
    rows = []
    for line in raw.splitlines():
        try:
            rec = json.loads(line)
            rows.append({"time": float(rec["time"]), "role": str(rec.get("role") or "public"),
                         "question": " ".join(str(rec.get("question") or "").split()),
                         "declined": bool(rec.get("declined")),
                         "latency_ms": float((rec.get("timings") or {}).get("total_ms") or 0.0)})
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return rows


def keep(rows: list[dict[str, Any]], start: str | None, end: str | None, role: str | None) -> list[dict[str, Any]]:
    """Rows from day ``start`` to day ``end`` (inclusive, ``YYYY-MM-DD``; empty: open) of ``role`` (empty: all)."""
    start, end = _date(start, "from"), _date(end, "to")
    return [r for r in rows if (not role or r.get("role") == role)
            and (not start or day_of(r["time"]) >= start) and (not end or day_of(r["time"]) <= end)]


def _date(value: str | None, which: str) -> str:
    text = str(value or "").strip()[:10]
    if not text:
        return ""
    try:
        return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"the '{which}' date must look like 2026-01-31, not {text!r}") from None


def per_day(audit: list[dict[str, Any]], feedback: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Series for the plots: questions and share declined per day, thumbs per day, median latency per day."""
    asked: dict[str, list[dict]] = defaultdict(list)
    for r in audit:
        asked[day_of(r["time"])].append(r)
    questions, declined, latency = [], [], []
    for day in sorted(asked):
        rs = asked[day]
        questions.append({"day": day, "questions": len(rs)})
        declined.append({"day": day, "share declined": round(sum(r["declined"] for r in rs) / len(rs), 3)})
        times = sorted(r["latency_ms"] for r in rs)
        latency.append({"day": day, "median latency (s)": round(times[len(times) // 2] / 1000, 3)})
    thumbs: Counter = Counter((day_of(f["time"]), "up" if f["rating"] > 0 else "down") for f in feedback)
    ratings = [{"day": d, "rating": k, "count": n} for (d, k), n in sorted(thumbs.items())]
    return {"questions": questions, "declined": declined, "ratings": ratings, "latency": latency}


def top_declined(audit: list[dict[str, Any]], n: int = 10) -> list[dict[str, Any]]:
    """The most frequent declined questions (the documents to add next), with who asked them."""
    counts: Counter = Counter()
    roles: dict[str, str] = {}
    for r in audit:
        if r["declined"] and r["question"]:
            key = r["question"].lower()
            counts[key] += 1
            roles.setdefault(key, r["question"] + "\0" + r["role"])
    out = []
    for key, count in counts.most_common(n):
        question, role = roles[key].split("\0")
        out.append({"question": question, "times": count, "role": role})
    return out


def latest_down(feedback: list[dict[str, Any]], n: int = 10) -> list[dict[str, Any]]:
    """The newest thumbs-down, newest first, with their comments."""
    downs = sorted((f for f in feedback if f["rating"] < 0), key=lambda f: f["time"], reverse=True)[:n]
    return [{"when": _dt.datetime.fromtimestamp(f["time"], _dt.UTC).strftime("%Y-%m-%d %H:%M"),
             "question": f["question"], "comment": f.get("comment") or "", "role": f["role"], "id": f["id"]} for f in downs]


def case_yaml(row: dict[str, Any], feedback_row: dict[str, Any] | None = None) -> str:
    """A draft evaluation case (the ``python -m evals from-feedback`` logic) for a declined question or a
    thumbs-down: ready to review and add to a suite."""
    from evals.feedback import draft_suite_text

    source = feedback_row or {"question": row["question"], "rating": -1, "role": row.get("role") or "public",
                              "comment": f"declined {row.get('times', 1)} time(s): a document to add?", "answer": "",
                              "citations": [], "time": None}
    text, _count = draft_suite_text([source])
    return text
