"""Command line: ``python -m evals run|compare|calibrate|from-feedback|validate``.

Exit status: 0 ok, 1 a --fail-under threshold was missed (run), 2 usage, suite or
configuration error (printed without a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.access import ROLES
from evals.metrics import DEFINITIONS

FMT = argparse.RawDescriptionHelpFormatter

MAIN_EPILOG = """examples:
  python -m evals run evals/suites/core.yaml --out /tmp/core-run
  python -m evals run evals/suites/smoke.yaml --fail-under pass_rate=0.8 --fail-under fact_recall=0.8
  python -m evals run bench.csv --docs ~/their-pdfs --map question=Question,reference_answer=Answer,expected_sources=source_file
  python -m evals compare evals/runs/20250101-120000 /tmp/core-run --html /tmp/diff.html
  python -m evals calibrate evals/suites/core.yaml --range 0.30:0.60:0.02
  python -m evals calibrate my-suite.yaml --docs ./my-docs --fit --out my-decline.json
  python -m evals public --quick                   # the public development sets -> docs/evaluation.md
  python -m evals from-feedback --db data/feedback.sqlite --out /tmp/feedback-draft.yaml
  python -m evals validate evals/suites/*.yaml

exit status: 0 ok, 1 a --fail-under threshold missed, 2 usage, suite or configuration error."""

RUN_EPILOG = """examples:
  python -m evals run evals/suites/core.yaml --out /tmp/core-run
  python -m evals run evals/suites/smoke.yaml --index-dir /tmp/index --fail-under pass_rate=0.8
  python -m evals run evals/suites/core.yaml --backend openai --role-override partner
  python -m evals run bench.csv --docs ./their-docs --map question=Question,reference_answer=Answer,expected_sources=source_file
  python -m evals run rag_dataset.json --docs ./their-docs        # llama-index LabelledRagDataset

Suites: YAML/JSON with a top-level 'cases:' list, JSONL (one case per line), CSV or
foreign JSONL with --map FIELD=COLUMN,..., or LabelledRagDataset JSON. In a CSV cell,
';' separates list items and '|' the accepted alternatives of one fact.

Writes results.json, summary.md and report.html to --out (default evals/runs/<timestamp>).
metrics for --fail-under: """ + ", ".join(DEFINITIONS) + """

exit status: 0 ok, 1 a --fail-under threshold missed, 2 usage, suite or configuration error."""

COMPARE_EPILOG = """examples:
  python -m evals compare evals/runs/before evals/runs/after
  python -m evals compare before/results.json after/results.json --html /tmp/compare.html

Prints metric deltas (B - A) and the cases that flipped between pass and fail."""

CALIBRATE_EPILOG = """examples:
  python -m evals calibrate evals/suites/core.yaml
  python -m evals calibrate evals/suites/core.yaml --range 0.30:0.60:0.02 --json /tmp/sweep.json

  python -m evals calibrate my-suite.yaml --docs ./my-docs --fit --out my-decline.json

Re-asks every case at each answer_min_score, reusing retrieval and embeddings, and
prints answered-correctly precision against coverage: the trade-off of the threshold.
With --fit: fits the answer-or-decline model (assistant/decline.py) on the suites
instead, writes its parameters to --out, and prints its precision/coverage curve on
the same cases; the app uses it with the setting decline_model (PA_DECLINE_MODEL=FILE)."""

PUBLIC_EPILOG = """examples:
  python -m evals public --quick                  # a seeded subset of each set, a few minutes
  python -m evals public                          # all 2,121 questions (see docs/evaluation.md for the time)
  python -m evals public --sets squad2 --limit 200 --no-doc
  python -m evals public --fit-decline            # re-fit assistant/decline_model.json on SQuAD 2.0 + core suite

Converts ../shared/dev-data (or --data DIR): sec-10q (PDFs + questions.csv), squad2 and
viquad2 (one document per distinct passage), indexes each document set once (cached),
asks every question through the app, runs the plain llama-index pipeline on the same
documents and questions, and rewrites the generated table in docs/evaluation.md."""

FEEDBACK_EPILOG = """examples:
  python -m evals from-feedback                              # feedback_db from settings, YAML to stdout
  python -m evals from-feedback --db data/feedback.sqlite --out evals/suites/feedback-draft.yaml

Writes a draft suite of the thumbs-down answers: should_decline is left null for review,
the comment and the answer given go to 'notes', and each case is tagged from-feedback."""

VALIDATE_EPILOG = """examples:
  python -m evals validate evals/suites/core.yaml evals/suites/smoke.yaml
  python -m evals validate bench.csv --map question=Question,reference_answer=Answer

Checks suites without running them and prints case counts per tag."""


def _index_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("index and settings")
    g.add_argument("--docs", type=Path, metavar="DIR", help="evaluate against this folder of documents (indexed once into --cache-dir)")
    g.add_argument("--index-dir", type=Path, metavar="DIR", help="index folder (setting index_dir; default: index/)")
    g.add_argument("--cache-dir", type=Path, metavar="DIR", help="where --docs indexes are cached (default ~/.cache/programme-assistant/eval-indexes)")
    g.add_argument("--backend", choices=["extractive", "local", "openai"], help="answer backend (setting backend)")
    g.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    g.add_argument("--chroma-host", help="Chroma server host (setting chroma_host)")
    g.add_argument("--chroma-port", type=int, help="Chroma server port")
    p.add_argument("--map", metavar="FIELD=COLUMN,...", help="column mapping for CSV / foreign JSONL suites")
    p.add_argument("--role-override", choices=list(ROLES), metavar="ROLE", help="ask every case as this role")
    p.add_argument("--k", type=int, help="retrieval depth for hit@k / recall@k (default: setting top_k)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar even on a terminal")
    p.add_argument("-v", "--verbose", action="store_true")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m evals",
        description="Answer-quality evaluation of the programme assistant: run suites, compare runs, "
        "calibrate the decline threshold, and draft cases from user feedback.",
        epilog=MAIN_EPILOG,
        formatter_class=FMT,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run suites and write results.json, summary.md, report.html", epilog=RUN_EPILOG, formatter_class=FMT)
    run.add_argument("suites", nargs="+", metavar="SUITE", help="suite files (.yaml, .json, .jsonl, .csv)")
    run.add_argument("--out", type=Path, metavar="DIR", help="output folder (default evals/runs/<timestamp>)")
    run.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE", help="exit 1 when METRIC is below VALUE (repeatable)")
    _index_options(run)

    cmp = sub.add_parser("compare", help="metric deltas and flipped cases between two runs", epilog=COMPARE_EPILOG, formatter_class=FMT)
    cmp.add_argument("run_a", metavar="RUN_A", help="run folder (or its results.json): before")
    cmp.add_argument("run_b", metavar="RUN_B", help="run folder (or its results.json): after")
    cmp.add_argument("--html", type=Path, metavar="OUT", help="also write the comparison as HTML")
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")

    cal = sub.add_parser("calibrate", help="sweep the decline threshold (answer_min_score)", epilog=CALIBRATE_EPILOG, formatter_class=FMT)
    cal.add_argument("suites", nargs="+", metavar="SUITE")
    cal.add_argument("--range", default="0.30:0.60:0.02", metavar="START:STOP:STEP", help="thresholds to try (default 0.30:0.60:0.02)")
    cal.add_argument("--json", type=Path, metavar="FILE", help="also write the table as JSON")
    cal.add_argument("--fit", action="store_true", help="fit the answer-or-decline model on the suites instead of sweeping")
    cal.add_argument("--out", type=Path, default=Path("decline_model.json"), metavar="FILE",
                     help="with --fit: where to write the model's parameters (default ./decline_model.json)")
    _index_options(cal)

    pub = sub.add_parser("public", help="run the public development sets, ours beside plain llama-index", epilog=PUBLIC_EPILOG, formatter_class=FMT)
    pub.add_argument("--data", type=Path, default=None, metavar="DIR", help="the public sets (default ../shared/dev-data)")
    pub.add_argument("--quick", action="store_true", help="a seeded subset of each set (a few minutes)")
    pub.add_argument("--sets", metavar="NAME,...", help="only these sets: sec-10q, squad2, viquad2")
    pub.add_argument("--limit", type=int, metavar="N", help="at most N questions per set (seeded sample)")
    pub.add_argument("--no-baseline", action="store_true", help="skip the plain llama-index pipeline")
    pub.add_argument("--doc", type=Path, default=None, metavar="FILE", help="markdown file to write the table into (default docs/evaluation.md)")
    pub.add_argument("--no-doc", action="store_true", help="write results.json only")
    pub.add_argument("--out", type=Path, metavar="DIR", help="run folder (default evals/runs/public-<time>)")
    pub.add_argument("--cache-dir", type=Path, metavar="DIR", help="where document indexes are cached (as for run --docs)")
    pub.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    pub.add_argument("--fit-decline", action="store_true", help="re-fit the decline model on SQuAD 2.0 + the core suite (held-out curve to --doc)")
    pub.add_argument("--model-out", type=Path, default=None, metavar="FILE", help="with --fit-decline: where to write it (default assistant/decline_model.json)")
    pub.add_argument("--index-dir", type=Path, metavar="DIR", help="with --fit-decline: the sample corpus index for the core suite (default index/)")
    pub.add_argument("--rows", type=Path, metavar="FILE", help="with --fit-decline: re-fit from an earlier collection's rows.json (evals/runs/decline-fit-*/)")
    pub.add_argument("--no-progress", action="store_true")
    pub.add_argument("-v", "--verbose", action="store_true")

    fb = sub.add_parser("from-feedback", help="draft a suite from thumbs-down feedback", epilog=FEEDBACK_EPILOG, formatter_class=FMT)
    fb.add_argument("--db", type=Path, metavar="PATH", help="feedback SQLite (default: setting feedback_db)")
    fb.add_argument("--out", type=Path, metavar="FILE", help="write the draft here (default: standard output)")
    fb.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")

    val = sub.add_parser("validate", help="check suites without running them", epilog=VALIDATE_EPILOG, formatter_class=FMT)
    val.add_argument("suites", nargs="+", metavar="SUITE")
    val.add_argument("--map", metavar="FIELD=COLUMN,...", help="column mapping for CSV / foreign JSONL suites")
    return p


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)


def _print_run(data: dict, out: Path) -> None:
    from evals.report import fmt, ms, pct

    s = data["summary"]
    k = data["k"]
    print(f"{', '.join(x['name'] for x in data['suites'])}: {s['passed']}/{s['cases']} passed ({pct(s['passed'] / s['cases'])}), "
          f"{s['declined']} declined ({s['should_decline']} should be), {s['errors']} errors; "
          f"settings {data['settings_hash']}, index {data['index_version']}")
    for name, entry in s["metrics"].items():
        label = DEFINITIONS[name][0].replace("@k", f"@{k}")
        print(f"  {label:30} {fmt(entry['value']):>6}  (n={entry['n']})")
    lat = s["latency_ms"]
    if lat:
        print("  latency p50/p95 ms: " + ", ".join(f"{st.removesuffix('_ms')} {ms(v['p50'])}/{ms(v['p95'])}" for st, v in lat.items()))
    failing = [c for c in data["cases"] if not c["passed"]]
    if failing:
        print(f"failing cases ({len(failing)}):")
        for c in failing:
            print(f"  {c['id']}: {'; '.join(c['failures'])}")
    print(f"wrote {out / 'results.json'}, {out / 'summary.md'}, {out / 'report.html'}")


def _cmd_run(args) -> int:
    from evals.runner import RunOptions, parse_thresholds, run
    from evals.suite import parse_mapping

    opts = RunOptions(
        suites=args.suites,
        mapping=parse_mapping(args.map),
        docs=args.docs,
        index_dir=args.index_dir,
        cache_dir=args.cache_dir,
        backend=args.backend,
        config=args.config,
        chroma_host=args.chroma_host,
        chroma_port=args.chroma_port,
        out=args.out,
        fail_under=parse_thresholds(args.fail_under),
        role_override=args.role_override,
        k=args.k,
        progress=False if args.no_progress else None,
    )
    data, out = run(opts)
    _print_run(data, out)
    missed = [g for g in data["gate"] if not g["ok"]]
    for g in data["gate"]:
        value = "not measured" if g["value"] is None else f"{g['value']:.3f}"
        print(f"gate: {g['metric']} = {value} (minimum {g['min']}): {'ok' if g['ok'] else 'MISSED'}",
              file=sys.stderr if not g["ok"] else sys.stdout)
    return 1 if missed else 0


def _cmd_compare(args) -> int:
    from evals.compare import compare, compare_html, format_text
    from evals.runner import load_run

    a, b = load_run(args.run_a), load_run(args.run_b)
    result = compare(a, b)
    if args.json:
        print(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    else:
        print(format_text(result, args.run_a, args.run_b))
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(compare_html(result, args.run_a, args.run_b), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    return 0


def _cmd_calibrate(args) -> int:
    from evals.runner import RunOptions, calibrate, format_calibration, thresholds_range
    from evals.suite import parse_mapping

    thresholds = thresholds_range(args.range) if not args.fit else []
    opts = RunOptions(
        suites=args.suites, mapping=parse_mapping(args.map), docs=args.docs, index_dir=args.index_dir, cache_dir=args.cache_dir,
        backend=args.backend, config=args.config, chroma_host=args.chroma_host, chroma_port=args.chroma_port,
        role_override=args.role_override, k=args.k, progress=False if args.no_progress else None,
    )
    if args.fit:
        from evals.decline_fit import fit_suites, format_curve

        result = fit_suites(opts, args.out, lambda m: print(m, file=sys.stderr))
        print(format_curve(result["curve"], result["model"].threshold))
        print(f"wrote {args.out}; use it with PA_DECLINE_MODEL={args.out} (setting decline_model)")
        if args.json:
            args.json.write_text(json.dumps(result["curve"], indent=1), encoding="utf-8")
        return 0
    data = calibrate(opts, thresholds)
    print(format_calibration(data))
    if args.json:
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


def _cmd_public(args) -> int:
    from evals.public import DOC, README, PublicOptions, run_public
    from evals.public_data import DEFAULT_DATA

    progress = False if args.no_progress else None
    doc = None if args.no_doc else (args.doc or DOC)
    data = args.data or DEFAULT_DATA
    if args.fit_decline:
        from assistant.decline import PACKAGED
        from evals.public_fit import fit_public

        plot = doc.parent / "decline-curve.png" if doc is not None else None
        fit_public(data, args.model_out or PACKAGED, doc, args.cache_dir, args.config, args.index_dir, progress, plot,
                   rows_file=args.rows)
        return 0
    sets = [s.strip() for s in args.sets.split(",") if s.strip()] if args.sets else []
    opts = PublicOptions(data=data, index_cache=args.cache_dir, sets=sets, quick=args.quick, limit=args.limit,
                         baseline=not args.no_baseline, out=args.out, doc=doc, config=args.config, progress=progress,
                         readme=README if doc == DOC else None)
    out = run_public(opts)
    from evals.public import render_table

    print(render_table(out))
    return 0


def _cmd_from_feedback(args) -> int:
    from evals.feedback import draft_suite_text, read_feedback

    db = args.db
    if db is None:
        from assistant.settings import load_settings

        db = load_settings(args.config).feedback_db
    text, count = draft_suite_text(read_feedback(Path(db)))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {count} draft case(s) to {args.out}; review should_decline and the expectations before running it", file=sys.stderr)
    else:
        sys.stdout.write(text)
        print(f"{count} draft case(s)", file=sys.stderr)
    return 0


def _cmd_validate(args) -> int:
    from evals.suite import load_suites, parse_mapping

    suites = load_suites(args.suites, parse_mapping(args.map))
    for suite in suites:
        tags: dict[str, int] = {}
        for c in suite.cases:
            for t in c.tags or ("(untagged)",):
                tags[t] = tags.get(t, 0) + 1
        declines = sum(c.should_decline for c in suite.cases)
        print(f"{suite.path}: {len(suite.cases)} cases ok ({declines} should decline); "
              + ", ".join(f"{t} {n}" for t, n in sorted(tags.items())))
    return 0


COMMANDS = {"run": _cmd_run, "compare": _cmd_compare, "calibrate": _cmd_calibrate, "public": _cmd_public, "from-feedback": _cmd_from_feedback, "validate": _cmd_validate}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from assistant.runtime import configure_logging, prepare_offline

    prepare_offline()
    configure_logging(getattr(args, "verbose", False))
    from pydantic import ValidationError

    from assistant.embedding import ModelMissingError
    from assistant.store import StoreUnavailableError
    from evals.feedback import FeedbackError
    from evals.runner import EvalError
    from evals.suite import SuiteError

    try:
        return COMMANDS[args.command](args)
    except (SuiteError, EvalError, FeedbackError, ModelMissingError, StoreUnavailableError) as exc:
        _err(str(exc))
        return 2
    except ValidationError as exc:
        _err(f"invalid settings: {exc}")
        return 2
    except ValueError as exc:  # settings / config-file problems reported by the app's loaders
        _err(str(exc))
        return 2
    except BrokenPipeError:  # output piped into head & co.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        _err(f"{exc.strerror or exc} ({exc.filename or ''})")
        return 2
    except KeyboardInterrupt:
        _err("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
