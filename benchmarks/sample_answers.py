"""Extractive answer latency on the sample corpus: ``python -m benchmarks.sample_answers``.

Ingests ``corpus/`` into a temporary index with the default settings, asks every
question of ``evals/suites/core.yaml`` once to warm the caches and once timed, and writes
the median and p95 (total and per stage) into ``benchmarks/RESULTS.md`` between the markers
``<!-- sample-answers:start -->`` and ``<!-- sample-answers:end -->``. The baseline in the
same run is retrieval alone (``Assistant.retrieve``) on the same questions.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant.access import ROLES
from benchmarks.common import ROOT, machine

START, END = "<!-- sample-answers:start -->", "<!-- sample-answers:end -->"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sample_answers", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    args = p.parse_args(argv)
    load_start = [round(x, 2) for x in os.getloadavg()]
    from assistant.runtime import prepare_offline

    prepare_offline()
    from assistant.service import Assistant
    from assistant.settings import Settings
    from evals.suite import load_suites
    from ingest.pipeline import sync

    questions = [c.question for s in load_suites([str(ROOT / "evals/suites/core.yaml")]) for c in s.cases
                 if not c.history and c.role in ROLES]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", audit_log=None, corpus_dir=ROOT / "corpus")
        sync([ROOT / "corpus"], settings)
        assistant = Assistant(settings)
        assistant.warm_up()
        for q in questions:  # warm: query vectors and sentence vectors cached, as in a running app
            assistant.ask(q, role="staff")
        totals, stages, retrieval = [], {}, []
        for q in questions:
            t = time.perf_counter()
            answer = assistant.ask(q, role="staff")
            totals.append((time.perf_counter() - t) * 1000)
            for key, value in answer.timings.items():
                stages.setdefault(key, []).append(value)
        for q in questions:
            t = time.perf_counter()
            assistant.retrieve(q, role="staff")
            retrieval.append((time.perf_counter() - t) * 1000)
        cold = Assistant(settings)
        cold.warm_up()
        cold_totals = []
        for q in questions[:15]:  # a fresh process's first answers: nothing cached but the model
            t = time.perf_counter()
            cold.ask(q, role="staff")
            cold_totals.append((time.perf_counter() - t) * 1000)
    info = machine()
    lines = [
        START,
        "## Extractive answers on the sample corpus",
        "",
        f"Command: `python -m benchmarks.sample_answers`; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{info.get('nproc')} cores ({info.get('cpu')}), load average (1/5/15 min) at start {load_start}.",
        f"{len(questions)} single-turn questions of `evals/suites/core.yaml` (role staff, default settings: int8 encoder, "
        "extractive backend), each asked once to warm the caches and once timed; retrieval alone is the baseline.",
        "",
        "| what | n | median ms | p95 ms |",
        "|---|---:|---:|---:|",
        f"| retrieval only (`Assistant.retrieve`, baseline) | {len(retrieval)} | {statistics.median(retrieval):.1f} | {_pct(retrieval, 0.95):.1f} |",
        f"| full extractive answer (`Assistant.ask`) | {len(totals)} | {statistics.median(totals):.1f} | {_pct(totals, 0.95):.1f} |",
        f"| full answer, first questions of a fresh assistant | {len(cold_totals)} | {statistics.median(cold_totals):.1f} | {_pct(cold_totals, 0.95):.1f} |",
    ]
    for key in sorted(stages):
        lines.append(f"| stage `{key}` (from Answer.timings) | {len(stages[key])} | {statistics.median(stages[key]):.1f} | {_pct(stages[key], 0.95):.1f} |")
    lines.append(f"\nAnswer ÷ retrieval (median): {statistics.median(totals) / max(statistics.median(retrieval), 1e-9):.2f}x.")
    lines.append(END)
    block = "\n".join(lines)
    print(block)
    doc = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    if START in doc and END in doc:
        doc = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
    else:
        doc = doc.rstrip() + "\n\n" + block + "\n"
    args.out.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
