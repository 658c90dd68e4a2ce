"""Programme eligibility as a structured lookup: "Can a prison officer from Myanmar join?"

The catalogue ``corpus/eligibility.yaml`` quotes each programme's Eligibility clauses with
their page; ingestion checks the quotes against the documents (ingest/eligibility_check.py).
:meth:`EligibilityEngine.check` gives every programme the reader may see a verdict
(eligible / depends / not eligible) with reasons, each citing its clause. A programme (and so
each of its clauses) is visible when its document's audience is within the reader's access.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.eligibility_catalogue import (
    DEFAULT_CATALOGUE,
    CatalogueError,
    Clause,
    Criterion,
    Programme,
    read_catalogue,
)
from assistant.places import Place, PlaceError, country_name, find_places, regions, resolve
from assistant.roles import RoleMatch, find_phrase, find_role, match_role, tokens, wordlist
from assistant.settings import ACCESS_RANK
from assistant.types import Answer, AnswerSentence, Citation

ORDER = {"eligible": 0, "depends": 1, "not eligible": 2}


class UnknownProgrammeError(ValueError):
    """No programme the reader may see matches the name (missing and hidden read the same)."""


@dataclass(frozen=True)
class Reason:
    criterion: str  # country | role | seniority | topic
    effect: str  # meets | fails | uncertain | note
    text: str
    source: Clause

    def to_dict(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "effect": self.effect, "text": self.text, **self.source.to_dict()}


@dataclass(frozen=True)
class ProgrammeVerdict:
    programme: str
    title: str
    verdict: str
    reasons: tuple[Reason, ...]
    doc_id: str
    format: tuple[str, ...] = ()
    since: int | None = None
    organiser: str = ""

    def shown(self) -> list[Reason]:
        """The reasons that decide the verdict (failing, or open, or met), then notes."""
        want = {"not eligible": "fails", "depends": "uncertain", "eligible": "meets"}[self.verdict]
        return [r for r in self.reasons if r.effect == want] + [r for r in self.reasons if r.effect == "note"]

    def to_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in asdict(self).items() if k != "reasons"}, "format": list(self.format),
                "reasons": [r.to_dict() for r in self.reasons]}


@dataclass(frozen=True)
class EligibilityQuery:
    text: str = ""
    country: str | None = None
    role: str | None = None
    topic: str | None = None
    programme: str | None = None

    def describe(self) -> str:
        parts = [f"{k}={v}" for k in ("country", "role", "topic", "programme") if (v := getattr(self, k))]
        return "eligibility: " + ("; ".join(parts) or "any")


@dataclass(frozen=True)
class EligibilityResult:
    place: Place | None
    role: RoleMatch | None
    topic: str | None
    programmes: tuple[ProgrammeVerdict, ...]
    reader_role: str = "public"
    notices: tuple[str, ...] = field(default_factory=tuple)

    def verdict(self, programme_id: str) -> str | None:
        return next((v.verdict for v in self.programmes if v.programme == programme_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {"place": self.place.to_dict() if self.place else None, "role": self.role.to_dict() if self.role else None,
                "topic": self.topic, "reader_role": self.reader_role, "notices": list(self.notices),
                "programmes": [v.to_dict() for v in self.programmes]}


def _rank(reader_role: str) -> int:
    if reader_role not in ACCESS_RANK:
        raise ValueError(f"unknown reader role {reader_role!r}; expected one of {', '.join(ACCESS_RANK)}")
    return ACCESS_RANK[reader_role]


_STOP = {"the", "of", "and", "a", "an", "in", "on", "for", "to", "programme", "course", "seminar", "training"}


def _topic_match(topic: str, keywords: tuple[str, ...]) -> bool:
    """A keyword whose words are all in the topic, or a topic whose words are all in a keyword."""
    t = set(wordlist(topic)) - _STOP
    return bool(t) and any((k := set(wordlist(kw)) - _STOP) and (k <= t or t <= k) for kw in keywords)


_DEVELOPING_NOTE = ("'Developing countries' is read with the UN M49 convention (developed: Europe, Northern America, "
                    "Japan, Australia, New Zealand); the programme document gives no list of countries.")
_ILLUSTRATIVE_NOTE = "Clauses marked illustrative are examples, not an official statement; nominations go through your own agency."


class EligibilityEngine:
    """Verdicts over one catalogue file (read once; the engine is read-only and thread-safe)."""

    def __init__(self, catalogue_path: str | Path = DEFAULT_CATALOGUE) -> None:
        self.path = Path(catalogue_path)
        self.programmes, problems = read_catalogue(self.path)
        if problems:
            raise CatalogueError("\n".join(problems))

    def visible(self, reader_role: str = "public") -> list[Programme]:
        """Programmes whose document the reader may see (audience rank within the reader's)."""
        rank = _rank(reader_role)
        return [p for p in self.programmes if ACCESS_RANK[p.audience] <= rank]

    def find_programmes(self, text: str, reader_role: str = "public") -> list[Programme]:
        """Visible programmes that ``text`` names: an id, or name words ('Viet Nam programme', 'senior seminar')."""
        visible = self.visible(reader_role)
        exact = [p for p in visible if p.id == text.strip().lower()]
        if exact:
            return exact
        seq = wordlist(text)
        scored = [(max((len(n) for n in map(wordlist, (*p.names, p.title)) if find_phrase(seq, n)), default=0), p)
                  for p in visible]
        best = max((s for s, _ in scored), default=0)
        return [p for s, p in scored if s and s == best]

    def check(self, country: str | Place | None, role: str | None, topic: str | None = None,
              programme: str | None = None, reader_role: str = "public") -> EligibilityResult:
        """A verdict for every programme the reader may see (or those ``programme`` names).

        ``country``: a country name or code, or a region (PlaceError if unknown or ambiguous); ``role``
        and ``topic``: free text; ``programme``: an id or name words (UnknownProgrammeError if none).
        """
        visible = self.visible(reader_role)
        place = country if isinstance(country, Place) else resolve(country) if country and country.strip() else None
        found = match_role(role) if role and role.strip() else None
        topic = topic.strip() if topic and topic.strip() else None
        chosen = visible
        if programme and programme.strip():
            chosen = self.find_programmes(programme, reader_role)
            if not chosen:
                close = difflib.get_close_matches(programme.strip().lower(), [p.id for p in visible], n=3, cutoff=0.5)
                hint = f"did you mean {', '.join(close)}?" if close else f"programmes: {', '.join(p.id for p in visible)}"
                raise UnknownProgrammeError(f"no programme matches {programme.strip()!r}; {hint}")
        known = any(_topic_match(topic, p.topics.keywords) for p in visible) if topic else False
        verdicts = sorted((self._judge(p, place, found, topic, programme or "", known) for p in chosen),
                          key=lambda v: (ORDER[v.verdict], v.title))
        notices = [f"I {place.note}."] if place and place.note else []
        shown = [r for v in verdicts for r in v.shown()]
        if any("illustrative" in r.source.clause for r in shown):
            notices.append(_ILLUSTRATIVE_NOTE)
        if any("developing" in r.text for r in shown):
            notices.append(_DEVELOPING_NOTE)
        return EligibilityResult(place, found, topic, tuple(verdicts), reader_role, tuple(notices))

    def _judge(self, p: Programme, place: Place | None, role: RoleMatch | None, topic: str | None,
               programme: str, topic_known: bool) -> ProgrammeVerdict:
        reasons: list[Reason] = []

        def add(criterion: str, effect: str, text: str, crit: Criterion) -> None:
            reasons.append(Reason(criterion, effect, text, crit.source))

        c, barred = p.countries, p.rule("country") or p.countries
        if place is None:
            add("country", "uncertain", f"no country was given; it is for {c.describe()}", c)
        elif place.kind == "country":
            ok = c.country_ok(place.code)
            if c.any_country:
                add("country", "meets", f"it is multi-national, not limited to one country or region, so {place.name} qualifies", c)
            elif c.any_developing:
                add("country", {True: "meets", False: "fails", None: "uncertain"}[ok], {
                    True: f"{place.name} counts as a developing country (outside the UN M49 developed regions)",
                    False: f"{place.name} is counted among the developed countries (UN M49), and it is for developing countries",
                    None: f"UN M49 places {place.name} in no region, so whether it counts as developing is unclear"}[ok],
                    c if ok is not False else barred)
            elif ok:
                via = [regions()[r].name for r in c.regions if place.code in regions()[r].members]
                add("country", "meets", f"{place.name} is in {via[0]} (UN M49)" if via else f"{place.name} is eligible", c)
            else:
                add("country", "fails", f"it is only for {c.describe()}, not {place.name}", barred)
        else:
            good = sorted(country_name(m) for m in place.members if c.country_ok(m))
            if len(good) == len(place.members):
                add("country", "meets", f"every country of {place.name} qualifies ({c.describe()})", c)
            elif not good:
                add("country", "fails", f"it is only for {c.describe()}; no country of {place.name} qualifies", barred)
            else:
                names = ", ".join(good) if len(good) <= 6 else f"{len(good)} of its {len(place.members)} countries"
                add("country", "uncertain", f"only some countries of {place.name} qualify: {names}", c)
        r = p.roles
        if role is None:
            add("role", "note", "no role was given; see the roles named", r)
        elif role.key in r.roles:
            add("role", "meets", f"a {role.text} fits the roles named", r)
        elif role.key == "outside":
            add("role", "fails", f"a {role.text} is not a criminal justice official", p.rule("role") or r)
        elif role.key is None:
            add("role", "uncertain", f"'{role.text}' is not a role I recognise; compare it with the roles named", r)
        else:
            effect = "uncertain" if r.illustrative else "fails"
            add("role", effect, f"a {role.text} ({role.label}) is not among the roles named"
                + (", but that list is illustrative" if r.illustrative else ""), r)
        s = p.rule("seniority")
        if s:
            targets = bool(programme) and wordlist(s.part)[-1] in wordlist(programme)
            junior = role is not None and role.senior is False
            if targets and junior:
                add("seniority", "fails", f"the {s.part} is not for junior staff", s)
            elif targets and (role is None or role.senior is None):
                add("seniority", "uncertain", f"the {s.part} needs senior or managerial responsibility; the question does not say", s)
            elif targets:
                add("seniority", "meets", f"a {role.text} has senior responsibility", s)
            elif junior:
                add("seniority", "note", f"junior staff cannot join the {s.part}", s)
        t = p.topics
        if topic:
            if _topic_match(topic, t.keywords):
                add("topic", "meets", f"'{topic}' is among its topics", t)
            elif t.broad:
                add("topic", "uncertain", f"'{topic}' is not named among its topics, which are broad", t)
            else:
                add("topic", "fails" if topic_known else "uncertain",
                    f"'{topic}' is {'not among' if topic_known else 'not clearly one of'} its topics", t)
        effects = {x.effect for x in reasons}
        verdict = "not eligible" if "fails" in effects else "depends" if "uncertain" in effects else "eligible"
        return ProgrammeVerdict(p.id, p.title, verdict, tuple(reasons), p.doc_id, p.format, p.since, p.organiser)
