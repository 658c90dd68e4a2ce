"""Words as the keyword index and the answer scorer see them: lower-cased, stop words out, English ones
stemmed; letters of every script.

A module of its own so that the keyword index, question parsing and sentence scoring share one
rule without importing each other.
"""

from __future__ import annotations

import re
import unicodedata

_STOP = frozenset(
    """a an and are as at be been by can could did do does for from had has have how i if in into is it its
    me my of on or our so than that the their them there these they this those to was we were what when where
    which who whom why will with would you your about any all also more most other some such only own same
    then too very just should may might must shall""".split()
)
# Letters and digits of any script (accents and tone marks kept: Vietnamese "ma", "má" and "mà" are different
# words). Until 2026-12 this was [a-z0-9]+: every word with an accent was cut in pieces, and Vietnamese, Arabic,
# Cyrillic or Thai text had no keyword at all.
_WORD = re.compile(r"[^\W_]+")
# Scripts written without spaces between words: a run of them is indexed as overlapping character pairs.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _stemmer():
    try:
        import Stemmer  # PyStemmer, installed with bm25s

        return Stemmer.Stemmer("english").stemWord
    except ImportError:  # pragma: no cover
        return lambda w: w


_STEM = None


def _pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free words, English ones stemmed (also used by the answer scorer); runs of Chinese
    or Japanese characters as overlapping character pairs."""
    global _STEM
    if _STEM is None:
        _STEM = _stemmer()
    text = unicodedata.normalize("NFC", text.lower())
    out: list[str] = []
    for word in _WORD.findall(text):
        if word.isascii():
            if word not in _STOP:
                out.append(_STEM(word))
        elif _UNSPACED.search(word):
            for part in re.split(f"({_UNSPACED.pattern})", word):
                if part:
                    out.extend(_pairs(part) if _UNSPACED.fullmatch(part) else [part])
        else:
            out.append(word)
    return out
