"""The reader's language, from the question itself (or given explicitly).

Two steps, both offline: the script first (Thai, Devanagari, Arabic, Hangul, kana and Han,
Cyrillic, ...), which settles a short question that a statistical model can get wrong
("Непал?"), then ``py3langid`` (its model ships inside the PyPI package; nothing is
downloaded) for Latin-script text. Questions too short to judge fall back to English, the
documents' language, so a bare name ("Myanmar") never switches the interface.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

DEFAULT = "en"
# Languages the detector may answer (py3langid is restricted to these, which makes short texts safer).
CANDIDATES = ("en", "fr", "es", "pt", "de", "it", "nl", "vi", "id", "ms", "tl", "tr", "pl", "ru", "uk", "ar", "fa",
              "hi", "ne", "th", "zh", "ja", "ko", "my", "km", "lo", "bn", "si", "mn", "ur", "sw")
RTL = {"ar", "fa", "ur", "he"}

# Unicode script blocks that name a language (or a default for the script) on their own.
_SCRIPTS = (
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),  # kana: Japanese even when Han characters are mixed in
    (re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"), "zh"),
    (re.compile(r"[\u1000-\u109f]"), "my"),
    (re.compile(r"[\u1780-\u17ff]"), "km"),
    (re.compile(r"[\u0e80-\u0eff]"), "lo"),
    (re.compile(r"[\u0980-\u09ff]"), "bn"),
    (re.compile(r"[\u0d80-\u0dff]"), "si"),
)
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTER = re.compile(r"[^\W\d_]")
# Vietnamese letters no other candidate language writes (a strong, cheap signal on short questions).
_VIETNAMESE = re.compile(r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
_NEPALI_WORDS = re.compile(r"(छ|छन्|गर्न|सक्छ|कहिले|देखि|भयो|गरेको)")
_PERSIAN_LETTERS = re.compile(r"[پچژگکی]")  # (keheh and Farsi yeh: Arabic writes ك and ي)
_UKRAINIAN_LETTERS = re.compile(r"[іїєґ]", re.I)
_MALAY_GROUP = ("id", "ms")
# English function and question words: one of them in a question keeps an unsure detection on English.
_ENGLISH_WORDS = frozenset(
    "the a an of in on at for to from by with and or is are was were be been did do does has have had what when who "
    "whom whose which where why how can could may might will would should it its this that these those there their "
    "they he she we you i not no any all many much".split())


@cache
def _identifier():
    from py3langid.langid import _load_identifier

    return _load_identifier(norm_probs=True, langs=list(CANDIDATES))


def _share(pattern: re.Pattern, letters: str) -> float:
    return len(pattern.findall(letters)) / max(len(letters), 1)


def detect(text: str, default: str = DEFAULT) -> str:
    """ISO 639-1 code of the language ``text`` is written in (``default`` when it cannot tell)."""
    if not isinstance(text, str):
        return default
    text = unicodedata.normalize("NFC", text)
    letters = "".join(_LETTER.findall(text))
    if len(letters) < 2:
        return default
    for pattern, code in _SCRIPTS:
        if _share(pattern, letters) >= 0.2:
            return code
    if _share(_DEVANAGARI, letters) >= 0.3:
        return "ne" if _NEPALI_WORDS.search(text) else "hi"
    if _share(_ARABIC, letters) >= 0.3:
        return "fa" if _PERSIAN_LETTERS.search(text) else "ar"
    if _share(_CYRILLIC, letters) >= 0.3:
        return "uk" if _UKRAINIAN_LETTERS.search(text) else "ru"
    if len(_VIETNAMESE.findall(text)) >= 2:
        return "vi"
    words = re.findall(r"[^\W\d_]+", text)
    if len(words) < 3:  # a name or two: not enough to leave the documents' language
        return default
    ranked = _identifier().rank(text)
    probs = dict(ranked)
    code, prob = ranked[0]
    if code in _MALAY_GROUP:  # Indonesian and Malay share most words: a short question splits between them
        prob = sum(probs.get(c, 0.0) for c in _MALAY_GROUP)
    if prob >= 0.5:
        return code
    # A short question the model is unsure of ("Kapan program Nepal dimulai?": Indonesian 0.44): another
    # language than English wins when it leads clearly and no English function word is there (English keyword
    # queries such as "ICC seminar dates" or "Intel revenue 2023" score low for every language and stay English).
    if (code != DEFAULT and ranked[0][1] >= 0.4 and ranked[0][1] >= 1.5 * probs.get(DEFAULT, 0.0)
            and not any(w.lower() in _ENGLISH_WORDS for w in words)):
        return code
    return default


def is_rtl(code: str) -> bool:
    return code in RTL


def same_language(a: str, b: str) -> bool:
    """Whether two language codes read as one (regional variants folded: 'pt-BR' = 'pt')."""
    return a.split("-")[0].lower() == b.split("-")[0].lower()
