"""The benchmark harness: the synthetic corpus, the ratios, and one tiny end-to-end run.

No test asserts a time value: only that every figure is there, that each ratio is
computed from the two numbers it compares, and that the synthetic corpus is what
it says it is.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from benchmarks import report, synthetic

# --------------------------------------------------------------------------- synthetic corpus


@pytest.mark.parametrize("n", [0, 1, 7, 200, 1234])
def test_synthetic_gives_exactly_n_chunks(n):
    chunks = synthetic.generate(n, seed=3)
    assert len(chunks) == n
    assert len({c.chunk_id for c in chunks}) == n


def test_synthetic_is_reproducible_by_seed():
    a, b, c = synthetic.generate(300, seed=1), synthetic.generate(300, seed=1), synthetic.generate(300, seed=2)
    assert [x.text for x in a] == [x.text for x in b]
    assert synthetic.fingerprint(a) == synthetic.fingerprint(b) != synthetic.fingerprint(c)
    va, vb = synthetic.fake_vectors(a, seed=1), synthetic.fake_vectors(b, seed=1)
    assert va.shape == (300, synthetic.DIM)
    assert (va == vb).all()
    assert abs(float((va * va).sum(axis=1).mean()) - 1.0) < 1e-4  # unit vectors


def test_synthetic_text_is_clearly_synthetic_and_chunk_sized():
    docs, chunks = synthetic.documents(120, seed=0)
    for c in chunks:
        assert "synthetic" in c.text.lower()
        assert 100 <= len(c.text.split()) <= 260
        assert c.store_metadata()["doc_id"] == c.doc_id
    years = {int(y) for c in chunks for y in re.findall(r"\b(20\d\d)\b", c.text)}
    assert years and min(years) > 2030  # fictional future years only


def test_synthetic_questions_are_distinct_and_answerable():
    docs, chunks = synthetic.documents(400, seed=0)
    qs = synthetic.questions(docs, 30, seed=9)
    assert len(qs) == len(set(qs)) == 30
    firsts = " ".join(c.text for c in chunks if c.position == 0)
    for q in qs:
        programme = re.search(r"programme (\d+)", q).group(1)
        assert f"Synthetic programme {programme} " in firsts


# --------------------------------------------------------------------------- ratios and rendering


def _fake_results() -> dict:
    child = {"ready_from_spawn_s": 8.0, "first_retrieve_s": 0.5, "first_answer_s": 1.5, "peak_rss_mib": 600.0}
    base_child = {"ready_from_spawn_s": 10.0, "first_retrieve_s": 0.25, "first_answer_s": None, "peak_rss_mib": 500.0}
    mode = {
        "retrieve": {"n": 5, "p50_ms": 30.0, "p95_ms": 45.0, "mean_ms": 33.0},
        "baseline_retrieve": {"n": 5, "p50_ms": 20.0, "p95_ms": 30.0, "mean_ms": 22.0},
        "search": {"n": 5, "p50_ms": 12.0, "p95_ms": 16.0, "mean_ms": 13.0},
        "baseline_search": {"n": 5, "p50_ms": 4.0, "p95_ms": 8.0, "mean_ms": 5.0},
        "query_encode": {"n": 5, "p50_ms": 11.0, "p95_ms": 14.0, "mean_ms": 12.0},
        "ask": {"n": 2, "p50_ms": 900.0, "p95_ms": 1200.0, "mean_ms": 1000.0, "declined": 0},
        "warm_up_loaded_model_s": 0.1,
    }
    ingest = {
        "corpus": {"files": 18, "copies": 1, "copied_unchanged": 0},
        "repeat": 1,
        "batch_size": 64,
        "raw": {"seconds": 4.0, "cpu_s": 6.0, "chunks": 100, "chunks_per_s": 25.0},
        "ours": {
            "seconds": 5.0, "cpu_s": 9.0, "chunks": 100, "chunks_per_s": 20.0, "embedded": 100, "cache_hits": 0, "encode_calls": 1,
            "phases": {
                "encode_s": 4.0, "store_upsert_s": 0.5, "store_ids_for_doc_s": 0.1, "manifest_save_s": 0.1,
                "manifest_saves": 20, "keyword_rebuild_s": 0.1, "load_chunk_cache_other_s": 0.2,
            },
        },
        "llamaindex": {"seconds": 8.0, "cpu_s": 12.0, "chunks": 80, "chunks_per_s": 10.0},
        "pipeline_only": {
            "ours": {"seconds": 1.0, "chunks": 100, "chunks_per_s": 100.0},
            "llamaindex": {"seconds": 0.5, "chunks": 80, "chunks_per_s": 160.0},
        },
        "reingest_unchanged": {"seconds": 0.05, "files": 18},
        "reingest_changed": {"seconds": 0.5, "files_changed": 1, "share_pct": 5.6, "chunks_embedded": 2, "cache_hits": 5},
    }
    return {
        "command": "python -m benchmarks --quick",
        "quick": True,
        "wall_s": 90.0,
        "role": "public",
        "machine": {
            "date": "2026-01-01 00:00 UTC", "nproc": 2, "cpu": "x", "ram_gib": 24, "python": "3.11",
            "platform": "linux", "libraries": {"chromadb": "1.5"}, "load_avg_start": [0.1, 0.1, 0.1],
            "load_avg_end": [1.0, 1.0, 1.0],
        },
        "model_load": {"ours_s": 1.0, "llamaindex_s": 1.2},
        "ingest": ingest,
        "query": {
            "1000": {
                "build": {
                    "documents": 120, "insert_s": 1.0, "baseline_insert_s": 1.1, "keyword_rebuild_s": 0.2,
                    "manifest_save_s": 0.01, "ids_for_doc_ms": 1.0,
                },
                "modes": {"embedded": mode, "server": {**mode, "server_start_s": 1.0, "server_peak_rss_mib": 130.0}},
                "startup": {"embedded": {"ours": child, "baseline": base_child, "app": {"skipped": "no"}}},
            }
        },
    }


def test_ratios_come_from_the_two_numbers_they_compare():
    r = report.derive(_fake_results())
    assert r["ingest"]["ours_overhead_over_raw_pct"] == pytest.approx((25.0 / 20.0 - 1) * 100)
    assert r["ingest"]["ours_vs_plain_chunks_per_s_x"] == pytest.approx(20.0 / 10.0)
    assert r["ingest"]["plain_vs_ours_seconds_x"] == pytest.approx(8.0 / 5.0)
    assert r["ingest"]["pipeline_only_ours_vs_plain_chunks_per_s_x"] == pytest.approx(100.0 / 160.0)
    assert r["ingest"]["ours_cpu_overhead_over_raw_pct"] == pytest.approx((9.0 / 100 / (6.0 / 100) - 1) * 100)
    assert r["ingest"]["plain_vs_ours_cpu_x"] == pytest.approx(12.0 / 9.0)
    assert r["reingest"]["unchanged_pct_of_full"] == pytest.approx(0.05 / 5.0 * 100)
    assert r["reingest"]["changed_pct_of_full"] == pytest.approx(0.5 / 5.0 * 100)
    q = r["query"]["1000"]["modes"]["embedded"]
    assert q["retrieve_p50_x"] == pytest.approx(30.0 / 20.0)
    assert q["retrieve_p95_x"] == pytest.approx(45.0 / 30.0)
    assert q["ask_over_retrieve_p50_x"] == pytest.approx(900.0 / 30.0)  # the plain retriever has no answer step
    assert q["search_p50_x"] == pytest.approx(12.0 / 4.0)
    assert q["search_p95_x"] == pytest.approx(16.0 / 8.0)
    s = r["query"]["1000"]["startup"]["embedded"]
    assert s["ready_x"] == pytest.approx(8.0 / 10.0)
    assert s["first_result_x"] == pytest.approx(8.5 / 10.25)
    assert s["peak_rss_x"] == pytest.approx(600.0 / 500.0)


def test_render_has_every_section_and_prints_the_ratios():
    text = report.render(_fake_results())
    for section in report.SECTIONS:
        assert section in text
    assert "+25.0%" in text  # overhead over the raw encoder
    assert "2.00×" in text  # ours vs plain, chunks/s
    assert "1.50×" in text  # retrieve p50 ratio
    assert "fake (stored)" in text
    assert "nproc: 2" in text


def test_a_ratio_with_a_missing_number_is_not_invented():
    res = _fake_results()
    res["query"]["1000"]["modes"]["embedded"]["baseline_retrieve"]["p50_ms"] = float("nan")
    r = report.derive(res)
    assert r["query"]["1000"]["modes"]["embedded"]["retrieve_p50_x"] is None
    assert "n/a" in report.render(res)


# --------------------------------------------------------------------------- end to end


def _recomputed(results: dict) -> dict[str, float]:
    """Every ratio again, straight from the measured numbers in the JSON."""
    ing = results["ingest"]
    out = {
        "overhead": (ing["raw"]["chunks"] / ing["raw"]["seconds"]) / (ing["ours"]["chunks"] / ing["ours"]["seconds"]) - 1,
        "vs_plain": (ing["ours"]["chunks"] / ing["ours"]["seconds"]) / (ing["llamaindex"]["chunks"] / ing["llamaindex"]["seconds"]),
        "unchanged": ing["reingest_unchanged"]["seconds"] / ing["ours"]["seconds"],
        "changed": ing["reingest_changed"]["seconds"] / ing["ours"]["seconds"],
    }
    for size, res in results["query"].items():
        for mode, m in res["modes"].items():
            out[f"{size}-{mode}-retrieve"] = m["retrieve"]["p50_ms"] / m["baseline_retrieve"]["p50_ms"]
            out[f"{size}-{mode}-ask"] = m["ask"]["p50_ms"] / m["retrieve"]["p50_ms"]
            out[f"{size}-{mode}-search"] = m["search"]["p50_ms"] / m["baseline_search"]["p50_ms"]
        for mode, pair in res["startup"].items():
            out[f"{size}-{mode}-ready"] = pair["ours"]["ready_from_spawn_s"] / pair["baseline"]["ready_from_spawn_s"]
            out[f"{size}-{mode}-rss"] = pair["ours"]["peak_rss_mib"] / pair["baseline"]["peak_rss_mib"]
    return out


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_quick_run_on_a_tiny_size_writes_every_section(tmp_path):
    from benchmarks.__main__ import main

    out, raw = tmp_path / "RESULTS.md", tmp_path / "results.json"
    argv = ["--quick", "--sizes", "200", "--ingest-limit", "2", "--copies", "2", "--queries", "3", "--asks", "1"]
    assert main([*argv, "--out", str(out), "--json", str(raw), "--workdir", str(tmp_path / "work")]) == 0

    text = out.read_text(encoding="utf-8")
    for section in report.SECTIONS:
        assert section in text, section
    assert "python -m benchmarks --quick --sizes 200" in text
    assert "| 200 | embedded | ours `retrieve`" in text and "| 200 | server | ours `retrieve`" in text
    assert "search only (query vector cached)" in text
    assert "fake (stored)" in text  # the query rows say their stored vectors are fake
    # the defaults' row: both indexes written, one chunk count
    assert "| (b4) ours with the defaults" in text and "`multilingual_model: off` gives back" in text

    results = json.loads(raw.read_text(encoding="utf-8"))
    ratios = results["ratios"]
    ing = results["ingest"]
    assert ing["corpus"]["files"] == 4 and ing["corpus"]["copied_unchanged"] == 0
    assert ing["raw"]["chunks"] == ing["ours"]["chunks"] > 0  # the raw encoder reads exactly our chunks
    assert ing["ours"]["embedded"] == ing["ours"]["chunks"]  # distinct copies: nothing came from the cache
    assert ing["reingest_changed"]["files_changed"] == 1
    again = _recomputed(results)
    assert math.isclose(ratios["ingest"]["ours_overhead_over_raw_pct"], again["overhead"] * 100, rel_tol=1e-9)
    assert math.isclose(ratios["ingest"]["ours_vs_plain_chunks_per_s_x"], again["vs_plain"], rel_tol=1e-9)
    assert math.isclose(ratios["reingest"]["unchanged_pct_of_full"], again["unchanged"] * 100, rel_tol=1e-9)
    assert math.isclose(ratios["reingest"]["changed_pct_of_full"], again["changed"] * 100, rel_tol=1e-9)
    q = ratios["query"]["200"]
    for mode in ("embedded", "server"):
        assert math.isclose(q["modes"][mode]["retrieve_p50_x"], again[f"200-{mode}-retrieve"], rel_tol=1e-9)
        assert math.isclose(q["modes"][mode]["ask_over_retrieve_p50_x"], again[f"200-{mode}-ask"], rel_tol=1e-9)
        assert math.isclose(q["modes"][mode]["search_p50_x"], again[f"200-{mode}-search"], rel_tol=1e-9)
        assert results["query"]["200"]["modes"][mode]["retrieve"]["n"] == 3
    assert math.isclose(q["startup"]["embedded"]["ready_x"], again["200-embedded-ready"], rel_tol=1e-9)
    assert math.isclose(q["startup"]["embedded"]["peak_rss_x"], again["200-embedded-rss"], rel_tol=1e-9)
    # The table prints the same ratios the JSON holds.
    assert report.fmt_pct(ratios["ingest"]["ours_overhead_over_raw_pct"]) in text
    assert report.fmt_x(ratios["ingest"]["ours_vs_plain_chunks_per_s_x"]) in text
    assert report.fmt_x(q["modes"]["embedded"]["retrieve_p50_x"]) in text
    assert report.fmt_x(q["startup"]["embedded"]["peak_rss_x"]) in text
