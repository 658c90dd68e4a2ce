"""Process-wide set-up done by entry points (never at import time)."""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}

QUIET_LOGGERS = ("bm25s", "pypdf", "httpx", "chromadb", "sentence_transformers", "transformers", "urllib3")


def prepare_offline() -> None:
    """Make every library stay offline; nothing may download at run time."""
    for key, value in OFFLINE_ENV.items():
        if value:
            os.environ.setdefault(key, value)


def configure_logging(verbose: bool = False) -> None:
    """Log setup for entry points: our modules at INFO when verbose, noisy libraries at WARNING/ERROR."""
    import logging

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR if name == "pypdf" else logging.WARNING)
