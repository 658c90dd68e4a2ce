"""The plain llama-index pipeline every figure is compared with.

What a developer would write with llama-index alone: pypdf pages / plain text
into ``Document`` objects, ``VectorStoreIndex.from_documents`` over a
``ChromaVectorStore`` (a ``PersistentClient`` or ``HttpClient``) with
``HuggingFaceEmbedding`` on the packaged model folder and the same
``SentenceSplitter`` chunk size, and ``index.as_retriever(similarity_top_k=6)``.
The embedding model is always passed explicitly: nothing may fall back to the
global ``Settings.embed_model`` (which would try OpenAI).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ingest.loaders import SUPPORTED
from ingest.metadata import is_metadata_file

COLLECTION = "baseline_llamaindex"


def model_path() -> str:
    from assistant.embedding import packaged_model_path

    return str(packaged_model_path())


def embed_model(batch_size: int = 64):
    """``HuggingFaceEmbedding`` on the packaged all-MiniLM-L6-v2 folder (loaded now)."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=model_path(), device="cpu", embed_batch_size=batch_size)


def zero_cost_embed_model(dim: int = 384):
    """A llama-index embedding that costs (almost) nothing: seeded random unit vectors."""
    import random

    from llama_index.core.embeddings import MockEmbedding

    class RandomEmbedding(MockEmbedding):
        def _get_vector(self) -> list[float]:
            v = [random.gauss(0.0, 1.0) for _ in range(self.embed_dim)]
            norm = sum(x * x for x in v) ** 0.5
            return [x / norm for x in v]

    random.seed(0)
    return RandomEmbedding(embed_dim=dim)


def _read_plain(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(text, metadata) per llama-index Document: a PDF page each, else the whole file as text."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        return [
            (page.extract_text() or "", {"file_name": path.name, "page_label": str(i)})
            for i, page in enumerate(reader.pages, start=1)
        ]
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        return [("\n\n".join(p.text for p in document.paragraphs if p.text.strip()), {"file_name": path.name})]
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
        return [(soup.get_text("\n", strip=True), {"file_name": path.name})]
    return [(path.read_text(encoding="utf-8", errors="replace"), {"file_name": path.name})]


def load_documents(folder: Path, skipped: list[str] | None = None) -> list:
    """Every supported file under ``folder`` as llama-index ``Document`` objects (unreadable ones are
    left out and named in ``skipped``)."""
    skipped = [] if skipped is None else skipped
    from llama_index.core import Document

    docs = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in SUPPORTED or is_metadata_file(path):
            continue
        try:
            parts = _read_plain(path)
        except Exception as exc:  # noqa: BLE001 - a file the plain readers cannot open is skipped, as ours skips it
            skipped.append(f"{path.name}: {type(exc).__name__}")
            continue
        for text, meta in parts:
            if text.strip():
                docs.append(Document(text=text, metadata=meta))
    return docs


def _check_no_global_embed_model() -> None:
    from llama_index.core import Settings

    if getattr(Settings, "_embed_model", None) is not None:
        raise RuntimeError("the llama-index global Settings.embed_model was resolved; pass embed_model explicitly")


def ingest(folder: Path, chroma_dir: Path, model, chunk_size: int, overlap: int) -> dict[str, Any]:
    """Index ``folder`` from scratch; seconds (loading included, model load excluded) and chunk count."""
    import chromadb
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    started = time.perf_counter()
    client = chromadb.PersistentClient(path=str(chroma_dir), settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(COLLECTION, embedding_function=None)
    docs = load_documents(folder)
    store = ChromaVectorStore(chroma_collection=collection)
    VectorStoreIndex.from_documents(
        docs,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=model,
        transformations=[SentenceSplitter(chunk_size=chunk_size, chunk_overlap=overlap)],
        show_progress=False,
    )
    seconds = time.perf_counter() - started
    _check_no_global_embed_model()
    return {"seconds": seconds, "chunks": collection.count(), "documents": len(docs)}


def add_synthetic(collection, chunks: list, vectors: np.ndarray) -> float:
    """Write pre-embedded synthetic chunks the llama-index way (``ChromaVectorStore.add`` of ``TextNode``s)."""
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    started = time.perf_counter()
    store = ChromaVectorStore(chroma_collection=collection)
    for start in range(0, len(chunks), 5000):
        part = chunks[start : start + 5000]
        nodes = [
            TextNode(
                id_=c.chunk_id,
                text=c.text,
                metadata={"file_name": c.doc_id, "title": c.meta.title},
                embedding=vec.tolist(),
            )
            for c, vec in zip(part, vectors[start : start + 5000])
        ]
        store.add(nodes)
    return time.perf_counter() - started


def retriever(collection, model, top_k: int = 6):
    """``VectorStoreIndex.from_vector_store(...).as_retriever(similarity_top_k=top_k)``."""
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=collection), embed_model=model)
    _check_no_global_embed_model()
    return index.as_retriever(similarity_top_k=top_k)


def client(chroma_dir: Path | None = None, host: str | None = None, port: int | None = None):
    import chromadb

    settings = chromadb.Settings(anonymized_telemetry=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=settings)
    return chromadb.PersistentClient(path=str(chroma_dir), settings=settings)
