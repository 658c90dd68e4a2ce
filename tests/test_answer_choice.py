"""Which sentence the extractive answer leads with: general rules, on made-up passages (hash embedder, fast)."""

from __future__ import annotations

import pytest

from assistant.backends.extractive import ExtractiveBackend
from assistant.citations import Scorer
from assistant.embedding import HashEmbedder
from assistant.settings import Settings
from assistant.text import asks_back
from assistant.types import Passage

BACKEND = ExtractiveBackend(Settings(embed_model="hash", audit_log=None), Scorer(HashEmbedder(128)))


def passage(n: int, text: str, title: str = "Notes") -> Passage:
    return Passage(chunk_id=f"d{n}#{n}", doc_id=f"d{n}.md", title=title, text=text, page=None, section="",
                   doc_type="reference", audience="public", score=1.0 / n)


@pytest.mark.parametrize(("question", "sentence", "expected"), [
    ("Which government office is responsible for this work?",
     "Questions about which office is responsible for this work should be sent to the division.", True),
    ("Which government office is responsible for this work?",
     "Within the government, this work is handled by the Ministry of Foreign Affairs, Legal Affairs Division.", False),
    ("What subjects do the courses cover?", "The courses cover what subjects the participants ask for most.", True),
    # a negation shared with the question is no topic term: "persons who are not ..." answers "does not work ..."
    ("Can someone who does not work in criminal justice enrol?",
     "Not eligible: persons who are not criminal justice practitioners.", False),
    ("Who is eligible?", "Officials whose work concerns prisons are eligible for the course.", False),
])
def test_a_sentence_that_asks_back_the_question_is_recognised(question, sentence, expected):
    assert asks_back(question, sentence) is expected


def test_a_sentence_speaking_about_the_question_does_not_answer_it():
    text = ("Questions about which office is responsible for harbour safety should be answered with this division. "
            "Within the city government, harbour safety is handled by the Port Authority, Marine Safety Division.")
    draft = BACKEND.draft("Which office is responsible for harbour safety?", [passage(1, text)])
    assert not draft.declined and draft.text.startswith("Within the city government"), draft.text


@pytest.mark.parametrize(("question", "expected"), [
    # the provider named as the place something is: it answers "in which country ... based"
    ("In which country is the regional training institute based?", "located in Japan"),
    # the provider acting ("Japan co-organised") does not answer "which country hosted"
    ("Which country hosted the 2009 seminar on the court?", "India"),
])
def test_the_provider_answers_which_country_only_as_a_location(question, expected):
    passages = [
        passage(1, "The regional training institute is affiliated with the United Nations and is located in Japan. "
                   "The regional training institute runs courses for officials from many countries.", "Institute"),
        passage(2, "In 2009 Japan co-organised a seminar on the court with a regional body, which was attended by many delegates. "
                   "The 2009 seminar on the court was hosted by India in New Delhi.", "Seminars"),
    ]
    draft = BACKEND.draft(question, passages)
    assert not draft.declined and expected in draft.text.split(" [")[0], draft.text


def test_a_yes_no_question_is_answered_by_the_sentence_that_says_no_or_only():
    text = ("The Norway pilotage programme trains harbour pilots from Norway in port approaches and signing up. "
            "Not eligible for the Norway pilotage programme: harbour pilots from countries other than Norway.")
    draft = BACKEND.draft("Can a harbour pilot from Chile sign up for the Norway pilotage programme?", [passage(1, text, "Norway")])
    assert not draft.declined and draft.text.startswith("Not eligible for the Norway pilotage programme"), draft.text


def test_topic_terms_leave_out_prepositions_and_spell_places_one_way():
    from assistant.text import content_terms, coverage, question_terms

    assert "under" not in question_terms("Under which three headings is this work classified?")
    assert content_terms("a prosecutor from Vietnam") >= content_terms("Viet Nam")
    # "Vietnam" in the question is covered by "Viet Nam" in the passage
    assert coverage("Which programme should a prosecutor from Vietnam read?", "Prosecutors from Viet Nam read the programme.") == 1.0


def test_a_question_for_a_part_of_the_world_wants_a_region():
    from assistant.text import has_slot, required_slots

    assert required_slots("Which part of the world is the outreach mostly focused on?") == ["region"]
    assert required_slots("In which country is the institute based?") == ["country"]
    assert has_slot("region", "It works mainly in the Asia-Pacific region.")
    assert not has_slot("region", "A seminar was held in Malaysia in 2010.")
    text = ("In 2011 the outreach team took part in a meeting organised by Malaysia and India on the court. "
            "The outreach of the court team is mostly focused on the Asia-Pacific region.")
    draft = BACKEND.draft("Which part of the world is the court outreach mostly focused on?", [passage(1, text, "Outreach")])
    assert not draft.declined and draft.text.startswith("The outreach of the court team"), draft.text
