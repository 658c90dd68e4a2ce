"""Programme eligibility as a structured lookup: "Can a prison officer from Myanmar join?"

The catalogue ``corpus/eligibility.yaml`` quotes each programme's Eligibility clauses with
their page; ingestion checks the quotes against the documents (ingest/eligibility_check.py).
:meth:`EligibilityEngine.check` gives every programme the reader may see a verdict
(eligible / depends / not eligible) with reasons, each citing its clause. A programme (and so
each of its clauses) is visible when its document's audience is within the reader's access.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import difflib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant import access, i18n
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
from assistant.types import Answer, AnswerSentence

ORDER = {"eligible": 0, "depends": 1, "not eligible": 2}


class UnknownProgrammeError(ValueError):
    """No programme the reader may see matches the name (missing and hidden read the same)."""



def _say(kind: str, **names: str) -> str:
    """One reason behind a verdict, worded by ``reason.<kind>`` of the English locale (the same string the
    reader's language re-writes: :func:`assistant.i18n.reasons`)."""
    return i18n.t(f"reason.{kind}", i18n.DEFAULT, **names)

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


_STOP = {"the", "of", "and", "a", "an", "in", "on", "for", "to", "programme", "course", "seminar", "training"}


def _topic_match(topic: str, keywords: tuple[str, ...]) -> bool:
    """A keyword whose words are all in the topic, or a topic whose words are all in a keyword."""
    t = set(wordlist(topic)) - _STOP
    return bool(t) and any((k := set(wordlist(kw)) - _STOP) and (k <= t or t <= k) for kw in keywords)


_DEVELOPING_NOTE = i18n.t("note.developing", i18n.DEFAULT)  # (re-written in the reader's language by i18n.from_english)
_ILLUSTRATIVE_NOTE = i18n.t("note.illustrative", i18n.DEFAULT)


class EligibilityEngine:
    """Verdicts over one catalogue file (read once; the engine is read-only and thread-safe)."""

    def __init__(self, catalogue_path: str | Path = DEFAULT_CATALOGUE) -> None:
        self.path = Path(catalogue_path)
        self.programmes, problems = read_catalogue(self.path)
        if problems:
            raise CatalogueError("\n".join(problems))

    def as_indexed(self, audiences: dict[str, str]) -> EligibilityEngine:
        """This engine with each programme's audience taken from its indexed document (``audiences``:
        doc id -> audience, as ingested from the catalogue and sidecars); a programme whose document is
        not indexed counts as the strictest audience. What a reader may see is decided by the index."""
        view = copy.copy(self)
        view.programmes = [dataclasses.replace(p, audience=audiences.get(p.doc_id, access.DEFAULT_AUDIENCE))
                           for p in self.programmes]
        return view

    def visible(self, reader_role: str = "public") -> list[Programme]:
        """Programmes whose document the reader may see (audience rank within the reader's)."""
        if reader_role not in access.ROLES:
            raise ValueError(f"unknown reader role {reader_role!r}; expected one of {', '.join(access.ROLES)}")
        return [p for p in self.programmes if access.may_see(reader_role, p.audience)]

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
            add("country", "uncertain", _say("no_country", desc=c.describe()), c)
        elif place.kind == "country":
            ok = c.country_ok(place.code)
            if c.any_country:
                add("country", "meets", _say("multinational", place=place.name), c)
            elif c.any_developing:
                add("country", {True: "meets", False: "fails", None: "uncertain"}[ok], {
                    True: _say("developing", place=place.name),
                    False: _say("developed", place=place.name),
                    None: _say("no_region", place=place.name)}[ok],
                    c if ok is not False else barred)
            elif ok:
                via = [regions()[r].name for r in c.regions if place.code in regions()[r].members]
                add("country", "meets", _say("in_region", place=place.name, region=via[0]) if via else _say("named_country", place=place.name), c)
            else:
                add("country", "fails", _say("only_for", desc=c.describe(), place=place.name), barred)
        else:
            good = sorted(country_name(m) for m in place.members if c.country_ok(m))
            if len(good) == len(place.members):
                add("country", "meets", _say("every_country_desc", place=place.name, desc=c.describe()) if c.describe() != place.name else _say("every_country", place=place.name), c)
            elif not good:
                add("country", "fails", _say("no_country_of", desc=c.describe(), place=place.name), barred)
            else:
                names = ", ".join(good) if len(good) <= 6 else f"{len(good)} of its {len(place.members)} countries"
                add("country", "uncertain", _say("some_countries", place=place.name, names=names), c)
        r = p.roles
        if role is None:
            add("role", "note", _say("no_role", roles=roles_named(r)), r)
        elif role.key in r.roles:
            add("role", "meets", _say("role_fits", role=role.text), r)
        elif role.key == "outside":
            add("role", "fails", _say("role_outside", role=role.text), p.rule("role") or r)
        elif role.key is None:
            add("role", "uncertain", _say("role_unknown", role=role.text), r)
        else:
            effect = "uncertain" if r.illustrative else "fails"
            named = role.text if role.label.lower() in role.text.lower() else f"{role.text} ({role.label})"
            add("role", effect, _say("role_not_named_illustrative" if r.illustrative else "role_not_named", role=named), r)
        s = p.rule("seniority")
        if s:
            targets = bool(programme) and wordlist(s.part)[-1] in wordlist(programme)
            junior = role is not None and role.senior is False
            if targets and junior:
                add("seniority", "fails", _say("senior_fails", part=s.part), s)
            elif targets and (role is None or role.senior is None):
                add("seniority", "uncertain", _say("senior_unclear", part=s.part), s)
            elif targets:
                add("seniority", "meets", _say("senior_meets", role=role.text), s)
            elif junior:
                add("seniority", "note", _say("junior_note", part=s.part), s)
        t = p.topics
        if topic:
            if _topic_match(topic, t.keywords):
                add("topic", "meets", _say("topic_meets", topic=topic), t)
            elif t.broad:
                add("topic", "uncertain", _say("topic_broad", topic=topic), t)
            else:
                add("topic", "fails" if topic_known else "uncertain",
                    _say("topic_not" if topic_known else "topic_unclear", topic=topic), t)
        effects = {x.effect for x in reasons}
        verdict = "not eligible" if "fails" in effects else "depends" if "uncertain" in effects else "eligible"
        return ProgrammeVerdict(p.id, p.title, verdict, tuple(reasons), p.doc_id, p.format, p.since, p.organiser)

    def parse_question(self, text: str, reader_role: str | None = None) -> EligibilityQuery | None:
        """The country, role, topic and programme of an eligibility question, or None if it is not one.

        Programme names are recognised only for programmes ``reader_role`` may see (all when None).
        """
        if not isinstance(text, str) or not (_MODAL.search(text) and _ACTION.search(text)):
            return None
        toks = tokens(text)
        seq = [w for *_, w in toks]
        tm = _TOPIC.search(text)
        tspan = tm.span("t") if tm and tm.group("t").split()[0].lower() not in _NOT_TOPIC else (0, 0)
        inside = lambda a, b, span: span[0] <= a and b <= span[1] and span != (0, 0)  # noqa: E731
        hits = [(len(n), i, i + len(n)) for p in (self.programmes if reader_role is None else self.visible(reader_role))
                for n in map(wordlist, p.names) for i in find_phrase(seq, n)
                if not inside(toks[i][0], toks[i + len(n) - 1][1], tspan)]
        _, first, last = max(hits, key=lambda h: (h[0], -h[1])) if hits else (0, 0, 0)
        pspan = (toks[first][0], toks[last - 1][1]) if hits else (0, 0)
        skip = set(range(first, last)) | {i for i, (a, b, _) in enumerate(toks) if inside(a, b, tspan)}
        rspan = find_role(text, skip)
        places = [(a, b) for a, b, _ in find_places(text) if not inside(a, b, pspan) and not inside(a, b, tspan)]
        after_from = [f for f in places if re.search(r"\bfrom\s+(the\s+)?$", text[: f[0]], re.I)]
        country = text[slice(*(after_from or places)[0])] if places else None
        if country is None and (m := _FROM.search(text)) and m.group(1).split()[0].lower() not in _NOT_PLACE:
            country = m.group(1) if m.group(1)[0].isupper() or _resolves(m.group(1)) else None
        role = text[slice(*rspan)] if rspan else None
        if role and role.endswith("s") and wordlist(role)[-1] != role.split()[-1].lower():
            role = role[:-1]  # "prison officers" -> "prison officer"
        query = EligibilityQuery(text, country, role,
                                 text[slice(*tspan)].strip() if tspan != (0, 0) else None, text[slice(*pspan)] or None)
        if not (query.country or query.role or query.programme):
            return None
        return query if query.role or query.programme or _CONTEXT.search(text) else None

    def answer(self, text: str, reader_role: str = "public", lang: str = "en") -> Answer | None:
        """An eligibility Answer (kind "eligibility", clause citations) or None if ``text`` is not such a question
        (``lang``: the question's language; other than English, its own words are read too)."""
        query = self.parse_question(text, reader_role)
        if query is None and not lang.lower().startswith("en"):  # multilingual hook (assistant.eligibility_lang)
            from assistant.eligibility_lang import parse_foreign

            foreign = parse_foreign(text)
            query = EligibilityQuery(text, foreign[0], foreign[1], None, None) if foreign else None
        if query is None:
            return None
        try:
            result = self.check(query.country, query.role, query.topic, query.programme, reader_role)
        except (PlaceError, UnknownProgrammeError) as exc:
            return Answer(question=text, text=f"I cannot check eligibility yet: {exc}.", declined=True, citations=(),
                          searched_for=query.describe(), kind="eligibility")
        return render_answer(text, query, result)


_MODAL = re.compile(r"\b(can|could|may|might|eligib\w*|qualif\w*|open to|allowed|able to|possible)\b", re.I)
_ACTION = re.compile(r"\b(join|attend|take part|participate|apply|enrol\w*|be nominated|eligib\w*|qualif\w*|open to)\b", re.I)
_CONTEXT = re.compile(r"\b(programmes?|programs?|courses?|seminars?|training|strands?|officials?|participants?|someone|anyone|"
                      r"people|staff|candidates?|nominees?)\b", re.I)
_TOPIC = re.compile(r"\b(?:on|about|covering|concerning|related to|dealing with|in the (?:field|area) of)\s+(?:the\s+)?"
                    r"(?P<t>[^?.!,;]+?)(?=\s+(?:can|could|may|for|from|if|as|by|that|which|who|is|are|and|or)\b|\s*[?.!,;]|\s*$)",
                    re.I)
_FROM = re.compile(r"\b[Ff]rom\s+(?:the\s+)?([^\W\d_][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)")
_NOT_TOPIC = {"my", "our", "your", "their", "his", "her", "its", "it", "this", "that", "behalf", "me", "us", "them"}
_NOT_PLACE = {"my", "our", "your", "their", "his", "her", "a", "an", "this", "that", "developing", "any", "another",
              "other", "abroad", "overseas", "home", "there", "here", "which", "what", "where", "outside", "countries",
              "country", "all", "several", "many", "different", "me", "us", "them", "now", "then"}


def _resolves(text: str) -> bool:
    try:
        resolve(text)
        return True
    except PlaceError:
        return False


def _who(result: EligibilityResult) -> str:
    role = result.role.text if result.role else ""
    who = (f"an {role}" if role[:1].lower() in "aeiou" else f"a {role}") if role else "someone"
    return f"{who} from {result.place.name}" if result.place else who if role else "you"


def roles_named(crit: Criterion) -> str:
    """The roles an Eligible roles clause names, in words ('police officer, prosecutor and judge (illustrative)')."""
    from assistant.roles import ROLES

    names = [ROLES[k][0] for k in crit.roles if k in ROLES and k != "practitioner"] or \
        [ROLES[k][0] for k in crit.roles if k in ROLES]
    if not names:
        return crit.source.clause.split(":", 1)[-1].strip().rstrip(".")
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return listed + (" (illustrative)" if crit.illustrative else "")


def render_answer(question: str, query: EligibilityQuery, result: EligibilityResult) -> Answer:
    """A short head, then one line per programme 'Title: verdict - reason [n].' with one source per programme:
    its citation quotes (verbatim) every clause behind the reason, the first on the citation's page."""
    lines, citations = [], []
    for v in result.programmes:
        shown = v.shown()
        n = len(citations) + 1
        clauses = list(dict.fromkeys(r.source for r in shown))
        first = clauses[0]
        citations.append(dataclasses.replace(first.citation(n), quote=" ".join(c.clause for c in clauses),
                                             quotes=tuple(c.clause for c in clauses)))
        body = "; ".join(r.text for r in shown)
        lines.append(AnswerSentence(f"{v.title}: {v.verdict} - {body} [{n}].", (n,)))
    counts = [f"{verb} {n}" for verb in ORDER if (n := sum(v.verdict == verb for v in result.programmes))]
    if len(result.programmes) == 1 and not (result.place or result.role):
        head = f"Who can take part in {result.programmes[0].title}:"
    elif len(result.programmes) == 1:
        head = f"Can {_who(result)} take part in {result.programmes[0].title}? {result.programmes[0].verdict.capitalize()}."
    else:
        head = f"Programmes for {_who(result)}: " + ", ".join(counts) + " (of " + str(len(result.programmes)) + ")."
    return Answer(question=question, text="\n".join([head, *(f"- {s.text}" for s in lines)]), declined=False,
                  citations=tuple(citations), searched_for=query.describe(), sentences=(AnswerSentence(head, ()), *lines),
                  notices=result.notices, kind="eligibility")


_ENGINES: dict[Path, tuple[float, EligibilityEngine]] = {}


def default_engine(catalogue_path: str | Path = DEFAULT_CATALOGUE) -> EligibilityEngine:
    """A shared engine for the catalogue file, rebuilt when the file changes."""
    path = Path(catalogue_path)
    mtime = path.stat().st_mtime
    if path not in _ENGINES or _ENGINES[path][0] != mtime:
        _ENGINES[path] = (mtime, EligibilityEngine(path))
    return _ENGINES[path][1]


def forget(catalogue_path: str | Path = DEFAULT_CATALOGUE) -> None:
    """Drop the shared engine of a catalogue file (it was just rewritten): the next question reads it again."""
    target = Path(catalogue_path).resolve()
    for key in [k for k in _ENGINES if k.resolve() == target]:
        del _ENGINES[key]


def parse_question(text: str, reader_role: str | None = None) -> EligibilityQuery | None:
    return default_engine().parse_question(text, reader_role)


def answer(text: str, reader_role: str = "public") -> Answer | None:
    """The chat hook: an eligibility Answer, or None (not such a question, or no catalogue file)."""
    return default_engine().answer(text, reader_role) if DEFAULT_CATALOGUE.is_file() else None


def format_result(result: EligibilityResult) -> str:
    marks = {"meets": "+", "fails": "x", "uncertain": "?", "note": "i"}
    out = [f"{_who(result)}; reader: {result.reader_role}"]
    for v in result.programmes:
        out.append(f"{v.verdict:<13} {v.title} [{v.programme}]")
        for r in v.reasons:
            page = f", page {r.source.page}" if r.source.page else ""
            out += [f"   {marks[r.effect]} {r.text}", f'       "{r.source.clause}" ({r.source.doc_id}{page})']
    return "\n".join(out + [f"note: {n}" for n in result.notices])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.eligibility",
                                 description="Which programmes can someone in a role, from a country, attend? "
                                 "Verdicts with the catalogue clauses behind them.")
    ap.add_argument("--country", help="country name or ISO code, or a region ('Southeast Asia')")
    ap.add_argument("--role", help="e.g. 'prison officer', 'public prosecutor', 'magistrate'")
    ap.add_argument("--topic", help="e.g. corruption, 'prison management'")
    ap.add_argument("--programme", help="programme id or name words ('Viet Nam programme', 'senior seminar')")
    ap.add_argument("--reader-role", default="public", choices=list(access.ROLES), help="access level of the reader")
    ap.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE, help="eligibility catalogue file")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    try:
        result = EligibilityEngine(args.catalogue).check(args.country, args.role, args.topic, args.programme, args.reader_role)
    except (ValueError, OSError) as exc:  # PlaceError, UnknownProgrammeError, CatalogueError
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_dict(), indent=1, ensure_ascii=False) if args.json else format_result(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
