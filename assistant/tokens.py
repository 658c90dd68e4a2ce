"""Words as the keyword index and the answer scorer see them: lower-cased, stop words out, stemmed.

A module of its own so that the keyword index, question parsing and sentence scoring share one
rule without importing each other.
"""

from __future__ import annotations

import re

_STOP = frozenset(
    """a an and are as at be been by can could did do does for from had has have how i if in into is it its
    me my of on or our so than that the their them there these they this those to was we were what when where
    which who whom why will with would you your about any all also more most other some such only own same
    then too very just should may might must shall""".split()
)
_WORD = re.compile(r"[a-z0-9]+")


def _stemmer():
    try:
        import Stemmer  # PyStemmer, installed with bm25s

        return Stemmer.Stemmer("english").stemWord
    except ImportError:  # pragma: no cover
        return lambda w: w


_STEM = None


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed words (also used by the answer scorer)."""
    global _STEM
    if _STEM is None:
        _STEM = _stemmer()
    return [_STEM(w) for w in _WORD.findall(text.lower()) if w not in _STOP]
