"""Query latency, start-up time and peak memory at a given index size.

The index at each size is the synthetic corpus (:mod:`benchmarks.synthetic`)
written *directly* into the store: ``ChromaStore.upsert`` of pre-computed
vectors, ``ingest.pipeline.rebuild_keyword_index`` and a manifest; no file
loaders and no encoder. The stored vectors are fake (seeded unit vectors at the
model's dimension, 384, clustered by topic), because inserting 100k chunks with
the real model would take over an hour here and HNSW/BM25 latency does not depend
on what the vectors mean. Queries, the answer step's sentence scoring and the
baseline's query embedding all use the *real* model, so those costs are real.
The plain llama-index baseline gets the same chunks and the same fake vectors,
written the llama-index way (``ChromaVectorStore.add`` of ``TextNode``s) into its
*own* Chroma folder (and its own ``chroma run`` server), as each would be
deployed, so neither pays for the other's collection.

Run as a module, this file is the child process that measures cold start-up
and peak RSS (``python -m benchmarks.query_bench startup ...``).
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks import baseline, synthetic
from benchmarks.common import (
    ROOT,
    ChromaServer,
    child_env,
    emit,
    free_port,
    log,
    peak_rss_mib,
    percentiles,
    ru_maxrss_mib,
    run_child,
    stop_process,
)

ROLE = "public"


def _settings(root: Path, **extra):
    from assistant.settings import Settings

    # English questions over the main index (the multilingual one beside it is not consulted for them)
    return Settings(index_dir=root / "index", audit_log=root / "audit.jsonl", feedback_db=root / "feedback.sqlite",
                    multilingual_model="off", **extra)


def build(root: Path, size: int, seed: int = 0) -> dict[str, Any]:
    """Write ``size`` synthetic chunks into ``root`` (ours and the baseline's collection); timings."""
    from assistant.store import ChromaStore, DocRecord, Manifest
    from ingest.pipeline import rebuild_keyword_index

    t = time.perf_counter()
    docs, chunks = synthetic.documents(size, seed)
    vectors = synthetic.fake_vectors(chunks, seed=seed)
    generate_s = time.perf_counter() - t

    settings = _settings(root)
    store = ChromaStore(settings)
    t = time.perf_counter()
    store.upsert(
        [c.chunk_id for c in chunks], vectors, [c.text for c in chunks], [c.store_metadata() for c in chunks]
    )
    insert_s = time.perf_counter() - t

    manifest = Manifest(settings.index_settings_hash, settings.collection_name, generation=1)
    by_doc: dict[str, list[str]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c.chunk_id)
    for d in docs:
        if d.meta.doc_id not in by_doc:
            continue
        manifest.docs[d.meta.doc_id] = DocRecord(
            doc_id=d.meta.doc_id,
            path=str(root / "synthetic-not-on-disk" / d.meta.doc_id),
            sha256=f"synthetic-{d.programme}",
            chunk_ids=by_doc[d.meta.doc_id],
            title=d.meta.title,
            doc_type=d.meta.doc_type,
            audience=d.meta.audience,
            pages=1,
            indexed_at=time.time(),
            size=0,
            meta=d.meta.to_dict(),
        )
    t = time.perf_counter()
    manifest.save(settings)
    manifest_s = time.perf_counter() - t
    t = time.perf_counter()
    rebuild_keyword_index(store, settings.index_dir / f"keyword-{settings.index_settings_hash}", manifest.version)
    keyword_s = time.perf_counter() - t
    t = time.perf_counter()
    for _ in store.iter_all():  # the part of that rebuild spent reading every chunk back from Chroma
        pass
    read_back_s = time.perf_counter() - t

    # Ingestion leaves the encoder's ONNX export in index/models (made once per model); do the same here,
    # so the start-up rows time loading it, not making it.
    from assistant.embedding import embedder_for

    embedder_for(settings).embed(["export"])

    # What ingestion paid per document at this size before it trusted the manifest: a `where doc_id = ...` scan.
    sample = list(by_doc)[:: max(1, len(by_doc) // 20)][:20]
    t = time.perf_counter()
    for doc_id in sample:
        store.ids_for_doc(doc_id)
    ids_for_doc_ms = (time.perf_counter() - t) * 1000 / max(1, len(sample))

    collection = baseline.client(baseline_dir(root)).get_or_create_collection(baseline.COLLECTION, embedding_function=None)
    baseline_insert_s = baseline.add_synthetic(collection, chunks, vectors)
    public = [d for d in docs if d.meta.audience == ROLE and d.meta.doc_id in by_doc]
    return {
        "size": size,
        "documents": len(manifest.docs),
        "public_documents": len(public),
        "generate_s": generate_s,
        "insert_s": insert_s,
        "manifest_save_s": manifest_s,
        "keyword_rebuild_s": keyword_s,
        "read_back_s": read_back_s,
        "ids_for_doc_ms": ids_for_doc_ms,
        "baseline_insert_s": baseline_insert_s,
        "_docs": docs,
    }


def baseline_dir(root: Path) -> Path:
    """The baseline's own Chroma folder (never shared with ours; see the module docstring)."""
    return root / "baseline-chroma"


def release_clients() -> None:
    """Drop every cached Chroma client in this process (so a server or a child may open the folder)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    gc.collect()
    SharedSystemClient.clear_system_cache()
    gc.collect()


def latencies(assistant, retriever, hf_model, retrieve_qs: list[str], ask_qs: list[str]) -> dict[str, Any]:
    """Interleaved per query: ours.retrieve / baseline.retrieve (each embedding the query), then the
    same two with the query vector already at hand (search only); then ours.ask per question.

    Every question is distinct, so the full timings never hit our query-vector cache. The
    search-only pair takes the shared encoder (whose latency swings most when other work
    shares the CPUs) out of the comparison.
    """
    from llama_index.core.schema import QueryBundle

    assistant.retrieve("warm-up question about synthetic programme 1", role=ROLE)
    retriever.retrieve("warm-up question about synthetic programme 1")
    ours, base, ours_search, base_search, encode, asks = [], [], [], [], [], []
    declined = passages = 0
    for q in retrieve_qs:
        t = time.perf_counter()
        got = assistant.retrieve(q, role=ROLE)
        ours.append(time.perf_counter() - t)
        passages += len(got)
        t = time.perf_counter()
        retriever.retrieve(q)
        base.append(time.perf_counter() - t)
        t = time.perf_counter()
        vector = hf_model.get_query_embedding(q)
        encode.append(time.perf_counter() - t)
        t = time.perf_counter()
        assistant.retrieve(q, role=ROLE)  # our retriever keeps this query's vector from the first call
        ours_search.append(time.perf_counter() - t)
        t = time.perf_counter()
        retriever.retrieve(QueryBundle(query_str=q, embedding=vector))
        base_search.append(time.perf_counter() - t)
    for q in ask_qs:
        t = time.perf_counter()
        answer = assistant.ask(q, role=ROLE)
        asks.append(time.perf_counter() - t)
        declined += int(answer.declined)
    return {
        "retrieve": percentiles(ours),
        "baseline_retrieve": percentiles(base),
        "search": percentiles(ours_search),
        "baseline_search": percentiles(base_search),
        "query_encode": percentiles(encode),
        "ask": {**percentiles(asks), "declined": declined},
        "passages_per_query": passages / max(1, len(retrieve_qs)),
    }


def measure_size(
    size: int,
    workdir: Path,
    embedder,
    hf_model,
    n_retrieve: int,
    n_ask: int,
    server_children: bool,
    seed: int = 0,
    app: bool = True,
) -> dict[str, Any]:
    """Every query-side figure at one size (embedded Chroma and a Chroma server)."""
    from assistant.service import Assistant

    root = workdir / f"size-{size}"
    shutil.rmtree(root, ignore_errors=True)
    t = time.perf_counter()
    info = build(root, size, seed)
    info["build_total_s"] = time.perf_counter() - t
    docs = info.pop("_docs")
    qs = synthetic.questions(docs, n_retrieve + n_ask + 4, seed=size + seed)
    retrieve_qs, ask_qs, spare = qs[:n_retrieve], qs[n_retrieve : n_retrieve + n_ask], qs[n_retrieve + n_ask :]
    log(f"size {size}: built in {info['build_total_s']:.1f}s (insert {info['insert_s']:.1f}s, keyword {info['keyword_rebuild_s']:.1f}s)")
    result: dict[str, Any] = {"build": info, "modes": {}}

    # --- embedded Chroma, in this process (models already loaded) ---------------------------------
    settings = _settings(root)
    assistant = Assistant(settings, embedder=embedder)
    t = time.perf_counter()
    assistant.warm_up()
    warm_s = time.perf_counter() - t
    store_client = baseline.client(baseline_dir(root))
    retriever = baseline.retriever(store_client.get_collection(baseline.COLLECTION), hf_model)
    result["modes"]["embedded"] = {**latencies(assistant, retriever, hf_model, retrieve_qs, ask_qs), "warm_up_loaded_model_s": warm_s}
    log(f"size {size} embedded: retrieve p50 {result['modes']['embedded']['retrieve']['p50_ms']:.0f} ms")
    del assistant, retriever, store_client
    release_clients()

    # --- cold start-up and peak RSS, one fresh process each ------------------------------------------
    index_dir = str(root / "index")
    common = [
        "--index-dir", index_dir, "--baseline-chroma", str(baseline_dir(root)),
        "--question", spare[0], "--retrieve-question", spare[1],
    ]
    startup: dict[str, Any] = {}
    startup["ours"], _ = run_child("benchmarks.query_bench", ["startup", "--which", "ours", *common], 900)
    startup["baseline"], _ = run_child("benchmarks.query_bench", ["startup", "--which", "baseline", *common], 900)
    startup["app"] = app_startup(root) if app else {"skipped": "not measured in --quick"}
    result["startup"] = {"embedded": startup}
    log(
        f"size {size} start-up: ours {startup['ours']['ready_from_spawn_s']:.1f}s, "
        f"baseline {startup['baseline']['ready_from_spawn_s']:.1f}s"
    )

    # --- the same index served by `chroma run` -----------------------------------------------------
    server = ChromaServer(root / "index" / "chroma").start()
    base_server = ChromaServer(baseline_dir(root)).start()
    try:
        settings_srv = _settings(root, chroma_host="127.0.0.1", chroma_port=server.port)
        assistant = Assistant(settings_srv, embedder=embedder)
        assistant.warm_up()
        client = baseline.client(host="127.0.0.1", port=base_server.port)
        retriever = baseline.retriever(client.get_collection(baseline.COLLECTION), hf_model)
        result["modes"]["server"] = {**latencies(assistant, retriever, hf_model, retrieve_qs, ask_qs), "server_start_s": server.start_s}
        log(f"size {size} server: retrieve p50 {result['modes']['server']['retrieve']['p50_ms']:.0f} ms")
        del assistant, retriever, client
        if server_children:
            srv = ["--chroma-host", "127.0.0.1", "--chroma-port", str(server.port)]
            base_srv = ["--chroma-host", "127.0.0.1", "--chroma-port", str(base_server.port)]
            s_ours, _ = run_child("benchmarks.query_bench", ["startup", "--which", "ours", *common, *srv], 900)
            s_base, _ = run_child("benchmarks.query_bench", ["startup", "--which", "baseline", *common, *base_srv], 900)
            result["startup"]["server"] = {"ours": s_ours, "baseline": s_base}
        result["modes"]["server"]["server_peak_rss_mib"] = server.peak_rss_mib()
        result["modes"]["server"]["baseline_server_peak_rss_mib"] = base_server.peak_rss_mib()
    finally:
        server.stop()
        base_server.stop()
        release_clients()
    shutil.rmtree(root, ignore_errors=True)
    return result


def app_startup(root: Path) -> dict[str, Any]:
    """Seconds from spawning ``app.py --port P`` to ``GET /api/health`` answering 200 (if app.py exists)."""
    import subprocess
    import sys

    app = ROOT / "app.py"
    if not app.is_file():
        return {"skipped": "app.py not found"}
    port = free_port()
    env = child_env(
        PA_INDEX_DIR=str(root / "index"),
        PA_AUDIT_LOG="off",
        PA_FEEDBACK_DB=str(root / "app-feedback.sqlite"),
        PA_PORT=str(port),
    )
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, str(app), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    out: dict[str, Any] = {}
    try:
        deadline = started + 300
        while time.time() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-300:] if proc.stderr else ""
                return {**out, "error": f"app.py exited with status {proc.returncode}: {err}"}
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as resp:
                    if resp.status == 200:
                        out.setdefault("health_200_s", time.time() - started)
                        body = json.loads(resp.read() or b"{}")
                        if body.get("ready"):
                            out["ready_s"] = time.time() - started
                            return out
                        if body.get("status") == "error":
                            return {**out, "error": f"health says: {body.get('error')}"}
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        return {**out, "error": "GET /api/health did not say ready within 300 s"}
    finally:
        stop_process(proc)


# --------------------------------------------------------------------------- child process
def _child_startup(args: argparse.Namespace) -> dict[str, Any]:
    """Fresh process: build the app object, make it ready, answer once; report times and peak RSS."""
    from assistant.runtime import prepare_offline

    prepare_offline()
    t0 = time.perf_counter()
    if args.which == "ours":
        from assistant.service import Assistant
        from assistant.settings import Settings

        extra = {"chroma_host": args.chroma_host, "chroma_port": args.chroma_port} if args.chroma_host else {}
        root = Path(args.index_dir).parent
        settings = Settings(
            index_dir=Path(args.index_dir), audit_log=root / "audit-child.jsonl", feedback_db=root / "fb-child.sqlite",
            multilingual_model="off", **extra
        )
        assistant = Assistant(settings)
        assistant.warm_up()
        ready = time.time()
        ready_s = time.perf_counter() - t0
        t = time.perf_counter()
        assistant.retrieve(args.retrieve_question, role=ROLE)
        first_retrieve_s = time.perf_counter() - t
        t = time.perf_counter()
        answer = assistant.ask(args.question, role=ROLE)
        first_answer_s = time.perf_counter() - t
        declined = answer.declined
    else:
        model = baseline.embed_model()
        client = (
            baseline.client(host=args.chroma_host, port=args.chroma_port)
            if args.chroma_host
            else baseline.client(Path(args.baseline_chroma))
        )
        retriever = baseline.retriever(client.get_collection(baseline.COLLECTION), model)
        ready = time.time()
        ready_s = time.perf_counter() - t0
        t = time.perf_counter()
        retriever.retrieve(args.retrieve_question)
        first_retrieve_s = time.perf_counter() - t
        first_answer_s = None
        declined = None
    return {
        "which": args.which,
        "ready_at": ready,
        "construct_to_ready_s": ready_s,
        "first_answer_s": first_answer_s,
        "first_retrieve_s": first_retrieve_s,
        "declined": declined,
        "peak_rss_mib": peak_rss_mib(),
        "ru_maxrss_mib": ru_maxrss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.query_bench")
    sub = parser.add_subparsers(dest="command", required=True)
    st = sub.add_parser("startup", help="(child) time to ready and peak RSS of a fresh process")
    st.add_argument("--which", choices=["ours", "baseline"], required=True)
    st.add_argument("--index-dir", required=True)
    st.add_argument("--baseline-chroma", required=True, help="the baseline's own Chroma folder")
    st.add_argument("--question", required=True)
    st.add_argument("--retrieve-question", required=True)
    st.add_argument("--chroma-host")
    st.add_argument("--chroma-port", type=int)
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)
    emit(_child_startup(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
