"""One suite, every answer backend that runs here, one Markdown table.

``python -m evals.backends evals/suites/core.yaml --backends extractive,local`` runs the
suite once per backend (the same index and code path as the app) and prints a table of
the headline metrics; ``--write README.md`` replaces the table between the markers
``<!-- eval-backends:start -->`` and ``<!-- eval-backends:end -->``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

COLUMNS = (
    ("pass_rate", "pass rate"),
    ("fact_recall", "fact recall"),
    ("doc_hit_at_k", "doc hit@k"),
    ("citation_precision", "citation precision"),
    ("groundedness", "groundedness"),
    ("decline_precision", "decline precision"),
    ("decline_recall", "decline recall"),
    ("answered_precision", "answered-correctly precision"),
    ("coverage", "coverage"),
)
START, END = "<!-- eval-backends:start -->", "<!-- eval-backends:end -->"


def table(rows: list[tuple[str, dict, float, str]]) -> str:
    head = "| backend | " + " | ".join(label for _, label in COLUMNS) + " | p50 / p95 ms | run |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for backend, summary, seconds, _out in rows:
        metrics = summary["metrics"]
        cells = []
        for key, _ in COLUMNS:
            value = metrics.get(key, {}).get("value")
            cells.append("–" if value is None else f"{value:.2f}")
        total = summary.get("latency_ms", {}).get("total_ms", {})
        latency = f"{total.get('p50', 0):,.0f} / {total.get('p95', 0):,.0f}" if total else "–"
        lines.append(f"| {backend} | " + " | ".join(cells) + f" | {latency} | {seconds:.0f} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m evals.backends",
        description="Run a suite once per answer backend and print one table.",
        epilog="example:\n  python -m evals.backends evals/suites/core.yaml --backends extractive,local --write README.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("suite")
    p.add_argument("--backends", default="extractive,local", help="comma-separated: extractive, local, openai")
    p.add_argument("--index-dir", type=Path)
    p.add_argument("--out", type=Path, default=Path("evals/runs/backends"), help="one run folder per backend under here")
    p.add_argument("--write", type=Path, help="replace the table between the eval-backends markers in this file")
    p.add_argument(
        "--reuse",
        nargs="?",
        const="*",
        default="",
        metavar="BACKENDS",
        help="read the runs already in --out instead of running again (all, or the comma-separated backends given)",
    )
    args = p.parse_args(argv)
    from evals.runner import RunOptions, run

    rows = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        started = time.perf_counter()
        if args.reuse == "*" or backend in args.reuse.split(","):
            data = json.loads((args.out / backend / "results.json").read_text(encoding="utf-8"))
            out, seconds = args.out / backend, float(data.get("seconds") or data.get("elapsed_s") or 0.0)
        else:
            data, out = run(RunOptions(suites=[args.suite], index_dir=args.index_dir, backend=backend,
                                       out=args.out / backend, progress=False))
            seconds = time.perf_counter() - started
        rows.append((backend, data["summary"], seconds, str(out)))
    text = table(rows)
    command = f"python -m evals.backends {args.suite} --backends {args.backends}"
    if args.reuse:
        command += f" --reuse {args.reuse}" if args.reuse != "*" else " --reuse"
    block = f"{START}\nProduced by `{command}` on {time.strftime('%Y-%m-%d')}:\n\n{text}\n{END}"
    print(text)
    if args.write:
        doc = args.write.read_text(encoding="utf-8")
        if START not in doc or END not in doc:
            print(f"error: {args.write} has no {START} ... {END} markers", file=sys.stderr)
            return 2
        doc = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
        args.write.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
