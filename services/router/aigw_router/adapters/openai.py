"""OpenAI's Chat Completions API, and every server that speaks it (vLLM, Ollama, ...).

The canonical format is OpenAI's, so requests and answers pass through: only
the model name is replaced by the deployment's, and streams always ask for
usage (so metering sees the token counts) while the usage chunk reaches the
client only if it asked for it.

An embeddings batch is one request, whatever its size (OpenAI's own limit,
2048 inputs, is the gateway's): the answer passes through untouched when its
`data` is in input order (`index` 0..n-1), and is put in that order when a
server sent it otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from aigw_router.adapters._chunks import malformed_event, stream_broken
from aigw_router.adapters._errors import error_json, retry_after_seconds, upstream_error
from aigw_router.adapters._responses import count_field, json_object
from aigw_router.adapters.base import (
    AdapterServices,
    ChatCall,
    CompletionResult,
    EmbeddingsCall,
    ProviderAdapter,
    StreamTranslator,
    TokenUsage,
    UpstreamAnswer,
    UpstreamRequest,
)
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError, UpstreamError
from aigw_runtime.secrets import resolve_secret
from aigw_runtime.sse import SseDecoder

_DONE = b"[DONE]"


def usage_from_openai(usage: Any) -> TokenUsage:
    """OpenAI's usage object (with its optional details) as TokenUsage."""
    if not isinstance(usage, dict):
        return TokenUsage()
    prompt = count_field(usage, "prompt_tokens")
    completion = count_field(usage, "completion_tokens")
    return TokenUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=count_field(usage, "total_tokens") or prompt + completion,
        cached_tokens=count_field(usage.get("prompt_tokens_details"), "cached_tokens"),
        reasoning_tokens=count_field(usage.get("completion_tokens_details"), "reasoning_tokens"),
    )


def _error_message(content: bytes) -> tuple[str | None, str | None]:
    body = error_json(content)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        param = error.get("param")
        return (message if isinstance(message, str) else None, param if isinstance(param, str) else None)
    if isinstance(error, str):
        return error, None
    return None, None


def _in_band_status(error: Any) -> int:
    """The HTTP status an error sent inside a stream stands for: its type or code says, else a 500."""
    kind = f"{error.get('type')} {error.get('code')}" if isinstance(error, dict) else ""
    if "rate_limit" in kind:
        return 429
    if "overloaded" in kind:
        return 503
    return 500


class OpenAIStreamTranslator(StreamTranslator):
    """Passes chunk payloads through, watching for usage, in-band errors and `[DONE]`."""

    def __init__(self, provider: str, include_usage: bool) -> None:
        self._provider = provider
        self._include_usage = include_usage
        self._decoder = SseDecoder()
        self._done = False
        self.usage: TokenUsage | None = None

    def read(self, data: bytes, payloads: list[bytes]) -> None:
        for event in self._decoder.feed(data):
            payload = event.data
            if payload == _DONE:
                self._done = True
                continue
            if self._done:
                continue
            if b'"error"' in payload or b'"usage":{' in payload:
                payload = self._inspect(payload)
                if not payload:
                    continue
            if not self._include_usage and b'"usage":null' in payload:
                payload = payload.replace(b',"usage":null', b"").replace(b'"usage":null,', b"")
            payloads.append(payload)

    def _inspect(self, payload: bytes) -> bytes:
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise malformed_event(self._provider) from None
        if not isinstance(chunk, dict):
            raise malformed_event(self._provider)
        if "error" in chunk:
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else str(error)
            raise upstream_error(self._provider, _in_band_status(error), f"in-stream error: {message}")
        if isinstance(chunk.get("usage"), dict):
            self.usage = usage_from_openai(chunk["usage"])
            if not self._include_usage:
                if not chunk.get("choices"):
                    return b""
                chunk.pop("usage")
                return orjson.dumps(chunk)
        return payload

    def end(self) -> list[bytes]:
        if not self._done:
            raise stream_broken(self._provider)
        return []


class OpenAIAdapter(ProviderAdapter):
    """`type: openai` and `type: openai-compatible`: base_url includes `/v1`.

    Presets of openai-compatible servers subclass it and set their defaults.
    """

    default_base_url: str | None = "https://api.openai.com/v1"

    def __init__(self, provider: ProviderConfig, services: AdapterServices) -> None:
        super().__init__(provider, services)
        api_key = resolve_secret(provider.api_key) if provider.api_key else None
        base_url = (provider.base_url or self.default_base_url or "").rstrip("/")
        self._chat_url = base_url + "/chat/completions"
        self._embeddings_url = base_url + "/embeddings"
        self._headers = {"content-type": "application/json", "accept": "application/json"}
        if api_key:
            self._headers["authorization"] = f"Bearer {api_key}"

    def prepare_chat(self, request: dict[str, Any], call: ChatCall) -> None:
        """Adjusts the request body in place; presets override it for their quirks."""

    async def build_chat(self, call: ChatCall) -> UpstreamRequest:
        request = orjson.loads(call.body)
        request["model"] = call.upstream_model
        if call.stream:
            request["stream"] = True
            options = request.get("stream_options")
            request["stream_options"] = (
                {**options, "include_usage": True} if isinstance(options, dict) else {"include_usage": True}
            )
        else:
            request.pop("stream", None)
            request.pop("stream_options", None)
        self.prepare_chat(request, call)
        headers = dict(self._headers)
        if call.stream:
            headers["accept"] = "text/event-stream"
        return UpstreamRequest(url=self._chat_url, headers=headers, content=orjson.dumps(request))

    def parse_chat(self, content: bytes, upstream_model: str) -> CompletionResult:
        answer = json_object(self.name, content)
        if not isinstance(answer.get("choices"), list):
            raise UpstreamError(f"Provider {self.name} sent a response that is not a chat completion.")
        return CompletionResult(body=content, usage=usage_from_openai(answer.get("usage")))

    def chat_stream(self, include_usage: bool, upstream_model: str) -> StreamTranslator:
        return OpenAIStreamTranslator(self.name, include_usage)

    async def build_embeddings(self, call: EmbeddingsCall) -> UpstreamRequest:
        request = orjson.loads(call.body)
        request["model"] = call.upstream_model
        return UpstreamRequest(
            url=self._embeddings_url, headers=dict(self._headers), content=orjson.dumps(request)
        )

    def parse_embeddings(self, answers: Sequence[UpstreamAnswer], call: EmbeddingsCall) -> CompletionResult:
        (only,) = answers  # split_embeddings keeps the call whole
        content = only.content
        answer = json_object(self.name, content)
        data = answer.get("data")
        if not isinstance(data, list):
            raise UpstreamError(f"Provider {self.name} sent a response that is not an embedding list.")
        if not all(isinstance(item, dict) and item.get("index") == i for i, item in enumerate(data)):
            answer["data"] = self._in_input_order(data)
            content = orjson.dumps(answer)
        return CompletionResult(body=content, usage=usage_from_openai(answer.get("usage")))

    def _in_input_order(self, data: list[Any]) -> list[Any]:
        indexes = [item.get("index") if isinstance(item, dict) else None for item in data]
        if sorted(i for i in indexes if isinstance(i, int)) != list(range(len(data))):
            raise UpstreamError(f"Provider {self.name} sent embeddings without the indexes 0..n-1.")
        return sorted(data, key=lambda item: item["index"])

    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        message, param = _error_message(content)
        return upstream_error(
            self.name, status, message, retry_after_s=retry_after_seconds(headers), param=param
        )
