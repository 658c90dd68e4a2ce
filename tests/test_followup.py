"""Follow-up questions rewritten into standalone queries (no model needed)."""

from __future__ import annotations

import pytest

from assistant.followup import condense, is_follow_up, places


def turns(*questions):
    return [{"role": "user", "content": q} for q in questions]


@pytest.mark.parametrize(
    ("history", "question", "expected"),
    [
        (turns("When did the criminal justice reform programme in Nepal start?"), "What about Viet Nam?",
         "When did the criminal justice reform programme in Viet Nam start?"),
        (turns("When did Japan begin supporting Viet Nam's reform?"), "How about Nepal?",
         "When did Japan begin supporting Nepal's reform?"),
        (turns("Where was the 2009 ICC seminar held?"), "And the 2010 one?", "Where was the 2010 ICC seminar held?"),
        (turns("When did Japan start helping Nepal?"), "and Vietnam?", "When did Japan start helping Viet Nam?"),
        # chains: the previous question is itself a follow-up
        (turns("When did the reform programme in Nepal start?", "What about Viet Nam?"), "And Myanmar?",
         "When did the reform programme in Myanmar start?"),
    ],
)
def test_elliptical_follow_ups_swap_the_subject(history, question, expected):
    assert condense(question, history) == expected


def test_pronoun_follow_up_carries_the_topic():
    out = condense("Who co-organised it?", turns("Tell me about the 2011 regional meeting on complementarity"))
    assert out.startswith("Who co-organised it")
    assert "2011" in out and "complementarity" in out


def test_standalone_questions_are_left_alone():
    history = turns("When did the Nepal programme start?")
    q = "What does UNAFEI stand for in full and where is the institute located?"
    assert condense(q, history) == q
    assert condense("When did Myanmar's prison programme start?", []) == "When did Myanmar's prison programme start?"


def test_follow_up_detection_and_places():
    assert is_follow_up("What about Viet Nam?")
    assert is_follow_up("Who runs it?")
    assert not is_follow_up("Which seminars on the International Criminal Court were held in India and Malaysia?")
    assert places("Vietnam, Lao PDR and Southeast Asia") == ["Viet Nam", "Lao PDR", "Southeast Asia"]
