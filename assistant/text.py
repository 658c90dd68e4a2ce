"""Small text tools shared by answering and citation checks: sentences, terms, question types."""

from __future__ import annotations

import re

from assistant.tokens import tokenize

# no sentence break after an initial or a common abbreviation (the guards sit where the break would be)
_ABBREV = r"(?<!\b[A-Z]\.)(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bNo\.)"
_SPLIT = re.compile(_ABBREV + r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")

INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|earlier|all|any)\b.{0,30}\b(instructions?|prompts?|rules|directions)\b"
    r"|\byou are now\b|\bsystem prompt\b|\bnew instructions?\s*:|\bas an ai\b|\bdo not follow\b.{0,40}\binstructions?\b",
    re.IGNORECASE,
)

# Words that carry no topic of their own in a question.
_QUESTION_WORDS = frozenset(
    tokenize(
        "tell know explain describe give list please information details detail question answer "
        "japan japanese document documents say says programme program programmes programs "
        "kind sort type happen happened take took part many much often "
        # prepositions carry no topic ("Under which headings ...")
        "under within among between through across upon onto via per along around toward towards behind beside above below against"
    )
)


# What starts a line of its own, which loaders keep and sentences never cross: a list item
# ("- ", "* ", "• ", "1. ", "2) ") or a table row ("|").
LIST_MARK = r"(?:[-*\u2022]|\d{1,2}[.)])"
ITEM_START = rf"(?:{LIST_MARK} |\|)"


def sentence_pieces(text: str) -> list[str]:
    """The text cut after each sentence, whitespace kept: ``"".join(pieces) == text``. The chunker's
    sentence tokenizer (the same rule as :func:`split_sentences`, without importing nltk)."""
    pieces: list[str] = []
    start = 0
    for match in _SPLIT.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; paragraph breaks always end a sentence."""
    out: list[str] = []
    for para in re.split(rf"\n\s*\n|\n(?={ITEM_START})", text):
        para = " ".join(para.split())
        para = _LIST_MARK.sub("", para)
        if para:
            out.extend(s.strip() for s in _SPLIT.split(para) if s.strip())
    return out


_LIST_MARK = re.compile(rf"^{LIST_MARK}\s+")


def is_statement(sentence: str) -> bool:
    """A full sentence worth quoting, not a heading or a list stub."""
    words = sentence.split()
    if len(words) < 6 or sentence.rstrip().endswith(":"):
        return False
    return sentence.rstrip()[-1:] in ".!?)\"'" or len(words) >= 12


_ALIAS = None


def _canonical_places(text: str) -> str:
    """Place names in one spelling ("Vietnam" -> "Viet Nam"), so a question and a passage that spell a country
    differently share its terms."""
    global _ALIAS
    if _ALIAS is None:
        from assistant.placenames import ALIASES

        _ALIAS = (re.compile(r"\b(" + "|".join(re.escape(a) for a in ALIASES) + r")\b"), ALIASES)
    pattern, aliases = _ALIAS
    return pattern.sub(lambda m: aliases[m.group(1)], text)


def content_terms(text: str) -> set[str]:
    """Stemmed, stop-word-free terms (place names in one spelling)."""
    return set(tokenize(_canonical_places(text)))


def question_terms(question: str) -> set[str]:
    """The terms of a question that name its topic (question scaffolding removed)."""
    return content_terms(question) - _QUESTION_WORDS


# words for a beginning, counted as one term: "when did it start" is covered by "since 2013", "began in 2014"
_START_TERMS = frozenset(tokenize("start started begin began begun since launch launched commence commenced"))


def _fold(terms: set[str]) -> set[str]:
    return {"\x01start" if t in _START_TERMS else t for t in terms}


def coverage(question: str, sentence: str, context: str = "") -> float:
    """Share of the question's topic terms found in the sentence (or its passage's title/context)."""
    wanted = _fold(question_terms(question))
    if not wanted:
        return 0.0
    have = _fold(content_terms(sentence) | content_terms(context))
    return len(wanted & have) / len(wanted)


_WH_PHRASE = re.compile(r"\b(?:which|what|whose)\s+([\w'-]+)", re.IGNORECASE)
_NEGATION_TERMS = frozenset(tokenize("not no never without"))


def asks_back(question: str, sentence: str) -> bool:
    """Does the sentence speak *about* the question rather than answer it: it holds a question word
    followed by one of the question's topic terms ("Questions about which office is responsible ...")?"""
    wanted = question_terms(question) - _NEGATION_TERMS
    return bool(wanted) and any(content_terms(m.group(1)) & wanted for m in _WH_PHRASE.finditer(sentence))


def novelty(question: str, sentence: str) -> float:
    """Share of the sentence's terms that the question does not already contain."""
    terms = content_terms(sentence)
    if not terms:
        return 0.0
    return len(terms - content_terms(question)) / len(terms)


def overlap(claim: str, evidence: str) -> float:
    """Share of the claim's terms that the evidence contains (lexical support)."""
    terms = content_terms(claim)
    if not terms:
        return 1.0
    return len(terms & content_terms(evidence)) / len(terms)


# --- what kind of answer a question wants ------------------------------------------------
_MONEY_Q = re.compile(
    r"\b(budget|budgets|cost|costs|costing|fee|fees|price|prices|funding|funded how much|how much money|salar(y|ies)|"
    r"allowance|per diem|tuition|spend|spent|spending|expenditure|pay|paid|payment|stipend|financ\w*|"
    r"how much(?! (time|of|longer|later|earlier|more|less))|what (was|is|were|are) the amount|amount of money)\b",
    re.IGNORECASE,
)
_MONEY_A = re.compile(r"[$€£¥]|\b(yen|dollars?|usd|jpy|euros?|eur)\b|\b\d[\d,.]*\s*(million|billion|thousand)\b", re.IGNORECASE)
_PERSON_Q = re.compile(
    r"\b(who (is|was|are|were) (the |its |their )?(\w+ ){0,2}(head|director|chair|chairman|chairperson|minister|president|coordinator|lecturer|"
    r"speaker|organi[sz]er|contact|leader|manager|instructor|trainer|secretary|ceo|cfo|officer)s?|"
    r"who (chairs|chaired|heads|headed|directs|directed|presides|presided|manages|managed|coordinates|coordinated)|names? of (the |its |their )?(\w+ )?(director|head|chair\w*|minister|"
    r"official|officials|person|people|coordinator|lecturer|lecturers|speaker|speakers|expert|experts|participants|staff|trainer)s?\b|"
    r"contact (person|details)|"
    r"e-?mail|phone|telephone|address of)\b",
    re.IGNORECASE,
)
_PERSON_A = re.compile(
    r"\b(Mr|Ms|Mrs|Dr|Prof|Judge|Justice)\.?\s+[A-Z][a-z]+|@\w|\+?\d[\d\s-]{7,}\d"
    r"|\b(Director|Chair|Chairman|Chairperson|Head|President|Minister|Secretary|Officer|CEO)\b[ ,:]+(is |was )?[A-Z][a-z]+ [A-Z][a-z]+"
    r"|\b[A-Z][a-z]+ [A-Z][a-z]+, (the )?(Director|Chair|Chairman|Chairperson|Head|President|Minister|Secretary)\b"
)
_DATE_Q = re.compile(r"(?<!\bto )\bdates?\b|\b(which|what) (day|month)\b|\bday of the month\b", re.IGNORECASE)
_DATE_A = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
)
_YEAR_Q = re.compile(r"\b(when|what year|which year|since when|how long|how many years)\b", re.IGNORECASE)
_YEAR_A = re.compile(r"\b(19|20)\d{2}\b")
_COUNT_Q = re.compile(r"\bhow many\b|\bnumber of\b", re.IGNORECASE)
_NUMBER_A = re.compile(r"\b(?!(?:19|20)\d{2}\b)\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?)\b", re.IGNORECASE)
_FREQUENCY_Q = re.compile(r"\bhow (many times|often)\b", re.IGNORECASE)
_FREQUENCY_A = re.compile(r"\b(twice|once|annual(ly)?|yearly|every (year|month)|biannual(ly)?|times a year|a year)\b", re.IGNORECASE)


_ORG_Q = re.compile(
    r"\b(which|what) (organi[sz]ations?|institutes?|institutions?|body|bodies|agency|agencies|ministry|ministries|division|office)\b"
    r"|\bwho (organi[sz]e[sd]?|co-organi[sz]e[sd]?|hosts?|hosted|runs?|ran|delivers?|delivered|funds?|leads?|held)\b",
    re.IGNORECASE,
)
_ORG_A = re.compile(r"\b[A-Z]{3,}\b|Organi[sz]ation|Institute|Ministry|Court|Division|Office|Association|Nations")
_PLACE_Q = re.compile(r"\bwhere\b|\b(which|what) (country|countries|city|place|location|regions?|parts? of the world|continents?)\b", re.IGNORECASE)


def required_slots(question: str) -> list[str]:
    """Answer types a sentence must contain to answer this question (money, person, date, year, number, place)."""
    slots = []
    if _PLACE_Q.search(question):
        slots.append(required_place(question))
    if _ORG_Q.search(question):
        slots.append("organisation")
    if _MONEY_Q.search(question):
        slots.append("money")
    if _PERSON_Q.search(question):
        slots.append("person")
    if _DATE_Q.search(question):
        slots.append("date")
    elif _YEAR_Q.search(question):
        slots.append("year")
    if _FREQUENCY_Q.search(question):
        slots.append("frequency")
    elif _COUNT_Q.search(question) and "year" not in slots:
        slots.append("number")
    return slots


_SLOT_PATTERNS = {"frequency": _FREQUENCY_A, "organisation": _ORG_A, "money": _MONEY_A, "person": _PERSON_A, "date": _DATE_A, "year": _YEAR_A, "number": _NUMBER_A}
# The best sentence must contain these, or the documents do not give what was asked.
HARD_SLOTS = ("money", "person", "date", "number", "country")  # "which country" needs a country named


_COUNTRY_Q = re.compile(r"\b(which|what) (country|countries)\b|\bwhich nation", re.I)
_REGION_Q = re.compile(r"\b(which|what) (regions?|parts? of the world|continents?)\b", re.I)


def required_place(question: str) -> str:
    """"country" when a question asks for a country (a region does not answer it), "region" when it asks for a
    region or part of the world (a country alone does not), else "place"."""
    return "country" if _COUNTRY_Q.search(question) else "region" if _REGION_Q.search(question) else "place"


def has_slot(slot: str, sentence: str) -> bool:
    if slot == "region":
        from assistant.placenames import REGIONS, places

        return any(p in REGIONS for p in places(sentence))
    if slot in ("place", "country"):
        from assistant.placenames import REGIONS, places, subject_places

        found = places(sentence) if slot == "country" else subject_places(sentence)  # the provider is a country too
        return bool([p for p in found if p not in REGIONS and p not in ("Southeast Asia", "Asia-Pacific")] if slot == "country" else found)
    return bool(_SLOT_PATTERNS[slot].search(sentence))


# --- a beginning, asked and stated ---------------------------------------------------------
START_Q = re.compile(r"\b(start|started|starts|begin|began|begun|launch|launched|commence\w*|since when|get going|set up|established?)\b", re.I)
_START_A = re.compile(
    r"\b(since|began|begun|begin|beginning|started|start|starting|launched|commenced|established|first|set up|running since|got going)\b[^.;]{0,80}?\b(19|20)\d{2}\b"
    r"|\b(19|20)\d{2}\b[^.;]{0,40}?\b(began|started|was launched|was established|onwards)\b",
    re.I,
)


def states_start(sentence: str) -> bool:
    """Does the sentence say when something began ("since 2013", "began ... in 2014")?"""
    return bool(_START_A.search(sentence))


_BARE_NUMBERS = re.compile(r"(?:(?<![\w$])[$(]?-?\d[\d,.]*\)?%?\s+){3}[$(]?-?\d[\d,.]*\)?%?")


def unreadable(sentence: str) -> bool:
    """Table debris: pipes, or four bare numbers in a row ("164 9 % 82,959 81,434")."""
    return "|" in sentence or bool(_BARE_NUMBERS.search(re.sub(r"(?<!\S)[$%€£¥]+(?!\S)|(?<=\d) ?%", "", sentence)))
