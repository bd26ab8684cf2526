"""Presets of `openai-compatible`: servers that speak OpenAI's Chat Completions with known differences.

Each preset is one `Preset` record: the default base URL, whether a key is
required, and the documented quirks, each with the page it comes from. One
adapter class, `PresetAdapter`, reads the record for its provider's type and
otherwise behaves as `OpenAIAdapter`. A quirk not confirmed by a provider's
documentation or official SDK is not encoded: the request goes out as
OpenAI's, and the provider's own error (a 400) tells the client what it
refused. Streams: see `PresetStreamTranslator` for where usage is found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import orjson

from aigw_router.adapters._params import apply_policy, refuse_value
from aigw_router.adapters.base import (
    AdapterServices,
    ChatCall,
    CompletionResult,
    EmbeddingsCall,
    ParamPolicy,
    StreamTranslator,
    UpstreamRequest,
)
from aigw_router.adapters.openai import OpenAIAdapter, OpenAIStreamTranslator, usage_from_openai
from aigw_runtime.config import ConfigError, ProviderConfig
from aigw_runtime.errors import InvalidRequestError


class ImageInput(StrEnum):
    """How a preset takes `image_url` content parts."""

    # Data URLs and web URLs, as OpenAI does.
    AS_IS = "as_is"
    # Data URLs only: the gateway fetches web URLs and sends their bytes.
    DATA_URLS = "data_urls"
    # No image input at all: a request with an image is a 400.
    NONE = "none"


def _frozen(mapping: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Preset:
    """What distinguishes one OpenAI-compatible server from OpenAI itself."""

    type: str
    # None: the server is the user's own, so base_url is required.
    default_base_url: str | None
    api_key_required: bool
    # Canonical parameter -> the provider's name for it.
    renames: Mapping[str, str] = field(default_factory=_frozen)
    # Canonical parameters the provider does not define: refused or dropped per the model's policy.
    unsupported: tuple[str, ...] = ()
    # Values equal to the provider's own behaviour, removed before the policy applies.
    implicit_defaults: Mapping[str, Any] = field(default_factory=_frozen)
    # Only one choice: `n` > 1 is a 400, `n: 1` is left out.
    single_choice: bool = False
    # Whether `stream_options` may be sent.
    stream_options: bool = True
    # Whether messages may carry a participant `name`.
    message_names: bool = True
    # Whether the `developer` role exists (otherwise it is sent as `system`, its older name).
    developer_role: bool = True
    # Whether `response_format` may be a JSON schema.
    json_schema: bool = True
    images: ImageInput = ImageInput.AS_IS
    embeddings: bool = True
    embedding_renames: Mapping[str, str] = field(default_factory=_frozen)
    embedding_unsupported: tuple[str, ...] = ()


# OpenAI request fields a strict server rejects when it does not define them.
_OPENAI_ONLY = (
    "logit_bias", "logprobs", "top_logprobs", "user", "store", "service_tier", "reasoning_effort",
    "modalities", "audio", "functions", "function_call", "web_search_options", "verbosity",
    "safety_identifier", "prompt_cache_key", "prompt_cache_retention",
)  # fmt: skip
# Canonical fields DeepSeek's chat completion request does not define.
_DEEPSEEK_UNDEFINED = (
    "seed", "logit_bias", "parallel_tool_calls", "user", "store", "metadata", "service_tier", "modalities",
)  # fmt: skip

PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        preset.type: preset
        for preset in (
            Preset(
                type="mistral",
                default_base_url="https://api.mistral.ai/v1",
                api_key_required=True,
                # The request fields are those of ChatCompletionRequest in the official SDK:
                # https://github.com/mistralai/client-python/blob/main/src/mistralai/models/chatcompletionstreamrequest.py
                renames=_frozen({"seed": "random_seed", "max_completion_tokens": "max_tokens"}),
                # Unknown fields are a 422 "extra_forbidden":
                # https://github.com/mistralai/platform-docs-public/issues/7
                unsupported=_OPENAI_ONLY,
                # stream_options is refused (422), and usage comes in the last chunk regardless:
                # https://github.com/openai/openai-agents-python/issues/442 and https://github.com/TabbyML/tabby/pull/4082
                stream_options=False,
                # UserMessage has only role and content (messages[].name is a 422):
                # https://github.com/mistralai/client-python/blob/main/src/mistralai/models/usermessage.py
                # https://github.com/Gage-Technologies/mistral-go/pull/2
                message_names=False,
                # Messages are system, user, assistant or tool (the SDK's ChatCompletionRequestMessages).
                developer_role=False,
                # EmbeddingRequest: input, output_dimension, output_dtype, encoding_format:
                # https://github.com/mistralai/client-python/blob/main/src/mistralai/models/embeddingrequest.py
                embedding_renames=_frozen({"dimensions": "output_dimension"}),
                embedding_unsupported=("user",),
            ),
            Preset(
                type="groq",
                # https://console.groq.com/docs/openai
                default_base_url="https://api.groq.com/openai/v1",
                api_key_required=True,
                # "will result in a 400 error if they are supplied": https://console.groq.com/docs/openai
                # metadata and store: "This parameter is not currently supported." (official SDK)
                # https://github.com/groq/groq-python/blob/main/src/groq/types/chat/completion_create_params.py
                unsupported=("logprobs", "logit_bias", "top_logprobs", "metadata", "store"),
                # "If N is supplied, it must be equal to 1": https://console.groq.com/docs/openai
                single_choice=True,
                # messages[].name is a 400: https://console.groq.com/docs/openai
                message_names=False,
                # Groq serves chat, responses and audio; no embeddings: https://console.groq.com/docs/openai
                embeddings=False,
            ),
            # https://docs.together.ai/docs/openai-api-compatibility: no documented difference encoded.
            Preset(type="together", default_base_url="https://api.together.xyz/v1", api_key_required=True),
            # https://docs.fireworks.ai/tools-sdks/openai-compatibility: usage is in the last chunk
            # of every stream, which PresetStreamTranslator handles; nothing to change in requests.
            Preset(
                type="fireworks",
                default_base_url="https://api.fireworks.ai/inference/v1",
                api_key_required=True,
            ),
            Preset(
                type="deepseek",
                # "https://api.deepseek.com ... you can also use https://api.deepseek.com/v1":
                # https://api-docs.deepseek.com/
                default_base_url="https://api.deepseek.com",
                api_key_required=True,
                # The request fields: https://api-docs.deepseek.com/api/create-chat-completion
                # (max_tokens; no n, seed, logit_bias, parallel_tool_calls, user, store, metadata).
                renames=_frozen({"max_completion_tokens": "max_tokens"}),
                unsupported=_DEEPSEEK_UNDEFINED,
                # Calls in parallel are what DeepSeek does anyway.
                implicit_defaults=_frozen({"parallel_tool_calls": True}),
                single_choice=True,
                # response_format is text or json_object; json_schema is a 400 "This response_format
                # type is unavailable now": https://github.com/llm-exe/llm-exe/issues/662
                json_schema=False,
                # "unknown variant `image_url`, expected `text`": https://github.com/rikkahub/rikkahub/issues/1433
                images=ImageInput.NONE,
                # Chat completions, FIM, models and balance only: https://api-docs.deepseek.com/
                embeddings=False,
            ),
            # https://openrouter.ai/docs: stream_options.include_usage is accepted and has no effect,
            # usage is always sent (https://openrouter.ai/docs/client-sdks/python/components/chatstreamoptions.md).
            Preset(type="openrouter", default_base_url="https://openrouter.ai/api/v1", api_key_required=True),
            # https://docs.x.ai: reasoning models refuse presence_penalty, frequency_penalty and stop;
            # that depends on the model, not the provider, so the provider's own 400 reaches the client.
            Preset(type="xai", default_base_url="https://api.x.ai/v1", api_key_required=True),
            Preset(
                type="ollama",
                # "base_url='http://localhost:11434/v1/', api_key='ollama',  # required but ignored":
                # https://github.com/ollama/ollama/blob/main/docs/api/openai-compatibility.mdx
                default_base_url="http://127.0.0.1:11434/v1",
                api_key_required=False,
                # Supported request fields (same page) and ChatCompletionRequest in
                # https://github.com/ollama/ollama/blob/main/openai/openai.go: max_tokens, no
                # max_completion_tokens; tool_choice, logit_bias, user and n unsupported.
                renames=_frozen({"max_completion_tokens": "max_tokens"}),
                unsupported=("tool_choice", "logit_bias", "user"),
                # Ollama decides when to call tools, which is what "auto" asks for.
                implicit_defaults=_frozen({"tool_choice": "auto"}),
                single_choice=True,
                # "Image content: Base64 encoded image [x], Image URL [ ]" (same page).
                images=ImageInput.DATA_URLS,
                # /v1/embeddings: model, input, encoding_format, dimensions; not user (same page).
                embedding_unsupported=("user",),
            ),
            # vLLM's server implements OpenAI's parameters and stream_options:
            # https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html
            Preset(type="vllm", default_base_url=None, api_key_required=False),
            Preset(
                type="tgi",
                default_base_url=None,
                api_key_required=False,
                # The Messages API takes max_tokens:
                # https://huggingface.co/docs/text-generation-inference/messages_api
                renames=_frozen({"max_completion_tokens": "max_tokens"}),
            ),
        )
    }
)


def _message_name_policy(messages: list[Any], provider: str, policy: ParamPolicy) -> None:
    """Leaves participant names out of the messages, or refuses the first one, like `apply_policy`."""
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "name" not in message:
            continue
        if message["name"] is not None and policy is ParamPolicy.REJECT:
            param = f"messages[{index}].name"
            raise InvalidRequestError(
                f"Parameter '{param}' is not supported by provider {provider}. Remove it, or set the "
                "model's unsupported_params to drop.",
                param=param,
                code="unsupported_parameter",
            )
        del message["name"]


def _image_parts(messages: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each `image_url` part of the messages with its parameter path."""
    found = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "image_url":
                found.append((f"messages[{i}].content[{j}]", part))
    return found


class PresetAdapter(OpenAIAdapter):
    """`openai-compatible` with the preset of the provider's type (see `PRESETS`)."""

    def __init__(self, provider: ProviderConfig, services: AdapterServices) -> None:
        preset = PRESETS.get(provider.type)
        if preset is None:
            raise ConfigError(f"provider {provider.name}: type {provider.type} has no preset")
        if provider.base_url is None and preset.default_base_url is None:
            raise ConfigError(f"provider {provider.name}: type {provider.type} needs base_url")
        if provider.api_key is None and preset.api_key_required:
            raise ConfigError(f"provider {provider.name}: type {provider.type} needs api_key")
        self.preset = preset
        self.default_base_url = preset.default_base_url
        super().__init__(provider, services)

    async def build_chat(self, call: ChatCall) -> UpstreamRequest:
        if self.preset.images is ImageInput.DATA_URLS and b"image_url" in call.body:
            call = dataclasses.replace(call, body=await self._inline_images(call.body))
        return await super().build_chat(call)

    async def _inline_images(self, body: bytes) -> bytes:
        """The body with every image URL replaced by a data URL of the fetched image."""
        request = orjson.loads(body)
        for param, part in _image_parts(request.get("messages") or []):
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str) or url.startswith("data:"):
                continue
            data = await self.services.images.load(
                url, self.provider.image_fetch, param=f"{param}.image_url.url"
            )
            inline = f"data:{data.media_type};base64,{data.base64}"
            part["image_url"] = {**image, "url": inline} if isinstance(image, dict) else {"url": inline}
        return orjson.dumps(request)

    def prepare_chat(self, request: dict[str, Any], call: ChatCall) -> None:
        preset = self.preset
        messages = request.get("messages")
        if isinstance(messages, list):
            self._prepare_messages(messages, call.policy)
        if preset.single_choice and request.get("n") is not None:
            if request["n"] != 1:
                raise refuse_value("n", f"Provider {self.name} returns one choice only; n must be 1.")
            del request["n"]
        response_format = request.get("response_format")
        if (
            not preset.json_schema
            and isinstance(response_format, dict)
            and response_format.get("type") == "json_schema"
        ):
            raise refuse_value(
                "response_format",
                f"Provider {self.name} does not support JSON schema output; use json_object.",
            )
        for name, value in preset.implicit_defaults.items():
            if request.get(name) == value:
                del request[name]
        for name, native in preset.renames.items():
            if name in request:
                value = request.pop(name)
                if value is not None:
                    request[native] = value
        apply_policy(request, preset.unsupported, self.name, call.policy)
        # apply_policy leaves parameters set to null; the provider does not define them either.
        for name in preset.unsupported:
            request.pop(name, None)
        if not preset.stream_options:
            request.pop("stream_options", None)

    def _prepare_messages(self, messages: list[Any], policy: ParamPolicy) -> None:
        if not self.preset.developer_role:
            for message in messages:
                if isinstance(message, dict) and message.get("role") == "developer":
                    message["role"] = "system"
        if not self.preset.message_names:
            _message_name_policy(messages, self.name, policy)
        if self.preset.images is ImageInput.NONE:
            for param, _ in _image_parts(messages):
                raise refuse_value(param, f"Provider {self.name} does not accept image input.")

    def parse_chat(self, content: bytes, upstream_model: str) -> CompletionResult:
        result = super().parse_chat(content, upstream_model)
        if b'"id":"chatcmpl-' in content:
            return result
        answer = orjson.loads(content)
        return dataclasses.replace(result, body=orjson.dumps(answer)) if _canonical_id(answer) else result

    def chat_stream(self, include_usage: bool, upstream_model: str) -> StreamTranslator:
        return PresetStreamTranslator(self.name, include_usage)

    async def build_embeddings(self, call: EmbeddingsCall) -> UpstreamRequest:
        preset = self.preset
        if not preset.embeddings:
            raise self.unsupported("embeddings")
        upstream = await super().build_embeddings(call)
        if not preset.embedding_renames and not preset.embedding_unsupported:
            return upstream
        request = orjson.loads(upstream.content)
        for name, native in preset.embedding_renames.items():
            if name in request:
                value = request.pop(name)
                if value is not None:
                    request[native] = value
        apply_policy(request, preset.embedding_unsupported, self.name, call.policy)
        for name in preset.embedding_unsupported:
            request.pop(name, None)
        return dataclasses.replace(upstream, content=orjson.dumps(request))


class PresetStreamTranslator(OpenAIStreamTranslator):
    """OpenAI's pass-through, with ids made canonical and usage found where presets put it.

    Mistral and Fireworks put usage in the last chunk, beside its choices; it is
    moved into a chunk of its own, as OpenAI sends it. Groq also reports usage
    in `x_groq.usage` on the last chunk, which stands in when no `usage` came.
    """

    def __init__(self, provider: str, include_usage: bool) -> None:
        super().__init__(provider, include_usage)
        self._wants_usage = include_usage

    def read(self, data: bytes, payloads: list[bytes]) -> None:
        raw: list[bytes] = []
        try:
            super().read(data, raw)
        finally:
            for payload in raw:
                canonical = payload.startswith(_CANONICAL_ID) and b'"usage"' not in payload
                payloads.extend((payload,) if canonical else self._normalize(payload))

    def _normalize(self, payload: bytes) -> list[bytes]:
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return [payload]
        if not isinstance(chunk, dict):
            return [payload]
        renamed = _canonical_id(chunk)
        extension = chunk.get("x_groq")
        if self.usage is None and isinstance(extension, dict) and isinstance(extension.get("usage"), dict):
            self.usage = usage_from_openai(extension["usage"])
        usage = chunk.get("usage")
        if not (self._wants_usage and isinstance(usage, dict) and chunk.get("choices")):
            return [orjson.dumps(chunk) if renamed else payload]
        del chunk["usage"]
        usage_chunk = {key: value for key, value in chunk.items() if key not in ("choices", "x_groq")}
        return [orjson.dumps(chunk), orjson.dumps({**usage_chunk, "choices": [], "usage": usage})]


_CANONICAL_ID = b'{"id":"chatcmpl-'


def _canonical_id(answer: dict[str, Any]) -> bool:
    """Prefixes the provider's id with `chatcmpl-` unless it has it (DeepSeek, Mistral); True if changed."""
    ident = answer.get("id")
    if isinstance(ident, str) and not ident.startswith("chatcmpl-"):
        answer["id"] = f"chatcmpl-{ident}"
        return True
    return False
