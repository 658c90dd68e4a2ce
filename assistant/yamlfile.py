"""YAML reading through libyaml's C parser when PyYAML was built with it (10x the pure-Python one)."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` semantics (safe tags only), with the C parser where available."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
