"""Follow-up questions keep their subject: a conversation becomes one standalone query.

Deterministic and model-free. "What about Viet Nam?" after a question on Nepal's
reform programme swaps the country in the previous question; a follow-up that
leans on a pronoun ("Who co-organised it?") carries the previous topic along.
The result is what gets searched, and the UI shows it ("Searched for: ...").
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.text import question_terms

_REGIONS = ("Southeast Asia", "South-East Asia", "Asia-Pacific", "Asia Pacific", "Africa", "Asia", "Europe", "Latin America")
_ALIASES = {"Vietnam": "Viet Nam", "Laos": "Lao PDR", "Burma": "Myanmar", "South-East Asia": "Southeast Asia"}

_ELLIPTIC = re.compile(r"^\s*(and\s+)?(what|how)\s+about\s+|^\s*and\s+(for\s+|in\s+)?|^\s*(the\s+)?same\s+(for|in)\s+|^\s*what\s+of\s+", re.I)
_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|there|that|this|those|these|he|she|his|her)\b(?!\s+(is|are)\s+\w+\s+(programme|seminar))",
    re.I,
)


@lru_cache(maxsize=1)
def _place_pattern() -> re.Pattern[str]:
    import pycountry

    names = set(_REGIONS) | set(_ALIASES) | {"Viet Nam", "Lao PDR"}
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            value = getattr(c, attr, None)
            if value and "," not in value:
                names.add(value)
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in ordered) + r")\b")


# The provider of every programme in the corpus: naming it never changes a question's subject.
_ACTORS = frozenset({"Japan"})


def places(text: str) -> list[str]:
    """Country and region names in ``text``, canonicalised ("Vietnam" -> "Viet Nam")."""
    return [_ALIASES.get(m, m) for m in _place_pattern().findall(text)]


def subject_places(text: str) -> list[str]:
    """Places a question is about (the programmes' provider left out)."""
    return [p for p in places(text) if p not in _ACTORS]


_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def _years(text: str) -> list[str]:
    return [m.group(0) for m in _YEAR.finditer(text)]


def is_follow_up(question: str) -> bool:
    """Short questions that lean on the previous turn for their subject."""
    words = question.split()
    if _ELLIPTIC.search(question):
        return True
    if len(words) <= 9 and _PRONOUN.search(question):
        return True
    return len(question_terms(question)) <= 1 and len(words) <= 6


def _topic(previous: str) -> str:
    """The previous question reduced to its subject words, original spelling kept."""
    words = re.findall(r"[\w'-]+", previous)
    keep = [w for w in words if question_terms(w) or _YEAR.fullmatch(w)]
    return " ".join(keep)


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
    topic = _topic(previous)
    if not topic:
        return question
    return f"{question.rstrip(' ?.')} ({topic})?"


def _replace_all(text: str, olds: list[str], new: str) -> str:
    for old in dict.fromkeys(olds):
        variants = [k for k, v in _ALIASES.items() if v == old] + [old]
        for variant in variants:
            text = re.sub(rf"\b{re.escape(variant)}\b", new, text)
    return text
