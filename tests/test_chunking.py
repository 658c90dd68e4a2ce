"""Chunking: stable unique ids, no chunk across pages or sections, size and overlap respected."""

from __future__ import annotations

import random
from pathlib import Path

import docfactory as df
import pytest

from assistant.types import Block, DocMeta
from ingest.chunking import _splitter, chunk_blocks, chunk_id, embedding_text
from ingest.loaders import load


def _tokens(text: str) -> int:
    from llama_index.core.utils import get_tokenizer

    return len(get_tokenizer()(text))


def _sentences(seed: int, n: int) -> list[str]:
    """Distinct sentences (each names its own number, so no two are equal)."""
    rng = random.Random(seed)
    vocab = "court judge prison police training seminar partner reform evidence witness victim budget".split()
    return [f"Item {seed}x{i} says the {' '.join(rng.sample(vocab, 5))} matter." for i in range(n)]


def _meta(doc_id: str = "folder/doc.pdf") -> DocMeta:
    return DocMeta(doc_id=doc_id, title="A test document")


@pytest.fixture(scope="module")
def three_page_pdf(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("chunking")
    pages = [df.default_page_text(n, sentences=14) for n in (1, 2, 3)]
    return df.make_pdf(folder / "long.pdf", pages)


def test_ids_are_unique_and_follow_page_and_position(three_page_pdf):
    blocks = load(three_page_pdf)
    chunks = chunk_blocks(_meta(), blocks, size=64, overlap=16)
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    assert {c.page for c in chunks} == {1, 2, 3}
    for page in (1, 2, 3):
        on_page = [c for c in chunks if c.page == page]
        assert len(on_page) >= 2  # long enough pages, or this test checks nothing
        assert [c.chunk_id for c in on_page] == [chunk_id("folder/doc.pdf", page, i) for i in range(len(on_page))]
    assert [c.position for c in chunks] == list(range(len(chunks)))


def test_ids_are_stable_across_runs(three_page_pdf):
    first = chunk_blocks(_meta(), load(three_page_pdf), size=64, overlap=16)
    _splitter.cache_clear()
    second = chunk_blocks(_meta(), load(three_page_pdf), size=64, overlap=16)
    assert [(c.chunk_id, c.text) for c in first] == [(c.chunk_id, c.text) for c in second]


def test_chunks_never_straddle_pages(three_page_pdf):
    blocks = load(three_page_pdf)
    page_text = {b.page: " ".join(b.text.split()) for b in blocks}
    for chunk in chunk_blocks(_meta(), blocks, size=64, overlap=16):
        flat = " ".join(chunk.text.split())
        assert flat in page_text[chunk.page]
        others = [n for n in (1, 2, 3) if n != chunk.page]
        assert not any(df.page_marker(n) in chunk.text for n in others)
        # every sentence of the chunk is found on its own page and no other
        for other in others:
            assert flat not in page_text[other]


def test_pages_before_an_edit_keep_their_ids(tmp_path):
    """A PDF that loses its last page: pages 1-2 keep their ids, page 3's ids are gone."""
    pages = [df.default_page_text(n, sentences=10) for n in (1, 2, 3)]
    three = chunk_blocks(_meta(), load(df.make_pdf(tmp_path / "a.pdf", pages)), 64, 16)
    two = chunk_blocks(_meta(), load(df.make_pdf(tmp_path / "b.pdf", pages[:2])), 64, 16)
    old = {c.chunk_id: c.text for c in three if c.page in (1, 2)}
    assert {c.chunk_id: c.text for c in two} == old
    assert not {c.chunk_id for c in two} & {c.chunk_id for c in three if c.page == 3}


def test_chunks_never_straddle_sections():
    blocks = [Block(" ".join(_sentences(s, 12)), None, f"Section {s}") for s in range(3)]
    chunks = chunk_blocks(_meta("note.md"), blocks, size=48, overlap=12)
    assert len(chunks) > 3
    for chunk in chunks:
        owner = next(b for b in blocks if b.section == chunk.section)
        assert " ".join(chunk.text.split()) in owner.text
    ids = [c.chunk_id for c in chunks]
    assert len(set(ids)) == len(ids)
    assert all(c.page is None and "#p0-" in c.chunk_id for c in chunks)


@pytest.mark.parametrize("size", [48, 96, 200])
def test_chunk_size_is_respected(size):
    block = Block(" ".join(_sentences(7, 80)), 1, "")
    chunks = chunk_blocks(_meta(), [block], size=size, overlap=size // 6)
    assert len(chunks) > 1
    counts = [_tokens(c.text) for c in chunks]
    assert max(counts) <= size + 4
    assert sum(counts) / len(counts) >= size * 0.5  # not needlessly tiny either
    assert all(len(c.text) >= 20 for c in chunks)


def test_overlap_repeats_text_between_neighbours():
    sentences = _sentences(3, 60)
    block = Block(" ".join(sentences), 1, "")
    with_overlap = chunk_blocks(_meta(), [block], size=64, overlap=24)
    without = chunk_blocks(_meta(), [block], size=64, overlap=0)

    def shared(chunks):
        pairs = list(zip(chunks, chunks[1:]))
        return sum(1 for a, b in pairs if b.text.split(". ")[0] in a.text), len(pairs)

    n_shared, n_pairs = shared(with_overlap)
    assert n_pairs > 3 and n_shared >= n_pairs - 1  # neighbours share their boundary sentence
    assert shared(without)[0] == 0
    assert len(with_overlap) > len(without)
    # all the text is covered either way: every sentence is in some chunk
    for chunks in (with_overlap, without):
        joined = " ".join(c.text for c in chunks)
        assert all(s in joined for s in sentences)


def test_overlap_larger_than_half_the_size_is_capped():
    block = Block(" ".join(_sentences(5, 40)), 1, "")
    chunks = chunk_blocks(_meta(), [block], size=64, overlap=500)  # would loop or explode if not capped
    assert 1 < len(chunks) < 40


def test_empty_and_blank_blocks_give_no_chunks():
    assert chunk_blocks(_meta(), [Block("   \n ", 1, "")], 64, 8) == []


def test_embedding_text_carries_title_file_name_and_section():
    # the header now also names the file (its words that the title lacks): "doc" of folder/doc.pdf
    block = Block("The body of the section.", 2, "Eligibility")
    chunk = chunk_blocks(_meta(), [block], 64, 8)[0]
    assert embedding_text(chunk) == "A test document - doc - Eligibility\nThe body of the section."
    same = chunk_blocks(_meta(), [Block("Body.", 1, "A test document")], 64, 8)[0]
    assert embedding_text(same) == "A test document - doc\nBody."
    assert chunk.text == "The body of the section."  # the stored display text stays clean


def test_document_context_from_the_first_page_reaches_every_chunk():
    blocks = [Block("FORM 10-Q For the quarterly period ended March 31, 2023 AMAZON.COM, INC. (Exact name of registrant)", 1, ""),
              Block("Total net sales increased 9%.", 2, "Results of Operations")]
    chunks = chunk_blocks(DocMeta(doc_id="2023 Q1 AMZN.pdf", title="2023 Q1 AMZN"), blocks, 64, 8)
    last = chunks[-1]
    assert last.context == "AMAZON.COM, INC; quarterly period ended March 31, 2023"
    assert last.store_metadata()["doc_context"] == last.context
    head = embedding_text(last).split("\n")[0]
    assert "AMAZON.COM" in head and "March 31, 2023" in head and "Results of Operations" in head
    from assistant.keyword import indexed_text

    assert indexed_text(last.text, last.store_metadata()).startswith(head)  # BM25 reads the same header


def test_store_metadata_is_flat_and_has_access_rank():
    meta = DocMeta(doc_id="d.md", title="T", countries=("Nepal",), years=(2013,), audience="partner")
    chunk = chunk_blocks(meta, [Block("Some text here.", None, "S")], 64, 8)[0]
    data = chunk.store_metadata()
    assert data["access_rank"] == 1 and data["countries"] == ["Nepal"] and data["years"] == [2013]
    assert all(isinstance(v, str | int | float | bool | list) for v in data.values())
    no_lists = chunk_blocks(DocMeta(doc_id="e.md", title="T"), [Block("Text.", None, "")], 64, 8)[0]
    assert "countries" not in no_lists.store_metadata() and "years" not in no_lists.store_metadata()
