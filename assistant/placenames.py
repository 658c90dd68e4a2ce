"""Country and region names in text, canonicalised ("Vietnam" -> "Viet Nam").

Shared by the answer scorer (:mod:`assistant.text`, "where" questions and whose year a sentence
gives) and follow-up handling (:mod:`assistant.followup`); it imports neither, so they do not
import each other.
"""

from __future__ import annotations

import re
from functools import lru_cache

REGIONS = ("Southeast Asia", "South-East Asia", "Asia-Pacific", "Asia Pacific", "Africa", "Asia", "Europe", "Latin America")
ALIASES = {"Vietnam": "Viet Nam", "Laos": "Lao PDR", "Burma": "Myanmar", "South-East Asia": "Southeast Asia"}
# The provider of every programme in the corpus: naming it never changes a question's subject.
ACTORS = frozenset({"Japan"})


@lru_cache(maxsize=1)
def _place_pattern() -> re.Pattern[str]:
    import pycountry

    names = set(REGIONS) | set(ALIASES) | {"Viet Nam", "Lao PDR"}
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            value = getattr(c, attr, None)
            if value and "," not in value:
                names.add(value)
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in ordered) + r")\b")


def places(text: str) -> list[str]:
    """Country and region names in ``text``, canonicalised ("Vietnam" -> "Viet Nam")."""
    return [ALIASES.get(m, m) for m in _place_pattern().findall(text)]


def place_spans(text: str) -> list[tuple[int, str]]:
    """(character offset, canonical name) of each place named in ``text``, the provider left out."""
    out = []
    for m in _place_pattern().finditer(text):
        name = ALIASES.get(m.group(1), m.group(1))
        if name not in ACTORS:
            out.append((m.start(), name))
    return out


def subject_places(text: str) -> list[str]:
    """Places a question is about (the programmes' provider left out)."""
    return [p for p in places(text) if p not in ACTORS]
