"""Confusable characters folded before the prompt-injection filter looks at a sentence.

"Ignоre all previous instructiоns" with a Cyrillic ``о`` reads the same to a person and to a model,
but not to a regular expression. :func:`fold` gives the text the filter should see: NFKC (full-width
and styled letters become plain ones), invisible format characters dropped, and the Cyrillic and
Greek letters that look like Latin ones mapped to them. The text shown to readers is never changed;
only the filter's view is. :func:`looks_like_injection` is the filter every passage goes through.
"""

from __future__ import annotations

import unicodedata

from assistant.text import INJECTION

# Cyrillic and Greek letters drawn like Latin ones (lower and upper case).
_LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ё": "e", "ї": "i",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y",
    "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Һ": "H", "Ӏ": "I",
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ς": "s",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X",
}
_TABLE = str.maketrans(_LOOKALIKES)


def fold(text: str) -> str:
    """``text`` as the injection filter should read it (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")  # zero-width spaces, joiners, BOM, bidi marks
    return text.translate(_TABLE)


def looks_like_injection(sentence: str) -> bool:
    """Whether a sentence reads as an instruction to the model, after folding confusable characters."""
    return bool(INJECTION.search(sentence) or INJECTION.search(fold(sentence)))
