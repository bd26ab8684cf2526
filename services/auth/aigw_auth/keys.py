"""API key material: secrets, ids, display prefixes, keyed hashes and masking.

A secret is shown to its owner once, when it is created. The database keeps
only HMAC-SHA256(key_hash_secret, secret), so a leaked table cannot be used
to call the gateway, and the hash secret is what must survive restarts.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import string
from pathlib import Path

SECRET_PREFIX = "sk-aigw-"
KEY_ID_PREFIX = "key_"
DISPLAY_PREFIX_LENGTH = 12
# Anything longer is not one of our keys; refuse it before hashing.
MAX_SECRET_LENGTH = 200
HASH_SECRET_FILENAME = "auth-key-hash-secret"

_URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")


class HashSecretError(Exception):
    """The key hash secret file exists but cannot be used."""


def generate_secret() -> str:
    """A new API key secret: `sk-aigw-` and 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def generate_key_id() -> str:
    """A new public key id: `key_` and 16 hex characters."""
    return KEY_ID_PREFIX + secrets.token_hex(8)


def display_prefix(secret: str) -> str:
    """The first characters of a secret, safe to show in key lists."""
    return secret[:DISPLAY_PREFIX_LENGTH]


def looks_like_secret(candidate: str) -> bool:
    """Whether a string has the shape of a key this service issues (cheap, no lookup)."""
    body = candidate.removeprefix(SECRET_PREFIX)
    return (
        candidate.startswith(SECRET_PREFIX)
        and len(body) > 0
        and len(candidate) <= MAX_SECRET_LENGTH
        and all(char in _URLSAFE for char in body)
    )


def mask_secret(candidate: str) -> str:
    """A key as OpenAI shows it in errors: `sk-aigw-AbCd****wxyz`.

    Short or foreign strings reveal proportionally less, so a mask never
    gives away most of what was typed.
    """
    shown_head = min(DISPLAY_PREFIX_LENGTH, len(candidate) // 4)
    shown_tail = min(4, len(candidate) // 8)
    head = candidate[:shown_head]
    tail = candidate[len(candidate) - shown_tail :] if shown_tail else ""
    return "".join(char if char.isprintable() else "?" for char in f"{head}****{tail}")


class KeyHasher:
    """Keyed hashes of secrets: what the database stores and looks keys up by."""

    def __init__(self, hash_secret: bytes) -> None:
        if not hash_secret:
            raise ValueError("the key hash secret must not be empty")
        self._hash_secret = hash_secret

    def hash(self, secret: str) -> str:
        """HMAC-SHA256 of the secret, as 64 lowercase hex characters."""
        return hmac.new(self._hash_secret, secret.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "KeyHasher(<hidden>)"


def resolve_hash_secret(configured: str | None, data_path: Path) -> bytes:
    """The key hash secret: the configured one, else the one kept in the data directory.

    On first start the file is created with 32 random bytes in hex and mode
    0600; later starts (and other processes sharing the directory) reuse it,
    so keys keep working across restarts.
    """
    if configured:
        return configured.encode("utf-8")
    return _load_or_create_secret_file(data_path / HASH_SECRET_FILENAME)


def _load_or_create_secret_file(path: Path) -> bytes:
    if not path.exists():
        _create_secret_file(path)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise HashSecretError(f"cannot read the key hash secret {path}: {exc.strerror or exc}") from None
    if not value:
        raise HashSecretError(
            f"the key hash secret file {path} is empty; restore it or set AIGW_KEY_HASH_SECRET"
        )
    return value.encode("utf-8")


def _create_secret_file(path: Path) -> None:
    """Writes the file atomically: a concurrent starter either wins or reads the winner's file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # If another process created it first, theirs is the one everyone uses.
        with contextlib.suppress(FileExistsError):
            os.link(staging, path)
    finally:
        staging.unlink(missing_ok=True)
