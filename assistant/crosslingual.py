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
_REMOVED = re.compile(r"^(\d+) sentence\(s\) without support in the documents were removed\.$")


def _notice(text: str, lang: str) -> str:
    if m := _REMOVED.match(text):
        return i18n.t("answer.removed", lang, n=m.group(1))
    return text


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
        if m := _HEAD.match(head):  # "Programmes for a prosecutor from Brazil: eligible 2, depends 1 (of 3)."
            counts = _VERDICT.sub(lambda v: i18n.verdict(v.group(1), lang), m.group("counts"))
            head = i18n.t("elig.programmes_for", lang, who=m.group("who"), counts=counts, total=m.group("total"))
        else:
            head = _VERDICT.sub(lambda m: i18n.verdict(m.group(1), lang), head)
        lines = [_VERDICT.sub(lambda m: i18n.verdict(m.group(1), lang), line, count=1) for line in rest.split("\n")] if rest else []
        return dataclasses.replace(answer, text="\n".join([head, *lines]), notices=notices)
    lead = i18n.t("answer.lead", lang)
    if lead and lead not in answer.text:
        return dataclasses.replace(answer, text=f"{lead} {answer.text}", notices=notices)
    return dataclasses.replace(answer, notices=notices)
