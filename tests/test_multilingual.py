"""Readers in other languages: language detection, interface strings, multilingual countries and roles,
eligibility questions routed from other languages, localised answers, prompts, and the e5 encoder."""

from __future__ import annotations

import dataclasses

import pytest

from assistant import crosslingual, i18n
from assistant.lang import detect
from assistant.places import PlaceError, find_foreign_places, resolve
from assistant.roles import match_role
from assistant.types import Answer, AnswerSentence
from tests.conftest import CORPUS

# ---------------------------------------------------------------- language detection
QUESTIONS = {
    "Depuis quand le Japon aide-t-il le Myanmar pour ses prisons ?": "fr",
    "¿Desde cuándo apoya Japón la reforma de la justicia penal en Nepal?": "es",
    "Desde quando o Japão apoia a reforma da justiça criminal no Nepal?": "pt",
    "Seit wann unterstützt Japan die Reform der Strafjustiz in Nepal?": "de",
    "Nhật Bản hỗ trợ cải cách tư pháp hình sự ở Việt Nam từ năm nào?": "vi",
    "Sejak kapan Jepang mendukung reformasi peradilan pidana di Vietnam?": "id",
    "Когда Япония начала помогать Непалу?": "ru",
    "Непал?": "ru",
    "متى بدأت اليابان دعم نيبال؟": "ar",
    "日本从哪一年开始支持尼泊尔？": "zh",
    "ミャンマーの刑務所支援はいつ始まりましたか": "ja",
    "ญี่ปุ่นเริ่มช่วยเนปาลเมื่อไหร่": "th",
    "अब तक कितने अधिकारियों ने भाग लिया है?": "hi",
    "When did Japan start helping Nepal?": "en",
    "Myanmar": "en",  # a bare name never leaves the documents' language
    # short questions the statistical model is unsure of (Indonesian 0.44, split with Malay): not English
    "Kapan program Nepal dimulai?": "id",
    "Siapa pendiri UNAFEI?": "id",
    "Seminario CPI fechas": "es",
    "Séminaire CPI Myanmar": "fr",
    # English keyword queries score low for every language: they stay English
    "ICC seminar dates": "en",
    "Intel revenue 2023": "en",
    "Total net sales Q2 2022": "en",
    "Corruption courses Asia": "en",
    "Senior seminar topics": "en",
    "Seminar minutes ICC": "en",
    "Myanmar prison reform": "en",
    "and Viet Nam?": "en",
    "UNAFEI در کدام کشور است؟": "fa",  # Persian letter forms (keheh, Farsi yeh), not Arabic
    "في أي بلد يقع UNAFEI؟": "ar",
}


@pytest.mark.parametrize("question,code", list(QUESTIONS.items()))
def test_detects_the_question_language(question, code):
    assert detect(question) == code


def test_explicit_language_wins_over_detection():
    assert crosslingual.reader_language("When did it start?", "fr-CA") == "fr"
    assert crosslingual.reader_language("Depuis quand le programme existe-t-il ?", "auto") == "fr"
    assert crosslingual.keyword_weight("en") == 1.0 and crosslingual.keyword_weight("vi") < 0.5


# ---------------------------------------------------------------- interface strings
def test_every_interface_language_has_every_key():
    english = {k for k in i18n.catalogue()["en"]}
    import yaml

    for code in i18n.UI_LANGUAGES:
        own = set(yaml.safe_load((i18n.LOCALES / f"{code}.yaml").read_text(encoding="utf-8")))
        assert english - {"meta.name", "meta.dir"} <= own, (code, english - own)


def test_strings_verdicts_direction_and_fallback():
    assert i18n.verdict("not eligible", "fr") == "non éligible"
    assert i18n.verdict("eligible", "vi") == "đủ điều kiện"
    assert i18n.t("answer.removed", "es", n=2).startswith("Se eliminaron 2")
    assert i18n.is_rtl("ar") and not i18n.is_rtl("zh")
    assert i18n.t("ask.button", "ja") == "Ask"  # Japanese has answer strings only: the interface falls back
    assert i18n.t("answer.decline", "ja") != i18n.t("answer.decline", "en")
    assert set(i18n.gradio_translations()) == set(i18n.UI_LANGUAGES)


@pytest.mark.parametrize("header,code", [
    ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "fr"), ("de-DE,ar;q=0.5,en;q=0.4", "ar"), ("zh-Hans-CN", "zh"),
    ("vi-VN,vi;q=0.9", "vi"), ("ja,en;q=0.1", "en"), ("*", "en"), ("", "en"), (None, "en"), ("ru;q=0, es;q=0.3", "es"),
    ("en-GB;q=0.2, ar-EG;q=0.9", "ar"), ("garbage;;q=x", "en"),
])
def test_picks_language_from_accept_language(header, code):
    assert i18n.pick_language(header) == code


# ---------------------------------------------------------------- countries and roles in other languages
COUNTRIES = {
    "Birmanie": "MM", "Birmania": "MM", "ミャンマー": "MM", "缅甸": "MM", "Мьянма": "MM", "ميانمار": "MM", "พม่า": "MM",
    "Miến Điện": "MM", "Brasil": "BR", "Brésil": "BR", "Brasilien": "BR", "Бразилия": "BR", "巴西": "BR",
    "Việt Nam": "VN", "Viêt Nam": "VN", "越南": "VN", "ベトナム": "VN", "Вьетнам": "VN", "فيتنام": "VN", "เวียดนาม": "VN",
    "Непал": "NP", "Népal": "NP", "尼泊尔": "NP", "ネパール": "NP", "नेपाल": "NP", "نيبال": "NP", "เนปาล": "NP", "Nê-pan": "NP",
    "Indonésie": "ID", "Filipinas": "PH", "Tailandia": "TH", "Thái Lan": "TH", "Японія": "JP", "日本": "JP", "Japon": "JP",
    "Inde": "IN", "Ấn Độ": "IN", "Kenia": "KE", "Malaisie": "MY", "Camboya": "KH",
}


@pytest.mark.parametrize("name,code", list(COUNTRIES.items()))
def test_country_names_in_other_languages_resolve(name, code):
    assert resolve(name).code == code


def test_english_names_still_win_and_nonsense_is_refused():
    assert resolve("Myanmar").code == "MM" and resolve("Viet Nam").code == "VN" and resolve("VN").code == "VN"
    with pytest.raises(PlaceError):
        resolve("Atlantis-sur-Mer")


def test_foreign_places_in_free_text_without_spaces():
    assert [p.code for _, _, p in find_foreign_places("ミャンマーの検察官は参加できますか")] == ["MM"]
    assert [p.code for _, _, p in find_foreign_places("Может ли прокурор из Непала участвовать?")] == ["NP"]
    assert [p.code for _, _, p in find_foreign_places("هل يمكن لقاضٍ من نيبال المشاركة؟")] == ["NP"]


ROLES = {
    "procureur": "prosecutor", "procureure de la République": "prosecutor", "fiscal": "prosecutor", "fiscales": "prosecutor",
    "promotor": "prosecutor", "Staatsanwältin": "prosecutor", "công tố viên": "prosecutor", "kiểm sát viên": "prosecutor",
    "jaksa": "prosecutor", "прокурор": "prosecutor", "прокурора": "prosecutor", "المدعي العام": "prosecutor",
    "检察官": "prosecutor", "検察官": "prosecutor", "อัยการ": "prosecutor", "अभियोजक": "prosecutor",
    "juez": "judge", "juge": "judge", "thẩm phán": "judge", "судья": "judge", "القاضي": "judge", "法官": "judge",
    "裁判官": "judge", "hakim": "judge", "policier": "police", "cảnh sát": "police", "警察官": "police",
    "agent pénitentiaire": "corrections", "funcionario de prisiones": "corrections", "刑務官": "corrections",
    "luật sư": "defence-lawyer", "journaliste": "outside", "记者": "outside",
}


@pytest.mark.parametrize("text,key", list(ROLES.items()))
def test_roles_in_other_languages(text, key):
    assert match_role(text).key == key


def test_english_role_words_are_not_read_as_foreign():
    assert match_role("fiscal policy officer").key == "ministry"  # "fiscal" is a Spanish prosecutor only as a fallback
    assert match_role("teacher").key == "outside"


# ---------------------------------------------------------------- eligibility in other languages
@pytest.fixture(scope="module")
def engine():
    from assistant.eligibility import EligibilityEngine

    return EligibilityEngine(CORPUS / "eligibility.yaml")


def verdicts(result):
    return {v.programme: v.verdict for v in result.programmes}


@pytest.mark.parametrize("country,role,en_country,en_role", [
    ("Népal", "procureur", "Nepal", "prosecutor"), ("Brasil", "juez", "Brazil", "judge"),
    ("Việt Nam", "công tố viên", "Viet Nam", "prosecutor"), ("ミャンマー", "検察官", "Myanmar", "prosecutor"),
    ("Непал", "прокурор", "Nepal", "prosecutor"), ("Birmanie", "agent pénitentiaire", "Myanmar", "prison officer"),
])
def test_tab_gives_foreign_names_the_english_verdicts(engine, country, role, en_country, en_role):
    assert verdicts(engine.check(country, role, reader_role="partner")) == verdicts(engine.check(en_country, en_role, reader_role="partner"))
    assert verdicts(engine.check(country, role, reader_role="partner")) != verdicts(engine.check(None, None, reader_role="partner"))


@pytest.mark.parametrize("question,place,role", [
    ("Un procureur du Népal peut-il participer au programme ?", "Nepal", "prosecutor"),
    ("¿Puede un fiscal de Brasil participar en los programas?", "Brazil", "prosecutor"),
    ("Kiểm sát viên Việt Nam có thể tham gia chương trình nào?", "Viet Nam", "prosecutor"),
    ("ミャンマーの検察官は参加できますか", "Myanmar", "prosecutor"),
    ("Может ли прокурор из Непала участвовать?", "Nepal", "prosecutor"),
    ("هل يمكن لقاضٍ من نيبال المشاركة؟", "Nepal", "judge"),
    ("尼泊尔的检察官可以参加吗？", "Nepal", "prosecutor"),
    ("อัยการจากเนปาลเข้าร่วมได้ไหม", "Nepal", "prosecutor"),
])
def test_foreign_chat_questions_route_to_the_engine(engine, question, place, role):
    answer = engine.answer(question, "partner", lang=detect(question))
    assert answer is not None and answer.kind == "eligibility"
    assert f"country={place}" in answer.searched_for and f"role={role}" in answer.searched_for
    assert engine.answer(question, "partner", lang="en") is None  # the English reader alone does not see it


def test_foreign_factual_questions_are_not_eligibility(engine):
    q = "Depuis quand le Japon aide-t-il le Myanmar pour ses prisons ?"
    assert engine.answer(q, "partner", lang="fr") is None


# ---------------------------------------------------------------- localised answers and prompts
def test_localise_decline_lead_and_verdicts():
    declined = Answer(question="q", text="The documents do not cover this question, so I will not guess.", declined=True, citations=(), searched_for="q")
    assert crosslingual.localise(declined, "vi").text == i18n.t("answer.decline", "vi")
    assert crosslingual.localise(declined, "en") is declined
    answered = Answer(question="q", text="Since 2015, Japan has supported Myanmar [1].", declined=False, citations=(), searched_for="q")
    out = crosslingual.localise(answered, "fr")
    assert out.text.startswith(i18n.t("answer.lead", "fr")) and out.text.endswith("Since 2015, Japan has supported Myanmar [1].")
    elig = Answer(question="q", text="Programmes for a prosecutor from Nepal: eligible 3, not eligible 4 (of 7).\n- Nepal: eligible - x [1].",
                  declined=False, citations=(), searched_for="q", kind="eligibility")
    assert "non éligible 4" in crosslingual.localise(elig, "fr").text and "- Nepal: éligible" in crosslingual.localise(elig, "fr").text
    head = crosslingual.localise(elig, "fr").text.split("\n")[0]
    assert head == "Programmes pour procureur (Népal) : éligible 3, non éligible 4 (sur 7)."  # the heading's words too
    assert crosslingual.localise(elig, "zh").text.split("\n")[0].endswith("（共 7 个）。")
    assert crosslingual.localise(elig, "ja").text.startswith("Programmes for a prosecutor")  # no heading in Japanese yet


def test_prompts_ask_for_the_reader_language():
    from assistant.backends.prompt import SYSTEM, chat_messages, completion_prompt
    from assistant.types import Passage

    p = [Passage(chunk_id="c", doc_id="d", title="T", text="Since 2015, Japan has supported Myanmar.", page=None, section="",
                 doc_type="document", audience="public", score=1.0)]
    assert chat_messages("Depuis quand ?", p, "fr")[0]["content"].endswith("keep the [n] markers.")
    assert "French" in chat_messages("Depuis quand ?", p, "fr")[0]["content"]
    assert chat_messages("When?", p)[0]["content"] == SYSTEM
    assert "Vietnamese" in completion_prompt("Khi nào?", p, lang="vi") and completion_prompt("Khi nào?", p, lang="vi").endswith("Answer:")


def test_slots_from_foreign_question_words():
    from assistant.crosslingual_answer import wanted_slots

    assert wanted_slots("Depuis quand le Japon aide-t-il le Népal ?") == ["year"]
    assert wanted_slots("Quel est le budget annuel du programme ?") == ["money"]
    assert wanted_slots("Сколько должностных лиц прошли программы?") == ["number"]
    assert wanted_slots("UNAFEI现任所长是谁？") == ["person"]


@pytest.mark.parametrize("question", [
    "Dans quel pays se trouve l'institut UNAFEI ?", "¿En qué país se encuentra UNAFEI?", "Wo befindet sich UNAFEI?",
    "UNAFEI nằm ở nước nào?", "В какой стране находится UNAFEI?", "في أي بلد يقع UNAFEI؟", "UNAFEI位于哪个国家？",
    "UNAFEIはどの国にありますか？", "UNAFEI ตั้งอยู่ในประเทศใด", "UNAFEI किस देश में स्थित है?",
])
def test_where_and_which_country_in_other_languages(question):
    from assistant.crosslingual_answer import _countries, wanted_slots

    assert wanted_slots(question) == ["place"]
    assert wanted_slots("Woche für Woche?") == []  # "wo" only as a word
    # a region does not answer "which country"; a country, the provider included, does
    assert _countries("UNAFEI stands for the United Nations Asia and Far East Institute.") == set()
    assert _countries("The institute is located in Japan.") == {"Japan"}


@pytest.mark.parametrize("question,slot", [
    ("Bilakah program Nepal bermula?", "year"), ("Kailan nagsimula ang programa sa Nepal?", "year"),
    ("Nepal programı ne zaman başladı?", "year"), ("Wanneer begon het Nepal-programma?", "year"),
    ("Kiedy rozpoczął się program dla Nepalu?", "year"), ("네팔 프로그램은 언제 시작되었나요?", "year"),
    ("Dove si trova l'UNAFEI?", "place"), ("UNAFEI nerede?", "place"), ("Hoeveel landen doen mee?", "number"),
])
def test_slots_in_more_languages(question, slot):
    from assistant.crosslingual_answer import wanted_slots

    assert wanted_slots(question) == [slot]


def test_a_year_that_belongs_to_another_country_does_not_answer():
    from assistant.crosslingual_answer import asked_countries, years_about_others

    other = "Nepal's programme is one of two country programmes; the other is with Viet Nam, which began in 2014."
    own = "Japan has been assisting Nepal with the reform of its criminal justice system since 2013."
    listing = "The country programmes began in 2013 (Nepal) and 2014 (Viet Nam)."
    assert asked_countries("Kapan program Nepal dimulai?") == {"Nepal"}
    assert asked_countries("Depuis quand le Japon aide-t-il le Népal ?") == {"Nepal"}  # the provider left out
    assert years_about_others(other, {"Nepal"}) and not years_about_others(own, {"Nepal"})
    assert not years_about_others(listing, {"Nepal"}) and years_about_others(listing, {"Myanmar"})
    assert not years_about_others("It began in 2014.", {"Nepal"})  # no place named: nothing to tell


class _Scorer:
    """Similarities set per sentence (what the encoder would say), as vectors on a unit circle."""

    def __init__(self, sims: dict[str, float]):
        self.sims = sims

    def vectors(self, sentences):
        import numpy as np

        return np.array([[s, (1 - s * s) ** 0.5] for s in (self.sims.get(x, 0.5) for x in sentences)])

    def similarity(self, a, others):
        import numpy as np

        return np.array([1.0 if a == o else 0.0 for o in others])


class _Embedder:
    name = "multilingual-e5-small"

    def embed_query(self, texts):
        import numpy as np

        return np.array([[1.0, 0.0] for _ in texts])

    embed = embed_query


class _Backend:
    def candidates(self, passages):
        from assistant.text import split_sentences

        return [(s, n, "") for n, p in enumerate(passages, 1) for s in split_sentences(p.text)]


def test_when_about_a_country_quotes_the_sentence_giving_it_a_year():
    from assistant.crosslingual_answer import draft
    from assistant.types import Passage

    other = "Nepal's programme is one of two country programmes; the other is with Viet Nam, which began in 2014."
    vague = "The Nepal programme is carried out mainly through training courses."
    own = "Japan has been assisting Nepal with the reform of its criminal justice system since 2013."
    passages = [Passage(chunk_id=f"c{i}", doc_id="nepal.pdf", title="Nepal", text=t, page=1, section="", doc_type="document",
                        audience="public", score=1.0) for i, t in enumerate((other + " " + vague, own))]
    scorer = _Scorer({other: 0.85, vague: 0.84, own: 0.80})  # the encoder prefers the wrong two
    out = draft("Kapan program Nepal dimulai?", passages, _Backend(), scorer, _Embedder())
    assert not out.declined and "2013" in out.text and "2014" not in out.text and "training courses" not in out.text
    weak = _Scorer({other: 0.85, vague: 0.84, own: 0.70})  # the right sentence too far from the question: declined
    assert draft("Kapan program Nepal dimulai?", passages, _Backend(), weak, _Embedder()).declined
    # a question about Viet Nam keeps the sentence that gives Viet Nam its year
    vn = draft("Kapan program Viet Nam dimulai?", passages, _Backend(), scorer, _Embedder())
    assert "2014" in vn.text


# ---------------------------------------------------------------- eligibility reasons in the reader's language
def _all_reasons() -> set[str]:
    """Every reason text the engine gives over the sample catalogue for a sweep of places, roles, topics and
    programmes (countries developed and developing, regions, known, outside, unknown and junior roles)."""
    from assistant.eligibility import EligibilityEngine

    engine = EligibilityEngine(CORPUS / "eligibility.yaml")
    texts = set()
    for place in (None, "Nepal", "Brazil", "France", "Japan", "Southeast Asia", "Asia", "Africa", "Viet Nam"):
        for role in (None, "prosecutor", "judge", "prison officer", "teacher", "astronaut", "junior police officer",
                     "senior prosecutor"):
            for topic in (None, "corruption", "cybercrime"):
                for programme in (None, "senior seminar"):
                    try:
                        result = engine.check(place, role, topic, programme=programme, reader_role="staff")
                    except Exception:  # a programme the catalogue does not have, an ambiguous place: not a reason
                        continue
                    texts |= {r.text for v in result.programmes for r in v.reasons}
    return texts


def test_every_reason_the_engine_gives_has_a_translation():
    texts = _all_reasons()
    assert len(texts) >= 25  # the sweep reaches the engine's many kinds of reason
    kinds = set()
    for text in texts:
        for key, rx in i18n._english_patterns("reason."):
            if rx.match(text):
                kinds.add(key)
                break
        else:
            raise AssertionError(f"no reason.* string produces {text!r}: add one to assistant/locales")
        for lang in ("fr", "vi", "ar"):
            assert i18n.reasons(text, lang) != text, (lang, text)
    assert len(kinds) >= 12


def test_joined_reasons_and_eligibility_lines_are_translated_whole():
    joined = "no country was given; it is for Asia; no role was given; the roles named: police, prosecutors"
    assert i18n.reasons(joined, "fr") == ("aucun pays n'a été indiqué ; le programme est destiné à : Asia; "
                                          "aucune fonction n'a été indiquée ; fonctions citées : police, prosecutors")
    assert i18n.reasons("an unknown remark; a judge fits the roles named", "es") == (
        "an unknown remark; el cargo «judge» coincide con los cargos mencionados")  # what no string made stays
    assert i18n.reasons(joined, "en") == joined
    one = Answer(question="q", text="Can a judge from Peru take part in Nepal: Reform? Not eligible.\n"
                 "- Nepal: Reform: not eligible - it is only for Nepal, not Peru; a judge fits the roles named [1].",
                 declined=False, citations=(), searched_for="q", kind="eligibility")
    head, line = crosslingual.localise(one, "es").text.split("\n")
    assert head == "Participación en Nepal: Reform para juez (Perú): No elegible."
    assert line == "- Nepal: Reform: no elegible - es solo para: Nepal, no para Perú; el cargo «judge» coincide con los cargos mencionados [1]."


def test_chat_table_and_eligibility_tab_show_reasons_in_the_readers_language():
    from assistant.web.render import eligibility_rows, render_eligibility
    from assistant.web.tabs import eligibility as tab

    engine_answer = Answer(question="q", text="Programmes for a judge from Peru: not eligible 1 (of 1).\n"
                           "- Nepal: Reform: not eligible - it is only for Nepal, not Peru [1].", declined=False, citations=(),
                           searched_for="q", kind="eligibility",
                           sentences=(AnswerSentence("Programmes for a judge from Peru: not eligible 1 (of 1).", ()),
                                      AnswerSentence("Nepal: Reform: not eligible - it is only for Nepal, not Peru [1].", (1,))))
    rows = eligibility_rows(crosslingual.localise(engine_answer, "vi"))
    assert rows[0]["reason"] == "chương trình chỉ dành cho: Nepal, không dành cho Pê-ru" and rows[0]["label"] == "không đủ điều kiện"
    result = {"notices": [], "programmes": [{"title": "Nepal: Reform", "verdict": "not eligible", "format": [], "since": 2013,
              "reasons": [{"effect": "fails", "text": "it is only for Nepal, not Peru", "clause": "Eligible countries: Nepal.",
                           "doc_id": "programmes/nepal.pdf", "page": 2, "title": "Nepal"}]}]}
    html = tab.localise_table(render_eligibility(tab.localise_reasons(result, "ru")), "ru")
    assert "программа только для: Nepal, а не для Перу" in html and "Eligible countries: Nepal." in html  # clause verbatim
    assert result["programmes"][0]["reasons"][0]["text"] == "it is only for Nepal, not Peru"  # the engine's result untouched
    from assistant.eligibility import _DEVELOPING_NOTE, _ILLUSTRATIVE_NOTE

    noted = tab.localise_reasons({**result, "notices": [_ILLUSTRATIVE_NOTE, _DEVELOPING_NOTE, "I read Asia as 48 countries."]}, "zh")
    assert noted["notices"][:2] == [i18n.t("note.illustrative", "zh"), i18n.t("note.developing", "zh")]
    assert noted["notices"][2] == "I read Asia as 48 countries."  # a note no string made stays as it is
    assert crosslingual.localise(dataclasses.replace(engine_answer, notices=(_ILLUSTRATIVE_NOTE,)), "fr").notices == (
        i18n.t("note.illustrative", "fr"),)


@pytest.mark.parametrize("lang,expected", [
    ("fr", "procureur (Népal)"), ("es", "fiscal (Nepal)"), ("ru", "прокурор, Непал"), ("zh", "检察官（尼泊尔）"),
    ("vi", "công tố viên (Nê-pan)"), ("ar", "مدع عام (نيبال)"),
])
def test_who_an_eligibility_answer_is_for_in_the_readers_language(lang, expected):
    from assistant.crosslingual import _who_in

    assert _who_in("a prosecutor from Nepal", lang) == expected


def test_who_stays_english_when_a_name_has_no_translation():
    from assistant.crosslingual import _who_in
    from assistant.places import local_name
    from assistant.roles import local_role

    assert _who_in("a prosecutor from Southeast Asia", "fr") == "a prosecutor from Southeast Asia"  # a region
    assert _who_in("an astronaut from Nepal", "fr") == "an astronaut from Nepal"  # a role roles.yaml lacks
    assert _who_in("a prosecutor from Nepal", "id") == "a prosecutor from Nepal"  # no heading strings in Indonesian
    assert _who_in("you", "fr") == "you"
    assert local_name("Viet Nam", "zh") == "越南" and local_name("Atlantis", "fr") is None
    assert local_role("prison officer", "vi") == "cán bộ trại giam" and local_role("astronaut", "fr") is None


def test_reasons_name_the_country_in_the_readers_language_and_keep_the_role_as_asked():
    text = "it is multi-national, not limited to one country or region, so Brazil qualifies; a senior prosecutor has senior responsibility"
    fr = crosslingual.reasons(text, "fr")
    assert fr.startswith("programme multinational") and "Brésil est donc admissible" in fr
    assert "« senior prosecutor »" in fr  # the role as the question gave it ('senior' is the point of this reason)
    assert crosslingual.reasons("it is only for South-eastern Asia, not Brazil", "zh") == "该项目仅面向：South-eastern Asia，不包括巴西"
