"""The embedded default: an answer made of the passage sentences that answer the question.

Each candidate sentence is scored by embedding similarity to the question and by
how many of the question's topic terms it (or its document's title) contains;
sentences lacking the kind of answer the question wants (a year for "when", a
figure for "how many") are discounted. The best few, non-redundant, form the
answer, each with its passage's marker. No model server is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.backends.base import Draft
from assistant.citations import Scorer
from assistant.confusables import looks_like_injection
from assistant.placenames import ACTORS, REGIONS, place_spans, places, subject_places
from assistant.settings import Settings
from assistant.text import (
    HARD_SLOTS,
    START_Q,
    asks_back,
    content_terms,
    coverage,
    has_slot,
    is_statement,
    novelty,
    required_slots,
    split_sentences,
    states_start,
    unreadable,
)
from assistant.types import Passage

_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_NOT_FACT = ("illustrative and not an official statement", "this section is illustrative")


class ExtractiveBackend:
    name = "extractive"
    SHORTLIST = 12  # sentences embedded per question, besides each passage's best
    PER_PASSAGE = 2

    def __init__(self, settings: Settings, scorer: Scorer) -> None:
        self.settings = settings
        self.scorer = scorer

    def candidates(self, passages: list[Passage]) -> list[tuple[str, int, str]]:
        out = []
        for n, p in enumerate(passages, start=1):
            for sentence in split_sentences(p.text):
                low = sentence.lower()
                if (
                    not is_statement(sentence)
                    or sentence.rstrip().endswith("?")  # a question is never an answer
                    or low.startswith(("question:", "q:", "related documents"))
                    or looks_like_injection(sentence)
                    or unreadable(sentence)  # table debris is never quoted (rows come as sentences of their own)
                    or len(content_terms(sentence)) < 3
                    or any(x in low for x in _NOT_FACT)
                ):
                    continue
                out.append((sentence, n, f"{p.title} {p.section}"))
        return out

    def shortlist(self, question: str, cands: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
        """Only sentences worth embedding: the best few of each passage by topic-term coverage, and the best
        overall. Embedding every sentence of every passage cost most of an answer's time."""
        if len(cands) <= self.SHORTLIST:
            return cands
        cheap = [coverage(question, sentence, context) for sentence, _, context in cands]
        keep: set[int] = set()
        by_passage: dict[int, list[int]] = {}
        for i, (_, n, _) in enumerate(cands):
            by_passage.setdefault(n, []).append(i)
        for idx in by_passage.values():
            keep.update(sorted(idx, key=lambda i: -cheap[i])[: self.PER_PASSAGE])
        keep.update(sorted(range(len(cands)), key=lambda i: -cheap[i])[: self.SHORTLIST])
        return [cands[i] for i in sorted(keep)]

    def score(self, question: str, passages: list[Passage]) -> list[tuple[float, str, int]]:
        """(score, sentence, passage number) for every candidate, best first."""
        cands = self.shortlist(question, self.candidates(passages))
        if not cands:
            return []
        sims = self.scorer.similarity(question, [c[0] for c in cands])
        slots = required_slots(question)
        asked_years = set(_YEAR.findall(question))
        asks_start = bool(START_Q.search(question)) and "year" in slots
        named = _named_documents(question, passages)
        wants_value = bool(set(slots) & {"year", "number", "money", "date", "place", "country", "region", "frequency"})
        define = _DEFINE_Q.search(question)
        abbr = re.escape(define.group(1) or define.group(3)) if define else ""
        # the places the question is about; when it names none, those of the best passage's title (a
        # reader who set the Country filter to Nepal asks "when did the programme start?")
        asked_places = set(subject_places(question)) or set(subject_places(passages[0].title if passages else ""))
        # the programmes' provider answers "which country" only where the sentence places something in it
        # ("located in Japan"), not where it acts ("Japan held a seminar in India"), nor when the question names it
        provider_asked = len(places(question)) > len(subject_places(question))
        polar = bool(_POLAR_Q.match(question))
        scored = []
        for (sentence, n, context), sim in zip(cands, sims):
            value = 0.6 * float(sim) + 0.4 * coverage(question, sentence, context)
            for slot in slots:
                if not has_slot(slot, sentence):
                    value *= 0.75
            if "country" in slots and not any(p not in REGIONS for p in subject_places(sentence)) and (
                provider_asked or not _LOCATED_IN.search(sentence)
            ):
                value *= 0.55  # the only country named is the programmes' provider, not as a location
            if polar and _POLARITY.search(sentence):
                value *= 1.1  # "can X take part?", "is it restricted?": a sentence that says no, or only, answers it
            if asks_back(question, sentence):
                value *= 0.6  # it speaks about the question ("which office ... should be answered with"), not an answer
            if "illustrative" in sentence.lower():
                value *= 0.85  # generic text marked illustrative is weaker evidence than a stated fact
            if asked_years and not asked_years & set(_YEAR.findall(sentence)):
                value *= 0.85  # the question names a year this sentence does not speak of
            fresh = novelty(question, sentence)
            if fresh < 0.2:
                value *= 0.6  # it restates the question: never the answer
            elif fresh < 0.34:
                value *= 0.85  # it mostly repeats the question back
            if asks_start:
                value *= 1.15 if states_start(sentence) else 0.9  # "when did it start": the sentence saying since when
            if asked_places and "year" in slots and _years_belong_elsewhere(sentence, asked_places):
                value *= 0.5  # its years are another country's ("the other is with Viet Nam, which began in 2014")
            if named and n not in named:
                value *= 0.85  # from another document than the one the question names
            if not wants_value and _TABLE_ROW.search(sentence):
                value *= 0.85  # a table row answers for a value; a "which part / how / why" question wants prose
            if abbr and re.search(rf"\({abbr}\)|\b{abbr}\b\s+(stands for|means|is short for)", sentence):
                value *= 1.2  # "What does AALCO mean?": the sentence that spells it out
            value += 0.01 / n  # ties go to the better-ranked passage
            scored.append((value, sentence, n))
        scored.sort(key=lambda item: -item[0])
        return scored

    def draft(self, question: str, passages: list[Passage]) -> Draft:
        scored = self.score(question, passages)
        s = self.settings
        if not scored or scored[0][0] < s.answer_min_score:
            best = scored[0][0] if scored else 0.0
            return Draft("", declined=True, reason=f"no passage answers the question (best evidence {best:.2f})")
        asked_years = set(_YEAR.findall(question))
        if asked_years and not any(asked_years & set(_YEAR.findall(p.text + " " + p.title)) for p in passages):
            return Draft("", declined=True, reason=f"no document speaks of {', '.join(sorted(asked_years))}")
        hard = [slot for slot in required_slots(question) if slot in HARD_SLOTS]
        if hard:  # only sentences that contain what was asked (a sum, a name, a date, a count) can answer
            counted = _counted(question) if "number" in hard else set()
            scored = [
                item for item in scored
                if all(has_slot(slot, item[1]) for slot in hard)
                and (not counted or counted & content_terms(item[1]))  # "how many weeks": a count of weeks
                and (not asked_years or asked_years & set(_YEAR.findall(item[1])))  # the count for *that* year
            ]
            if not scored or scored[0][0] < s.answer_min_score:
                return Draft("", declined=True, reason=f"the documents do not state the {' or '.join(hard)} asked for")
        best_score = scored[0][0]
        chosen = [scored[0]]
        floor = max(s.answer_min_score, best_score - 0.08)
        for item in scored[1:]:
            if len(chosen) >= s.max_answer_sentences or item[0] < floor:
                break
            sims = self.scorer.similarity(item[1], [c[1] for c in chosen])
            said = " ".join(c[1] for c in chosen)
            # near-duplicates (by meaning, or a sentence that adds almost no words) are left out
            if float(sims.max()) < 0.92 and novelty(said, item[1]) >= 0.3:
                chosen.append(item)
        text = " ".join(_cite(sentence, n) for _, sentence, n in chosen)
        return Draft(text)

    def stream(self, question: str, passages: list[Passage], lang: str = "en") -> Iterator[str]:
        draft = self.draft(question, passages)
        yield draft.text


def _named_documents(question: str, passages: list[Passage]) -> set[int]:
    """Numbers of the passages to keep answers to, when the question names one document's subject: the
    passages of documents whose title or file name it names (a country, programme or company), and of
    documents that are about nothing in particular (an overview). Empty when it names none or all."""
    from assistant.query import doc_boosts, parse, profile

    profiles = {str(n): profile({"doc_id": p.doc_id, "title": p.title}) for n, p in enumerate(passages, start=1)}
    boosts = doc_boosts(parse(question), profiles)
    if not boosts:
        return set()
    top = max(boosts.values())
    chosen = {int(n) for n, v in boosts.items() if v >= top * 0.99 and v >= 0.5}
    if not chosen or len(chosen) == len(passages):
        return set()
    asked = set(subject_places(question)) | set(_ACRONYM.findall(question))
    for n, p in enumerate(passages, start=1):  # a document about some other place or body is "another document"
        named = set(subject_places(p.title)) | set(_ACRONYM.findall(f"{p.title} {p.doc_id}"))
        if n not in chosen and not (named - asked):
            chosen.add(n)
    return chosen


_ACRONYM = re.compile(r"\b[A-Z]{3,}\b")
_POLAR_Q = re.compile(r"\W*(?:can|could|may|is|are|was|were|does|do|did|will|would|should|has|have)\b", re.IGNORECASE)
_POLARITY = re.compile(r"\b(?:not|no|never|only|cannot|none)\b|n't\b", re.IGNORECASE)
_LOCATED_IN = re.compile(r"\b(?:located|based|situated|headquartered|held|hosted)\s+(?:in|at)\s+(?:the\s+)?[A-Z]"
                         r"|\b(?:in|at)\s+(?:the\s+)?(?:" + "|".join(ACTORS) + r")\b(?!')")
_DEFINE_Q = re.compile(r"\b([A-Z]{2,})\b.{0,40}\b(mean|stand for|stands for|short for|abbreviat\w*|acronym)\b"
                       r"|\b(?:abbreviation|acronym)\s+([A-Z]{2,})\b")
_TABLE_ROW = re.compile(r" — [^;]*: ")
_HOW_MANY = re.compile(r"\bhow many\s+([a-z]+)", re.I)


def _counted(question: str) -> set[str]:
    """What a "how many" question counts ("how many weeks" -> {"week"}), as stemmed terms; empty if unclear."""
    match = _HOW_MANY.search(question)
    return content_terms(match.group(1)) if match else set()


def _years_belong_elsewhere(sentence: str, asked: set[str]) -> bool:
    """True when every year in the sentence stands nearer to a place the question did not ask about than
    to one it did (so the sentence dates something else)."""
    spots = place_spans(sentence)
    if not spots:
        return False
    found = list(_YEAR.finditer(sentence))
    if not found:
        return False
    for year in found:
        nearest = min(spots, key=lambda s: abs(s[0] - year.start()))
        if nearest[1] in asked:
            return False
    return True


def _cite(sentence: str, n: int) -> str:
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]."
