"""Key material without a server: secrets, ids, hashing, masking, the hash secret file, validation."""

from __future__ import annotations

import hashlib
import hmac
import re
import stat
from pathlib import Path

import pytest

from aigw_auth.key_admin import validate_key_spec
from aigw_auth.keys import (
    HASH_SECRET_FILENAME,
    HashSecretError,
    KeyHasher,
    display_prefix,
    generate_key_id,
    generate_secret,
    looks_like_secret,
    mask_secret,
    resolve_hash_secret,
)
from aigw_runtime.errors import InvalidRequestError


def test_secret_is_sk_aigw_and_43_urlsafe_characters() -> None:
    secret = generate_secret()

    assert re.fullmatch(r"sk-aigw-[A-Za-z0-9_-]{43}", secret)
    assert generate_secret() != secret
    assert looks_like_secret(secret)


def test_key_id_is_key_and_16_hex_characters() -> None:
    assert re.fullmatch(r"key_[0-9a-f]{16}", generate_key_id())


def test_display_prefix_is_the_first_12_characters() -> None:
    assert display_prefix("sk-aigw-AbCdEfGhIjKl") == "sk-aigw-AbCd"


def test_hash_is_hmac_sha256_of_the_secret_under_the_hash_secret() -> None:
    hasher = KeyHasher(b"pepper")

    expected = hmac.new(b"pepper", b"sk-aigw-abc", hashlib.sha256).hexdigest()
    assert hasher.hash("sk-aigw-abc") == expected
    assert len(expected) == 64
    assert KeyHasher(b"other pepper").hash("sk-aigw-abc") != expected
    assert "pepper" not in repr(hasher)


def test_hasher_refuses_an_empty_hash_secret() -> None:
    with pytest.raises(ValueError):
        KeyHasher(b"")


def test_mask_shows_the_prefix_and_last_four_characters_like_openai() -> None:
    secret = "sk-aigw-AbCd" + "x" * 35 + "wxyz"

    assert mask_secret(secret) == "sk-aigw-AbCd****wxyz"


def test_mask_of_short_or_foreign_strings_reveals_little() -> None:
    assert mask_secret("") == "****"
    assert mask_secret("abc") == "****"
    assert mask_secret("sk-wrong") == "sk****g"
    assert mask_secret("sk-aigw-\x00\x01\x02\x03\x04\x05\x06\x07") == "sk-a****??"


@pytest.mark.parametrize(
    "candidate",
    ["", "sk-aigw-", "sk-other-abc", "sk-aigw-has space", "sk-aigw-" + "a" * 300, "sk-aigw-ab/cd"],
)
def test_malformed_keys_are_recognised_without_a_lookup(candidate: str) -> None:
    assert not looks_like_secret(candidate)


def test_configured_hash_secret_is_used_as_is_and_no_file_is_written(tmp_path: Path) -> None:
    assert resolve_hash_secret("configured", tmp_path) == b"configured"
    assert not (tmp_path / HASH_SECRET_FILENAME).exists()


def test_hash_secret_file_is_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    first = resolve_hash_secret(None, data_dir)
    second = resolve_hash_secret(None, data_dir)

    path = data_dir / HASH_SECRET_FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}", path.read_text().strip())
    assert first == second == path.read_text().strip().encode()
    assert [p.name for p in data_dir.iterdir()] == [HASH_SECRET_FILENAME]  # no staging file left behind


def test_existing_hash_secret_file_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / HASH_SECRET_FILENAME).write_text("kept-from-before\n")

    assert resolve_hash_secret(None, tmp_path) == b"kept-from-before"


def test_empty_hash_secret_file_is_an_error_not_a_new_secret(tmp_path: Path) -> None:
    (tmp_path / HASH_SECRET_FILENAME).write_text("\n")

    with pytest.raises(HashSecretError, match="empty"):
        resolve_hash_secret(None, tmp_path)


def test_key_spec_keeps_valid_values_and_drops_repeated_models() -> None:
    spec = validate_key_spec("team-a", ["gpt-4o", "claude", "gpt-4o"], 60)

    assert (spec.name, spec.allowed_models, spec.rpm_limit) == ("team-a", ("gpt-4o", "claude"), 60)


@pytest.mark.parametrize(
    ("name", "models", "rpm", "param"),
    [
        ("", [], 0, "name"),
        ("   ", [], 0, "name"),
        ("n" * 201, [], 0, "name"),
        ("ok", [], -1, "rpm_limit"),
        ("ok", [""], 0, "allowed_models"),
        ("ok", ["m" * 201], 0, "allowed_models"),
        ("ok", ["m"] * 1001, 0, "allowed_models"),
    ],
)
def test_key_spec_rejects_bad_values_naming_the_parameter(
    name: str, models: list[str], rpm: int, param: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        validate_key_spec(name, models, rpm)

    assert caught.value.param == param
    assert caught.value.status == 400


def test_key_spec_accepts_the_limits_exactly() -> None:
    spec = validate_key_spec("n" * 200, ["m" * 200], 0)

    assert len(spec.name) == 200
    assert spec.rpm_limit == 0
