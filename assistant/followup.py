"""Follow-up questions keep their subject: a conversation becomes one standalone query.

Deterministic and model-free. "What about Viet Nam?" after a question on Nepal's
reform programme swaps the country in the previous question; a follow-up that
leans on a pronoun ("Who can take part in it?") gets the previous subject in place of
the pronoun ("Who can take part in the Viet Nam programme?"), keeping its own question.
A question that names its own subject is standalone and never rewritten, and neither is
one with no words. The result is what gets searched, and the UI shows it ("Searched for: ...").
"""

from __future__ import annotations

import re

from assistant.placenames import ALIASES, places, subject_places
from assistant.text import question_terms

__all__ = ["condense", "is_follow_up", "places", "subject_places"]

_ELLIPTIC = re.compile(r"^\s*(and\s+)?(what|how)\s+about\s+|^\s*and\s+(for\s+|in\s+)?|^\s*(the\s+)?same\s+(for|in)\s+|^\s*what\s+of\s+", re.I)
# A pronoun that points back to the previous turn. Left out: "their/its own" (bound inside the question),
# "is there / are there" (existential), "that" as a relative pronoun ("programmes that train judges").
_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|he|she|his|her|him)\b(?!\s+own\b)"
    r"|\b(?<!is )(?<!are )(?<!was )(?<!were )(?<!has )(?<!have )(?<!had )(?<!be )there\b(?!\s+(is|are|was|were|be)\b)"
    r"|\b(this|that|those|these)\b(?=\s*(?:[?.!]|$|one\b|ones\b|programmes?\b|seminars?\b|courses?\b|meetings?\b|"
    r"strands?\b|projects?\b|countr(?:y|ies)\b|years?\b|documents?\b|institutes?\b|events?\b|initiatives?\b|sessions?\b))",
    re.I,
)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_HAS_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][A-Za-z]+|[A-Z]{2,})\b")
# what a question asks (not what it is about): left out of the subject carried to a follow-up
_INTENT = frozenset(
    question_terms(
        "start started starts begin began begun beginning launch launched since when end ended finish held hold "
        "organise organised organize organized happen cost costs last lasted run runs ran deliver delivered "
        "take part join apply eligible who where why which discuss discussed cover covered address addressed about "
        "support supporting supported help helping helped assist assisting assisted tell"
    )
)


def _names_own_subject(question: str) -> bool:
    """Whether a question names something of its own: a place, a year or a capitalised name."""
    return bool(subject_places(question) or _YEAR.search(question) or _CAPITALISED.search(question))


def is_follow_up(question: str) -> bool:
    """Short questions that lean on the previous turn for their subject."""
    if not _HAS_WORD.search(question):
        return False  # no words at all ("🙂🙂🙂"): nothing to carry a subject to
    words = question.split()
    if _ELLIPTIC.search(question):
        return True
    terms = question_terms(question)
    if _PRONOUN.search(question) and len(words) <= 12:
        return not _names_own_subject(question) or len(terms) <= 1
    return len(terms) <= 1 and len(words) <= 6 and not _names_own_subject(question)


def _years(text: str) -> list[str]:
    return [m.group(0) for m in _YEAR.finditer(text)]


_SUBJECT_PRONOUN = re.compile(r"\b(it|them|there|that one|this one|that|this)(?=\s*[?.!]?\s*$)|\b(it|them)\b", re.I)
_POSSESSIVE = re.compile(r"\b(its|their)\b(?!\s+own\b)", re.I)


def _subject_phrase(previous: str) -> str:
    """The previous question's subject as a noun phrase: "the Viet Nam programme", or its topic words."""
    spans = [m for m in re.finditer(r"[\w'-]+", previous) if (question_terms(m.group(0)) - _INTENT) or _YEAR.fullmatch(m.group(0))]
    if not spans:
        return ""
    end = spans[-1].end()
    head = re.match(r"\s+(programmes?|programs?|seminars?|courses?|meetings?|strands?|projects?|sessions?)\b", previous[end:], re.I)
    if head:  # "the Viet Nam programme", not "the Viet Nam"
        end += head.end()
    phrase = previous[spans[0].start() : end]  # first to last subject word, as written
    return f"the {phrase}" if not re.match(r"the\b", phrase, re.I) else phrase


def condense(question: str, history: list[dict] | None) -> str:
    """The standalone query for ``question`` given earlier turns ({"role", "content"} dicts)."""
    question = question.strip()
    previous_questions = [m.get("content", "") for m in (history or []) if m.get("role") == "user" and m.get("content")]
    if not previous_questions or not is_follow_up(question):
        return question
    previous = condense(previous_questions[-1], [{"role": "user", "content": q} for q in previous_questions[:-1]])
    new_places, old_places = subject_places(question), subject_places(previous)
    new_years, old_years = _years(question), _years(previous)
    if _ELLIPTIC.search(question) or (len(question.split()) <= 4 and (new_places or new_years)):
        result = previous
        swapped = False
        if new_places and old_places:
            result = _replace_all(result, old_places, new_places[0])
            swapped = True
        if new_years and old_years:
            result = _replace_all(result, old_years, new_years[0])
            swapped = True
        if swapped:
            return result
        rest = _ELLIPTIC.sub("", question).strip(" ?.")
        return f"{previous.rstrip(' ?.')} - {rest}?" if rest else previous
    subject = _subject_phrase(previous)
    if not subject:
        return question
    # the new question, with the previous subject where its pronoun stood
    if _SUBJECT_PRONOUN.search(question) and not _POSSESSIVE.search(question):
        return _SUBJECT_PRONOUN.sub(subject, question, count=1)
    return f"{question.rstrip(' ?.')} ({subject[4:] if subject.startswith('the ') else subject})?"


def _replace_all(text: str, olds: list[str], new: str) -> str:
    for old in dict.fromkeys(olds):
        variants = [k for k, v in ALIASES.items() if v == old] + [old]
        for variant in variants:
            text = re.sub(rf"\b{re.escape(variant)}\b", new, text)
    return text
