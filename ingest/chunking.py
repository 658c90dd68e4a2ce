"""Blocks in, chunks out: llama-index's sentence splitter, with stable ids."""

from __future__ import annotations

from functools import lru_cache

from assistant.types import Block, Chunk, DocMeta


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int):
    from llama_index.core.node_parser import SentenceSplitter

    from assistant.text import sentence_pieces

    # our sentence rule instead of llama-index's default (nltk's punkt, whose import takes ~2 s)
    return SentenceSplitter(
        chunk_size=size, chunk_overlap=min(overlap, size // 2), chunking_tokenizer_fn=sentence_pieces
    )


def chunk_id(doc_id: str, page: int | None, position: int) -> str:
    """Stable id from the document id, page and position (same input, same id)."""
    return f"{doc_id}#p{page or 0}-{position}"


def document_context(blocks: list[Block]) -> str:
    """Document-level context from the first page or section: the organisation and the period
    it reports on ("AMAZON.COM, INC.; quarterly period ended March 31, 2023"), or ""."""
    from assistant.query import first_page_context

    return first_page_context(blocks[0].text) if blocks else ""


def chunk_blocks(meta: DocMeta, blocks: list[Block], size: int, overlap: int) -> list[Chunk]:
    """Split each block; chunks never straddle pages or sections, so citations stay exact."""
    splitter = _splitter(size, overlap)
    context = document_context(blocks)
    chunks: list[Chunk] = []
    per_page: dict[int, int] = {}
    for block in blocks:
        for piece in splitter.split_text(block.text):
            piece = piece.strip()
            if not piece:
                continue
            key = block.page or 0
            pos = per_page.get(key, 0)
            per_page[key] = pos + 1
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(meta.doc_id, block.page, pos),
                    doc_id=meta.doc_id,
                    text=piece,
                    page=block.page,
                    section=block.section,
                    position=len(chunks),
                    meta=meta,
                    context=context,
                )
            )
    return chunks


def embedding_text(chunk: Chunk) -> str:
    """What the encoder reads: a short header of document-level context (title, file name,
    organisation, period, programme, countries, section; see :func:`assistant.query.context_header`)
    before the chunk's text. BM25 reads the same header (:func:`assistant.keyword.indexed_text`)."""
    from assistant.query import context_header

    return f"{context_header(chunk.store_metadata())}\n{chunk.text}"
