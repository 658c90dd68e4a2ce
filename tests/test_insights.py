"""The Insights figures from a seeded audit log and feedback history (fast, no browser)."""

from __future__ import annotations

import json
import time

import pytest

from assistant.web import insights
from assistant.web.feedback import FeedbackStore

DAY = 86400.0
T0 = time.mktime((2026, 3, 2, 12, 0, 0, 0, 0, 0))


def seed_audit(path, t0=T0):
    rows = [(0, "partner", "When did the Nepal programme start?", False, 300),
            (0, "partner", "What is the budget of the Nepal programme?", True, 500),
            (1, "staff", "What is the budget of the Nepal programme?", True, 700),
            (1, "staff", "Which seminars were held in 2010?", False, 900),
            (1, "public", "What is the budget of the Nepal programme?", True, 100)]
    with open(path, "w", encoding="utf-8") as fh:
        for day, role, q, declined, ms in rows:
            fh.write(json.dumps({"time": t0 + day * DAY, "role": role, "question": q, "declined": declined,
                                 "timings": {"total_ms": ms}, "answer": "x"}) + "\n")
        fh.write("not json\n")


def test_series_tables_and_filters(tmp_path):
    seed_audit(tmp_path / "audit.jsonl")
    audit = insights.read_audit(tmp_path / "audit.jsonl")
    assert len(audit) == 5  # the bad line is skipped
    series = insights.per_day(audit, [{"time": T0, "rating": 1}, {"time": T0 + DAY, "rating": -1}, {"time": T0 + DAY, "rating": -1}])
    assert [r["questions"] for r in series["questions"]] == [2, 3]
    assert [r["share declined"] for r in series["declined"]] == [0.5, 0.667]
    assert [r["median latency (s)"] for r in series["latency"]] == [0.5, 0.7]
    assert {(r["rating"], r["count"]) for r in series["ratings"]} == {("up", 1), ("down", 2)}
    top = insights.top_declined(audit)
    assert top[0] == {"question": "What is the budget of the Nepal programme?", "times": 3, "role": "partner"}
    day2 = insights.day_of(T0 + DAY)
    assert len(insights.keep(audit, day2, day2, "")) == 3 and len(insights.keep(audit, "", "", "staff")) == 2
    with pytest.raises(ValueError, match="2026-01-31"):
        insights.keep(audit, "yesterday", "", "")


def test_one_click_draft_case_uses_the_from_feedback_logic(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite")
    fid = store.add("Who funds the Nepal programme?", "The documents do not cover this.", [], -1, "wrong: JICA", "partner")
    downs = insights.latest_down(store.rows())
    assert downs[0]["comment"] == "wrong: JICA" and downs[0]["id"] == fid
    text = insights.case_yaml(downs[0], store.get(fid))
    assert "Who funds the Nepal programme?" in text and "from-feedback" in text and "wrong: JICA" in text
    declined = insights.case_yaml({"question": "What is the budget?", "times": 3, "role": "staff"})
    assert "What is the budget?" in declined and "declined 3 time(s)" in declined
