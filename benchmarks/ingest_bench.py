"""Ingestion throughput and re-ingestion, on the same documents for every variant.

The documents are the sample corpus, replicated ``copies`` times into a temporary
folder with distinct text per copy (a sentence "Benchmark copy K." appended to
every paragraph, and " (copy K)" to every title), so the embedding cache cannot
hide any work. PDF and DOCX copies are rebuilt from ``corpus-src/`` with the
project's own ``scripts/build_corpus.py``. With ``copies == 1`` the corpus is
used as it is.

Variants, each timed from the first file read to the last vector stored, with the
model already loaded (model load is reported apart):

(a) raw encoder: ``SentenceTransformer.encode`` of exactly the texts our pipeline
    embeds (chunked beforehand, untimed), same batch size: the ceiling;
(b) ours: ``ingest.pipeline.sync`` into a fresh index folder (empty cache);
(c) plain llama-index: see :mod:`benchmarks.baseline`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import CORPUS, ROOT, log

TAG_MIN_WORDS = 6


# --------------------------------------------------------------------------- the documents
def corpus_files(limit: int | None = None) -> list[Path]:
    """Supported files of the sample corpus (relative paths); ``limit`` picks round-robin by format."""
    from ingest.loaders import SUPPORTED
    from ingest.metadata import is_metadata_file

    files = sorted(
        p.relative_to(CORPUS)
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED and not is_metadata_file(p)
    )
    if limit is None or limit >= len(files):
        return files
    by_suffix: dict[str, list[Path]] = {}
    for f in files:
        by_suffix.setdefault(f.suffix.lower(), []).append(f)
    picked: list[Path] = []
    while len(picked) < limit:
        for group in by_suffix.values():
            if group and len(picked) < limit:
                picked.append(group.pop(0))
    return sorted(picked)


def _build_corpus_module():
    spec = importlib.util.spec_from_file_location("_bench_build_corpus", ROOT / "scripts" / "build_corpus.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _tag_paragraphs(text: str, tag: str) -> str:
    parts = text.split("\n\n")
    out = []
    for i, part in enumerate(parts):
        stripped = part.rstrip()
        if (
            len(stripped.split()) >= TAG_MIN_WORDS
            and not stripped.lstrip().startswith(("#", "---"))
            and not (i == 0 and text.startswith("---\n"))
        ):
            part = stripped + " " + tag + part[len(stripped) :]
        out.append(part)
    return "\n\n".join(out)


def _write_copy(src: Path, dest: Path, copy: int, builder) -> bool:
    """Write ``src`` to ``dest`` with every paragraph tagged; False when it had to be copied as is."""
    tag = f"Benchmark copy {copy}."
    suffix = src.suffix.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".md", ".markdown", ".txt"):
        dest.write_text(_tag_paragraphs(src.read_text(encoding="utf-8"), tag), encoding="utf-8")
        return True
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(src.read_text(encoding="utf-8"), "html.parser")
        for el in soup.find_all(["p", "li", "td"]):
            if len(el.get_text(" ", strip=True).split()) >= TAG_MIN_WORDS:
                el.append(" " + tag)
        title = soup.find("h1")
        if title is not None:
            title.append(f" (copy {copy})")
        dest.write_text(str(soup), encoding="utf-8")
        return True
    source = ROOT / "corpus-src" / src.relative_to(CORPUS).parent / (src.name + ".txt")
    if suffix in (".pdf", ".docx") and source.is_file():
        parsed = builder.parse_source(source)
        parsed.title = f"{parsed.title} (copy {copy})"
        for block in parsed.blocks:
            if block.kind == "para" and len(block.text.split()) >= TAG_MIN_WORDS:
                block.text = f"{block.text} {tag}"
            elif block.kind == "bullets":
                block.items = [f"{i} {tag}" if len(i.split()) >= TAG_MIN_WORDS else i for i in block.items]
        (builder.build_pdf if suffix == ".pdf" else builder.build_docx)(parsed, dest)
        return True
    shutil.copy2(src, dest)
    return False


def make_corpus(dest: Path, copies: int, limit: int | None = None) -> dict[str, Any]:
    """Write the benchmark documents under ``dest`` (with a catalogue.yaml); returns what was written."""
    files = corpus_files(limit)
    catalogue = (yaml.safe_load((CORPUS / "catalogue.yaml").read_text(encoding="utf-8")) or {}).get("documents", {})
    dest.mkdir(parents=True, exist_ok=True)
    entries: dict[str, Any] = {}
    not_distinct = 0
    if copies <= 1:
        for rel in files:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(CORPUS / rel, dest / rel)
            if rel.as_posix() in catalogue:
                entries[rel.as_posix()] = catalogue[rel.as_posix()]
    else:
        builder = _build_corpus_module()
        for copy in range(copies):
            for rel in files:
                target = Path(f"copy-{copy:03d}") / rel
                if not _write_copy(CORPUS / rel, dest / target, copy, builder):
                    not_distinct += 1
                entry = dict(catalogue.get(rel.as_posix()) or {})
                if entry.get("title"):
                    entry["title"] = f"{entry['title']} (copy {copy})"
                entries[target.as_posix()] = entry
    (dest / "catalogue.yaml").write_text(yaml.safe_dump({"documents": entries}, sort_keys=True), encoding="utf-8")
    return {"files": len(files) * max(copies, 1), "copies": copies, "copied_unchanged": not_distinct}


# --------------------------------------------------------------------------- instrumentation
class ZeroCostEmbedder:
    """Random unit vectors at the model's dimension: the pipeline's own cost without any encoder work."""

    name = "bench-zero-cost-384"
    dim = 384

    def __init__(self) -> None:
        import numpy as np

        self._rng = np.random.default_rng(0)

    def embed(self, texts):
        import numpy as np

        out = self._rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class TimedEmbedder:
    """Delegates to an embedder and adds up the seconds spent in it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self.texts = 0
        self.calls = 0

    def embed(self, texts):
        return self._timed(self.inner.embed, texts)

    def embed_query(self, texts):
        """Questions through the inner embedder's own query reading (e5's "query: "), timed too."""
        from assistant.embedding import embed_queries

        return self._timed(lambda t: embed_queries(self.inner, t), texts)

    def _timed(self, fn, texts):
        started = time.perf_counter()
        try:
            return fn(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)
            self.calls += 1


def timed_store(settings):
    """A ChromaStore that adds up the seconds spent in writes and per-document id look-ups."""
    from assistant.store import ChromaStore

    class TimedStore(ChromaStore):
        def __init__(self, s) -> None:
            super().__init__(s)
            self.seconds = {"upsert": 0.0, "ids_for_doc": 0.0, "delete": 0.0}

        def _timed(self, key, fn, *args):
            started = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.seconds[key] += time.perf_counter() - started

        def upsert(self, *args):
            return self._timed("upsert", super().upsert, *args)

        def ids_for_doc(self, doc_id):
            return self._timed("ids_for_doc", super().ids_for_doc, doc_id)

        def delete_ids(self, ids, ranks=None):
            return self._timed("delete", super().delete_ids, ids, ranks)

    return TimedStore(settings)


@contextlib.contextmanager
def timed_manifest_saves() -> Iterator[dict[str, float]]:
    """Add up time spent in ``Manifest.save`` (it rewrites and fsyncs the whole manifest)."""
    from assistant.store import Manifest

    spent = {"seconds": 0.0, "calls": 0}
    original = Manifest.save

    def save(self, settings):
        started = time.perf_counter()
        try:
            return original(self, settings)
        finally:
            spent["seconds"] += time.perf_counter() - started
            spent["calls"] += 1

    Manifest.save = save
    try:
        yield spent
    finally:
        Manifest.save = original


# --------------------------------------------------------------------------- variants
def chunk_texts(folder: Path, settings) -> list[str]:
    """Exactly the texts our pipeline hands the encoder for ``folder`` (same loaders and splitter)."""
    from assistant.store import Manifest
    from ingest.chunking import chunk_blocks, embedding_text
    from ingest.loaders import load
    from ingest.pipeline import SyncReport, plan

    planned, _ = plan([folder], settings, Manifest(settings.index_settings_hash, settings.collection_name), SyncReport())
    texts = []
    for item in planned:
        blocks = load(item.path, settings.max_file_mb)
        texts.extend(embedding_text(c) for c in chunk_blocks(item.meta, blocks, settings.chunk_size, settings.chunk_overlap))
    return texts


def run_raw(model, texts: list[str], batch_size: int) -> dict[str, Any]:
    cpu = time.process_time()
    started = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu_s": time.process_time() - cpu, "chunks": len(texts)}


def run_encoder(embedder, texts: list[str]) -> dict[str, Any]:
    """Our encoder alone (``Embedder.embed``) on the same texts: how it compares with row (a)."""
    cpu = time.process_time()
    started = time.perf_counter()
    embedder.embed(texts)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu_s": time.process_time() - cpu, "chunks": len(texts)}


def run_ours(folder: Path, index_dir: Path, embedder, settings_kwargs: dict, companion=None) -> dict[str, Any]:
    from assistant.settings import Settings
    from ingest.pipeline import sync

    settings = Settings(index_dir=index_dir, **settings_kwargs)
    timed = TimedEmbedder(embedder)
    store = timed_store(settings)
    marks: dict[str, float] = {}

    def progress(event: str, data: dict) -> None:
        if event == "keyword":
            marks["keyword"] = time.perf_counter()

    with timed_manifest_saves() as saves:
        cpu = time.process_time()
        started = time.perf_counter()
        report = sync([folder], settings, embedder=timed, store=store, progress=progress, companion_embedder=companion)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    if report.status != "ok":
        raise RuntimeError(f"our ingestion did not succeed: {report.to_dict()}")
    keyword = seconds - (marks["keyword"] - started) if "keyword" in marks else 0.0
    phases = {
        "encode_s": timed.seconds,
        "store_upsert_s": store.seconds["upsert"],
        "store_ids_for_doc_s": store.seconds["ids_for_doc"],
        "manifest_save_s": saves["seconds"],
        "manifest_saves": saves["calls"],
        "keyword_rebuild_s": keyword,
    }
    accounted = sum(v for k, v in phases.items() if k.endswith("_s") and k != "store_upsert_s")  # upserts overlap
    phases["load_chunk_cache_other_s"] = max(0.0, seconds - accounted)
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "chunks": report.chunks_written,
        "embedded": report.chunks_embedded,
        "cache_hits": report.cache_hits,
        "encode_calls": timed.calls,
        "phases": phases,
        "settings": settings,
    }


def run_llamaindex(folder: Path, chroma_dir: Path, model, chunk_size: int, overlap: int) -> dict[str, Any]:
    from benchmarks import baseline

    cpu = time.process_time()
    out = baseline.ingest(folder, chroma_dir, model, chunk_size, overlap)
    return {**out, "cpu_s": time.process_time() - cpu}


def _change_files(folder: Path, count: int, revision: int) -> list[str]:
    """Append a new paragraph to ``count`` text files (Markdown first); returns their paths."""
    candidates = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".md", ".txt") and p.is_file())
    candidates += sorted(p for p in folder.rglob("*.html"))
    changed = []
    for path in candidates[:count]:
        text = path.read_text(encoding="utf-8")
        para = (
            f"Re-ingestion benchmark revision {revision}: this added paragraph changes the file, so its "
            "changed chunks are embedded again while unchanged chunks come from the embedding cache."
        )
        if path.suffix.lower() == ".html":
            text = text.replace("</body>", f"<p>{para}</p></body>")
        else:
            text = text.rstrip() + "\n\n" + para + "\n"
        path.write_text(text, encoding="utf-8")
        changed.append(str(path.relative_to(folder)))
    return changed


# --------------------------------------------------------------------------- the benchmark
def run(workdir: Path, copies: int, repeat: int, limit: int | None, embedder, st_model, hf_model) -> dict[str, Any]:
    """All ingestion figures. ``st_model``: sentence-transformers (the raw row); ``embedder``: ours, the
    same weights (on :mod:`assistant.bert`); ``hf_model``: llama-index's. All loaded, all fp32."""
    from assistant.settings import Settings

    # one encoder per row: the multilingual index beside the main one is its own row (b3, ours with e5 alone)
    settings_kwargs = {"audit_log": None, "feedback_db": workdir / "feedback.sqlite", "multilingual_model": "off"}
    base = Settings(index_dir=workdir / "scratch-index", **settings_kwargs)
    folder = workdir / "docs"
    started = time.perf_counter()
    corpus = make_corpus(folder, copies, limit)
    corpus["make_s"] = time.perf_counter() - started
    texts = chunk_texts(folder, base)
    log(f"ingestion corpus: {corpus['files']} files, {len(texts)} chunks ({corpus['make_s']:.1f}s to write)")

    # One warm-up pass per encoder so first-call set-up is not charged to whichever variant runs first.
    st_model.encode(texts[:8], batch_size=base.embed_batch_size, show_progress_bar=False)
    hf_model.get_text_embedding_batch(texts[:8])

    embedder.embed(texts[:8])
    # The default encoder (int8 weights, ONNX Runtime): alone and in our pipeline, against the same rows.
    from assistant.embedding import SentenceTransformerEmbedder

    int8 = SentenceTransformerEmbedder(batch_size=base.embed_batch_size, int8=True, cache_dir=workdir / "models")
    int8.embed(texts[:8])
    # The multilingual encoder (multilingual-e5-small, int8 on ONNX Runtime, assistant.e5): alone and in our pipeline.
    from assistant.embedding import E5Embedder

    e5 = E5Embedder(batch_size=base.embed_batch_size, int8=True, cache_dir=workdir / "models")
    e5.embed(texts[:8])
    samples: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("raw", "encoder", "ours", "llamaindex", "encoder_int8", "ours_int8", "encoder_e5", "ours_e5",
                        "ours_default")
    }
    last_ours = None
    order = ["raw", "ours", "llamaindex", "encoder", "encoder_int8", "ours_int8", "encoder_e5", "ours_e5", "ours_default"]
    for r in range(repeat):
        # Rotate the order each round, so a burst of outside load does not always hit the same variant.
        for variant in order[r % len(order) :] + order[: r % len(order)]:
            if variant == "raw":
                samples["raw"].append(run_raw(st_model, texts, base.embed_batch_size))
            elif variant == "encoder":
                samples["encoder"].append(run_encoder(embedder, texts))
            elif variant == "encoder_int8":
                samples["encoder_int8"].append(run_encoder(int8, texts))
            elif variant in ("ours_int8", "ours_e5"):
                extra = {"embed_model": "multilingual-e5-small"} if variant == "ours_e5" else {}
                got = run_ours(folder, workdir / f"{variant}-{r}", int8 if variant == "ours_int8" else e5,
                               {**settings_kwargs, **extra})
                shutil.rmtree(got.pop("settings").index_dir, ignore_errors=True)
                samples[variant].append(got)
            elif variant == "ours_default":  # the defaults: int8 MiniLM, and the multilingual index beside it
                got = run_ours(folder, workdir / f"{variant}-{r}", int8,
                               {**settings_kwargs, "multilingual_model": "multilingual-e5-small"}, companion=e5)
                shutil.rmtree(got.pop("settings").index_dir, ignore_errors=True)
                samples[variant].append(got)
            elif variant == "encoder_e5":
                samples["encoder_e5"].append(run_encoder(e5, texts))
            elif variant == "ours":
                if last_ours is not None:
                    shutil.rmtree(last_ours.index_dir, ignore_errors=True)
                ours = run_ours(folder, workdir / f"ours-{r}", embedder, settings_kwargs)
                last_ours = ours.pop("settings")
                samples["ours"].append(ours)
            else:
                samples["llamaindex"].append(
                    run_llamaindex(folder, workdir / f"llamaindex-{r}", hf_model, base.chunk_size, base.chunk_overlap)
                )
                shutil.rmtree(workdir / f"llamaindex-{r}", ignore_errors=True)
            log(f"  {variant} #{r + 1}: {samples[variant][-1]['seconds']:.1f}s")

    # The pipelines alone: the same runs with the encoder swapped for a zero-cost fake (low-noise overhead figure).
    from benchmarks.baseline import zero_cost_embed_model

    fake_ours = run_ours(folder, workdir / "ours-fake", ZeroCostEmbedder(), settings_kwargs)
    fake_ours.pop("settings")
    shutil.rmtree(workdir / "ours-fake", ignore_errors=True)
    fake_plain = run_llamaindex(
        folder, workdir / "llamaindex-fake", zero_cost_embed_model(), base.chunk_size, base.chunk_overlap
    )
    shutil.rmtree(workdir / "llamaindex-fake", ignore_errors=True)
    log(f"  zero-cost encoder: ours {fake_ours['seconds']:.1f}s, plain {fake_plain['seconds']:.1f}s")

    best = {k: min(v, key=lambda s: s["seconds"]) for k, v in samples.items()}
    out: dict[str, Any] = {"corpus": corpus, "repeat": repeat, "batch_size": base.embed_batch_size, "samples": samples}
    for key, sample in best.items():
        out[key] = {**sample, "chunks_per_s": sample["chunks"] / sample["seconds"]}
    out["pipeline_only"] = {
        "ours": {**fake_ours, "chunks_per_s": fake_ours["chunks"] / fake_ours["seconds"]},
        "llamaindex": {**fake_plain, "chunks_per_s": fake_plain["chunks"] / fake_plain["seconds"]},
    }

    # Re-ingestion on the index the last run of ours left behind.
    from ingest.pipeline import sync

    unchanged = []
    for _ in range(3):
        t = time.perf_counter()
        rep = sync([folder], last_ours, embedder=embedder)
        unchanged.append(time.perf_counter() - t)
        assert rep.count("unchanged") == len(rep.files), rep.to_dict()
    out["reingest_unchanged"] = {"seconds": sorted(unchanged)[1], "samples": unchanged, "files": corpus["files"]}

    count = max(1, round(corpus["files"] * 0.01))
    changed = _change_files(folder, count, 1)
    timed = TimedEmbedder(embedder)
    t = time.perf_counter()
    rep = sync([folder], last_ours, embedder=timed)
    seconds = time.perf_counter() - t
    out["reingest_changed"] = {
        "seconds": seconds,
        "files_changed": len(changed),
        "share_pct": 100.0 * len(changed) / corpus["files"],
        "chunks_embedded": rep.chunks_embedded,
        "cache_hits": rep.cache_hits,
        "encode_s": timed.seconds,
        "updated": rep.count("updated"),
    }
    log(f"  re-ingest unchanged {out['reingest_unchanged']['seconds']:.2f}s, {len(changed)} changed {seconds:.2f}s")
    return out
