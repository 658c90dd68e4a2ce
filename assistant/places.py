"""Countries and regions as people type them, resolved to ISO 3166-1 alpha-2 codes.

Countries come from pycountry: ISO short names, official and common names, alpha-2,
alpha-3 and numeric codes ("Viet Nam", "Vietnam", "VN", "VNM", "704" are one country),
plus a few former or colloquial names ISO does not list (``ALIASES``). Regions come from
``regions.yaml`` (UN M49 memberships as ISO codes). A name not found that way goes to
``pycountry.countries.search_fuzzy`` and then to difflib for typos; what is still unknown
or ambiguous raises :class:`PlaceError` with suggestions.

Names in other languages ("Birmanie", "Brasil", "Việt Nam", "ミャンマー", "Непал") come from
the translations pycountry ships (gettext catalogues under ``pycountry.LOCALES_DIR``) for the
languages in ``FOREIGN_LOCALES``, plus ``FOREIGN_ALIASES``; they are tried after every English
name, so an English reading always wins.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pycountry

from assistant.yamlfile import load_yaml

REGIONS_FILE = Path(__file__).with_name("regions.yaml")
DEVELOPED = "developed-regions"

# Former or everyday names that ISO 3166 does not list (pycountry knows the rest).
ALIASES = {
    "burma": "MM", "burmese": "MM", "lao pdr": "LA", "lao": "LA", "east timor": "TL", "turkey": "TR",
    "cape verde": "CV", "ivory coast": "CI", "uk": "GB", "great britain": "GB", "britain": "GB",
    "england": "GB", "holland": "NL", "swaziland": "SZ", "macedonia": "MK", "czech republic": "CZ",
    "vatican": "VA", "drc": "CD", "dr congo": "CD", "russia": "RU", "brunei": "BN", "filipino": "PH",
    "thai": "TH", "america": "US",
}
# Languages whose country names resolve too (pycountry's gettext catalogues; read once, on first use).
FOREIGN_LOCALES = ("fr", "es", "pt", "pt_BR", "de", "it", "nl", "vi", "id", "ms", "tl", "ja", "ko", "zh_CN", "zh_TW",
                   "zh_HK", "ru", "uk", "ar", "fa", "th", "hi", "ne", "my", "km", "lo", "bn", "mn", "si", "ur", "tr")
# Exonyms and spellings the catalogues lack (or spell otherwise).
FOREIGN_ALIASES = {
    "birmanie": "MM", "myanma": "MM", "miến điện": "MM", "mianmar": "MM", "ミャンマー": "MM", "ビルマ": "MM", "缅甸": "MM",
    "緬甸": "MM", "мьянма": "MM", "бирма": "MM", "ميانمار": "MM", "พม่า": "MM", "เมียนมา": "MM", "म्यांमार": "MM",
    "việt nam": "VN", "viet nam": "VN", "vietnã": "VN", "vietnam": "VN", "فيتنام": "VN", "越南": "VN", "ベトナム": "VN",
    "вьетнам": "VN", "เวียดนาม": "VN", "nê pan": "NP", "nepal": "NP", "नेपाल": "NP", "尼泊尔": "NP", "ネパール": "NP",
    "непал": "NP", "نيبال": "NP", "เนปาล": "NP", "brasil": "BR", "indonésie": "ID", "indonesia": "ID", "thái lan": "TH",
    "日本": "JP", "japon": "JP", "japón": "JP", "nhật bản": "JP", "япония": "JP", "اليابان": "JP", "ญี่ปุ่น": "JP",
    "malaisie": "MY", "malasia": "MY", "malaysia": "MY", "filipinas": "PH", "philippines": "PH", "phi líp pin": "PH",
    "kenia": "KE", "inde": "IN", "ấn độ": "IN", "индия": "IN", "印度": "IN", "インド": "IN", "الهند": "IN",
}
# Country names that are also everyday English words: matched in free text only when capitalised.
_COMMON_WORDS = {"chad", "jordan", "turkey", "jersey", "guinea", "georgia", "niger", "mali", "peru", "china", "lao"}
_DEMONYM_ENDINGS = ("ese", "ian", "an", "n", "i", "tian", "ean")


def norm(text: str) -> str:
    """Lower case, no accents or apostrophes, punctuation to spaces, no leading 'the'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"['’`]", "", text).replace("&", " and ")
    text = " ".join(re.sub(r"[\W_]+", " ", text).split())  # letters of every script are kept
    return text[4:] if text.startswith("the ") else text


@dataclass(frozen=True)
class Place:
    """A country (``code`` is its alpha-2) or a region (``code`` is its key), with member countries."""

    kind: str
    code: str
    name: str
    members: frozenset[str] = field(default_factory=frozenset)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "name": self.name, "members": sorted(self.members), "note": self.note}


class PlaceError(ValueError):
    """An unknown or ambiguous country or region; ``suggestions`` are names to offer instead."""

    def __init__(self, query: str, problem: str, suggestions: list[str]) -> None:
        self.query, self.problem, self.suggestions = query, problem, suggestions
        if problem == "ambiguous":
            msg = f"{query!r} could be several countries: {', '.join(suggestions)}; please name one"
        else:
            msg = f"unknown country or region {query!r}"
            msg += f"; did you mean {', '.join(suggestions)}?" if suggestions else " (give an English name or an ISO code)"
        super().__init__(msg)


def country_name(code: str) -> str:
    """A readable name: the ISO short name, or its common name when the short name is inverted."""
    c = pycountry.countries.get(alpha_2=code)
    if c is None:
        return code
    if "," not in c.name:
        return c.name
    head, tail = c.name.split(",", 1)
    return getattr(c, "common_name", None) or f"{tail.strip()} {head}"


def country(code: str, note: str = "") -> Place:
    return Place("country", code, country_name(code), frozenset({code}), note)


@cache
def regions() -> dict[str, Place]:
    """Every region of regions.yaml, with memberships expanded to ISO codes."""
    raw = load_yaml(REGIONS_FILE.read_text(encoding="utf-8"))["regions"]

    def members(key: str, seen: tuple[str, ...] = ()) -> frozenset[str]:
        if key in seen:
            raise ValueError(f"{REGIONS_FILE}: region {key!r} includes itself")
        entry = raw[key]
        codes = set(entry.get("members") or [])
        bad = [c for c in codes if not isinstance(c, str) or pycountry.countries.get(alpha_2=c) is None]
        if bad:
            raise ValueError(f"{REGIONS_FILE}: region {key!r} has members that are not ISO codes: {bad}")
        for sub in entry.get("includes") or []:
            codes |= members(sub, (*seen, key))
        return frozenset(codes)

    return {key: Place("region", key, entry["name"], members(key)) for key, entry in raw.items()}


@cache
def _region_names() -> dict[str, str]:
    raw = load_yaml(REGIONS_FILE.read_text(encoding="utf-8"))["regions"]
    names = {}
    for key, entry in raw.items():
        for alias in [key.replace("-", " "), *(entry.get("aliases") or [])]:
            names[norm(alias)] = key
    return names


@cache
def _country_names() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(exact, loose): normalised name -> alpha-2 codes. Loose names are the parts before a comma
    or a parenthesis ("Korea" from "Korea, Republic of"), used only when no exact name matches."""
    exact: dict[str, set[str]] = defaultdict(set)
    loose: dict[str, set[str]] = defaultdict(set)
    for c in pycountry.countries:
        for name in {c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)} - {None}:
            exact[norm(name)].add(c.alpha_2)
            if "," in name:
                head, tail = name.split(",", 1)
                exact[norm(f"{tail} {head}")].add(c.alpha_2)
                loose[norm(head)].add(c.alpha_2)
            if "(" in name:
                head, inside = name.split("(", 1)
                loose[norm(head)].add(c.alpha_2)
                loose[norm(inside.rstrip(")"))].add(c.alpha_2)
    for alias, code in ALIASES.items():
        exact[norm(alias)] = {code}
    freeze = lambda d: {k: frozenset(v) for k, v in d.items()}  # noqa: E731
    return freeze(exact), freeze(loose)


def _demonym(word: str) -> str | None:
    """'Vietnamese' -> VN, 'Nepalese' -> NP, 'Indonesian' -> ID: a stem that is a whole country name."""
    exact, _ = _country_names()
    for ending in _DEMONYM_ENDINGS:
        stem = word[: -len(ending)] if word.endswith(ending) else ""
        codes = exact.get(stem) if len(stem) >= 3 else None
        if codes and len(codes) == 1:
            return next(iter(codes))
    return None


_GETTEXT_LOCALE = {"zh": "zh_CN", "pt": "pt_BR"}  # the catalogue a bare language code reads


def local_name(name: str, lang: str) -> str | None:
    """A country's name in ``lang`` from pycountry's catalogues ('Peru', 'fr' -> 'Pérou'); None for a region,
    an unknown name or a language without a catalogue."""
    import gettext

    try:
        place = resolve(name)
    except PlaceError:
        return None
    record = pycountry.countries.get(alpha_2=place.code) if place.kind == "country" else None
    if record is None:
        return None
    try:
        tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[_GETTEXT_LOCALE.get(lang, lang)]).gettext
    except OSError:
        return None
    return tr(record.name)


@cache
def _foreign_names() -> dict[str, frozenset[str]]:
    """Normalised country name in another language -> alpha-2 codes (pycountry's translations)."""
    import gettext

    names: dict[str, set[str]] = defaultdict(set)
    for locale in FOREIGN_LOCALES:
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale]).gettext
        except OSError:
            continue
        for c in pycountry.countries:
            for name in _names_of(c):
                local = tr(name)
                if local != name:
                    names[norm(local)].add(c.alpha_2)
                    if "," in local:
                        head, tail = local.split(",", 1)
                        names[norm(f"{tail} {head}")].add(c.alpha_2)
    for alias, code in FOREIGN_ALIASES.items():
        names[norm(alias)] = {code}
    names.pop("", None)
    return {k: frozenset(v) for k, v in names.items()}


def _by_name(q: str, foreign: bool = True) -> frozenset[str] | None:
    exact, loose = _country_names()
    return exact.get(q) or loose.get(q) or (_foreign_names().get(q) if foreign else None)


def resolve(text: str) -> Place:
    """The country or region ``text`` names (PlaceError when unknown or ambiguous)."""
    q = norm(text or "")
    if not q:
        raise PlaceError(text, "unknown", [])
    if q in _region_names():
        return regions()[_region_names()[q]]
    raw = text.strip()
    if re.fullmatch(r"[A-Za-z]{2}|[A-Za-z]{3}|\d{3}", raw):
        key = {2: "alpha_2", 3: "numeric" if raw.isdigit() else "alpha_3"}[len(raw)]
        found = pycountry.countries.get(**{key: raw.upper()})
        if found is not None:
            return country(found.alpha_2)
    codes = _by_name(q) or ({c} if (c := _demonym(q)) else None)
    if codes:
        if len(codes) == 1:
            return country(next(iter(codes)))
        raise PlaceError(text, "ambiguous", sorted(country_name(c) for c in codes))
    try:
        hits = [h for h in pycountry.countries.search_fuzzy(raw) if any(q in norm(n) for n in _names_of(h))]
    except LookupError:
        hits = []
    if len(hits) == 1:
        return country(hits[0].alpha_2)
    if len(hits) > 1:
        raise PlaceError(text, "ambiguous", sorted(country_name(h.alpha_2) for h in hits)[:8])
    return _typo(text, q)


def _names_of(c: Any) -> list[str]:
    return [n for n in (c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)) if n]


def _typo(text: str, q: str) -> Place:
    """A close spelling of one country or region ('Myanmr', 'Philipines'), else PlaceError with suggestions."""
    exact, _ = _country_names()
    targets = {**{n: ("country", c) for n, codes in exact.items() if len(codes) == 1 for c in codes},
               **{n: ("region", k) for n, k in _region_names().items()}}
    close = difflib.get_close_matches(q, list(targets), n=8, cutoff=0.6)
    strong = {targets[n] for n in close if difflib.SequenceMatcher(None, q, n).ratio() >= 0.85}
    if len(strong) == 1:
        kind, code = strong.pop()
        place = country(code) if kind == "country" else regions()[code]
        return Place(place.kind, place.code, place.name, place.members, f"read {text.strip()!r} as {place.name}")
    shown = [country_name(code) if kind == "country" else regions()[code].name for kind, code in map(targets.get, close)]
    raise PlaceError(text, "unknown", list(dict.fromkeys(shown))[:5])


def is_developed(code: str) -> bool:
    return code in regions()[DEVELOPED].members


def has_region(code: str) -> bool:
    """Whether UN M49 places the country in a region (not so for Antarctica and Taiwan)."""
    return any(code in regions()[key].members for key in ("africa", "americas", "asia", "europe", "oceania"))


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


_NO_SPACES = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


_ARABIC = re.compile(r"[\u0600-\u06ff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def find_foreign_places(text: str) -> list[tuple[int, int, Place]]:
    """Countries named in another language: whole words, and for scripts written without spaces
    (Thai, Lao, Khmer, Burmese, Chinese, Japanese) any occurrence of a name; longest names first."""
    low = unicodedata.normalize("NFC", text).lower()
    found: list[tuple[int, int, Place]] = []
    taken: set[int] = set()
    for name, codes in sorted(_foreign_names().items(), key=lambda kv: -len(kv[0])):
        if len(codes) != 1 or len(name) < 2:
            continue
        if _NO_SPACES.search(name) or _ARABIC.search(name):  # (Arabic writes "from", "to" onto the name)
            spans = [(m.start(), m.end()) for m in re.finditer(re.escape(name), low)]
        elif _CYRILLIC.search(name):  # case endings: "Непала", "Непалу"
            spans = [(m.start(), m.end()) for m in re.finditer(r"(?<!\w)" + re.escape(name), low)]
        else:
            spans = [(m.start(), m.end()) for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", _fold(low))]
        for a, b in spans:
            if not taken & set(range(a, b)):
                found.append((a, b, country(next(iter(codes)))))
                taken |= set(range(a, b))
    return sorted(found, key=lambda f: f[0])


def _fold(text: str) -> str:
    """Accents off, letter by letter (positions kept, so spans index the original text)."""
    return "".join(norm(ch) or ch if ch.isalpha() and not _NO_SPACES.search(ch) else ch for ch in text)


def find_places(text: str) -> list[tuple[int, int, Place]]:
    """Every country or region named in free text, as (start, end, place), longest names first.

    Ambiguous names ("Korea") are skipped; codes count only when written in capitals after "from".
    Names in other languages are not looked for here (see :func:`find_foreign_places`).
    """
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    keys = [norm(w) for _, _, w in words]
    found: list[tuple[int, int, Place]] = []
    taken: set[int] = set()
    for size in range(8, 0, -1):
        for i in range(len(words) - size + 1):
            if taken & set(range(i, i + size)):
                continue
            q = " ".join(keys[i : i + size])
            raw = words[i][2]
            place = None
            if q in _region_names():
                place = regions()[_region_names()[q]]
            elif (codes := _by_name(q, foreign=False)) and len(codes) == 1:
                if not (size == 1 and q in _COMMON_WORDS and not raw[0].isupper()):
                    place = country(next(iter(codes)))
            elif size == 1 and raw[:1].isupper() and (code := _demonym(q)):
                place = country(code)
            elif size == 1 and raw.isupper() and 2 <= len(raw) <= 3 and i and keys[i - 1] == "from":
                hit = pycountry.countries.get(**{"alpha_2" if len(raw) == 2 else "alpha_3": raw})
                place = country(hit.alpha_2) if hit else None
            if place is not None:
                found.append((words[i][0], words[i + size - 1][1], place))
                taken |= set(range(i, i + size))
    return sorted(found, key=lambda f: f[0])
