"""Reading a sentence-transformers model folder's JSON files, shared by the ONNX encoder
(:mod:`assistant.bert`) and the torch exporter (:mod:`assistant.bert_torch`) so neither imports the other."""

from __future__ import annotations

import json
from pathlib import Path


def read_json(path: Path) -> dict:
    """One JSON file of a model folder (OSError or ValueError when it is missing or malformed)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
