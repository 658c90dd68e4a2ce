"""Who is asking: free-text roles ("public prosecutor", "prison officer") as canonical role keys.

The eligibility catalogue names roles by these keys; every synonym lives here. Matching is on
whole words with plurals folded ("judges" = "judge"), the longest phrase winning, so
"anti-corruption investigator" is not read as a police investigator. Roles named in other
languages ("procureur", "fiscal", "công tố viên", "検察官", "прокурор") come from
``locales/roles.yaml``, tried when no English phrase matches.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from assistant.places import norm

# Canonical role key -> (label, phrases). Phrases are matched as whole words, plurals folded.
ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "judge": ("judge", ("judge", "magistrate", "judiciary", "judicial officer", "justice of the peace", "court")),
    "court-staff": ("court official", ("court official", "court staff", "court clerk", "clerk of court", "court registrar",
                                       "registrar", "court administrator", "court officer")),
    "prosecutor": ("prosecutor", ("prosecutor", "public prosecutor", "procurator", "prosecution", "prosecuting attorney",
                                  "state attorney", "district attorney", "prosecution officer")),
    "police": ("police officer", ("police", "police officer", "policeman", "policewoman", "investigator", "detective",
                                  "criminal investigator", "law enforcement officer", "law enforcement official", "constable")),
    "anti-corruption": ("anti-corruption investigator", ("anti corruption investigator", "anti corruption officer",
                        "anti corruption official", "anti corruption agency", "anti corruption commission",
                        "corruption investigator")),
    "corrections": ("corrections official", ("prison officer", "prison official", "prison guard", "prison warden", "warden",
                    "prison manager", "prison governor", "prison staff", "prison", "jailer", "jail officer", "correction",
                    "corrections officer", "corrections official", "correctional officer", "custodial officer",
                    "penitentiary officer", "manager of prison facility")),
    "probation": ("probation officer", ("probation officer", "probation", "parole officer", "parole",
                                        "community corrections officer", "rehabilitation officer")),
    "ministry": ("justice ministry official", ("ministry official", "justice ministry official", "ministry of justice",
                 "ministry of justice official", "justice ministry", "policy staff", "policy officer", "policy maker")),
    "defence-lawyer": ("defence lawyer", ("defence lawyer", "defense lawyer", "defence counsel", "defense attorney",
                                          "public defender", "legal aid lawyer", "lawyer", "attorney", "advocate")),
    "practitioner": ("criminal justice official", ("criminal justice official", "criminal justice practitioner",
                     "criminal justice officer", "justice sector official", "practitioner")),
}
OUTSIDE = ("teacher", "student", "journalist", "doctor", "nurse", "engineer", "businessman", "businesswoman",
           "business person", "private sector", "tourist", "farmer", "accountant", "banker", "professor", "researcher",
           "academic", "ngo worker", "private citizen", "member of the public", "artist", "software developer")
SENIOR = {"senior", "chief", "head", "director", "commissioner", "superintendent", "manager", "governor", "warden"}
JUNIOR = {"junior", "trainee", "intern", "cadet", "assistant", "recruit"}
_HEADS = {"officer", "official", "agent", "clerk", "inspector", "employee", "worker", "specialist", "expert", "adviser",
          "advisor", "analyst", "staff"}
_VAGUE = {"a", "an", "the", "my", "our", "their", "government", "public", "senior", "junior", "of", "some", "any", "other",
          "can", "could", "may", "might", "will", "would", "should", "is", "are", "am", "be", "do", "doe", "which", "what",
          "who", "for", "from", "to", "with", "and", "or", "as", "by", "at", "in", "on", "these", "those", "such", "all",
          "many", "several", "partner", "local", "national", "state", "foreign", "your", "i", "we", "you"}
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def stem(word: str) -> str:
    """One comparable word: normalised, 'program' spelt 'programme', a plural 's' folded."""
    word = norm(word).replace(" ", "")
    word = "programme" if word in ("program", "programs") else word
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stemmed word) for every word of ``text``."""
    return [(m.start(), m.end(), stem(m.group())) for m in _WORD.finditer(text)]


def wordlist(text: str) -> list[str]:
    return [w for _, _, w in tokens(text)]


def find_phrase(seq: list[str], phrase: list[str]) -> list[int]:
    """Start indexes of ``phrase`` (a word list) in ``seq``."""
    n = len(phrase)
    return [i for i in range(len(seq) - n + 1) if n and seq[i : i + n] == phrase]


@dataclass(frozen=True)
class RoleMatch:
    text: str
    key: str | None  # a ROLES key, "outside" (not a justice role) or None (not recognised)
    label: str
    senior: bool | None = None  # True: senior or managerial; False: junior; None: not said

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _role_spans(seq: list[str]) -> list[tuple[int, int, str, str]]:
    """(start, end, key, label) of every role phrase in stemmed words, longest then earliest first."""
    table = [(k, label, p) for k, (label, ps) in ROLES.items() for p in ps] + [("outside", p, p) for p in OUTSIDE]
    spans = [(i, i + len(pw), k, label) for k, label, p in table for pw in [wordlist(p)] for i in find_phrase(seq, pw)]
    return sorted(spans, key=lambda s: (s[0] - s[1], s[0]))


FOREIGN_FILE = Path(__file__).with_name("locales") / "roles.yaml"
_NO_SPACES = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@cache
def _foreign_phrases() -> list[tuple[re.Pattern, str]]:
    """(pattern, role key) for every phrase of locales/roles.yaml, longest phrase first."""
    table = _foreign_table()
    phrases = {(norm(p), key) for key, by_lang in table.items() for ps in by_lang.values() for p in ps}
    out = []
    for phrase, key in sorted(phrases, key=lambda pk: -len(pk[0])):
        if key not in ROLES and key != "outside":
            raise ValueError(f"{FOREIGN_FILE}: unknown role key {key!r}")
        # no word breaks to anchor on in those scripts (Arabic writes "for", "and" onto the word)
        start = "" if _NO_SPACES.search(phrase) or re.search(r"[\u0600-\u06ff]", phrase) else r"(?<!\w)"
        out.append((re.compile(start + re.escape(phrase)), key))
    return out


@cache
def _foreign_table() -> dict[str, dict[str, list[str]]]:
    from assistant.yamlfile import load_yaml

    return load_yaml(FOREIGN_FILE.read_text(encoding="utf-8"))


def local_role(text: str, lang: str) -> str | None:
    """The role ``text`` names, in ``lang`` (the first name locales/roles.yaml gives it there), or None."""
    key = match_role(text).key
    names = _foreign_table().get(key or "", {}).get(lang) or []
    return names[0] if names else None


def find_foreign_role(text: str) -> tuple[int, int, str] | None:
    """(start, end, role key) of a role named in another language ('procureur', 'công tố viên', '検察官'),
    the earliest, longest match; spans index ``norm(text)``."""
    low = norm(text)
    hits = [(m.start(), -(m.end() - m.start()), m.end(), key) for pattern, key in _foreign_phrases() for m in pattern.finditer(low)]
    if not hits:
        return None
    start, _, end, key = min(hits)
    return start, end, key


def match_role(text: str) -> RoleMatch:
    """The canonical role of free text ('public prosecutor' -> prosecutor, 'prison officer' -> corrections;
    failing an English phrase, one in another language: 'procureur', 'fiscal', 'прокурор')."""
    seq = wordlist(text)
    spans = _role_spans(seq)
    senior = True if SENIOR & set(seq) else False if JUNIOR & set(seq) else None
    if not spans and (foreign := find_foreign_role(text)):
        key = foreign[2]
        return RoleMatch(text, key, text.strip() if key == "outside" else ROLES[key][0], senior)
    if not spans:
        return RoleMatch(text, None, text.strip(), senior)
    _, _, key, label = spans[0]
    return RoleMatch(text, key, text.strip() if key == "outside" else label, senior)


def find_role(text: str, skip: set[int] = frozenset()) -> tuple[int, int] | None:
    """Character span of the role named in a question ('a senior prison officer'), ignoring word indexes
    in ``skip``; failing a known phrase, a qualified head noun ('customs officer'). None when vague."""
    toks = tokens(text)
    seq = [w if i not in skip else "\0" for i, (_, _, w) in enumerate(toks)]
    spans = _role_spans(seq)
    if spans:
        start, end = spans[0][0], spans[0][1]
    else:
        heads = [i for i, w in enumerate(seq) if w in _HEADS and i and seq[i - 1] not in _VAGUE | {"\0"}]
        if not heads:
            return None
        start, end = heads[0] - 1, heads[0] + 1
    while start and seq[start - 1] in SENIOR | JUNIOR:
        start -= 1
    return toks[start][0], toks[end - 1][1]
