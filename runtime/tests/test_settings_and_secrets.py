from __future__ import annotations

from pathlib import Path

import pytest

from aigw_runtime.secrets import SecretError, resolve_secret
from aigw_runtime.settings import SettingsError, load_settings


def test_environment_overrides_the_config_files_settings() -> None:
    settings = load_settings(
        {"AIGW_HTTP_PORT": "9090", "AIGW_REDIS_URL": "redis://r:6379/0"},
        {"http_port": 8081, "data_dir": "/var/lib/aigw"},
    )

    assert settings.http_port == 9090
    assert settings.redis_url == "redis://r:6379/0"
    assert settings.data_dir == "/var/lib/aigw"
    assert settings.database_url is None


def test_a_malformed_setting_is_refused_clearly() -> None:
    with pytest.raises(SettingsError, match="http_port"):
        load_settings({"AIGW_HTTP_PORT": "eighty"}, {})


def test_an_unknown_setting_in_the_file_is_refused() -> None:
    with pytest.raises(SettingsError, match="unknown field `htp_port`"):
        load_settings({}, {"htp_port": 1})


def test_env_and_file_references_resolve(tmp_path: Path) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("from-file\n")

    assert resolve_secret("env:TOKEN", {"TOKEN": "from-env"}) == "from-env"
    assert resolve_secret(f"file:{secret_file}", {}) == "from-file"


@pytest.mark.parametrize("reference", ["env:ABSENT", "file:/nonexistent/key", "sk-literal-value"])
def test_a_bad_reference_fails_without_revealing_a_value(reference: str) -> None:
    with pytest.raises(SecretError) as caught:
        resolve_secret(reference, {"OTHER": "s3cret"})
    assert "s3cret" not in str(caught.value)
    assert "sk-literal-value" not in str(caught.value)
