"""The interface's strings in the reader's language (no browser): the Eligibility table's verdicts and
headings, the answer's language when the question does not show one, the language a page opens in."""

from __future__ import annotations

import html

import pytest

from assistant import i18n
from assistant.web.render import render_eligibility
from assistant.web.tabs import ask, eligibility
from assistant.web.ui import choose_language, header_html

RESULT = {"notices": [], "programmes": [
    {"title": "Prison management in Myanmar", "verdict": verdict, "format": ["seminar"], "since": 2015,
     "reasons": [{"effect": effect, "text": "Open to prison officers.", "clause": "Prison officers may attend.",
                  "doc_id": "programmes/myanmar.pdf", "page": 2, "title": "Myanmar programme"}]}
    for verdict, effect in (("eligible", "meets"), ("not eligible", "fails"), ("depends", "uncertain"))]}


@pytest.mark.parametrize("lang", i18n.UI_LANGUAGES)
def test_eligibility_table_in_each_interface_language(lang):
    html = eligibility.localise_table(render_eligibility(RESULT), lang)
    for word in ("eligible", "not eligible", "depends"):
        assert f">{i18n.verdict(word, lang)}</span>" in html
    assert f"<th>{i18n.t('elig.col_why', lang)}</th>" in html
    assert "Prison officers may attend." in html  # the clause stays verbatim
    assert html.count(" · " + i18n.t("elig.since", lang, year=2015) + "</div>") == 3  # under each programme's title
    assert html.count(", " + i18n.t("answer.page", lang, n=2) + " ↗</a>") == 3  # each clause's link names its page
    if lang != "en":
        assert ">eligible</span>" not in html and "<th>Why (the clause behind it)</th>" not in html
    empty = eligibility.localise_table(render_eligibility(None), lang)
    assert i18n.t("elig.empty", lang) in empty


def test_translated_strings_are_escaped_in_the_table(monkeypatch):
    monkeypatch.setitem(i18n.catalogue()["fr"], "verdict.eligible", "<b>oui</b>")
    html = eligibility.localise_table(render_eligibility(RESULT), "fr")
    assert "&lt;b&gt;oui&lt;/b&gt;" in html and "<b>oui" not in html


@pytest.mark.parametrize("question,selected,expected", [
    ("Myanmar?", "fr", "fr"),  # too short to tell: the interface's language
    ("2015", "ar", "ar"),
    ("Depuis quand le Japon aide-t-il le Myanmar ?", "en", None),  # the question's own language wins (service detects)
    ("When did the Nepal programme start?", "vi", None),
    ("Việc hỗ trợ quản lý nhà tù ở Myanmar bắt đầu vào năm nào?", "fr", None),
    ("Myanmar?", None, None),
    ("Myanmar?", "pt-BR", "pt"),
])
def test_reader_language_from_the_selector_only_when_the_question_does_not_show_one(question, selected, expected):
    assert ask.reader_language(question, selected) == expected


class Request:
    def __init__(self, accept: str | None):
        self.headers = {"accept-language": accept} if accept is not None else {}
        self.username = None


@pytest.mark.parametrize("stored,accept,expected", [
    ("", "fr-CH, fr;q=0.9, en;q=0.8", "fr"), (None, "ar-EG", "ar"), ("vi", "fr", "vi"),  # the browser's choice wins
    ("xx", "zh-CN", "zh"), ("", None, "en"), ("", "ja", "en"),
])
def test_choose_language(stored, accept, expected):
    assert choose_language(stored, Request(accept)) == expected


def test_relabel_updates_every_labelled_component():
    fr = ask.relabel("fr")
    assert len(fr) == 11 and fr[2]["value"] == "Demander" and fr[1]["placeholder"].startswith("Posez une question")
    assert "Posez une question" in fr[0]["placeholder"]
    ar = eligibility.relabel("ar")
    assert len(ar) == 5 and ar[4]["value"] == i18n.t("elig.button", "ar")


def test_header_in_the_readers_language_escapes_the_name():
    html = header_html(None, "<x>", "partner", lang="vi")
    assert "Đăng xuất" in html and "&lt;x&gt;" in html and "<x>" not in html
    assert i18n.t("header.public", "ru") in header_html(None, None, "public", lang="ru")


def _card_answer(declined: bool):
    from assistant.types import Answer, Citation

    cite = Citation(n=1, doc_id="programmes/nepal.pdf", title="Nepal programme", page=2, quote="It started in 2013.",
                    source_path="corpus/programmes/nepal.pdf", passage="Overview. It started in 2013. More.", doc_type="")
    return Answer(question="q", text="It started in 2013 [1]." if not declined else "…", declined=declined,
                  citations=() if declined else (cite,), closest=(cite,) if declined else (), searched_for="nepal start")


@pytest.mark.parametrize("lang", i18n.UI_LANGUAGES)
def test_answer_card_words_in_each_interface_language(lang):
    from assistant.web.render import render_answer, render_error, render_status

    t = lambda key, **v: html.escape(i18n.t(key, lang, **v))  # noqa: E731 (as the card writes them)
    card = render_answer(_card_answer(False), "src-1", lang)
    for text in (t("answer.sources"), t("answer.page", n=2), t("answer.open_page", n=2), t("answer.searched_for"),
                 t("answer.document"), t("answer.source_n", n=1)):
        assert text in card, text
    declined = render_answer(_card_answer(True), "src-2", lang)
    assert t("answer.closest") in declined and t("answer.not_answered") in declined
    assert t("answer.something_wrong") in render_error("x", lang)
    assert t("answer.searched_for") in render_status("…", "nepal start", lang)
    shown = card + declined + render_error("x", lang)
    for key in ("answer.sources", "answer.open_page", "answer.searched_for", "answer.not_answered", "answer.closest",
                "answer.something_wrong"):  # no English card word is left where the language has its own
        english = html.escape(i18n.t(key, "en", n=2))
        if english != t(key, n=2):
            assert english not in shown, (key, english)


@pytest.mark.parametrize("public", [True, False])
def test_conversation_panel_relabelled_in_the_readers_language(public):
    import gradio as gr

    from assistant.web.tabs import conversations

    class Ctx:
        users = None if public else object()

    with gr.Blocks():
        parts = conversations.build(Ctx(), gr.State(None), gr.BrowserState(None))
    components = conversations.labelled_components(parts)
    updates = conversations.relabel(parts, "vi")
    assert len(updates) == len(components) == (8 if public else 7)  # one update per component, in order
    by_component = dict(zip(map(id, components), updates))
    listing, title, rename_btn, delete_btn, export_btn = parts[:5]
    assert by_component[id(listing)]["label"] == i18n.t("conv.list", "vi") and by_component[id(listing)]["info"] == i18n.t("conv.empty", "vi")
    assert by_component[id(rename_btn)]["value"] == "Đổi tên" and by_component[id(delete_btn)]["value"] == "Xóa"
    assert by_component[id(export_btn)]["label"] == i18n.t("conv.export_btn", "vi")
    assert any(u.get("value") == f"### {i18n.t('conv.panel', 'vi')}" for u in updates)
    assert any(u.get("value") == i18n.t("conv.public", "vi") for u in updates) == public


def test_conversation_panel_messages_in_the_readers_language():
    from assistant.web.tabs import conversations

    class Request:
        username = "sam"

    assert conversations.rename(None, None, "x", Request(), "fr")[1] == "Ouvrez d'abord une conversation."


@pytest.mark.parametrize("lang", i18n.UI_LANGUAGES)
def test_documents_list_in_each_interface_language(lang):
    from assistant.web.render import render_documents
    from assistant.web.tabs import documents

    class Doc:
        doc_id, title, doc_type, audience, pages, chunk_ids, indexed_at = "programmes/nepal.pdf", "Nepal programme", "document", "public", 3, ["c"], 0.0

    t = lambda key, **v: html.escape(i18n.t(key, lang, **v))  # noqa: E731
    table = render_documents([Doc()], lang=lang)
    assert all(f"<th scope='col'>{t('docs.col_' + key)}</th>" in table for key in ("title", "type", "audience", "pages", "indexed"))
    assert t("docs.col_chunks") not in table.split("<tbody>")[0]  # the chunk count is for admins only
    assert t("docs.col_chunks") in render_documents([Doc()], details=True, lang=lang)
    assert f"<caption>{t('docs.count', n=1)}</caption>" in table and "Nepal programme" in table
    assert f"<caption>{t('docs.count_of', n=1, total=1)}</caption>" in render_documents([Doc()], "nepal", lang=lang)
    assert t("docs.none_match") in render_documents([Doc()], "zzz", lang=lang)
    empty = render_documents([], lang=lang)
    assert "<code>python -m ingest corpus</code>" in empty and "<code>make ingest</code>" in empty and "{" not in empty
    assert documents.relabel(lang)[0]["label"] == i18n.t("docs.search", lang)
    if lang != "en":
        assert "Last indexed" not in table and "No documents match." not in render_documents([Doc()], "zzz", lang=lang)
