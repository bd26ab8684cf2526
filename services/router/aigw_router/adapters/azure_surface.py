"""What Azure OpenAI's deployment paths accept at an api-version, and fitting a request to it.

On `/openai/deployments/{deployment}/...?api-version=...` Azure validates the
body against that api-version's schema and refuses any other field
("Unrecognized request argument supplied: ..."). The baseline is the
2024-10-21 GA schema (azure-rest-api-specs,
`specification/cognitiveservices/data-plane/AzureOpenAI/inference/stable/2024-10-21/inference.json`):
its chat request defines messages, temperature, top_p, n, stream, stop,
max_tokens, max_completion_tokens, presence_penalty, frequency_penalty,
logit_bias, logprobs, top_logprobs, seed, response_format (text, JSON object,
JSON schema), tools (functions only), tool_choice, parallel_tool_calls,
functions, function_call, user and Azure's data_sources; `stream_options` is
accepted by the service at that version (griptape-ai/griptape#1640). Its
messages are system, user (text and image parts), assistant, tool and
function. Later versions add what `_INTRODUCED` lists, each from the first
preview spec that defines it: the 2024-12-01-preview spec adds store,
metadata, reasoning_effort and the developer role; the 2025-01-01-preview
reference adds prediction, modalities and audio. The `model` field is not
defined there at all: the deployment in the path chooses the model.

The `/openai/v1` surface is OpenAI's own, so nothing here applies to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from aigw_router.adapters._params import apply_policy, refuse_value
from aigw_router.adapters.base import ParamPolicy
from aigw_runtime.config import ConfigError
from aigw_runtime.errors import InvalidRequestError

OLDEST_API_VERSION = "2024-10-21"
"""The oldest api-version the adapter speaks: the GA version its surface is taken from."""

_API_VERSION = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})(-preview)?")

# OpenAI chat parameters absent from the 2024-10-21 schema -> the first api-version
# defining them, or None when no dated api-version does (they exist on /openai/v1 only).
_INTRODUCED: Mapping[str, str | None] = MappingProxyType(
    {
        "store": "2024-12-01",
        "metadata": "2024-12-01",
        "reasoning_effort": "2024-12-01",
        "prediction": "2025-01-01",
        "modalities": "2025-01-01",
        "audio": "2025-01-01",
        "service_tier": None,
        "web_search_options": None,
        "verbosity": None,
        "safety_identifier": None,
        "prompt_cache_key": None,
        "prompt_cache_retention": None,
        "prompt_cache_options": None,
        "moderation": None,
    }
)
_DEVELOPER_ROLE = "2024-12-01"
# User content part types beyond text and image_url -> the first api-version defining them.
_USER_PARTS: Mapping[str, str | None] = MappingProxyType({"input_audio": "2025-01-01", "file": None})


def check_api_version(version: str, provider: str) -> str:
    """The date of a deployment-path api-version; a ConfigError if malformed or too old."""
    found = _API_VERSION.fullmatch(version)
    if found is None:
        raise ConfigError(
            f"provider {provider}: api_version {version!r} is not an Azure OpenAI api-version "
            "(YYYY-MM-DD or YYYY-MM-DD-preview)"
        )
    if found["date"] < OLDEST_API_VERSION:
        raise ConfigError(
            f"provider {provider}: api_version {version} is older than {OLDEST_API_VERSION}, the oldest "
            "this gateway speaks; use 2024-10-21 or later, or a base_url ending in /openai/v1"
        )
    return found["date"]


@dataclass(frozen=True, slots=True)
class DeploymentSurface:
    """The request fields Azure's deployment paths define at one api-version."""

    provider: str
    api_version: str
    date: str

    @classmethod
    def for_version(cls, provider: str, api_version: str) -> DeploymentSurface:
        return cls(provider, api_version, check_api_version(api_version, provider))

    def defines(self, since: str | None) -> bool:
        return since is not None and self.date >= since

    def prepare_chat(self, request: dict[str, Any], policy: ParamPolicy) -> None:
        """Fits an OpenAI chat request to this api-version in place: refused, dropped or renamed."""
        request.pop("model", None)
        unsupported = [name for name, since in _INTRODUCED.items() if not self.defines(since)]
        apply_policy(request, unsupported, self.provider, policy)
        # apply_policy leaves parameters set to null; the schema does not define them either.
        for name in unsupported:
            request.pop(name, None)
        options = request.get("stream_options")
        if isinstance(options, dict) and "include_obfuscation" in options:
            self._drop_nested(options, "include_obfuscation", "stream_options", policy)
        self._check_tools(request)
        messages = request.get("messages")
        if isinstance(messages, list):
            self._prepare_messages(messages)

    def prepare_embeddings(self, request: dict[str, Any]) -> None:
        """Fits an OpenAI embeddings request in place: no model, and text inputs only."""
        request.pop("model", None)
        inputs = request.get("input")
        if isinstance(inputs, list) and not all(isinstance(item, str) for item in inputs):
            # The 2024-10-21 schema's input is a string or an array of strings.
            raise refuse_value(
                "input",
                f"Provider {self.provider} (Azure OpenAI, api-version {self.api_version}) embeds text "
                "only, not token arrays.",
            )

    def _drop_nested(self, parent: dict[str, Any], name: str, path: str, policy: ParamPolicy) -> None:
        if parent[name] is not None and policy is ParamPolicy.REJECT:
            param = f"{path}.{name}"
            raise InvalidRequestError(
                f"Parameter '{param}' is not supported by provider {self.provider}. Remove it, or set the "
                "model's unsupported_params to drop.",
                param=param,
                code="unsupported_parameter",
            )
        del parent[name]

    def _check_tools(self, request: dict[str, Any]) -> None:
        for index, tool in enumerate(request.get("tools") or []):
            if isinstance(tool, dict) and tool.get("type") != "function":
                raise refuse_value(
                    f"tools[{index}]", f"Provider {self.provider} (Azure OpenAI) takes function tools only."
                )
        choice = request.get("tool_choice")
        if isinstance(choice, dict) and choice.get("type") != "function":
            raise refuse_value(
                "tool_choice",
                f"Provider {self.provider} (Azure OpenAI) takes tool_choice none, auto, required or a "
                "named function.",
            )

    def _prepare_messages(self, messages: list[Any]) -> None:
        developer = self.defines(_DEVELOPER_ROLE)
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            if message.get("role") == "developer" and not developer:
                # `developer` is the newer name of `system`; nothing is lost.
                message["role"] = "system"
            content = message.get("content")
            if message.get("role") != "user" or not isinstance(content, list):
                continue
            for j, part in enumerate(content):
                kind = part.get("type") if isinstance(part, dict) else None
                if isinstance(kind, str) and kind in _USER_PARTS and not self.defines(_USER_PARTS[kind]):
                    raise refuse_value(
                        f"messages[{i}].content[{j}]",
                        f"Provider {self.provider} (Azure OpenAI, api-version {self.api_version}) does not "
                        f"accept {kind} content parts.",
                    )
