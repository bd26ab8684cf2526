"""The gateway config file: providers, models and their deployments.

Loaded from YAML, validated with msgspec, and every error names the line of
the file it is about:

    providers:
      - name: openai-main
        type: openai
        base_url: https://api.openai.com/v1
        api_key: env:OPENAI_API_KEY
    models:
      - name: gpt-4o-mini
        deployments:
          - provider: openai-main
            model: gpt-4o-mini
        cache: {enabled: false, ttl_s: 300}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml

from aigw_runtime.secrets import is_secret_reference

ProviderType = Literal[
    "openai",
    "openai-compatible",
    "anthropic",
    "gemini",
    "vertex",
    "bedrock",
    "azure-openai",
    "cohere",
    # Presets of openai-compatible: only base URL, auth and known quirks differ.
    "mistral",
    "groq",
    "together",
    "fireworks",
    "deepseek",
    "openrouter",
    "xai",
    "ollama",
    "vllm",
    "tgi",
]

# Types whose base_url has no sensible default: a server of the user's own.
BASE_URL_REQUIRED = frozenset({"openai-compatible", "azure-openai", "vllm", "tgi"})
# Types that authenticate with an API key unless the type offers another way.
API_KEY_REQUIRED = frozenset(
    {
        "openai",
        "anthropic",
        "gemini",
        "cohere",
        "mistral",
        "groq",
        "together",
        "fireworks",
        "deepseek",
        "openrouter",
        "xai",
    }
)
SECRET_FIELDS = (
    "api_key",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "service_account",
    "client_secret",
)

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")]


class ImageFetchConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How image URLs are fetched for providers that need the bytes (Gemini, Bedrock, ...)."""

    # Loopback, private, link-local and reserved addresses are refused unless allowed.
    allow_private_addresses: bool = False
    # Only https unless allowed.
    allow_http: bool = False
    max_bytes: Annotated[int, msgspec.Meta(gt=0)] = 20 * 1024 * 1024
    timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 10.0


class ProviderConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One upstream account: where it is and how to authenticate to it.

    Secrets are references (env:NAME or file:PATH), resolved by the router.
    `base_url` means what the provider's official SDK means by it: OpenAI's and
    OpenAI-compatible servers' include `/v1`; Anthropic's, Gemini's, Cohere's,
    Azure's resource endpoint and Bedrock's runtime endpoint carry no version.
    """

    name: Name
    type: ProviderType
    # Optional where the provider has a public endpoint (the type's default).
    base_url: Annotated[str, msgspec.Meta(pattern=r"^https?://")] | None = None
    api_key: str | None = None
    # Azure OpenAI: the api-version of deployment paths; unset with a base_url ending in /openai/v1.
    api_version: str | None = None
    # Bedrock: the AWS region; Vertex: the location (us-central1, global, ...).
    region: str | None = None
    # Vertex: the Google Cloud project.
    project: str | None = None
    # Bedrock: credentials; unset means the standard AWS credential chain (or api_key as a Bedrock API key).
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    # Vertex: a service account key (JSON), used to get OAuth access tokens.
    service_account: str | None = None
    # Azure: Entra ID client credentials, instead of api_key.
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    # Where OAuth tokens come from, when not the provider's public endpoint (tests, sovereign clouds).
    token_url: Annotated[str, msgspec.Meta(pattern=r"^https?://")] | None = None
    # Seconds to wait for the upstream's answer (the whole answer when not streaming).
    timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 600.0
    connect_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    image_fetch: ImageFetchConfig = msgspec.field(default_factory=ImageFetchConfig)


class DeploymentConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A model as one provider serves it."""

    provider: Name
    model: Annotated[str, msgspec.Meta(min_length=1)]


class CacheConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool = False
    ttl_s: Annotated[int, msgspec.Meta(gt=0, le=30 * 24 * 3600)] = 300


class ModelConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A public model name and the deployments that serve it, tried in order."""

    name: Name
    deployments: Annotated[list[DeploymentConfig], msgspec.Meta(min_length=1)]
    cache: CacheConfig = msgspec.field(default_factory=CacheConfig)
    # A request parameter a deployment's provider cannot honour is refused with a 400
    # ("reject"), or left out of the upstream request ("drop").
    unsupported_params: Literal["reject", "drop"] = "reject"


class GatewayConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    providers: list[ProviderConfig] = msgspec.field(default_factory=list)
    models: list[ModelConfig] = msgspec.field(default_factory=list)
    # Process settings (see settings.py); AIGW_* variables override them.
    settings: dict[str, Any] = msgspec.field(default_factory=dict)

    def provider(self, name: str) -> ProviderConfig:
        for provider in self.providers:
            if provider.name == name:
                return provider
        raise KeyError(name)


class ConfigError(Exception):
    """The config file is unreadable or invalid; the message names the file and line."""


_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _line_of(root: yaml.Node | None, path: str) -> int | None:
    """The 1-based line of the node at a msgspec path such as `$.models[0].name`."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for match in _PATH_STEP.finditer(path.removeprefix("$")):
        key, index = match.groups()
        if isinstance(node, yaml.MappingNode) and key is not None:
            found = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if found is None:
                return line
            key_node = next(k for k, v in node.value if v is found)
            node, line = found, key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and index is not None and int(index) < len(node.value):
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _error(source: str, root: yaml.Node | None, path: str, message: str) -> ConfigError:
    line = _line_of(root, path)
    where = f"{source}:{line}" if line is not None else source
    readable = path.removeprefix("$.") if path != "$" else "top level"
    return ConfigError(f"{where}: {readable}: {message}")


def parse_config(text: str, source: str = "<config>") -> GatewayConfig:
    """Parses and validates a config document; raises ConfigError naming the bad line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    try:
        config = msgspec.convert(data, GatewayConfig)
    except msgspec.ValidationError as exc:
        message, _, path = str(exc).rpartition(" - at `")
        if not message:
            message, path = str(exc), "$`"
        raise _error(source, root, path.rstrip("`"), message) from None
    _check_references(config, source, root)
    return config


def _check_references(config: GatewayConfig, source: str, root: yaml.Node | None) -> None:
    seen: set[str] = set()
    for i, provider in enumerate(config.providers):
        if provider.name in seen:
            raise _error(source, root, f"$.providers[{i}].name", f"duplicate provider name {provider.name!r}")
        seen.add(provider.name)
        for secret_field in SECRET_FIELDS:
            value = getattr(provider, secret_field)
            if value is not None and not is_secret_reference(value):
                raise _error(
                    source,
                    root,
                    f"$.providers[{i}].{secret_field}",
                    "must be a secret reference (env:NAME or file:PATH), never the secret itself",
                )
        problem = _missing_for_type(provider)
        if problem is not None:
            raise _error(source, root, f"$.providers[{i}]", problem)
    models: set[str] = set()
    for i, model in enumerate(config.models):
        if model.name in models:
            raise _error(source, root, f"$.models[{i}].name", f"duplicate model name {model.name!r}")
        models.add(model.name)
        for j, deployment in enumerate(model.deployments):
            if deployment.provider not in seen:
                raise _error(
                    source,
                    root,
                    f"$.models[{i}].deployments[{j}].provider",
                    f"no provider named {deployment.provider!r}",
                )


def _missing_for_type(provider: ProviderConfig) -> str | None:
    """What a provider of this type cannot do without, if it lacks it."""
    kind = provider.type
    if kind in BASE_URL_REQUIRED and provider.base_url is None:
        return f"type {kind} needs base_url"
    if kind in API_KEY_REQUIRED and provider.api_key is None:
        return f"type {kind} needs api_key"
    if kind == "vertex" and (provider.project is None or provider.region is None):
        return "type vertex needs project and region (the location)"
    if kind == "bedrock" and provider.region is None:
        return "type bedrock needs region"
    if kind == "bedrock" and (provider.aws_access_key_id is None) != (provider.aws_secret_access_key is None):
        return "aws_access_key_id and aws_secret_access_key go together"
    if kind == "azure-openai":
        entra = (provider.tenant_id, provider.client_id, provider.client_secret)
        if provider.api_key is None and None in entra:
            return "type azure-openai needs api_key, or tenant_id, client_id and client_secret (Entra ID)"
        if provider.api_version is None and not (provider.base_url or "").rstrip("/").endswith("/openai/v1"):
            return "type azure-openai needs api_version, unless base_url ends with /openai/v1"
    return None


def load_config(path: str | Path) -> GatewayConfig:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the config file: {exc.strerror or exc}") from None
    return parse_config(text, str(file))
