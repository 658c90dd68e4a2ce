"""Answer-quality evaluation: suites, runner, metrics, reports."""
