"""Ratios derived from the measured numbers, and the Markdown table (printed and written to RESULTS.md).

Every ratio is computed here, from two numbers of the same run, by :func:`derive`;
the tests recompute them from the same numbers.
"""

from __future__ import annotations

import math
from typing import Any

SECTIONS = (
    "## Machine",
    "## Ingestion throughput",
    "## Re-ingestion",
    "## Query latency",
    "## Start-up",
    "## Peak memory",
    "## Index build at each size",
    "## Notes",
)


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0 or (isinstance(a, float) and math.isnan(a)) or math.isnan(b):
        return None
    return a / b


def _pct_over(value: float | None, reference: float | None) -> float | None:
    ratio = _div(value, reference)
    return None if ratio is None else (ratio - 1.0) * 100.0


def ingest_ratios(ing: dict[str, Any]) -> dict[str, float | None]:
    raw, ours, plain = ing["raw"], ing["ours"], ing["llamaindex"]
    overhead = _div(raw["chunks_per_s"], ours["chunks_per_s"])
    plain_overhead = _div(raw["chunks_per_s"], plain["chunks_per_s"])
    return {
        # How much slower per chunk our pipeline is than the bare encoder on the same texts.
        "ours_overhead_over_raw_pct": None if overhead is None else (overhead - 1.0) * 100.0,
        "plain_overhead_over_raw_pct": None if plain_overhead is None else (plain_overhead - 1.0) * 100.0,
        # > 1 means we are faster than the plain llama-index pipeline.
        "ours_vs_plain_chunks_per_s_x": _div(ours["chunks_per_s"], plain["chunks_per_s"]),
        "plain_vs_ours_seconds_x": _div(plain["seconds"], ours["seconds"]),
        # The same comparisons by process CPU time (steadier than wall time when other work shares the CPUs).
        "ours_cpu_overhead_over_raw_pct": _pct_over(_div(ours.get("cpu_s"), ours["chunks"]), _div(raw.get("cpu_s"), raw["chunks"])),
        "plain_vs_ours_cpu_x": _div(plain.get("cpu_s"), ours.get("cpu_s")),
        # The same two pipelines with the encoder swapped for a zero-cost fake: their own cost.
        "pipeline_only_ours_vs_plain_chunks_per_s_x": _div(
            ing["pipeline_only"]["ours"]["chunks_per_s"], ing["pipeline_only"]["llamaindex"]["chunks_per_s"]
        ),
        "pipeline_only_plain_vs_ours_seconds_x": _div(
            ing["pipeline_only"]["llamaindex"]["seconds"], ing["pipeline_only"]["ours"]["seconds"]
        ),
    }


def reingest_ratios(ing: dict[str, Any]) -> dict[str, float | None]:
    full = ing["ours"]["seconds"]
    unchanged = _div(ing["reingest_unchanged"]["seconds"], full)
    changed = _div(ing["reingest_changed"]["seconds"], full)
    return {
        "unchanged_pct_of_full": None if unchanged is None else unchanged * 100.0,
        "changed_pct_of_full": None if changed is None else changed * 100.0,
    }


def query_ratios(mode: dict[str, Any]) -> dict[str, float | None]:
    base = mode["baseline_retrieve"]
    search, base_search = mode.get("search"), mode.get("baseline_search")
    return {
        "search_p50_x": _div(search["p50_ms"], base_search["p50_ms"]) if search and base_search else None,
        "search_p95_x": _div(search["p95_ms"], base_search["p95_ms"]) if search and base_search else None,
        "retrieve_p50_x": _div(mode["retrieve"]["p50_ms"], base["p50_ms"]),
        "retrieve_p95_x": _div(mode["retrieve"]["p95_ms"], base["p95_ms"]),
        # the plain retriever has no answer step: an answer is compared with our own retrieval
        "ask_over_retrieve_p50_x": _div(mode["ask"]["p50_ms"], mode["retrieve"]["p50_ms"]),
        "ask_over_retrieve_p95_x": _div(mode["ask"]["p95_ms"], mode["retrieve"]["p95_ms"]),
    }


def first_result_s(child: dict[str, Any]) -> float:
    """Spawn to the first retrieval returned (ready + first retrieve)."""
    return child["ready_from_spawn_s"] + child["first_retrieve_s"]


def startup_ratios(pair: dict[str, Any]) -> dict[str, float | None]:
    ours, base = pair["ours"], pair["baseline"]
    return {
        "ready_x": _div(ours["ready_from_spawn_s"], base["ready_from_spawn_s"]),
        "first_result_x": _div(first_result_s(ours), first_result_s(base)),
        "peak_rss_x": _div(ours["peak_rss_mib"], base["peak_rss_mib"]),
    }


def derive(results: dict[str, Any]) -> dict[str, Any]:
    """All ratios, keyed like the results they come from."""
    out: dict[str, Any] = {}
    if results.get("ingest"):
        out["ingest"] = ingest_ratios(results["ingest"])
        out["reingest"] = reingest_ratios(results["ingest"])
    out["query"] = {}
    for size, res in results.get("query", {}).items():
        out["query"][size] = {
            "modes": {mode: query_ratios(m) for mode, m in res["modes"].items()},
            "startup": {mode: startup_ratios(p) for mode, p in res.get("startup", {}).items()},
        }
    return out


# --------------------------------------------------------------------------- formatting
def fmt_x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def fmt_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def fmt_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _s(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def _ms(v: float | None) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{v:.1f}"


def _mib(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0f}"


def _busy(m: dict[str, Any]) -> bool:
    """Other work was running when we started (the end figure includes the benchmark's own load)."""
    return m["load_avg_start"][0] > 0.5 * (m.get("nproc") or 1)


def render(results: dict[str, Any]) -> str:
    ratios = derive(results)
    m = results["machine"]
    lines: list[str] = ["# Benchmark results", ""]
    lines += [
        f"Command: `{results['command']}`  ",
        f"Mode: {'quick' if results['quick'] else 'full'}; total wall time {results.get('wall_s', 0):.0f} s.",
        "",
        "## Machine",
        "",
        f"- Date: {m['date']}",
        f"- nproc: {m['nproc']}; CPU: {m['cpu']}; RAM: {m['ram_gib']} GiB",
        f"- Load average (1/5/15 min) at start: {m['load_avg_start']}; at end: {m.get('load_avg_end', 'n/a')}"
        + (" (other work was running: figures are noisy)" if _busy(m) else ""),
        f"- Python {m['python']} ({m['platform']})",
        "- Libraries: " + ", ".join(f"{k} {v}" for k, v in m["libraries"].items()),
        "",
    ]

    ing = results.get("ingest")
    if ing:
        r = ratios["ingest"]
        c = ing["corpus"]
        po = ing["pipeline_only"]
        lines += [
            "## Ingestion throughput",
            "",
            f"Same documents for every row: {c['files']} files (the sample corpus × {c['copies']}"
            + (", distinct text per copy" if c["copies"] > 1 else ", as it is")
            + f"), real model all-MiniLM-L6-v2, batch size {ing['batch_size']}, model already loaded; "
            f"best of {ing['repeat']} run(s).",
            "",
            "| variant | chunks | seconds | chunks/s | vs raw encoder | CPU s (process) | vectors |",
            "|---|---:|---:|---:|---:|---:|---|",
            f"| (a) raw encoder (`SentenceTransformer.encode` on our chunk texts) | {ing['raw']['chunks']} | {_s(ing['raw']['seconds'])} | {ing['raw']['chunks_per_s']:.1f} | 1.00× | {_s(ing['raw'].get('cpu_s'))} | real |",
            *(
                [
                    f"| (a2) our encoder alone, fp32 (ONNX Runtime, `assistant.bert`; same weights, same texts) | {ing['encoder']['chunks']} | {_s(ing['encoder']['seconds'])} | {ing['encoder']['chunks_per_s']:.1f} | {fmt_pct(_pct_over(_div(ing['raw']['chunks_per_s'], ing['encoder']['chunks_per_s']), 1.0))} | {_s(ing['encoder'].get('cpu_s'))} | real |"
                ]
                if ing.get("encoder")
                else []
            ),
            f"| (b) ours (`ingest.pipeline.sync`, fresh index, empty cache) | {ing['ours']['chunks']} | {_s(ing['ours']['seconds'])} | {ing['ours']['chunks_per_s']:.1f} | {fmt_pct(r['ours_overhead_over_raw_pct'])} | {_s(ing['ours'].get('cpu_s'))} | real |",
            *(
                [
                    f"| (a3) our encoder alone, int8 (ONNX Runtime; the default `embed_int8`) | {ing['encoder_int8']['chunks']} | {_s(ing['encoder_int8']['seconds'])} | {ing['encoder_int8']['chunks_per_s']:.1f} | {fmt_x(_div(ing['encoder_int8']['chunks_per_s'], ing['raw']['chunks_per_s']))} the speed | {_s(ing['encoder_int8'].get('cpu_s'))} | real |",
                    f"| (b2) ours with the default int8 encoder | {ing['ours_int8']['chunks']} | {_s(ing['ours_int8']['seconds'])} | {ing['ours_int8']['chunks_per_s']:.1f} | {fmt_x(_div(ing['ours_int8']['chunks_per_s'], ing['raw']['chunks_per_s']))} the speed | {_s(ing['ours_int8'].get('cpu_s'))} | real |",
                ]
                if ing.get("encoder_int8") and ing.get("ours_int8")
                else []
            ),
            *(
                [
                    f"| (a4) multilingual-e5-small alone, int8 (ONNX Runtime, `assistant.e5`; same texts) | {ing['encoder_e5']['chunks']} | {_s(ing['encoder_e5']['seconds'])} | {ing['encoder_e5']['chunks_per_s']:.1f} | {fmt_x(_div(ing['encoder_e5']['chunks_per_s'], ing['raw']['chunks_per_s']))} the speed | {_s(ing['encoder_e5'].get('cpu_s'))} | real |",
                    f"| (b3) ours with multilingual-e5-small (`embed_model: multilingual-e5-small`) | {ing['ours_e5']['chunks']} | {_s(ing['ours_e5']['seconds'])} | {ing['ours_e5']['chunks_per_s']:.1f} | {fmt_x(_div(ing['ours_e5']['chunks_per_s'], ing['raw']['chunks_per_s']))} the speed | {_s(ing['ours_e5'].get('cpu_s'))} | real |",
                    *([f"| (b4) ours with the defaults: int8 MiniLM, and the multilingual index (e5) beside it | {ing['ours_default']['chunks']} | {_s(ing['ours_default']['seconds'])} | {ing['ours_default']['chunks_per_s']:.1f} | {fmt_x(_div(ing['ours_default']['chunks_per_s'], ing['raw']['chunks_per_s']))} the speed | {_s(ing['ours_default'].get('cpu_s'))} | real |"] if ing.get("ours_default") else []),
                ]
                if ing.get("encoder_e5") and ing.get("ours_e5")
                else []
            ),
            f"| (c) plain llama-index (`from_documents` → `ChromaVectorStore`) | {ing['llamaindex']['chunks']} | {_s(ing['llamaindex']['seconds'])} | {ing['llamaindex']['chunks_per_s']:.1f} | {fmt_pct(r['plain_overhead_over_raw_pct'])} | {_s(ing['llamaindex'].get('cpu_s'))} | real |",
            f"| (d) ours, encoder replaced by a zero-cost fake | {po['ours']['chunks']} | {_s(po['ours']['seconds'])} | {po['ours']['chunks_per_s']:.1f} | pipeline only | {_s(po['ours'].get('cpu_s'))} | fake |",
            f"| (e) plain llama-index, zero-cost fake embedding | {po['llamaindex']['chunks']} | {_s(po['llamaindex']['seconds'])} | {po['llamaindex']['chunks_per_s']:.1f} | pipeline only | {_s(po['llamaindex'].get('cpu_s'))} | fake |",
            "",
            f"- Our overhead over the raw encoder: **{fmt_pct(r['ours_overhead_over_raw_pct'])}** per chunk "
            f"({ing['raw']['chunks_per_s']:.1f} vs {ing['ours']['chunks_per_s']:.1f} chunks/s).",
            f"- Our speed relative to plain llama-index: **{fmt_x(r['ours_vs_plain_chunks_per_s_x'])}** in chunks/s "
            f"({ing['ours']['chunks_per_s']:.1f} vs {ing['llamaindex']['chunks_per_s']:.1f}); "
            f"same documents end to end: plain takes {fmt_x(r['plain_vs_ours_seconds_x'])} our time "
            f"({_s(ing['llamaindex']['seconds'])} s vs {_s(ing['ours']['seconds'])} s). The chunk counts differ: "
            "we split each page/section on its own (chunks never straddle them, so there are more, shorter chunks), "
            "llama-index splits each document or PDF page as a whole.",
            f"- By process CPU time (steadier under outside load): our overhead over the raw encoder "
            f"{fmt_pct(r['ours_cpu_overhead_over_raw_pct'])} per chunk; plain llama-index used "
            f"{fmt_x(r['plain_vs_ours_cpu_x'])} our CPU time for the same documents "
            f"({_s(ing['llamaindex'].get('cpu_s'))} s vs {_s(ing['ours'].get('cpu_s'))} s).",
            f"- Pipelines alone (rows d, e; one run each): ours {_s(po['ours']['seconds'])} s vs plain "
            f"{_s(po['llamaindex']['seconds'])} s, i.e. ours at **{fmt_x(r['pipeline_only_ours_vs_plain_chunks_per_s_x'])}** "
            f"the plain pipeline's chunks/s (plain takes {fmt_x(r['pipeline_only_plain_vs_ours_seconds_x'])} our time).",
            "- Model load (not in the rows above): ours "
            f"{_s(results['model_load']['ours_s'])} s"
            + (
                f", sentence-transformers {_s(results['model_load']['sentence_transformers_s'])} s"
                if "sentence_transformers_s" in results["model_load"]
                else ""
            )
            + f", llama-index `HuggingFaceEmbedding` {_s(results['model_load']['llamaindex_s'])} s "
            "(each includes its imports; the first to load also pays for importing torch).",
        ]
        if ing.get("encoder") and ing.get("encoder_int8") and ing.get("ours_int8"):
            lines += [
                f"- Our pipeline's own overhead (b over a2, the same encoder alone): "
                f"**{fmt_pct(_pct_over(_div(ing['encoder']['chunks_per_s'], ing['ours']['chunks_per_s']), 1.0))}** "
                f"in fp32; with the default int8 encoder (b2 over a3) "
                f"{fmt_pct(_pct_over(_div(ing['encoder_int8']['chunks_per_s'], ing['ours_int8']['chunks_per_s']), 1.0))}.",
                f"- The int8 encoder (a3) runs at **{fmt_x(_div(ing['encoder_int8']['chunks_per_s'], ing['raw']['chunks_per_s']))}** "
                "the speed of the raw fp32 encoder (a); with it our whole pipeline (b2) runs at "
                f"{fmt_x(_div(ing['ours_int8']['chunks_per_s'], ing['raw']['chunks_per_s']))} the raw fp32 encoder's speed and "
                f"{fmt_x(_div(ing['ours_int8']['chunks_per_s'], ing['llamaindex']['chunks_per_s']))} plain llama-index's.",
            ]
        if ing.get("encoder_e5") and ing.get("ours_e5"):
            raw = ing["raw"]
            lines += [
                f"- The multilingual encoder (a4) runs at **{fmt_x(_div(ing['encoder_e5']['chunks_per_s'], raw['chunks_per_s']))}** "
                f"the raw fp32 MiniLM's chunks/s ({fmt_x(_div(raw['cpu_s'] / raw['chunks'], ing['encoder_e5']['cpu_s'] / ing['encoder_e5']['chunks']))} "
                f"by CPU time per chunk); our whole pipeline with it (b3) at **{fmt_x(_div(ing['ours_e5']['chunks_per_s'], raw['chunks_per_s']))}** "
                f"({fmt_x(_div(raw['cpu_s'] / raw['chunks'], ing['ours_e5']['cpu_s'] / ing['ours_e5']['chunks']))} by CPU time).",
            ]
            if ing.get("ours_default"):
                both = ing["ours_default"]
                lines += [
                    f"- With the defaults (b4: every chunk embedded by int8 MiniLM for English and by e5 for the multilingual "
                    f"index beside it; chunks counted once) our pipeline runs at **{fmt_x(_div(both['chunks_per_s'], raw['chunks_per_s']))}** "
                    f"the raw fp32 MiniLM's chunks/s ({fmt_x(_div(raw['cpu_s'] / raw['chunks'], both['cpu_s'] / both['chunks']))} by CPU "
                    "time); `multilingual_model: off` gives back row b2's speed for English-only documents.",
                ]
        ph = ing["ours"]["phases"]
        lines += [
            f"- Where our {_s(ing['ours']['seconds'])} s went: encoder {_s(ph['encode_s'])} s "
            f"({ing['ours']['encode_calls']} encode calls), Chroma upsert {_s(ph['store_upsert_s'])} s "
            "(in a writer thread, overlapping the encoder), "
            f"per-document id look-ups {_s(ph['store_ids_for_doc_s'])} s, manifest saves {_s(ph['manifest_save_s'])} s "
            f"({ph['manifest_saves']} saves), keyword index rebuild {_s(ph['keyword_rebuild_s'])} s, "
            f"loading/chunking/cache/other {_s(ph['load_chunk_cache_other_s'])} s.",
            "",
        ]
        rr = ratios["reingest"]
        ch = ing["reingest_changed"]
        lines += [
            "## Re-ingestion",
            "",
            "Baseline: our own full ingestion of the same documents (above); the plain llama-index pipeline has "
            f"no change detection, so re-ingesting with it costs its full time ({_s(ing['llamaindex']['seconds'])} s).",
            "",
            "| case | seconds | % of full ingestion | embedded | from cache |",
            "|---|---:|---:|---:|---:|",
            f"| full ingestion (ours) | {_s(ing['ours']['seconds'])} | 100.0% | {ing['ours']['embedded']} | {ing['ours']['cache_hits']} |",
            f"| unchanged corpus ({ing['reingest_unchanged']['files']} files, median of 3) | {ing['reingest_unchanged']['seconds']:.3f} | {fmt_share(rr['unchanged_pct_of_full'])} | 0 | 0 |",
            f"| {ch['files_changed']} file(s) changed ({ch['share_pct']:.1f}% of files) | {ch['seconds']:.3f} | {fmt_share(rr['changed_pct_of_full'])} | {ch['chunks_embedded']} | {ch['cache_hits']} |",
            "",
        ]

    query = results.get("query", {})
    if query:
        lines += [
            "## Query latency",
            "",
            "Synthetic corpus (`benchmarks/synthetic.py`) written directly into the store "
            "(`ChromaStore.upsert` + `rebuild_keyword_index` + manifest; no file loaders). "
            "**Stored vectors are fake** (seeded unit vectors, 384-d, clustered by topic) in every row of this "
            "section, for ours and the baseline alike; the query encoder, the answer step's sentence "
            "scoring and llama-index's query embedding use the real model. Distinct questions, so no "
            f"query cache hits; role `{results.get('role', 'public')}` (ours queries only the Chroma collection "
            "of public chunks and masks BM25 scores by access; the baseline has no access rule and no BM25 side). *Search only* rows: the same queries again with the "
            "query vector already computed (ours: our retriever's query-vector cache; baseline: a `QueryBundle` "
            "with the embedding), so the shared encoder, the most load-sensitive part, is out of the comparison. "
            "Ratios: ours ÷ plain llama-index retriever "
            "(`index.as_retriever(similarity_top_k=6)`) over the same chunks and vectors in its own Chroma folder/server; "
            "the plain retriever has no answer step, so the `ask` rows compare a full answer with our own `retrieve` "
            "(baseline columns: our `retrieve`).",
            "",
            "| chunks | Chroma | what | n | p50 ms | p95 ms | baseline p50 ms | baseline p95 ms | p50 ratio | p95 ratio | vectors |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for size, res in query.items():
            for mode, mm in res["modes"].items():
                qr = ratios["query"][size]["modes"][mode]
                b = mm["baseline_retrieve"]
                lines.append(
                    f"| {int(size):,} | {mode} | ours `retrieve` | {mm['retrieve']['n']} | {_ms(mm['retrieve']['p50_ms'])} | "
                    f"{_ms(mm['retrieve']['p95_ms'])} | {_ms(b['p50_ms'])} | {_ms(b['p95_ms'])} | "
                    f"{fmt_x(qr['retrieve_p50_x'])} | {fmt_x(qr['retrieve_p95_x'])} | fake (stored) |"
                )
                if mm.get("search") and mm.get("baseline_search"):
                    se, bs = mm["search"], mm["baseline_search"]
                    lines.append(
                        f"| {int(size):,} | {mode} | ours `retrieve`, search only (query vector cached) | {se['n']} | "
                        f"{_ms(se['p50_ms'])} | {_ms(se['p95_ms'])} | {_ms(bs['p50_ms'])} | {_ms(bs['p95_ms'])} | "
                        f"{fmt_x(qr['search_p50_x'])} | {fmt_x(qr['search_p95_x'])} | fake (stored) |"
                    )
                lines.append(
                    f"| {int(size):,} | {mode} | ours `ask` (extractive, {mm['ask']['declined']} declined) | {mm['ask']['n']} | "
                    f"{_ms(mm['ask']['p50_ms'])} | {_ms(mm['ask']['p95_ms'])} | {_ms(mm['retrieve']['p50_ms'])} (ours) | "
                    f"{_ms(mm['retrieve']['p95_ms'])} (ours) | {fmt_x(qr['ask_over_retrieve_p50_x'])} | "
                    f"{fmt_x(qr['ask_over_retrieve_p95_x'])} | fake (stored) |"
                )
        lines.append("")
        lines.append(
            "Query embedding alone (real model, the cost both sides share), p50: "
            + ", ".join(
                f"{int(size):,} {mode} {_ms(mm['query_encode']['p50_ms'])} ms"
                for size, res in query.items()
                for mode, mm in res["modes"].items()
                if mm.get("query_encode")
            )
            + "."
        )
        lines.append("")

        lines += [
            "## Start-up",
            "",
            "A fresh process per row (`python -m benchmarks.query_bench startup`), timed from spawn. "
            "Ours: imports + `Assistant(settings).warm_up()` = *ready*; then the first `retrieve` and the first `ask`. "
            "Baseline: imports + `HuggingFaceEmbedding` + `VectorStoreIndex.from_vector_store(...).as_retriever()` = "
            "*ready*; then its first `retrieve`. Same chunks and fake stored vectors, each in its own Chroma folder.",
            "",
            "| chunks | Chroma | ours ready s | ours first retrieve done s | ours first ask s | baseline ready s | baseline first retrieve done s | ready ratio | first-result ratio | app.py spawn → `/api/health` 200 |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for size, res in query.items():
            for mode, pair in res.get("startup", {}).items():
                sr = ratios["query"][size]["startup"][mode]
                app = pair.get("app") or {}
                app_txt = (
                    f"{app['health_200_s']:.2f} s (ready: true at {app['ready_s']:.2f} s)"
                    if "ready_s" in app
                    else (app.get("skipped") or app.get("error") or "not measured")
                )
                if mode != "embedded" and not app:
                    app_txt = "not measured"
                o, b = pair["ours"], pair["baseline"]
                lines.append(
                    f"| {int(size):,} | {mode} | {_s(o['ready_from_spawn_s'])} | {_s(first_result_s(o))} | "
                    f"{_s(o['first_answer_s'])} | {_s(b['ready_from_spawn_s'])} | {_s(first_result_s(b))} | "
                    f"{fmt_x(sr['ready_x'])} | {fmt_x(sr['first_result_x'])} | {app_txt} |"
                )
        lines.append("")
        lines.append(
            "In-process warm-up with the model already loaded (index load only): "
            + ", ".join(
                f"{int(size):,} chunks {_s(res['modes']['embedded'].get('warm_up_loaded_model_s'))} s"
                for size, res in query.items()
            )
            + "."
        )
        lines.append("")

        lines += [
            "## Peak memory",
            "",
            "RSS high-water mark of the start-up processes above, read from `/proc/self/status` VmHWM "
            "(`getrusage(RUSAGE_SELF).ru_maxrss` is not usable here: Linux carries it across fork+exec, so every "
            "child reported the benchmark parent's RSS): "
            "ours after ready + 1 retrieve + 1 answer, the baseline after ready + 1 retrieve. "
            "Server rows: client process; each `chroma run` server's own peak (VmHWM) is listed apart "
            "(ours and the baseline's: each has its own Chroma folder and server).",
            "",
            "| chunks | Chroma | ours MiB | baseline MiB | ratio | chroma server MiB (ours / baseline's) |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for size, res in query.items():
            for mode, pair in res.get("startup", {}).items():
                sr = ratios["query"][size]["startup"][mode]
                srv = res["modes"].get("server", {})
                server_rss = f"{_mib(srv.get('server_peak_rss_mib'))} / {_mib(srv.get('baseline_server_peak_rss_mib'))}"
                lines.append(
                    f"| {int(size):,} | {mode} | {_mib(pair['ours']['peak_rss_mib'])} | {_mib(pair['baseline']['peak_rss_mib'])} | "
                    f"{fmt_x(sr['peak_rss_x'])} | {server_rss if mode == 'server' else '-'} |"
                )
            if "server" not in res.get("startup", {}) and "server" in res["modes"]:
                lines.append(
                    f"| {int(size):,} | server | not measured (--quick) | | | "
                    f"{_mib(res['modes']['server'].get('server_peak_rss_mib'))} / "
                    f"{_mib(res['modes']['server'].get('baseline_server_peak_rss_mib'))} |"
                )
        lines.append("")

        lines += [
            "## Index build at each size",
            "",
            "Writing the pre-computed synthetic vectors (no encoder). The keyword rebuild is what every ingestion "
            "that changes anything pays in full (`rebuild_keyword_index` re-reads and re-indexes every chunk); "
            "the id look-up (`ChromaStore.ids_for_doc`, a `where doc_id=` scan of each access collection) is only "
            "paid per document after an interrupted run; otherwise the manifest's chunk ids are used.",
            "",
            "| chunks | documents | ours: Chroma upsert s | baseline: `ChromaVectorStore.add` s | upsert ratio | keyword rebuild s (of which Chroma read-back) | manifest save s | `ids_for_doc` ms/call | chroma server start s |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for size, res in query.items():
            b = res["build"]
            lines.append(
                f"| {int(size):,} | {b['documents']:,} | {_s(b['insert_s'])} | {_s(b['baseline_insert_s'])} | "
                f"{fmt_x(_div(b['insert_s'], b['baseline_insert_s']))} | {_s(b['keyword_rebuild_s'])} ({_s(b.get('read_back_s'))}) | "
                f"{b['manifest_save_s']:.3f} | {b['ids_for_doc_ms']:.1f} | "
                f"{_s(res['modes'].get('server', {}).get('server_start_s'))} |"
            )
        lines.append("")

    lines += [
        "## Notes",
        "",
        "- Ratios are ours ÷ baseline from the same run (× for times and memory: below 1.00× ours is faster/smaller; "
        "for throughput the ratio is ours ÷ plain, above 1.00× ours is faster). Overheads are "
        "raw chunks/s ÷ variant chunks/s − 1.",
        "- p50/p95 are linear-interpolated percentiles of n samples; with small n (quick mode) p95 is close to the maximum.",
        "- Reproduce: " + f"`{results['command']}`" + ("; the full run is `python -m benchmarks` (`make bench`)." if results["quick"] else "."),
        "",
    ]
    return "\n".join(lines)
