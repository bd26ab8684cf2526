"""The config file: valid documents load; every invalid one names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigw_runtime.config import ConfigError, load_config, parse_config

VALID = """\
providers:
  - name: openai-main
    type: openai
    base_url: https://api.openai.com/v1
    api_key: env:OPENAI_API_KEY
  - name: local-vllm
    type: openai-compatible
    base_url: http://127.0.0.1:8000/v1
models:
  - name: gpt-4o-mini
    deployments:
      - provider: openai-main
        model: gpt-4o-mini
      - provider: local-vllm
        model: llama-3.1-8b
    cache: {enabled: true, ttl_s: 60}
"""


def test_a_valid_config_loads_with_defaults_filled_in() -> None:
    config = parse_config(VALID)

    assert [p.name for p in config.providers] == ["openai-main", "local-vllm"]
    assert config.providers[1].api_key is None
    assert config.providers[0].timeout_s == 600.0
    model = config.models[0]
    assert [(d.provider, d.model) for d in model.deployments] == [
        ("openai-main", "gpt-4o-mini"),
        ("local-vllm", "llama-3.1-8b"),
    ]
    assert model.cache.enabled is True and model.cache.ttl_s == 60


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("type: openai\n", "type: anthropix\n"),
            "cfg.yaml:3: providers[0].type: Invalid enum value 'anthropix'",
        ),
        (
            ("    api_key: env:OPENAI_API_KEY", "    api_key: sk-live-123"),
            "cfg.yaml:5: providers[0].api_key: must be a secret reference",
        ),
        (
            ("      - provider: local-vllm", "      - provider: nowhere"),
            "cfg.yaml:14: models[0].deployments[1].provider: no provider named 'nowhere'",
        ),
        (("ttl_s: 60", "ttl_s: -1"), "cfg.yaml:16: models[0].cache.ttl_s: Expected `int` >= 1"),
        (
            ("    base_url: http://127.0.0.1:8000/v1\n", ""),
            "cfg.yaml:6: providers[1]: type openai-compatible needs base_url",
        ),
        (("    api_key: env:OPENAI_API_KEY\n", ""), "cfg.yaml:2: providers[0]: type openai needs api_key"),
        (
            ("        model: llama-3.1-8b", "        model: llama-3.1-8b\n        weight: 3"),
            "cfg.yaml:14: models[0].deployments[1]: Object contains unknown field `weight`",
        ),
        (
            ("base_url: http://127.0.0.1:8000/v1", "base_url: ftp://x"),
            "cfg.yaml:8: providers[1].base_url: Expected `str` matching regex",
        ),
    ],
)
def test_an_invalid_config_names_the_line_at_fault(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert old in VALID

    with pytest.raises(ConfigError) as caught:
        parse_config(VALID.replace(old, new), "cfg.yaml")

    assert str(caught.value).startswith(expected)


def test_duplicate_names_are_refused() -> None:
    doubled = VALID + "  - name: gpt-4o-mini\n    deployments: [{provider: openai-main, model: x}]\n"

    with pytest.raises(
        ConfigError, match=r"cfg.yaml:17: models\[1\].name: duplicate model name 'gpt-4o-mini'"
    ):
        parse_config(doubled, "cfg.yaml")


def test_broken_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError, match=r"^cfg.yaml:2: not valid YAML"):
        parse_config("providers: []\nmodels: @oops\n", "cfg.yaml")


def test_an_empty_file_is_an_empty_gateway() -> None:
    config = parse_config("")
    assert config.providers == [] and config.models == []


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("{name: b, type: bedrock}", "type bedrock needs region"),
        ("{name: b, type: bedrock, region: us-east-1, aws_access_key_id: 'env:A'}", "go together"),
        (
            "{name: b, type: bedrock, region: us-east-1, aws_secret_access_key: 'AKIA-LITERAL'}",
            "never the secret itself",
        ),
        ("{name: v, type: vertex, region: us-central1}", "type vertex needs project and region"),
        (
            "{name: a, type: azure-openai, base_url: 'https://r.openai.azure.com', api_key: 'env:K'}",
            "needs api_version",
        ),
        (
            "{name: a, type: azure-openai, base_url: 'https://r.openai.azure.com', api_version: '2024-10-21'}",
            "needs api_key, or tenant_id, client_id and client_secret",
        ),
        ("{name: g, type: gemini}", "type gemini needs api_key"),
    ],
)
def test_each_provider_type_states_what_it_needs(provider: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        parse_config(f"providers:\n  - {provider}\n", "cfg.yaml")


@pytest.mark.parametrize(
    "provider",
    [
        "{name: b, type: bedrock, region: us-east-1}",
        "{name: b, type: bedrock, region: us-east-1, aws_access_key_id: 'env:A', aws_secret_access_key: 'env:S'}",
        "{name: v, type: vertex, project: p, region: global, service_account: 'file:/etc/sa.json'}",
        "{name: a, type: azure-openai, base_url: 'https://r.openai.azure.com/openai/v1', api_key: 'env:K'}",
        "{name: a, type: azure-openai, base_url: 'https://r.openai.azure.com', api_version: '2024-10-21',"
        " tenant_id: t, client_id: c, client_secret: 'env:S'}",
        "{name: m, type: mistral, api_key: 'env:M'}",
        "{name: o, type: ollama}",
    ],
)
def test_each_provider_type_accepts_a_complete_entry(provider: str) -> None:
    assert parse_config(f"providers:\n  - {provider}\n").providers[0].name
