"""The web face of the assistant: everything that speaks HTTP or draws the browser UI.

``context`` (what one running app holds), ``models`` (request and response bodies), ``routes/``
(the REST API and sign-in pages), ``ui`` and ``tabs/`` (the Gradio UI, one builder per tab),
``render`` (HTML), ``users`` and ``sessions`` (sign-in), ``uploads`` and ``feedback``.

Only this package (and ``app.py``) imports ``ingest/``; the query core in ``assistant/`` never
imports this package (``tests/test_import_contract.py`` enforces both).
"""
