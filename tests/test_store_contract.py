"""One contract, two stores: embedded Chroma in a temporary folder and a real `chroma run` server."""

from __future__ import annotations

import uuid

import docfactory as df
import numpy as np
import pytest

from assistant import store as store_module
from assistant.embedding import HashEmbedder
from assistant.store import FILTER_KEYS, PAYLOAD_KEY, ChromaStore, Scope, StoreUnavailableError, scope_for
from assistant.types import Block, DocMeta, Filters
from ingest.chunking import chunk_blocks, embedding_text
from ingest.pipeline import rebuild_keyword_index, sync

DOCS = [
    DocMeta("public-nepal.md", "Nepal reform", "programme_description", "nepal-reform", ("Nepal",), None, (2013,),
            "public"),
    DocMeta("partner-vietnam.md", "Viet Nam reform", "programme_description", "viet-nam-reform",
            ("Viet Nam", "Nepal"), "Southeast Asia", (2014, 2015), "partner"),
    DocMeta("staff-note.md", "Nominations note", "internal_note", None, (), None, (), "staff"),
    DocMeta("public-japan.md", "Seminars in Japan", "seminar_record", None, ("Japan",), None, (2009, 2010), "public"),
]
TEXTS = {
    "public-nepal.md": ["Nepal court reform with prosecutors.", "Training of judges in Kathmandu."],
    "partner-vietnam.md": ["Viet Nam criminal procedure code support.", "Joint seminar with Nepal experts."],
    "staff-note.md": ["Internal handling of nominations and contacts.", "Do not share the budget figures."],
    "public-japan.md": ["Seminar on complementarity in Tokyo.", "Follow-up meeting in Osaka."],
}
AUDIENCE = {m.doc_id: m.audience for m in DOCS}


def _chunks():
    out = []
    for meta in DOCS:
        blocks = [Block(text, None, f"Part {i}") for i, text in enumerate(TEXTS[meta.doc_id])]
        out += chunk_blocks(meta, blocks, 64, 8)
    return out


CHUNKS = _chunks()
EMBEDDER = HashEmbedder(64)
VECTORS = EMBEDDER.embed([embedding_text(c) for c in CHUNKS])
ALL_IDS = {c.chunk_id for c in CHUNKS}


@pytest.fixture(scope="module")
def shared_chroma_server(tmp_path_factory):
    """One real `chroma run` server for the whole contract class (the same ChromaServer as the
    `chroma_server` fixture, started once: starting one per test would cost ~2 s each)."""
    from conftest import ChromaServer

    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.slow)])
def settings(request, make_settings):
    """Settings for the store under test: embedded Chroma in tmp_path, or the real server.

    On the shared server every test gets collections of its own (a unique prefix), so no test sees
    another's chunks.
    """
    if request.param == "server":
        server = request.getfixturevalue("shared_chroma_server")
        prefix = f"t{uuid.uuid4().hex[:12]}"
        return make_settings(chroma_host="127.0.0.1", chroma_port=server.port, collection_prefix=prefix)
    return make_settings()


def _filled(settings) -> ChromaStore:
    store = ChromaStore(settings)
    store.upsert([c.chunk_id for c in CHUNKS], VECTORS, [c.text for c in CHUNKS], [c.store_metadata() for c in CHUNKS])
    return store


def _query_docs(store, vector, role, filters=None, n=50) -> list[str]:
    return [m["doc_id"] for _, _, _, m in store.query(vector, n, scope_for(role, filters))]


def _assert_same_hits(got, expected) -> None:
    assert [(cid, text, meta) for cid, _, text, meta in got] == [(cid, text, meta) for cid, _, text, meta in expected]
    assert np.allclose([sim for _, sim, _, _ in got], [sim for _, sim, _, _ in expected], atol=1e-5)


class TestStoreContract:
    def test_location_names_the_backend(self, settings):
        store = ChromaStore(settings)
        if settings.chroma_host:
            assert store.location == f"http://127.0.0.1:{settings.chroma_port}"
        else:
            assert store.location.endswith("chroma")

    def test_upsert_count_get_iter_and_delete(self, settings):
        store = _filled(settings)
        assert store.count() == len(CHUNKS)
        assert set(store.ids_for_doc("staff-note.md")) == {c.chunk_id for c in CHUNKS if c.doc_id == "staff-note.md"}
        assert store.ids_for_doc("no-such-doc.md") == []

        rows = list(store.iter_all(page=3))  # several pages
        assert sorted(cid for cid, _, _ in rows) == sorted(ALL_IDS)
        by_id = {c.chunk_id: c for c in CHUNKS}
        for cid, text, meta in rows:
            assert text == by_id[cid].text
            assert meta["doc_id"] == by_id[cid].doc_id
            assert meta["access_rank"] == {"public": 0, "partner": 1, "staff": 2}[meta["audience"]]
        only_ids = list(store.iter_all(page=5, include=()))
        assert sorted(cid for cid, _, _ in only_ids) == sorted(ALL_IDS)

        some = sorted(ALL_IDS)[:3]
        got = store.get(some)
        assert set(got) == set(some) and all(got[c][0] == by_id[c].text for c in some)
        assert store.get([]) == {}
        staff_id = next(c.chunk_id for c in CHUNKS if c.doc_id == "staff-note.md")
        assert store.get([staff_id], scope_for("public")) == {}  # get honours the access clause too

        store.delete_ids(store.ids_for_doc("staff-note.md"))
        assert store.ids_for_doc("staff-note.md") == []
        assert store.count() == len(CHUNKS) - 2
        store.delete_ids(["never-existed#p0-0"])  # deleting an unknown id is not an error
        store.delete_ids([])
        assert store.count() == len(CHUNKS) - 2

    def test_text_and_display_fields_round_trip_through_one_packed_field(self, settings):
        store = _filled(settings)
        chunk = next(c for c in CHUNKS if c.doc_id == "partner-vietnam.md")
        text, meta = store.get([chunk.chunk_id])[chunk.chunk_id]
        assert text == chunk.text and meta == chunk.store_metadata()  # every field back, lists and all
        raw = store.partition(1).get(ids=[chunk.chunk_id], include=["metadatas", "documents"])
        stored = raw["metadatas"][0]
        assert set(stored) == {k for k in FILTER_KEYS if k in meta} | {PAYLOAD_KEY}  # title, page, ... packed
        assert raw["documents"][0] is None  # no full-text indexing of what nothing searches
        assert stored["countries"] == ["Viet Nam", "Nepal"]  # filter fields stay queryable

    def test_upsert_replaces_and_never_duplicates(self, settings):
        store = _filled(settings)
        first = CHUNKS[0]
        store.upsert([first.chunk_id], VECTORS[:1], ["Replaced text."], [first.store_metadata()])
        store.upsert([], np.zeros((0, 64), dtype=np.float32), [], [])
        assert store.count() == len(CHUNKS)
        assert store.get([first.chunk_id])[first.chunk_id][0] == "Replaced text."

    def test_upsert_in_batches(self, settings, monkeypatch):
        store = ChromaStore(settings)
        client = store._connect()
        monkeypatch.setattr(type(client), "get_max_batch_size", lambda self: 3)
        ids = [f"bulk.md#p0-{i}" for i in range(10)]
        vectors = EMBEDDER.embed([f"text number {i}" for i in range(10)])
        meta = CHUNKS[0].store_metadata() | {"doc_id": "bulk.md"}
        store.upsert(ids, vectors, [f"text {i}" for i in range(10)], [meta] * 10)
        assert sorted(store.ids_for_doc("bulk.md")) == sorted(ids)

    def test_query_is_best_first_with_cosine_similarity(self, settings):
        store = _filled(settings)
        assert ChromaStore(settings).count() == len(CHUNKS)
        for i in (0, 3, 6):
            hits = store.query(VECTORS[i], 100, scope_for("staff"))
            assert hits[0][0] == CHUNKS[i].chunk_id
            assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
            scores = [h[1] for h in hits]
            assert scores == sorted(scores, reverse=True)
            assert len(hits) == len(CHUNKS)
        assert len(store.query(VECTORS[0], 2, scope_for("staff"))) == 2

    def test_query_on_an_empty_collection(self, settings):
        assert ChromaStore(settings).query(VECTORS[0], 5, scope_for("staff")) == []

    @pytest.mark.parametrize(
        "role, allowed",
        [("public", {"public"}), ("partner", {"public", "partner"}), ("staff", {"public", "partner", "staff"}),
         ("admin", {"public", "partner", "staff"})],
    )
    def test_access_level_is_enforced_in_the_query(self, settings, role, allowed):
        store = _filled(settings)
        for vector in VECTORS:  # whatever the question is closest to
            docs = _query_docs(store, vector, role)
            assert {AUDIENCE[d] for d in docs} == allowed
        # even the exact vector of a forbidden chunk never brings it back
        for chunk, vector in zip(CHUNKS, VECTORS):
            if chunk.meta.audience not in allowed:
                ids = [h[0] for h in store.query(vector, 50, scope_for(role))]
                assert chunk.chunk_id not in ids

    def test_partner_never_gets_staff_and_public_never_gets_partner(self, settings):
        store = _filled(settings)
        staff_vec = VECTORS[[c.doc_id for c in CHUNKS].index("staff-note.md")]
        partner_vec = VECTORS[[c.doc_id for c in CHUNKS].index("partner-vietnam.md")]
        assert "staff-note.md" not in _query_docs(store, staff_vec, "partner")
        assert "partner-vietnam.md" not in _query_docs(store, partner_vec, "public")
        assert "staff-note.md" not in _query_docs(store, staff_vec, "public")
        assert _query_docs(store, staff_vec, "staff", n=1) == ["staff-note.md"]

    def test_unknown_role_is_refused(self):
        with pytest.raises(ValueError, match="unknown role"):
            scope_for("guest")

    @pytest.mark.parametrize(
        "role, filters, expected",
        [
            ("staff", Filters(country="Nepal"), {"public-nepal.md", "partner-vietnam.md"}),
            ("public", Filters(country="Nepal"), {"public-nepal.md"}),
            ("staff", Filters(country="Viet Nam"), {"partner-vietnam.md"}),
            ("staff", Filters(country="Japan"), {"public-japan.md"}),
            ("staff", Filters(country="France"), set()),
            ("staff", Filters(year=2010), {"public-japan.md"}),
            ("staff", Filters(year=2014), {"partner-vietnam.md"}),
            ("public", Filters(year=2014), set()),
            ("staff", Filters(year=1999), set()),
            ("staff", Filters(doc_type="programme_description"), {"public-nepal.md", "partner-vietnam.md"}),
            ("staff", Filters(region="Southeast Asia"), {"partner-vietnam.md"}),
            ("staff", Filters(programme="nepal-reform"), {"public-nepal.md"}),
            ("staff", Filters(country="Nepal", year=2013), {"public-nepal.md"}),
            ("staff", Filters.from_dict({"country": "Any", "year": "2009"}), {"public-japan.md"}),
            ("staff", Filters(), {"public-nepal.md", "partner-vietnam.md", "staff-note.md", "public-japan.md"}),
        ],
    )
    def test_metadata_filters(self, settings, role, filters, expected, tmp_path):
        store = _filled(settings)
        keyword = rebuild_keyword_index(store, tmp_path / "kw", "s1")
        by_ids = Scope(scope_for(role, filters).max_rank, scope_for(role, filters).where, ids=keyword.ids_by_rank(role, filters))
        for vector in (VECTORS[0], VECTORS[-1]):
            assert set(_query_docs(store, vector, role, filters)) == expected
            # the same filter as id sets from the keyword index's columns (few ids: an exact search over
            # their stored vectors): the same chunks in the same order, similarities equal to rounding
            _assert_same_hits(store.query(vector, 50, by_ids), store.query(vector, 50, scope_for(role, filters)))

    def test_a_stale_id_in_the_scope_falls_back_to_where(self, settings, tmp_path, monkeypatch):
        store = _filled(settings)
        filters = Filters(country="Nepal")
        ids = rebuild_keyword_index(store, tmp_path / "kw", "s1").ids_by_rank("staff", filters)
        store.delete_ids([ids[0][0]])  # the store moved on; the keyword index has not been rebuilt yet
        scope = Scope(2, scope_for("staff", filters).where, ids=ids)
        monkeypatch.setattr(store_module, "EXACT_SEARCH_MAX_IDS", 0)  # Chroma's id-restricted query
        got = store.query(VECTORS[0], 50, scope)
        _assert_same_hits(got, store.query(VECTORS[0], 50, scope_for("staff", filters)))
        assert {m["doc_id"] for *_, m in got} == {"public-nepal.md", "partner-vietnam.md"}

    def test_large_id_sets_use_chromas_id_restricted_query(self, settings, tmp_path, monkeypatch):
        store = _filled(settings)
        monkeypatch.setattr(store_module, "EXACT_SEARCH_MAX_IDS", 0)
        for filters in (Filters(country="Nepal"), Filters(doc_type="programme_description"), Filters(year=2010)):
            ids = rebuild_keyword_index(store, tmp_path / "kw", "s1").ids_by_rank("staff", filters)
            scope = Scope(2, scope_for("staff", filters).where, ids=ids)
            _assert_same_hits(store.query(VECTORS[1], 50, scope), store.query(VECTORS[1], 50, scope_for("staff", filters)))

    def test_collections_of_other_settings_do_not_mix(self, settings, make_settings):
        store = _filled(settings)
        other = ChromaStore(settings.model_copy(update={"chunk_size": 300}))
        assert other.settings.collection_name != settings.collection_name
        assert other.count() == 0
        assert other.query(VECTORS[0], 5, scope_for("staff")) == []
        assert store.count() == len(CHUNKS)

    def test_full_sync_of_a_folder(self, settings, tmp_path):
        root = tmp_path / "docs"
        df.make_pdf(root / "report.pdf", 3)
        df.make_markdown(root / "guide.md")
        df.make_html(root / "page.html")
        df.write_catalogue(root, {"guide.md": {"title": "Guide", "audience": "public", "countries": ["Nepal"]}})
        first = sync([root], settings)
        assert first.status == "ok" and first.count("added") == 3
        state = df.IndexState(settings).assert_consistent()
        assert state.doc_ids_in_store() == {"report.pdf", "guide.md", "page.html"}
        store = ChromaStore(settings)
        vector = EMBEDDER.embed(["guide"])[0]
        assert set(_query_docs(store, vector, "public")) == {"guide.md"}  # the others default to staff
        assert set(_query_docs(store, vector, "staff", Filters(country="Nepal"))) == {"guide.md"}

        assert sync([root], settings).count("unchanged") == 3
        (root / "page.html").unlink()
        df.make_pdf(root / "report.pdf", 2)
        second = sync([root], settings)
        assert {f.doc_id: f.status for f in second.files if f.status != "unchanged"} == {
            "page.html": "removed", "report.pdf": "updated"}
        state = df.IndexState(settings).assert_consistent()
        assert state.doc_ids_in_store() == {"report.pdf", "guide.md"}
        assert not [c for c in state.store_ids if "#p3-" in c]


def test_unreachable_server_gives_store_unavailable(make_settings):
    from conftest import free_port

    store = ChromaStore(make_settings(chroma_host="127.0.0.1", chroma_port=free_port()))
    with pytest.raises(StoreUnavailableError, match="127.0.0.1"):
        store.count()


@pytest.mark.slow
def test_server_restart_is_survived_after_reconnect(chroma_server, make_settings):
    settings = make_settings(chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    store = _filled(settings)
    chroma_server.stop()
    with pytest.raises(StoreUnavailableError, match="not answering|cannot reach"):
        store.count()
    chroma_server.start()
    assert store.count() == len(CHUNKS)  # data kept on the server's disk, client reconnected
