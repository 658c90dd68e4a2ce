"""The keyword (BM25) index: masks for access and filters, persistence, and what it keeps in memory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.keyword import KeywordIndex
from assistant.types import Filters

ROWS = [
    ("pub-1", "Prosecutors of Nepal discuss court backlog reduction.",
     {"doc_id": "nepal.md", "access_rank": 0, "doc_type": "programme_description", "programme": "nepal",
      "region": "South Asia", "countries": ["Nepal"], "years": [2013]}),
    ("pub-2", "Court backlog seminar held in Tokyo for judges.",
     {"doc_id": "tokyo.md", "access_rank": 0, "doc_type": "seminar_record", "programme": "",
      "region": "", "countries": ["Japan"], "years": [2009, 2010]}),
    ("par-1", "Viet Nam court backlog and criminal procedure code.",
     {"doc_id": "vietnam.md", "access_rank": 1, "doc_type": "programme_description", "programme": "vietnam",
      "region": "Southeast Asia", "countries": ["Viet Nam", "Nepal"], "years": [2014]}),
    ("stf-1", "Internal note on court backlog nominations budget.",
     {"doc_id": "note.md", "access_rank": 2, "doc_type": "internal_note", "programme": "", "region": ""}),
]


def _index(stamp: str = "s1") -> KeywordIndex:
    ids, texts, metas = zip(*ROWS)
    return KeywordIndex(list(ids), list(texts), list(metas), stamp=stamp)


def _ids(index: KeywordIndex, query: str, role: str, filters: Filters | None = None) -> set[str]:
    return {cid for cid, _ in index.search(query, 10, role, filters)}


@pytest.mark.parametrize(
    "role, expected",
    [("public", {"pub-1", "pub-2"}), ("partner", {"pub-1", "pub-2", "par-1"}),
     ("staff", {"pub-1", "pub-2", "par-1", "stf-1"}), ("admin", {"pub-1", "pub-2", "par-1", "stf-1"})],
)
def test_access_mask(role, expected):
    assert _ids(_index(), "court backlog", role) == expected


@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(country="Nepal"), {"pub-1", "par-1"}),
        (Filters(country="Japan"), {"pub-2"}),
        (Filters(country="France"), set()),
        (Filters(year=2010), {"pub-2"}),
        (Filters(year=2014), {"par-1"}),
        (Filters(year=1999), set()),
        (Filters(doc_type="programme_description"), {"pub-1", "par-1"}),
        (Filters(doc_type="no_such_type"), set()),
        (Filters(programme="vietnam"), {"par-1"}),
        (Filters(region="South Asia"), {"pub-1"}),
        (Filters(country="Nepal", year=2013), {"pub-1"}),
        (Filters(country="Nepal", doc_type="seminar_record"), set()),
    ],
)
def test_filters_mask(filters, expected):
    assert _ids(_index(), "court backlog", "staff", filters) == expected
    # access still applies under filters
    assert _ids(_index(), "court backlog", "public", filters) == expected - {"par-1", "stf-1"}


def test_scores_rank_the_better_match_first_and_drop_zero_scores():
    got = _index().search("prosecutors nepal", 10, "staff")
    assert got[0][0] == "pub-1"
    assert all(score > 0 for _, score in got)
    assert _index().search("zzzunknownword", 10, "staff") == []
    assert _index().search("the of and", 10, "staff") == []  # stop words only


def test_save_and_load_keep_search_and_columns(tmp_path):
    index = _index("gen-7")
    index.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None and loaded.stamp == "gen-7" and loaded.ids == index.ids
    for role in ("public", "partner", "staff"):
        assert loaded.search("court backlog judges", 10, role) == index.search("court backlog judges", 10, role)
    assert loaded.row("par-1") == {
        "access_rank": 1, "doc_id": "vietnam.md", "doc_type": "programme_description", "programme": "vietnam",
        "region": "Southeast Asia", "countries": ["Nepal", "Viet Nam"], "years": ["2014"],
    }
    assert loaded.rank_of("stf-1") == 2 and loaded.rank_of("nope") is None and loaded.row("nope") is None
    # the stamp leads the file, so ingestion can read it without parsing everything
    assert (tmp_path / "kw" / "keyword.json").read_bytes().startswith(b'{"stamp":"gen-7"')


def test_no_chunk_text_is_kept(tmp_path):
    """Text lives in the store; the keyword index keeps ids, the BM25 matrix and compact columns."""
    index = _index()
    assert not hasattr(index, "texts") and not hasattr(index, "metas")
    index.save(tmp_path / "kw")
    saved = (tmp_path / "kw" / "keyword.json").read_text(encoding="utf-8")
    assert "nominations budget" not in saved and "Internal note" not in saved
    assert isinstance(index.rank, np.ndarray) and index.rank.dtype == np.int8


def test_an_index_in_another_format_is_not_loaded(tmp_path):
    folder = tmp_path / "kw"
    _index().save(folder)
    data = json.loads((folder / "keyword.json").read_text(encoding="utf-8"))
    data["format"] = 1
    (folder / "keyword.json").write_text(json.dumps(data), encoding="utf-8")
    assert KeywordIndex.load(folder) is None
    assert KeywordIndex.load(tmp_path / "missing") is None


def test_empty_index():
    index = KeywordIndex([], [], [], stamp="e")
    assert len(index) == 0 and index.search("court", 5, "staff") == []


@pytest.mark.parametrize("query", ["court backlog", "court court backlog Nepal", "Tokyo judges", "unknownword court"])
def test_scores_equal_bm25s_own_and_ranking_follows_them(query, tmp_path):
    from assistant.keyword import tokenize

    index = _index()
    index.save(tmp_path / "kw")
    for idx in (index, KeywordIndex.load(tmp_path / "kw")):  # in memory, and memory-mapped after a load
        tokens = tokenize(query)
        ours = idx._scores(tokens)
        theirs = np.asarray(idx._bm25.get_scores(tokens), dtype=np.float32)
        assert np.allclose(ours, theirs, atol=1e-6) and ours.max() > 0
        hits = idx.search(query, 2, "staff")
        best = np.sort(theirs)[::-1][:2]
        assert [round(s, 5) for _, s in hits] == [round(float(s), 5) for s in best if s > 0]


def test_words_of_every_script_are_keywords():
    from assistant.tokens import tokenize

    assert tokenize("When did the Nepal programmes start?") == ["nepal", "programm", "start"]  # English as before
    assert tokenize("Việt Nam bắt đầu chương trình") == ["việt", "nam", "bắt", "đầu", "chương", "trình"]  # whole
    assert tokenize("Ma, má, mà") == ["ma", "má", "mà"]  # tone marks tell words apart: not folded
    assert tokenize("Пробация в Непале") == ["пробация", "в", "непале"]
    assert tokenize("متى بدأ الدعم") == ["متى", "بدأ", "الدعم"]
    assert tokenize("刑事司法") == ["刑事", "事司", "司法"]  # no spaces between words: character pairs
    assert tokenize("Vie\u0302\u0323t Nam") == tokenize("Việt Nam")  # decomposed accents read as composed


def test_documents_in_other_languages_are_found_by_their_words():
    rows = [
        ("vi-1", "Hội thảo về quản lý trại giam được tổ chức tại Hà Nội năm 2018.", {"doc_id": "vi.md", "access_rank": 0}),
        ("vi-2", "Các công tố viên thảo luận về luật tố tụng hình sự.", {"doc_id": "vi2.md", "access_rank": 0}),
        ("ru-1", "Семинар по управлению тюрьмами прошёл в Ханое.", {"doc_id": "ru.md", "access_rank": 0}),
        ("ja-1", "刑務所の管理に関するセミナーがハノイで開かれた。", {"doc_id": "ja.md", "access_rank": 0}),
    ]
    ids, texts, metas = zip(*rows)
    index = KeywordIndex(list(ids), list(texts), list(metas))
    assert index.search("quản lý trại giam", 3, "public")[0][0] == "vi-1"
    assert index.search("công tố viên", 3, "public")[0][0] == "vi-2"
    assert index.search("управлению тюрьмами", 3, "public")[0][0] == "ru-1"
    assert index.search("刑務所の管理", 3, "public")[0][0] == "ja-1"


def test_ingestion_rebuilds_a_keyword_index_of_another_format(make_settings, tmp_path):
    from ingest.pipeline import keyword_current, sync

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nCông tố viên thảo luận về luật tố tụng hình sự.\n", encoding="utf-8")
    settings = make_settings(default_audience="public")
    sync([docs], settings)
    assert keyword_current(settings)
    path = settings.index_dir / f"keyword-{settings.index_settings_hash}" / "keyword.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format"] = 3  # made with the tokenizer before letters of every script
    path.write_text(json.dumps(data), encoding="utf-8")
    assert not keyword_current(settings)
    events = []
    report = sync([docs], settings, progress=lambda event, info: events.append(event))
    assert report.count("unchanged") == 1 and "keyword" in events and keyword_current(settings)
