"""The eval runner end to end: the smoke suite through ``python -m evals run`` on the real index,
determinism, the --fail-under exit code, and a CSV benchmark over PDFs with ``--docs``.

The slow tests use the real embedding model (session fixture ``real_index``); the fast
ones drive the same CLI in-process with the deterministic hash embedder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docfactory as df
import pytest

from evals.__main__ import main
from evals.runner import docs_index, docs_key, make_settings

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "evals" / "suites" / "smoke.yaml"

HARBOUR = (
    "The Zephyr Harbour Authority was founded in 1987 by the city council of Port Alder. "
    "It manages the three breakwaters and the pilot boats of the harbour. "
    "The authority publishes a tide almanac every spring for local fishermen."
)
LIGHTHOUSE = (
    "The Gannet Point lighthouse was restored between 2004 and 2006. "
    "The restoration fund received donations from 412 volunteers and two shipping firms. "
    "Visitors may climb the tower on Saturdays from May to September."
)
BENCH_CSV = (
    "Question,Answer,source_file,Facts\n"
    "In which year was the harbour authority of Port Alder set up?,It was founded in 1987.,harbour.pdf,1987\n"
    "How many volunteers gave money to restore the lighthouse?,412 volunteers donated.,lighthouse.pdf,412\n"
    "Who looks after the breakwaters and pilot boats?,The Zephyr Harbour Authority.,harbour.pdf,Harbour Authority\n"
)
BENCH_MAP = "question=Question,reference_answer=Answer,expected_sources=source_file,expected_facts=Facts"


def make_benchmark(folder: Path) -> tuple[Path, Path]:
    """Two one-page PDFs and a CSV benchmark about them, in its own column names."""
    docs = folder / "docs"
    df.make_pdf(docs / "harbour.pdf", [HARBOUR], headings=["Harbour authority"], header=None, footer=False)
    df.make_pdf(docs / "lighthouse.pdf", [LIGHTHOUSE], headings=["Lighthouse restoration"], header=None, footer=False)
    csv_path = folder / "bench.csv"
    csv_path.write_text(BENCH_CSV, encoding="utf-8")
    return docs, csv_path


def run_cli(*args: str | Path, timeout: float = 400) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    env.pop("PA_EMBED_MODEL", None)
    return subprocess.run(
        [sys.executable, "-m", "evals", *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def scores(results: dict) -> dict:
    """Everything that must repeat between identical runs (latency and timestamps left out)."""
    summary = {k: v for k, v in results["summary"].items() if k != "latency_ms"}
    cases = {
        c["id"]: {k: c[k] for k in ("answer", "declined", "passed", "metrics", "failures", "searched_for", "citations", "retrieved")}
        for c in results["cases"]
    }
    return {"summary": summary, "cases": cases}


# ----------------------------------------------------------------------------- fast: hash embedder, in-process
@pytest.fixture
def hash_env(monkeypatch, tmp_path):
    monkeypatch.setenv("PA_EMBED_MODEL", "hash")
    monkeypatch.setenv("PA_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    return tmp_path


def test_docs_index_is_cached_by_content(hash_env):
    docs = hash_env / "docs"
    df.make_markdown(docs / "a.md", [("Harbour", HARBOUR)])
    settings = make_settings()
    cache = hash_env / "cache"
    logs: list[str] = []
    first, info = docs_index(docs, settings, cache, logs.append)
    assert not info["reused"] and first.audit_log is None and first.default_audience == "public"
    again, info2 = docs_index(docs, settings, cache, logs.append)
    assert info2["reused"] and again.index_dir == first.index_dir
    key = docs_key(docs, settings)
    df.make_markdown(docs / "b.md", [("Lighthouse", LIGHTHOUSE)])
    assert docs_key(docs, settings) != key  # a new file: a new index
    other = make_settings().model_copy(update={"chunk_size": 64})
    assert docs_key(docs, other) != docs_key(docs, settings)  # other index settings: a new index


def test_run_compare_and_calibrate_in_process(hash_env, capsys):
    docs, csv_path = make_benchmark(hash_env)
    cache, out_a, out_b = hash_env / "cache", hash_env / "run-a", hash_env / "run-b"
    args = ["run", str(csv_path), "--docs", str(docs), "--cache-dir", str(cache), "--map", BENCH_MAP, "--no-progress"]
    assert main([*args, "--out", str(out_a), "--fail-under", "access_ok=1"]) == 0
    results = json.loads((out_a / "results.json").read_text())
    assert len(results["cases"]) == 3 and results["docs"]["reused"] is False
    assert {c["id"] for c in results["cases"]} == {"row-1", "row-2", "row-3"}
    assert results["summary"]["metrics"]["doc_hit_at_k"]["n"] == 3
    assert not (hash_env / "audit.jsonl").exists()  # the audit log is off during evals
    for name in ("results.json", "summary.md", "report.html"):
        assert (out_a / name).stat().st_size > 0

    assert main([*args, "--out", str(out_b), "--fail-under", "pass_rate=1.01"]) == 1
    captured = capsys.readouterr()
    assert "gate: pass_rate" in captured.err and "MISSED" in captured.err
    assert json.loads((out_b / "results.json").read_text())["docs"]["reused"] is True

    assert main(["compare", str(out_a), str(out_b), "--html", str(hash_env / "cmp.html")]) == 0
    assert "regressed (passed in A, fail in B): 0" in capsys.readouterr().out
    assert "<h1>Eval comparison</h1>" in (hash_env / "cmp.html").read_text()

    assert main(["calibrate", str(csv_path), "--docs", str(docs), "--cache-dir", str(cache), "--map", BENCH_MAP,
                 "--range", "0.2:0.6:0.2", "--no-progress"]) == 0
    table = capsys.readouterr().out
    assert "threshold  answered" in table and "0.200" in table and "0.600" in table


def test_labelled_rag_dataset_contexts_resolve_to_documents(hash_env):
    docs, _ = make_benchmark(hash_env)
    dataset = {
        "examples": [
            {
                "query": "How many volunteers funded the lighthouse work?",
                "reference_answer": "412 volunteers.",
                "reference_contexts": ["The restoration fund received donations from 412 volunteers and two shipping firms."],
            },
            {"query": "Unrelated?", "reference_answer": "No.", "reference_contexts": ["Completely different words about volcanoes and glaciers here."]},
        ]
    }
    path = hash_env / "rag_dataset.json"
    path.write_text(json.dumps(dataset), encoding="utf-8")
    out = hash_env / "out"
    assert main(["run", str(path), "--docs", str(docs), "--cache-dir", str(hash_env / "cache"), "--out", str(out), "--no-progress"]) == 0
    cases = {c["id"]: c for c in json.loads((out / "results.json").read_text())["cases"]}
    assert cases["example-1"]["expected_sources"] == [{"doc": "lighthouse.pdf", "page": 1}]
    assert cases["example-1"]["metrics"]["doc_hit_at_k"] is not None
    assert cases["example-2"]["expected_sources"] == []  # matched nothing: judged by its reference answer only


def test_run_reports_a_missing_index(hash_env, capsys):
    assert main(["run", str(SMOKE), "--index-dir", str(hash_env / "empty"), "--out", str(hash_env / "o")]) == 2
    assert "is empty; build it first" in capsys.readouterr().err


# ----------------------------------------------------------------------------- slow: the real model, through the CLI
@pytest.fixture(scope="module")
def smoke_run(real_index, tmp_path_factory):
    out = tmp_path_factory.mktemp("smoke-a")
    proc = run_cli("run", SMOKE, "--index-dir", real_index.index_dir, "--out", out, "--fail-under", "pass_rate=0")
    return proc, out


@pytest.mark.slow
def test_smoke_suite_writes_results_summary_and_report(smoke_run):
    proc, out = smoke_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert len(results["cases"]) == 10
    for key in ("settings_hash", "git_commit", "index_version", "summary", "gate", "definitions"):
        assert results[key], key
    assert results["suites"][0]["sha256"] and results["k"] >= 1
    case = results["cases"][0]
    for key in ("question", "answer", "citations", "searched_for", "metrics", "passed", "failures", "retrieved"):
        assert key in case
    follow_up = next(c for c in results["cases"] if len(c["turns"]) > 1)
    assert follow_up["searched_for"] != follow_up["question"]  # the conversation was condensed
    assert all(c["metrics"]["access_ok"] == 1.0 for c in results["cases"])
    summary = (out / "summary.md").read_text()
    assert "# Eval summary: smoke" in summary and "| Pass rate |" in summary
    page = (out / "report.html").read_text()
    assert page.count("<svg") >= 3 and "<details" in page and "<script" not in page
    assert "passed" in proc.stdout and "gate: pass_rate" in proc.stdout


@pytest.mark.slow
def test_same_suite_twice_gives_identical_scores_and_fail_under_exits_1(smoke_run, real_index, tmp_path):
    _, first = smoke_run
    proc = run_cli("run", SMOKE, "--index-dir", real_index.index_dir, "--out", tmp_path, "--fail-under", "pass_rate=1.01")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gate: pass_rate" in proc.stderr and "MISSED" in proc.stderr
    a = json.loads((first / "results.json").read_text())
    b = json.loads((tmp_path / "results.json").read_text())
    assert scores(a) == scores(b)
    assert a["settings_hash"] == b["settings_hash"] and a["index_version"] == b["index_version"]


@pytest.mark.slow
def test_csv_benchmark_over_pdfs_with_docs(tmp_path):
    docs, csv_path = make_benchmark(tmp_path)
    out = tmp_path / "out"
    proc = run_cli(
        "run", csv_path, "--docs", docs, "--cache-dir", tmp_path / "cache", "--map", BENCH_MAP, "--out", out,
        "--fail-under", "doc_hit_at_k=1", "--fail-under", "access_ok=1",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["docs"]["docs"] == str(docs) and Path(results["index_dir"]).is_relative_to(tmp_path / "cache")
    by_id = {c["id"]: c for c in results["cases"]}
    assert by_id["row-1"]["retrieved"][0]["doc_id"] == "harbour.pdf"
    assert by_id["row-2"]["retrieved"][0]["doc_id"] == "lighthouse.pdf"
    assert results["summary"]["metrics"]["fact_recall"]["value"] >= 2 / 3
    assert all(c["retrieved"][0]["page"] == 1 for c in results["cases"])


def _fake_run(folder, pass_rate: float, seconds: float) -> None:
    folder.mkdir(parents=True)
    summary = {"metrics": {"pass_rate": {"value": pass_rate}, "fact_recall": {"value": 0.5}},
               "latency_ms": {"total_ms": {"p50": 12.0, "p95": 34.0}}}
    (folder / "results.json").write_text(json.dumps({"summary": summary, "seconds": seconds}), encoding="utf-8")


def test_backend_table_reuses_runs_and_rewrites_only_its_block(tmp_path):
    from evals import backends

    runs = tmp_path / "runs"
    _fake_run(runs / "extractive", 0.78, 3.0)
    _fake_run(runs / "local", 0.64, 893.0)
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{backends.START}\nold table\n{backends.END}\noutro\n", encoding="utf-8")
    code = backends.main(["suite.yaml", "--backends", "extractive,local", "--out", str(runs),
                          "--reuse", "extractive,local", "--write", str(readme)])
    text = readme.read_text(encoding="utf-8")
    assert code == 0 and text.startswith("intro\n") and text.endswith("outro\n") and "old table" not in text
    assert "--reuse extractive,local" in text  # the command line says the rows were read back
    assert "| extractive | 0.78 | 0.50 |" in text and "| local | 0.64 | 0.50 |" in text
    assert "| 12 / 34 | 3 s |" in text and "| 893 s |" in text
