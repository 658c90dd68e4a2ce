"""Reliability and security checks: a load test of the REST API, fuzzing of the loaders and the
API's inputs, and the helpers the fault, access and hostile-input tests share.

``python -m reliability`` (or ``make reliability``) runs the load test and the fuzzing against a
real ``python app.py`` and rewrites the figures in ``docs/reliability.md``.
"""
