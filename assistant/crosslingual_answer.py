"""The extractive answer to a question asked in another language than the documents'.

The default extractive backend scores a sentence half by the question's words it shares, and
reads what kind of answer is wanted ("when" wants a year) from English question words; neither
works across languages. Here a sentence is scored by the multilingual encoder alone, question
read as a query and sentence as a passage (how e5 was trained, and its most reliable reading
across languages), and the kind of answer wanted is read from question words in 14 languages.
The candidate sentences and the quote-verbatim contract are the backend's own.

``MIN_SIMILARITY`` was set on the multilingual-e5-small similarities measured over the sample
corpus (answerable foreign questions 0.79-0.88 at the best sentence, off-topic ones 0.73-0.80;
see README "Languages"); with any other encoder, foreign questions are declined unless the
encoder is multilingual (MiniLM similarities across languages mean nothing).
"""

from __future__ import annotations

import re

import numpy as np

from assistant.backends import Draft
from assistant.embedding import E5_MODEL, embed_queries, is_multilingual
from assistant.placenames import ACTORS, REGIONS, place_spans, places
from assistant.places import find_foreign_places
from assistant.text import has_slot

MIN_SIMILARITY = 0.785
MARGIN = 0.012  # a second sentence joins the answer within this of the best one

# What kind of answer a question wants, by question words in other languages.
_SLOT_WORDS = {
    "year": r"quand|depuis quand|quelle année|en quelle année|cuándo|desde cuándo|qué año|en qué año|quando|desde quando|"
            r"que ano|em que ano|wann|seit wann|welchem jahr|khi nào|năm nào|từ năm|từ bao giờ|kapan|sejak kapan|tahun berapa|"
            r"bilakah|kailan|anong taon|ne zaman|hangi yıl|wanneer|welk jaar|kiedy|w którym roku|od kiedy|"
            r"in che anno|quale anno|\blini\b|mwaka gani|언제|몇 년|коли|з якого року|چه زمانی|چه سالی|"
            r"когда|с какого года|в каком году|متى|منذ متى|أي عام|أي سنة|哪一年|哪年|何时|什么时候|何年|いつ|เมื่อไร|เมื่อไหร่|"
            r"ปีใด|ปีไหน|कब|किस वर्ष|किस साल|कुन वर्ष|कहिले",
    "number": r"combien|cuántos|cuántas|quantos|quantas|wie viele|bao nhiêu|berapa banyak|berapa jumlah|сколько|كم عدد|"
              r"berapa ramai|\bilang\b|\bkaç\b|hoeveel|\bile\b|quanti|quante|\bngapi\b|скільки|몇 명|چند|"
              r"多少|何人|何カ国|何か国|กี่|कितने|कति",
    "money": r"budget|presupuesto|orçamento|haushalt|ngân sách|anggaran|бюджет|ميزانية|预算|予算|งบประมาณ|बजट|"
             r"bütçe|begroting|budżet|bajeti|예산|بودجه|bilancio|belanjawan|wat kost|"
             r"frais|tarifa|cuota|taxa|gebühr|lệ phí|biaya|плата|رسوم|费用|費用|ค่า|शुल्क|indemnité|viáticos|"
             r"phụ cấp|tunjangan|суточные|بدل|津贴|手当|เบี้ยเลี้ยง|भत्ता|coût|costo|custo|kosten|chi phí|стоимост|تكلفة|"
             r"combien d'argent|cuánto dinero|quanto dinheiro|bao nhiêu tiền|сколько денег|كم من المال|多少钱|いくら",
    "person": r"qui est le directeur|qui est la directrice|quién es el director|quem é o diretor|wer ist der direktor|"
              r"giám đốc|direktur|директор|مدير|主任|所长|所長|ผู้อำนวยการ|निदेशक|direttore|direttrice|directeur|dyrektor|"
              r"müdür|mkurugenzi|pengarah|원장|소장|مدیر|e-?mail|courriel|correo|thư điện tử|"
              r"электронн|البريد الإلكتروني|电子邮件|メール|อีเมล|ईमेल|téléphone|teléfono|điện thoại|телефон|هاتف|电话|電話",
    "place": r"\boù\b|quel pays|quelle ville|\bdónde\b|qué país|qué ciudad|\bonde\b|que país|qual país|\bwo\b|welche[ms]? land|"
             r"welcher stadt|ở đâu|nước nào|quốc gia nào|thành phố nào|di mana|negara mana|negara apa|kota mana|где|"
             r"какой стран|какая страна|в какой стране|каком город|أين|أي بلد|أي دولة|أي مدينة|哪里|哪裡|哪个国家|哪個國家|"
             r"哪国|在哪|どこ|どの国|ที่ไหน|ประเทศใด|ประเทศไหน|कहाँ|कहां|किस देश|कुन देश|किस शहर|"
             r"\bdove\b|quale paese|\bsaan\b|anong bansa|nerede|hangi ülke|\bwaar\b|welk land|\bgdzie\b|w jakim kraju|"
             r"\bwapi\b|nchi gani|어디|어느 나라|\bде\b|в якій країні|کجا|کدام کشور",
    "date": r"quelle date|qué fecha|que data|welchem datum|ngày nào|ngày bao nhiêu|tanggal berapa|какого числа|какую дату|"
            r"ما هو تاريخ|في أي تاريخ|哪一天|几月几日|何月何日|何日|วันที่เท่าไร|किस तारीख",
}
_SLOT_RES = {slot: re.compile(words, re.I) for slot, words in _SLOT_WORDS.items()}
_HARD = ("money", "person", "date", "number")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def wanted_slots(question: str) -> list[str]:
    """The kinds of answer a question in another language asks for ('quand' -> year, 'combien' -> number)."""
    slots = [slot for slot, pattern in _SLOT_RES.items() if pattern.search(question)]
    if "date" in slots and "year" in slots:
        slots.remove("year")
    if "money" in slots and "number" in slots:
        slots.remove("number")
    return slots


def _countries(sentence: str) -> set[str]:
    return {p for p in places(sentence) if p not in REGIONS}


def asked_countries(question: str) -> set[str]:
    """Countries a question in any language is about (English names, and names in its own language), the
    programmes' provider left out."""
    named = _countries(question) | {p.name for _, _, p in find_foreign_places(question) if p.kind == "country"}
    return named - set(ACTORS)


def years_about_others(sentence: str, countries: set[str]) -> bool:
    """Whether every year in ``sentence`` sits next to another place than ``countries`` ("Nepal's programme is
    one of two; the other is with Viet Nam, which began in 2014": 2014 is Viet Nam's, not Nepal's)."""
    spans = place_spans(sentence)
    years = [m.start() for m in _YEAR.finditer(sentence)]
    if not spans or not years or not countries:
        return False
    nearest = {min(spans, key=lambda s: abs(s[0] - y))[1] for y in years}
    return not nearest & countries


def draft(question: str, passages, backend, scorer, embedder, max_sentences: int = 2) -> Draft:
    """An answer of one or two quoted sentences (each with its passage marker), or a decline."""
    if not is_multilingual(embedder):
        return Draft("", declined=True, reason="the question's language differs from the documents' and the "
                     f"encoder is not multilingual (set multilingual_model to {E5_MODEL} and run the ingestion again)")
    cands = list(dict.fromkeys((sentence, n) for sentence, n, _ in backend.candidates(passages)))
    if not cands:
        return Draft("", declined=True, reason="no passage has a sentence to quote")
    query = embed_queries(embedder, [question])[0]
    sims = scorer.vectors([s for s, _ in cands]) @ query
    slots = wanted_slots(question)
    asked_years = set(_YEAR.findall(question))
    asked_places = set(places(question))
    about = asked_countries(question) if "year" in slots else set()
    own_year = bool(about) and any(_YEAR.search(c) and not years_about_others(c, about) for c, _ in cands)
    some_country = "place" in slots and any(_countries(c) for c, _ in cands)
    scored = []
    for (sentence, n), sim in zip(cands, sims):
        if any(slot in _HARD and not has_slot(slot, sentence) for slot in slots):
            continue  # it cannot state what was asked (a sum, a name, a date, a count)
        if asked_years and not asked_years & set(_YEAR.findall(passages[n - 1].text + " " + passages[n - 1].title)):
            continue  # its passage is not about the year asked
        value = float(sim) - (0.02 if "year" in slots and not has_slot("year", sentence) else 0.0) + 0.001 / n
        if asked_years and not asked_years & set(_YEAR.findall(sentence)):
            value -= 0.005  # the year is in its passage, not in the sentence itself
        if own_year and (not _YEAR.search(sentence) or years_about_others(sentence, about)):
            continue  # "when" about a country: another sentence gives that country a year, this one does not
        if "place" in slots:  # "where", "which country": a sentence that names a country (regions such as "Asia"
            # do not answer), preferably not only the programmes' provider or the places the question names
            named = _countries(sentence)
            if not named and some_country:
                continue  # another candidate names one
            rank = value - (0.02 if not named - asked_places - set(ACTORS) else 0.0)  # orders, does not decline
            scored.append((rank, sentence, n, value))
            continue
        scored.append((value, sentence, n, value))
    scored.sort(key=lambda item: -item[0])
    if not scored or scored[0][3] < MIN_SIMILARITY:
        best = scored[0][3] if scored else float(np.max(sims))
        return Draft("", declined=True, reason=f"no passage answers the question (best evidence {best:.3f})")
    chosen = [scored[0]]
    for item in scored[1:max_sentences * 4]:
        if len(chosen) >= max_sentences or item[0] < scored[0][0] - MARGIN:
            break
        if float(scorer.similarity(item[1], [c[1] for c in chosen]).max()) < 0.92:
            chosen.append(item)
    return Draft(" ".join(_cite(sentence, n) for _, sentence, n, _ in chosen))


def _cite(sentence: str, n: int) -> str:
    if sentence[-1:] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]."
