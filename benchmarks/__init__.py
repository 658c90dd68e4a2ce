"""Performance benchmarks: ``python -m benchmarks [--quick] [--sizes 1000,10000,100000]``.

See ``benchmarks/__main__.py`` for what is measured and ``benchmarks/RESULTS.md`` for the last run.
"""
