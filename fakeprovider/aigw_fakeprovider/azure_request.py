"""What the fake Azure OpenAI accepts at each api-version, checked before OpenAI's own validation.

Deployment paths validate the body against the api-version's schema, so a
field the version does not define is refused as OpenAI words it
("Unrecognized request argument supplied: store"). The 2024-10-21 GA schema
is the baseline (see the router's `azure_surface.py` for the sources);
2024-12-01-preview adds store, metadata, reasoning_effort,
user_security_context and the developer role; 2025-01-01-preview adds
prediction, modalities, audio and audio input parts. `model` may be sent (the
official SDK sends the deployment name) but the deployment in the path
decides. Embeddings take text inputs only. Azure's own extras (`data_sources`,
`user_security_context`, `input_type`) are type-checked and have no effect on
the answer. The `/openai/v1` paths take OpenAI's bodies as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aigw_fakeprovider._fields import Fields
from aigw_fakeprovider.errors import InvalidRequestError
from aigw_fakeprovider.openai_fields import OPENAI, invalid_type, invalid_value, non_empty_array
from aigw_fakeprovider.openai_messages import ROLES
from aigw_fakeprovider.openai_request import (
    ChatRequest,
    EmbeddingRequest,
    parse_chat_request,
    parse_embedding_request,
)

API_VERSIONS = frozenset(
    {"2024-10-21", "2024-12-01-preview", "2025-01-01-preview", "2025-03-01-preview", "2025-04-01-preview"}
)
"""The dated api-versions of deployment paths the fake serves."""
V1_API_VERSIONS = frozenset({"preview"})
"""The api-versions `/openai/v1` takes besides none at all."""

_GA_CHAT_FIELDS = frozenset(
    {
        "messages", "model", "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_tokens",
        "max_completion_tokens", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs",
        "top_logprobs", "seed", "response_format", "tools", "tool_choice", "parallel_tool_calls", "functions",
        "function_call", "user", "data_sources",
    }
)  # fmt: skip
_ADDED_CHAT_FIELDS = (
    ("2024-12-01", frozenset({"store", "metadata", "reasoning_effort", "user_security_context"})),
    ("2025-01-01", frozenset({"prediction", "modalities", "audio"})),
)
_DEVELOPER_ROLE = "2024-12-01"
_AUDIO_PARTS = "2025-01-01"
_GA_USER_PARTS = ("text", "image_url")
_EMBEDDING_FIELDS = frozenset({"input", "model", "user", "input_type", "encoding_format", "dimensions"})


def _date(api_version: str) -> str:
    return api_version[:10]


def chat_fields(api_version: str) -> frozenset[str]:
    """The chat request fields a deployment path defines at `api_version`."""
    fields = _GA_CHAT_FIELDS
    for since, added in _ADDED_CHAT_FIELDS:
        if _date(api_version) >= since:
            fields |= added
    return fields


def parse_deployment_chat(body: Mapping[str, Any], deployment: str, api_version: str) -> ChatRequest:
    """Validates a chat body sent to a deployment at `api_version`; raises `InvalidRequestError`."""
    fields = Fields(body, OPENAI)
    fields.reject_unknown(chat_fields(api_version))
    for index, source in enumerate(non_empty_array(fields, "data_sources") or []):
        if not isinstance(source, dict):
            raise invalid_type(f"data_sources[{index}]", "an object", source)
        Fields(source, OPENAI, f"data_sources[{index}]").required_string("type")
    fields.object("user_security_context")
    fields.string("model")
    _check_messages(body.get("messages"), api_version)
    openai_body = {
        name: value for name, value in body.items() if name not in ("data_sources", "user_security_context")
    }
    return parse_chat_request({**openai_body, "model": deployment})


def _check_messages(messages: Any, api_version: str) -> None:
    """The roles and user content parts the api-version defines (the rest is OpenAI's validation)."""
    if not isinstance(messages, list):
        return
    developer = _date(api_version) >= _DEVELOPER_ROLE
    roles = tuple(role for role in ROLES if developer or role != "developer")
    parts = (*_GA_USER_PARTS, "input_audio") if _date(api_version) >= _AUDIO_PARTS else _GA_USER_PARTS
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role == "developer" and not developer:
            raise invalid_value(f"messages[{i}].role", role, roles)
        content = message.get("content")
        if role != "user" or not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if isinstance(kind, str) and kind not in parts:
                raise invalid_value(f"messages[{i}].content[{j}].type", kind, parts)


def parse_deployment_embeddings(body: Mapping[str, Any], deployment: str) -> EmbeddingRequest:
    """Validates an embeddings body sent to a deployment; raises `InvalidRequestError`."""
    fields = Fields(body, OPENAI)
    fields.reject_unknown(_EMBEDDING_FIELDS)
    fields.string("input_type")
    value = body.get("input")
    if isinstance(value, list) and not all(isinstance(item, str) for item in value):
        raise InvalidRequestError(
            "'$.input' is invalid. Please check the API reference: "
            "https://learn.microsoft.com/azure/ai-services/openai/reference.",
            param="input",
        )
    openai_body = {name: value for name, value in body.items() if name != "input_type"}
    return parse_embedding_request({**openai_body, "model": deployment})
