"""Eligibility questions asked in other languages, routed to the structured engine.

"Un procureur du Népal peut-il participer ?", "¿Puede un fiscal de Brasil participar?",
"ミャンマーの検察官は参加できますか" carry the same three things an English question does: a
cue that asks about taking part, a country, a role. Each is found here in the question's own
words (cues below; countries by :func:`assistant.places.find_foreign_places`; roles from
``locales/roles.yaml``) and handed to the engine as their English forms.
"""

from __future__ import annotations

import re

from assistant.places import find_foreign_places, find_places
from assistant.roles import ROLES, find_foreign_role

# Words that ask whether someone may take part, by language (matched case-insensitively, anywhere).
CUES = {
    "fr": r"peut|peuvent|pourrai|éligible|admissible|participer|s'inscrire|suivre le|suivre les|assister",
    "es": r"puede|pueden|podría|elegible|participar|inscribirse|asistir",
    "pt": r"pode|podem|poderia|elegível|participar|inscrever",
    "de": r"kann|können|darf|dürfen|teilnehmen|berechtigt",
    "it": r"può|possono|partecipare|ammesso",
    "vi": r"có thể|được phép|tham gia|đủ điều kiện|được dự",
    "id": r"bisa|boleh|dapatkah|dapat|ikut|mengikuti|berpartisipasi|memenuhi syarat",
    "ru": r"может|могут|можно|участв|участие|имеет право|вправе",
    "ar": r"يمكن|يحق|المشاركة|يشارك|مؤهل|الانضمام",
    "zh": r"可以|能否|能不能|参加|參加|资格|資格|报名",
    "ja": r"参加|できますか|資格|受講",
    "ko": r"참가|참여|자격",
    "th": r"เข้าร่วม|ได้ไหม|ได้หรือไม่|มีสิทธิ์",
    "hi": r"भाग ले|शामिल|पात्र|हिस्सा ले",
    "ne": r"भाग लिन|सहभागी|सहभागिता",
}
_CUE = re.compile("|".join(f"(?:{c})" for c in CUES.values()), re.I)
# "programme" in those languages: a country and a cue without a role still ask about eligibility with it.
_PROGRAMME = re.compile(r"programme|programa|programm|chương trình|program|программ|برنامج|项目|項目|プログラム|研修|"
                        r"โครงการ|कार्यक्रम|khóa|curso|cours|курс|課程|课程", re.I)


def parse_foreign(text: str) -> tuple[str | None, str | None] | None:
    """(English country name, English role) of an eligibility question in another language, or None when
    ``text`` is not an eligibility question in a language we know the cues of (the engine builds its query)."""
    if not isinstance(text, str) or not _CUE.search(text):
        return None
    role = find_foreign_role(text)
    places = find_foreign_places(text) or find_places(text)
    if role is None and not (places and _PROGRAMME.search(text)):
        return None
    country = places[0][2].name if places else None
    role_text = (ROLES[role[2]][0] if role[2] in ROLES else _outside_word(text, role)) if role else None
    return country, role_text


def _outside_word(text: str, span: tuple[int, int, str]) -> str:
    """An 'outside' role (teacher, journalist) keeps the reader's word: the engine then says it is not a justice role."""
    from assistant.places import norm

    return norm(text)[span[0] : span[1]] or "other"

