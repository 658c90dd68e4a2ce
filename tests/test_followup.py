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
    assert out == "Who co-organised the 2011 regional meeting on complementarity?"  # the pronoun gives way to the subject


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


# --- table-driven detection: questions that stand on their own, and ones that lean on the previous turn ----
STANDALONE = [
    "Which countries have a country programme of their own?",
    "When did the Nepal programme start?",
    "When did Myanmar's prison programme start?",
    "What does UNAFEI stand for?",
    "Where was the 2009 ICC seminar held?",
    "How often are the international training courses held?",
    "Which organisation partnered with Japan on the ICC seminars?",
    "Is there a programme for Myanmar?",
    "Are there seminars on terrorism?",
    "Which programmes that train judges exist in Southeast Asia?",
    "What is the budget of the Viet Nam programme?",
    "Who is the current director of UNAFEI?",
    "How many officials have attended UNAFEI's programmes?",
    "Which states does Japan's ICC outreach target?",
    "Can a prosecutor from Viet Nam join the senior seminar?",
    "What did the 2016 seminar stress about terrorism?",
    "Which regional strands focus on Southeast Asia?",
    "Do the training courses have their own eligibility rules?",
    "Which ministry runs the international training courses?",
    "What topics does the senior seminar cover?",
    "Who can take part in the Myanmar prison programme?",
    "What were Amazon's total net sales in Q2 2023?",
    "How did Microsoft's operating income change in the quarter ended March 31, 2023?",
    "Which government office is responsible for this area of work?",
    "List the strands of technical assistance delivered through UNAFEI.",
    "How long has Japan supported community-based treatment?",
    "What is complementarity under the Rome Statute?",
    "Since when has there been multinational work on corruption?",
    "Which countries and regions have sent participants to UNAFEI?",
    "What did Intel report as its net income in the first quarter of 2023?",
    "🙂🙂🙂",
    "???",
    "12345",
]

FOLLOW_UPS = [
    "What about Viet Nam?",
    "And Myanmar?",
    "and Vietnam?",
    "How about Nepal?",
    "And the 2010 one?",
    "Same for 2011?",
    "What of Southeast Asia?",
    "Who can take part in it?",
    "Who co-organised it?",
    "Which organisation delivers it?",
    "Who runs it?",
    "When did it start?",
    "Since when has it been running?",
    "Where was it held?",
    "What are its main topics?",
    "Which states took part in it?",
    "Who funds them?",
    "How often does that happen?",
    "Is that programme still running?",
    "When did this one begin?",
    "What did they discuss?",
    "Why?",
]


@pytest.mark.parametrize("question", STANDALONE)
def test_standalone_questions_are_not_follow_ups(question):
    assert not is_follow_up(question)
    history = turns("When did the Nepal programme start?", "and Viet Nam?")
    assert condense(question, history) == question  # never rewritten


@pytest.mark.parametrize("question", FOLLOW_UPS)
def test_follow_ups_are_detected_and_keep_the_subject(question):
    assert is_follow_up(question)
    out = condense(question, turns("When did the prison management programme in Myanmar begin?"))
    assert out != question
    # the previous subject is carried along, or the follow-up's own place or year replaces it
    assert any(word in out for word in ("Myanmar", "Viet Nam", "Nepal", "2010", "2011", "Southeast Asia")), out


def test_a_pronoun_follow_up_keeps_the_subject_and_asks_its_own_question():
    out = condense("Who can take part in it?", turns("When did the Nepal programme start?", "and Viet Nam?"))
    assert out == "Who can take part in the Viet Nam programme?"
    assert "start" not in out  # the previous question's intent is not carried along
