"""Answer-quality evaluation: suites, runner, metrics, reports.

    python -m evals run evals/suites/core.yaml --out /tmp/core-run   # results.json, summary.md, report.html
    python -m evals run evals/suites/smoke.yaml                      # CI: exit 1 when the suite's fail_under gate is missed
    python -m evals compare RUN_A RUN_B [--html OUT]                 # metric deltas, cases that flipped
    python -m evals calibrate evals/suites/core.yaml                 # precision/coverage per answer_min_score
    python -m evals from-feedback --out draft.yaml                   # thumbs-down answers as draft cases
    python -m evals validate SUITE...                                # check suites without running them

Modules: ``suite`` (format, validation, CSV/JSONL/LabelledRagDataset importers),
``metrics`` (every metric and its one-line definition), ``runner`` (asks through
:class:`assistant.service.Assistant`, the app's own code path, with the audit log
off), ``report`` (summary.md and a self-contained report.html), ``compare``,
``feedback``. Shipped suites are in ``evals/suites``.
"""
