"""What a question names, and what a document is about: entities and periods on both sides.

A question that names a company, country, programme, year or quarter should find the documents of
that entity and period first. Both sides are read the same general way, with no rule per company or
per programme: a document's *profile* comes from what its metadata, title, file name and first page
say (``2023 Q1 AMZN.pdf``, "For the quarterly period ended March 31, 2023", "AMAZON.COM, INC."); a
question's *ask* from its proper names, years, quarters ("Q1 2023", "first quarter of 2023") and
period-end dates ("three months ended March 31, 2023"). :func:`doc_boosts` scores each document by
how much of the ask it matches; retrieval adds that to a document's chunks (a boost, never a filter).

:func:`context_header` is the short line of document context put before a chunk's text for the
encoder and for BM25 (the stored display text stays clean).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.tokens import tokenize

MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")
_QUARTER_A = re.compile(r"\bQ([1-4])\s*(?:of\s+|,\s*)?(?:FY\s*|fiscal\s+(?:year\s+)?)?'?((?:19|20)\d{2})\b", re.I)
_QUARTER_B = re.compile(r"\b((?:19|20)\d{2})\s*[-_ ]?\s*Q([1-4])\b", re.I)
_QUARTER_C = re.compile(
    r"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:fiscal\s+)?quarter\s+(?:of\s+|in\s+)?(?:fiscal\s+(?:year\s+)?)?((?:19|20)\d{2})\b", re.I
)
# "three months ended March 31, 2023", "quarterly period ended April 1, 2023", "quarter ending June 30 2023"
_PERIOD_END = re.compile(
    rf"\b(?:months|quarter|quarterly period|period|year|weeks)\s+end(?:ed|ing)\s+{_MONTH}\s+(\d{{1,2}}),?\s+((?:19|20)\d{{2}})", re.I
)
_LATEST = re.compile(r"\b(latest|most recent|newest|last|current)\b\s+(10-?Q|filing|report|quarter|document|version)", re.I)
# A registrant or organisation named in capitals on a first page: "AMAZON.COM, INC.", "INTEL CORPORATION".
_ORG = re.compile(
    r"(?<![A-Za-z])((?:[A-Z][A-Z0-9.&'-]*\s+){0,4}?[A-Z][A-Z0-9.&'-]*,?\s+(?:INC|CORPORATION|CORP|COMPANY|LTD|LIMITED|PLC|GROUP|LLC|AG|SE))\b\.?"
)
_WORD = re.compile(r"[A-Za-z][\w.'&-]*")
_QUESTION_OPENERS = frozenset(
    "what which who whom whose when where why how is are was were do does did can could should would will "
    "has have had in on for from at by of the a an and or but please tell list give describe explain compare "
    "summarize summarise outline analyze analyse according between since during after before".split()
)


def period_tokens(text: str) -> set[str]:
    """Quarter labels ("2023q1") and period-end months ("2023-03") named in ``text``."""
    out: set[str] = set()
    for q, y in _QUARTER_A.findall(text):
        out.add(f"{y}q{q}")
    for y, q in _QUARTER_B.findall(text):
        out.add(f"{y}q{q}")
    for word, y in _QUARTER_C.findall(text):
        out.add(f"{y}q{_ORDINAL[word.lower()]}")
    for month, _day, y in _PERIOD_END.findall(text):
        out.add(f"{y}-{MONTHS[month.lower()]:02d}")
    return out


def years(text: str) -> set[str]:
    return set(_YEAR.findall(text))


def organisations(text: str) -> list[str]:
    """Company or organisation names standing on a line of their own (as on a filing's cover page)."""
    found = []
    for name in _ORG.findall(text):
        name = " ".join(name.split()).strip(" ,")
        name = re.sub(r"^(?:(?:UNITED|STATES|SECURITIES|AND|EXCHANGE|COMMISSION|FORM|10-Q|10-K|OF|THE)\s+)+", "", name)
        if name not in found and len(name.split()) <= 6:
            found.append(name)
    return found[:2]


def first_page_context(text: str) -> str:
    """Document-level context read from a first page: the organisation and the period it reports on."""
    parts = organisations(text[:4000])
    match = _PERIOD_END.search(text[:4000])
    if match:
        parts.append(" ".join(match.group(0).split()))
    return "; ".join(parts)


def file_label(doc_id: str) -> str:
    """A file name as words: "reports/2023 Q1 AMZN.pdf" -> "2023 Q1 AMZN"."""
    name = doc_id.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return " ".join(stem.replace("_", " ").replace("-", " ").split())


def context_header(meta: dict, max_words: int = 24) -> str:
    """One short line of document context for a chunk: title, file name, organisation and period,
    programme, countries, years and section. Kept under ``max_words`` words so that, with a chunk of
    ``chunk_size`` tokens, the encoder's 256 word pieces still reach most of the chunk's own text.
    Cached: every chunk of a document (and section) has the same header."""
    return _header(
        str(meta.get("title") or ""), str(meta.get("doc_id") or ""), str(meta.get("doc_context") or ""),
        str(meta.get("programme") or ""), tuple(meta.get("countries") or ()), str(meta.get("section") or ""), max_words,
    )


@lru_cache(maxsize=4096)
def _header(title: str, doc_id: str, doc_context: str, programme: str, countries: tuple, section: str, max_words: int) -> str:
    label = file_label(doc_id)
    parts = [title]
    if label and set(tokenize(label)) - set(tokenize(title)):
        parts.append(label)
    for value in (doc_context, programme):
        if value and set(tokenize(value)) - set(tokenize(" ".join(parts))):
            parts.append(value)
    countries_left = [c for c in countries if c.lower() not in " ".join(parts).lower()]
    if countries_left:
        parts.append(", ".join(countries_left[:4]))
    if section and section != title:
        parts.append(section)
    words = " - ".join(p for p in parts if p).split()
    return " ".join(words[:max_words])


def name_vocabulary(docs: dict[str, dict]) -> set[str]:
    """Stemmed words that name something in the indexed documents, which a question may write in lower
    case ("amazon", "nepal"): countries and regions from the metadata, and the words written as names
    (capitalised or in capitals) in file names and organisations ("2023 Q1 AMZN", "AMAZON.COM, INC.").
    Descriptive lower-case file names ("senior-seminar.pdf") add nothing."""
    vocab: set[str] = set()
    for doc, fields in docs.items():
        vocab.update(tokenize(" ".join(list(fields.get("countries") or []) + [str(fields.get("region") or "")])))
        written = f"{file_label(doc)} {_PERIOD_END.sub(' ', str(fields.get('doc_context') or ''))}"
        vocab.update(t for w in _WORD.findall(written) if w[:1].isupper() for t in tokenize(w))
    return {t for t in vocab if not _PERIOD_WORD.fullmatch(t)}


# --- documents' profiles and a question's ask --------------------------------------------------------
@dataclass
class DocProfile:
    """What one document is about, for matching questions: its name words and its periods."""

    names: set[str] = field(default_factory=set)  # stemmed words of title, file name, organisation, programme, places
    own: set[str] = field(default_factory=set)  # those of its title, file name and organisation (what it is *about*)
    periods: set[str] = field(default_factory=set)  # "2023q1", "2023-03"
    years: set[str] = field(default_factory=set)
    order: tuple[int, int] = (0, 0)  # (year, quarter or month) of its latest labelled period, for "latest"


def profile(meta: dict) -> DocProfile:
    """The profile of a document from its chunk metadata (title, doc_id, doc_context, programme, ...)."""
    label = file_label(str(meta.get("doc_id") or ""))
    text = " ".join(
        str(x) for x in (meta.get("title"), label, meta.get("doc_context"), meta.get("programme"), meta.get("region")) if x
    ) + " " + " ".join(meta.get("countries") or [])
    p = DocProfile(names=set(tokenize(text)), periods=period_tokens(text))
    p.own = set(tokenize(f"{meta.get('title') or ''} {label} {meta.get('doc_context') or ''}"))
    p.years = years(f"{meta.get('title') or ''} {label} {meta.get('doc_context') or ''}") | {
        str(y) for y in meta.get("years") or []
    }
    p.years |= {t[:4] for t in p.periods}
    best = (0, 0)
    for t in p.periods:
        best = max(best, (int(t[:4]), int(t[5:]) * (3 if "q" in t else 1)))
    p.order = best
    return p


@dataclass
class Ask:
    """What a question names: entity words (stemmed), periods, years, and whether it wants the latest."""

    names: set[str]
    periods: set[str]
    years: set[str]
    latest: bool

    def __bool__(self) -> bool:
        return bool(self.names or self.periods or self.years or self.latest)


def _name_words(question: str) -> set[str]:
    """Words written as names: capitalised (not opening the question) or all capitals (acronyms, tickers)."""
    out: set[str] = set()
    words = _WORD.findall(question)
    for i, word in enumerate(words):
        bare = word.strip(".'-").removesuffix("'s").removesuffix("’s")
        if not bare or bare.lower() in _QUESTION_OPENERS:
            continue
        if bare.isupper() and len(bare) >= 2 or (i > 0 and bare[0].isupper()):
            out.update(t for t in tokenize(bare) if not _PERIOD_WORD.fullmatch(t))
    return out


_PERIOD_WORD = re.compile(r"\d+|q[1-4]|fy\d*")


def parse(question: str, vocabulary: set[str] | None = None) -> Ask:
    """The entities and periods a question names. ``vocabulary``: the name words of the indexed
    documents, so that a lower-cased name ("nepal", "amazon") still counts when documents carry it."""
    names = _name_words(question)
    if vocabulary:
        names |= {t for t in tokenize(question) if t in vocabulary and not _PERIOD_WORD.fullmatch(t)}
    periods = period_tokens(question)
    yrs = years(question)
    return Ask(names=names, periods=periods, years=yrs, latest=bool(_LATEST.search(question)) and not (periods or yrs))


def doc_boosts(ask: Ask, profiles: dict[str, DocProfile]) -> dict[str, float]:
    """A score in (0, 1] for each document that matches what the question names, by the share of
    the ask it meets: entity words weigh by how few documents carry them (a word every document has
    tells them apart no better than none), a quarter or period end counts more than a bare year.
    Documents that match nothing are left out (no boost, no penalty)."""
    if not ask or not profiles:
        return {}
    n = len(profiles)
    df: dict[str, int] = {}
    for p in profiles.values():
        for t in ask.names & p.names:
            df[t] = df.get(t, 0) + 1
    import math

    weights = {t: math.log(1 + n / c) for t, c in df.items() if c < n or n == 1}
    total = sum(weights.values()) + (2.0 if ask.periods else 1.0 if ask.years else 0.0) + (1.0 if ask.latest else 0.0)
    if total <= 0:
        return {}
    newest: set[str] = set()
    if ask.latest:  # "the latest 10-Q": the newest period among the documents of the named entity
        pool = [d for d, p in profiles.items() if p.order > (0, 0) and (not weights or weights.keys() & p.names)]
        if pool:
            top = max(profiles[d].order for d in pool)
            newest = {d for d in pool if profiles[d].order == top}
    scores: dict[str, float] = {}
    for doc, p in profiles.items():
        # a name in the title, file name or organisation counts in full; one only listed in the metadata
        # (an overview's countries) counts half
        got = sum(w if t in p.own else 0.5 * w for t, w in weights.items() if t in p.names)
        if ask.periods and ask.periods & p.periods:
            got += 2.0
        elif ask.periods and ask.years & p.years:
            got += 0.5
        elif not ask.periods and ask.years and ask.years & p.years:
            got += 1.0
        if doc in newest:
            got += 1.0
        if got > 0:
            scores[doc] = got / total
    return scores
