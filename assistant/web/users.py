"""Users: argon2 password hashes and roles in a YAML file, and the ``python -m assistant.web.users`` CLI.

The users file looks like::

    users:
      amara: {password_hash: "$argon2id$...", role: partner}

Add a user with ``python -m assistant.web.users add NAME --role partner`` (asks for the password,
or reads it from stdin with ``--password-stdin``). Without a users file the app runs as the
public demo: everybody is ``public``.
"""

from __future__ import annotations

import argparse
import getpass
import re
import secrets
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.access import ROLES, check_role
from assistant.yamlfile import load_yaml

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 8


class UsersFileError(ValueError):
    """The users file is missing or malformed (the message names the file and the entry)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str = ""


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError("user names are 1-64 characters: letters, digits, '.', '_', '@', '-'")
    return name


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValueError(f"passwords need at least {MIN_PASSWORD} characters")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class Users:
    """The users of one users file, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._users: dict[str, User] = {}
        self._mtime: float | None = None
        self._lock = threading.Lock()
        self._dummy_hash: str | None = None
        self._reload()

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError as exc:
            raise UsersFileError(f"cannot read the users file {self.path}: {exc}") from exc
        with self._lock:
            if mtime != self._mtime:
                self._users, self._mtime = read_users(self.path), mtime

    def get(self, name: str | None) -> User | None:
        if not name:
            return None
        self._reload()
        return self._users.get(name)

    def verify(self, name: str, password: str) -> User | None:
        """The user when the password is right; None otherwise (unknown users cost the same time)."""
        user = self.get(name) if isinstance(name, str) else None
        if user is None:
            if self._dummy_hash is None:
                self._dummy_hash = _hasher().hash(secrets.token_urlsafe(16))
            verify_password(self._dummy_hash, password or "")
            return None
        return user if verify_password(user.password_hash, password or "") else None

    def __len__(self) -> int:
        self._reload()
        return len(self._users)


def read_users(path: Path) -> dict[str, User]:
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise UsersFileError(f"{path}: not valid YAML ({exc})") from exc
    entries = data.get("users") if isinstance(data, dict) else None
    if entries is None:
        entries = {}
    if not isinstance(entries, dict):
        raise UsersFileError(f"{path}: expected 'users:' to map names to {{password_hash, role}}")
    users = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not entry.get("password_hash"):
            raise UsersFileError(f"{path}: user {name!r} needs a password_hash")
        try:
            users[str(name)] = User(check_name(str(name)), check_role(entry.get("role", "public")), str(entry["password_hash"]))
        except ValueError as exc:
            raise UsersFileError(f"{path}: user {name!r}: {exc}") from exc
    return users


def add_user(path: Path, name: str, role: str, password: str) -> User:
    """Add or replace one user in the users file (created when missing), keeping the others."""
    path = Path(path)
    user = User(check_name(name), check_role(role), hash_password(password))
    data: dict = {}
    if path.exists():
        read_users(path)  # refuse to rewrite a malformed file
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    data.setdefault("users", {})
    if data["users"] is None:
        data["users"] = {}
    data["users"][user.name] = {"password_hash": user.password_hash, "role": user.role}
    _write(path, data)
    return user


def _write(path: Path, data: dict) -> None:
    """Write the users file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


def remove_user(path: Path, name: str) -> None:
    path = Path(path)
    read_users(path)
    data = load_yaml(path.read_text(encoding="utf-8")) or {}
    if name not in (data.get("users") or {}):
        raise KeyError(name)
    del data["users"][name]
    _write(path, data)


# --- command line -----------------------------------------------------------------------
def _users_path(args) -> Path:
    if args.file:
        return Path(args.file)
    from assistant.settings import load_settings

    path = load_settings(args.config).users_file
    if path is None:
        raise ValueError("no users file: pass --file PATH or set users_file (PA_USERS_FILE)")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m assistant.web.users",
        description="Manage the app's users file (argon2 password hashes and roles).",
        epilog="example: echo 's3cret-pass' | python -m assistant.web.users add amara --role partner --password-stdin --file users.yaml",
    )
    p.add_argument("--file", help="users file (default: the users_file setting)")
    p.add_argument("--config", help="TOML or YAML settings file (or PA_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="add a user or replace their password and role")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    rm = sub.add_parser("remove", help="remove a user")
    rm.add_argument("name")
    sub.add_parser("list", help="list users and roles")
    args = p.parse_args(argv)
    try:
        path = _users_path(args)
        if args.command == "add":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\r\n")
            else:
                password = getpass.getpass(f"Password for {args.name}: ")
                if password != getpass.getpass("Again: "):
                    raise ValueError("the passwords differ")
            user = add_user(path, args.name, args.role, password)
            print(f"saved {user.name} ({user.role}) in {path}")
        elif args.command == "remove":
            remove_user(path, args.name)
            print(f"removed {args.name} from {path}")
        else:
            for user in read_users(path).values():
                print(f"{user.name}\t{user.role}")
    except KeyError as exc:
        print(f"error: no user {exc}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
