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

ProviderType = Literal["openai", "openai-compatible"]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$")]


class ProviderConfig(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One upstream account: where it is and how to authenticate to it."""

    name: Name
    type: ProviderType
    base_url: Annotated[str, msgspec.Meta(pattern=r"^https?://")]
    # A secret reference (env:NAME or file:PATH); optional for servers without auth.
    api_key: str | None = None
    # Seconds to wait for the upstream's answer (the whole answer when not streaming).
    timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 600.0
    connect_timeout_s: Annotated[float, msgspec.Meta(gt=0)] = 10.0


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
        if provider.api_key is not None and not is_secret_reference(provider.api_key):
            raise _error(
                source,
                root,
                f"$.providers[{i}].api_key",
                "must be a secret reference (env:NAME or file:PATH), never the key itself",
            )
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


def load_config(path: str | Path) -> GatewayConfig:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the config file: {exc.strerror or exc}") from None
    return parse_config(text, str(file))
