"""A question in the reader's language over documents in another: what changes on the way.

- :func:`reader_language`: the language given, else the one detected in the question.
- :func:`keyword_weight`: BM25 matches words, so a question in another language than the
  documents' finds nothing by keyword, or worse, ranks passages by a stray shared name; its
  ranking then counts for little in fusion.
- :func:`localise`: the finished answer for the reader. Quoted sentences stay in the
  documents' language (that is what was verified); a short lead in the reader's language says
  so; the decline message, the eligibility verdicts and the common notices are translated.
"""

from __future__ import annotations

import dataclasses
import re

from assistant import i18n
from assistant.lang import detect, same_language
from assistant.places import local_name
from assistant.roles import local_role
from assistant.types import Answer

DOCS_LANGUAGE = "en"  # the language the indexed documents are written in (the sample corpus: English)
FOREIGN_KEYWORD_WEIGHT = 0.25


def reader_language(question: str, lang: str | None = None) -> str:
    """``lang`` when given (e.g. from the interface's selector), else the question's language."""
    if lang and lang.strip() and lang.strip().lower() != "auto":
        return re.split(r"[-_]", lang.strip().lower())[0]
    return detect(question)


def keyword_weight(reader: str, docs: str = DOCS_LANGUAGE) -> float:
    return 1.0 if same_language(reader, docs) else FOREIGN_KEYWORD_WEIGHT


_VERDICT = re.compile(r"\b(not eligible|eligible|depends)\b")
_HEAD = re.compile(r"^Programmes for (?P<who>.+?): (?P<counts>.+) \(of (?P<total>\d+)\)\.$")
_CAN = re.compile(r"^Can (?P<who>.+?) take part in (?P<title>.+)\? (?P<verdict>[A-Z][a-z ]+)\.$")
_LINE = re.compile(r"^(?P<head>- .+?: )(?P<verdict>not eligible|eligible|depends) - (?P<body>.*?)(?P<tail>\s*\[\d+\]\.?)$")
_VERDICTS = ("eligible", "not eligible", "depends")
_WHO = re.compile(r"^an? (?P<role>.+?) from (?P<place>.+)$")
_REMOVED = re.compile(r"^(\d+) sentence\(s\) without support in the documents were removed\.$")


def _notice(text: str, lang: str) -> str:
    if m := _REMOVED.match(text):
        return i18n.t("answer.removed", lang, n=m.group(1))
    return i18n.from_english(text, "note.", lang) or text


def _who_in(who: str, lang: str) -> str:
    """'a judge from Peru' as the reader's language names them ('juez (Perú)'); as it is when the role or the
    country has no name there (a region, a role roles.yaml does not translate)."""
    m = _WHO.match(who)
    if not m or i18n.t("elig.who", lang) == i18n.t("elig.who", i18n.DEFAULT):  # English, or a language without it
        return who
    role, place = local_role(m.group("role"), lang), local_name(m.group("place"), lang)
    return i18n.t("elig.who", lang, role=role, place=place) if role and place else who


def _eligibility_head(head: str, lang: str) -> str:
    """The first line of an eligibility answer in ``lang`` ("Programmes for a prosecutor from Brazil: eligible 2,
    depends 1 (of 3).", "Who can take part in ...:", "Can ... take part in ...? Eligible.")."""
    if m := _HEAD.match(head):
        counts = _VERDICT.sub(lambda v: i18n.verdict(v.group(1), lang), m.group("counts"))
        return i18n.t("elig.programmes_for", lang, who=_who_in(m.group("who"), lang), counts=counts, total=m.group("total"))
    if (m := _CAN.match(head)) and m.group("verdict").lower() in _VERDICTS:
        word = i18n.verdict(m.group("verdict").lower(), lang)
        return i18n.t("elig.can_take_part", lang, who=_who_in(m.group("who"), lang), title=m.group("title"),
                      verdict=word[:1].upper() + word[1:])
    return i18n.from_english(head, "elig.who_can", lang) or _VERDICT.sub(lambda v: i18n.verdict(v.group(1), lang), head)


def reasons(text: str, lang: str) -> str:
    """Eligibility reasons in ``lang``, the country they name as well ('... donc le Brésil' -> 'Brésil'); roles
    stay as the question gave them ('senior prosecutor' must keep 'senior')."""
    return i18n.reasons(text, lang, lambda field, value: (local_name(value, lang) or value) if field == "place" else value)


def _eligibility_line(line: str, lang: str) -> str:
    """'- Title: verdict - reason; reason [n].' with the verdict and the reasons in ``lang`` (the title as it is)."""
    if m := _LINE.match(line):
        return m.group("head") + i18n.verdict(m.group("verdict"), lang) + " - " + reasons(m.group("body"), lang) + m.group("tail")
    return _VERDICT.sub(lambda v: i18n.verdict(v.group(1), lang), line, count=1)


def localise(answer: Answer, lang: str, docs: str = DOCS_LANGUAGE) -> Answer:
    """``answer`` as the reader of ``lang`` should see it (unchanged for the documents' language)."""
    if same_language(lang, docs):
        return answer
    notices = tuple(_notice(n, lang) for n in answer.notices)
    if answer.declined:
        text = i18n.t("answer.decline", lang) if not answer.kind == "eligibility" else answer.text
        return dataclasses.replace(answer, text=text, notices=notices)
    if answer.kind == "eligibility":
        head, _, rest = answer.text.partition("\n")
        head = _eligibility_head(head, lang)
        lines = [_eligibility_line(line, lang) for line in rest.split("\n")] if rest else []
        return dataclasses.replace(answer, text="\n".join([head, *lines]), notices=notices)
    lead = i18n.t("answer.lead", lang)
    if lead and lead not in answer.text:
        return dataclasses.replace(answer, text=f"{lead} {answer.text}", notices=notices)
    return dataclasses.replace(answer, notices=notices)
