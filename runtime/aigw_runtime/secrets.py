"""Secret references: `env:NAME` or `file:PATH`, resolved by the service that needs them.

A secret's value never enters the database, a log, a trace or an error message;
only its reference does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SECRET_SCHEMES = ("env:", "file:")


class SecretError(Exception):
    """A reference is malformed or names something that does not exist."""


def is_secret_reference(value: str) -> bool:
    return value.startswith(SECRET_SCHEMES) and len(value.split(":", 1)[1]) > 0


def resolve_secret(reference: str, environ: Mapping[str, str] | None = None) -> str:
    """Returns the secret a reference points at; the error names the reference, never a value."""
    env = os.environ if environ is None else environ
    if reference.startswith("env:"):
        name = reference[4:]
        if not name:
            raise SecretError("secret reference 'env:' names no variable")
        if name not in env:
            raise SecretError(f"secret reference env:{name}: the variable is not set")
        return env[name]
    if reference.startswith("file:"):
        path = Path(reference[5:]).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(f"secret reference file:{path}: {exc.strerror or exc}") from None
    raise SecretError("a secret must be a reference such as env:NAME or file:PATH, not a literal value")
