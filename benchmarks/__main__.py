"""``python -m benchmarks [--quick] [--sizes 1000,10000,100000] [--out benchmarks/RESULTS.md]``.

Measures, each with its baseline in the same run (see RESULTS.md for the figures):

- ingestion throughput: raw encoder vs ours (``ingest.pipeline.sync``) vs a plain
  llama-index pipeline, on the same documents (:mod:`benchmarks.ingest_bench`);
- re-ingestion of an unchanged corpus and of one with 1% of files changed;
- query latency p50/p95 of ``Assistant.retrieve`` and ``Assistant.ask`` at each
  size, on embedded Chroma and a ``chroma run`` server, against the plain
  llama-index retriever; start-up time and peak RSS per size
  (:mod:`benchmarks.query_bench`, synthetic corpus from :mod:`benchmarks.synthetic`).

``--quick`` (for CI): the corpus once, 1,000 chunks, few queries, no server-mode
start-up processes; under two minutes on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, log, machine


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CI mode: corpus once, 1k chunks, few samples")
    p.add_argument("--sizes", help="index sizes in chunks for the query side, comma separated (default 1000,10000,100000; quick: 1000)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md", help="Markdown file to write")
    p.add_argument("--json", type=Path, help="also write the raw results (and ratios) as JSON here")
    p.add_argument("--copies", type=int, help="corpus copies for ingestion (default 10; quick: 1)")
    p.add_argument("--repeat", type=int, help="ingestion runs per variant, best kept (default 2; quick: 1)")
    p.add_argument("--ingest-limit", type=int, help="use only this many corpus files (round-robin by format)")
    p.add_argument("--queries", type=int, help="timed retrievals per size and store (default 50; quick: 10)")
    p.add_argument("--asks", type=int, help="timed answers per size and store (default 15; quick: 3)")
    p.add_argument("--skip-ingest", action="store_true", help="query side only")
    p.add_argument("--skip-query", action="store_true", help="ingestion side only")
    p.add_argument("--workdir", type=Path, help="scratch folder (default: a new temporary folder, removed after)")
    p.add_argument("--seed", type=int, default=0, help="synthetic corpus seed")
    return p


def raw_sentence_transformer():
    """The packaged model loaded by sentence-transformers, fp32: the encoder the issue calls "raw"."""
    from sentence_transformers import SentenceTransformer

    from assistant.embedding import packaged_model_path

    return SentenceTransformer(str(packaged_model_path()), device="cpu", local_files_only=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from assistant.runtime import configure_logging, prepare_offline

    prepare_offline()
    configure_logging(False)
    quick = args.quick
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")] if args.sizes else ([1000] if quick else [1000, 10000, 100000])
    copies = args.copies if args.copies is not None else (1 if quick else 10)
    repeat = args.repeat if args.repeat is not None else (1 if quick else 2)
    n_queries = args.queries if args.queries is not None else (10 if quick else 50)
    n_asks = args.asks if args.asks is not None else (3 if quick else 15)
    command = "python -m benchmarks" + ("" if argv is None and len(sys.argv) <= 1 else " " + shlex.join(sys.argv[1:] if argv is None else argv))

    started = time.perf_counter()
    results: dict[str, Any] = {"command": command, "quick": quick, "machine": machine(), "role": "public"}
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pa-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        from assistant.embedding import SentenceTransformerEmbedder
        from assistant.settings import Settings
        from benchmarks import baseline

        batch = Settings().embed_batch_size
        t = time.perf_counter()
        embedder = SentenceTransformerEmbedder(batch_size=batch)  # ours (assistant.bert for the packaged model)
        embedder.embed(["load"])
        ours_load = time.perf_counter() - t
        t = time.perf_counter()
        st_model = raw_sentence_transformer()  # the raw-encoder row: sentence-transformers itself
        st_load = time.perf_counter() - t
        t = time.perf_counter()
        hf_model = baseline.embed_model(batch)
        plain_load = time.perf_counter() - t
        results["model_load"] = {"ours_s": ours_load, "sentence_transformers_s": st_load, "llamaindex_s": plain_load}
        log(f"models loaded: ours {ours_load:.1f}s, sentence-transformers {st_load:.1f}s, llama-index {plain_load:.1f}s")

        if not args.skip_ingest:
            from benchmarks import ingest_bench

            t = time.perf_counter()
            results["ingest"] = ingest_bench.run(
                workdir / "ingest", copies, repeat, args.ingest_limit, embedder, st_model, hf_model
            )
            results["ingest"]["wall_s"] = time.perf_counter() - t
            log(f"ingestion benchmark done in {results['ingest']['wall_s']:.0f}s")
            shutil.rmtree(workdir / "ingest", ignore_errors=True)

        results["query"] = {}
        if not args.skip_query:
            from benchmarks import query_bench

            for size in sizes:
                t = time.perf_counter()
                res = query_bench.measure_size(
                    size, workdir / "query", embedder, hf_model, n_queries, n_asks, server_children=not quick, seed=args.seed, app=not quick
                )
                res["wall_s"] = time.perf_counter() - t
                results["query"][str(size)] = res
                log(f"size {size} done in {res['wall_s']:.0f}s")
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    results["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["wall_s"] = time.perf_counter() - started
    from benchmarks.report import derive, render

    text = render(results)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**results, "ratios": derive(results)}, indent=1, default=str), encoding="utf-8")
    log(f"wrote {args.out} ({results['wall_s']:.0f}s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
