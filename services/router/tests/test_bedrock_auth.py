"""The Bedrock adapter, credentials: SigV4 as AWS checks it, session tokens, API keys, the AWS chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigw_runtime.config import ConfigError
from bedrock_samples import (
    KEY_ID,
    PROFILE_ARN,
    REGION,
    SECRET,
    bedrock_adapter,
    chat_body,
    signature_as_aws_computes_it,
    upstream_request,
)


async def test_the_signature_is_valid_for_the_path_as_sent_even_for_an_arn() -> None:
    request = await upstream_request(chat_body(), model=PROFILE_ARN)

    assert "%2F" in request.url and "%3A" not in request.url
    found = request.headers["authorization"].split("Signature=")[1]
    assert found == signature_as_aws_computes_it(request)
    assert found != signature_as_aws_computes_it(request, secret="another-secret")


async def test_sigv4_headers_are_scoped_to_bedrock_in_the_region() -> None:
    request = await upstream_request(chat_body())

    authorization = request.headers["authorization"]
    date = request.headers["x-amz-date"]
    assert authorization.startswith(
        f"AWS4-HMAC-SHA256 Credential={KEY_ID}/{date[:8]}/{REGION}/bedrock/aws4_request"
    )
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    assert {"host", "x-amz-date", "content-type"} <= set(signed)
    assert "x-amz-security-token" not in request.headers
    assert SECRET not in str(request.headers)


async def test_session_credentials_send_and_sign_the_security_token() -> None:
    adapter = bedrock_adapter(aws_session_token="env:AIGW_TEST_AWS_TOKEN")

    request = await upstream_request(chat_body(), adapter=adapter)

    assert request.headers["x-amz-security-token"] == "session-token-xyz"
    assert "x-amz-security-token" in request.headers["authorization"].split("SignedHeaders=")[1]


async def test_a_bedrock_api_key_is_sent_as_a_bearer_token_instead_of_a_signature() -> None:
    adapter = bedrock_adapter(
        api_key="env:AIGW_TEST_BEDROCK_KEY", aws_access_key_id=None, aws_secret_access_key=None
    )

    request = await upstream_request(chat_body(), adapter=adapter)

    assert request.headers["authorization"] == "Bearer bedrock-api-key-123"
    assert "x-amz-date" not in request.headers


async def test_without_configured_keys_the_standard_aws_credential_chain_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMTHECHAIN0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "chain-secret")
    adapter = bedrock_adapter(aws_access_key_id=None, aws_secret_access_key=None)

    request = await upstream_request(chat_body(), adapter=adapter)

    assert "Credential=AKIDFROMTHECHAIN0001/" in request.headers["authorization"]


async def test_without_configured_keys_the_sdks_bedrock_api_key_variable_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-key-from-env")
    adapter = bedrock_adapter(aws_access_key_id=None, aws_secret_access_key=None)

    request = await upstream_request(chat_body(), adapter=adapter)

    assert request.headers["authorization"] == "Bearer bedrock-key-from-env"


def test_no_credentials_anywhere_stops_the_router_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_BEARER_TOKEN_BEDROCK",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)

    with pytest.raises(ConfigError, match="no AWS credentials"):
        bedrock_adapter(aws_access_key_id=None, aws_secret_access_key=None)
