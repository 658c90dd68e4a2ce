"""Eligibility answers in the chat: a compact table (programme, verdict, the reason, one source per
programme) that names the roles when the question gave none."""

from __future__ import annotations

import re

import pytest

from assistant.eligibility import EligibilityEngine
from assistant.eligibility_catalogue import DEFAULT_CATALOGUE
from assistant.web.render import eligibility_rows, render_answer


@pytest.fixture(scope="module")
def engine():
    return EligibilityEngine(DEFAULT_CATALOGUE)


def test_who_can_take_part_names_the_roles(engine):
    answer = engine.answer("Who can take part in the Viet Nam programme?", "partner")
    assert answer.kind == "eligibility" and not answer.declined
    assert "see the roles named" not in answer.text
    [row] = eligibility_rows(answer)
    assert row["title"].startswith("Viet Nam:")
    for role in ("police officer", "prosecutor", "judge", "court official", "corrections official"):
        assert role in row["reason"]
    assert "Viet Nam" in row["reason"]  # and who the country clause is for
    [citation] = answer.citations  # one source for the one programme, quoting both clauses verbatim
    assert citation.quotes == ("Eligible countries: Viet Nam.",
                               "Eligible roles: officials of Viet Nam's criminal justice agencies, such as police, "
                               "prosecution, courts and corrections (illustrative).")


def test_one_source_per_programme(engine):
    answer = engine.answer("Which programmes can officials from Nepal attend?", "staff")
    rows = eligibility_rows(answer)
    assert len(rows) == len(answer.citations) == 7
    assert [int(r["n"]) for r in rows] == [c.n for c in answer.citations] == list(range(1, 8))
    titles = [r["title"] for r in rows]
    assert len(set(titles)) == 7 and sum(r["verdict"] == "eligible" for r in rows) == 3
    for c in answer.citations:
        assert all(q in c.quote for q in c.quotes) and c.doc_id


def test_chat_html_is_a_table_with_one_link_per_row(engine):
    answer = engine.answer("Can a prosecutor from Thailand join?", "public")
    html = render_answer(answer, "src-3")
    assert '<table class="pa-elig-table pa-elig-chat">' in html
    rows = re.findall(r"<tr><td data-label='Programme'>.*?</tr>", html)
    assert len(rows) == len(answer.citations) == 4
    for i, row in enumerate(rows, 1):
        assert row.count('class="pa-cite"') == 1 and f'href="#src-3-{i}"' in row
        assert re.search(r"pa-verdict pa-(yes|no|maybe)", row)
    assert html.count('class="pa-source"') == 4  # one source card per programme, not one per clause
    assert "<li>" not in html.split("<table")[1].split("</table>")[0]


def test_other_answers_and_unexpected_lines_are_not_tables(engine):
    from assistant.types import Answer, AnswerSentence

    odd = Answer("q", "Head\n- odd line", False, (), "q", sentences=(AnswerSentence("Head", ()), AnswerSentence("odd line", ())),
                 kind="eligibility")
    assert eligibility_rows(odd) is None and "pa-elig-chat" not in render_answer(odd, "a")
    plain = Answer("q", "Plain answer.", False, (), "q", sentences=(AnswerSentence("Plain answer.", ()),))
    assert "pa-elig-chat" not in render_answer(plain, "a")


def test_the_table_keeps_the_readers_language_for_verdicts(engine):
    from assistant import crosslingual

    answer = crosslingual.localise(engine.answer("Can a prosecutor from Thailand join?", "public"), "fr")
    rows = eligibility_rows(answer)
    assert [(r["verdict"], r["label"]) for r in rows][-1] == ("depends", "à voir")
    html = render_answer(answer, "x")
    assert "pa-maybe'>à voir</span>" in html and answer.text.split("\n")[0].split(":")[0] in html
