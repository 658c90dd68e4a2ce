"""Files that only the app's own user may read: the session and feedback databases (the audit log
is made the same way by :mod:`assistant.service`)."""

from __future__ import annotations

import os
from pathlib import Path


def create_private(path: Path) -> None:
    """Create ``path`` (and its folder) if missing, as mode 0600, and tighten it and SQLite's side files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    private_file(path)


def private_file(path: Path) -> None:
    """Make ``path`` and SQLite's side files (when there) readable and writable by their owner only."""
    for p in (Path(path), Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            os.chmod(p, 0o600)
        except FileNotFoundError:
            pass
