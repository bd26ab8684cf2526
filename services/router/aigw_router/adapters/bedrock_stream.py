"""Bedrock's answers in OpenAI's formats: Converse responses, ConverseStream event streams, errors.

A Converse answer is one assistant message of content blocks (`text`,
`toolUse`, and `reasoningContent`, which OpenAI's format has no place for and
which is left out) with a `stopReason` and token `usage`.

A ConverseStream answer is `application/vnd.amazon.eventstream`: binary
frames, each checked against its prelude and message CRC32s by botocore's
decoder, carrying `messageStart`, `contentBlockStart` (a tool call's id and
name), `contentBlockDelta` (text, or a fragment of a tool call's JSON input),
`contentBlockStop`, `messageStop` (the stop reason) and `metadata` (usage,
the last event), or an exception (`:message-type` exception) that ends the
stream. Each event becomes a `chat.completion.chunk` as soon as its frame is
complete; a stream that ends before `metadata` is broken. A tool call whose
input never streamed (a function without arguments) gets `{}` as its
arguments when its block stops, so every call's fragments join to JSON.

Errors carry their kind in `x-amzn-ErrorType` (in-stream: `:exception-type`);
`bedrock_error` is the one place both are turned into gateway errors.
"""

from __future__ import annotations

from typing import Any

import orjson
from botocore.eventstream import EventStreamBuffer, ParserError  # type: ignore[import-untyped]

from aigw_router.adapters._chunks import ChunkWriter, StreamedCalls, event_object, stream_broken
from aigw_router.adapters._errors import error_json, upstream_error
from aigw_router.adapters._responses import assistant_message, one_choice_completion, tool_call, usage_object
from aigw_router.adapters.base import StreamTranslator, TokenUsage
from aigw_runtime.errors import GatewayError, UpstreamError

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
# The model produced output Bedrock could not use: a failed answer (502), worth retrying.
_MALFORMED = frozenset({"malformed_model_output", "malformed_tool_use"})

# The HTTP status each Bedrock error kind stands for, where its own status would mislead:
# ModelNotReady is sent as 429 but means "not loaded yet" (an overload), ModelError/ModelStreamError
# as 424 (the model failed), ModelTimeout as 408.
_STATUS_BY_ERROR = {
    "ThrottlingException": 429,
    "ServiceQuotaExceededException": 429,
    "ServiceUnavailableException": 503,
    "ModelNotReadyException": 503,
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 502,
    "ModelStreamErrorException": 502,
    "InternalServerException": 500,
}


def bedrock_error(
    provider: str,
    error_type: str | None,
    status: int,
    message: str | None,
    retry_after_s: float | None = None,
) -> GatewayError:
    """The gateway error for a Bedrock error kind: `ThrottlingException:http://...`, `throttlingException`."""
    kind = (error_type or "").split(":", 1)[0].strip()
    kind = kind[:1].upper() + kind[1:]
    return upstream_error(provider, _STATUS_BY_ERROR.get(kind, status), message, retry_after_s=retry_after_s)


def finish_reason(provider: str, stop_reason: Any) -> str:
    """OpenAI's finish_reason for a Converse stopReason (unknown future reasons read as `stop`)."""
    if not isinstance(stop_reason, str):
        return "stop"
    if stop_reason in _MALFORMED:
        raise UpstreamError(
            f"Provider {provider} stopped with {stop_reason}: the model's output could not be used.",
            code="upstream_malformed_output",
        )
    return FINISH_REASONS.get(stop_reason, "stop")


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_from_bedrock(usage: Any) -> TokenUsage:
    """Converse's TokenUsage as TokenUsage: prompt tokens include the cached ones, as OpenAI counts them.

    Bedrock's inputTokens are only the tokens neither read from nor written to the prompt cache.
    """
    if not isinstance(usage, dict):
        return TokenUsage()
    cache_read = _count(usage.get("cacheReadInputTokens"))
    prompt = _count(usage.get("inputTokens")) + cache_read + _count(usage.get("cacheWriteInputTokens"))
    completion = _count(usage.get("outputTokens"))
    return TokenUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        cached_tokens=cache_read,
    )


def openai_usage(usage: TokenUsage) -> dict[str, Any]:
    """TokenUsage as OpenAI's `usage` object, without completion details: Converse reports no reasoning."""
    body = usage_object(usage)
    del body["completion_tokens_details"]
    return body


def _tool_call(block: dict[str, Any]) -> dict[str, Any]:
    arguments = orjson.dumps(block.get("input") if block.get("input") is not None else {}).decode()
    return tool_call(str(block.get("toolUseId", "")), str(block.get("name", "")), arguments)


def completion_body(
    provider: str, answer: dict[str, Any], *, completion_id: str, created: int, model: str
) -> tuple[bytes, TokenUsage]:
    """OpenAI's `chat.completion` JSON and the usage, for a Converse response."""
    output = answer.get("output")
    message = output.get("message") if isinstance(output, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("content"), list):
        raise UpstreamError(f"Provider {provider} sent a response that is not a Converse answer.")
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in message["content"]:
        if not isinstance(block, dict):
            continue
        if isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif isinstance(block.get("toolUse"), dict):
            calls.append(_tool_call(block["toolUse"]))
    usage = usage_from_bedrock(answer.get("usage"))
    body = one_choice_completion(
        completion_id,
        created,
        model,
        assistant_message("".join(texts) if texts or not calls else None, calls),
        finish_reason(provider, answer.get("stopReason")),
        openai_usage(usage),
    )
    return orjson.dumps(body), usage


class EventStreamDecoder:
    """Raw bytes in, complete and CRC-checked event-stream messages out, as (headers, payload)."""

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._buffer = EventStreamBuffer()

    def feed(self, data: bytes) -> list[tuple[dict[str, Any], bytes]]:
        self._buffer.add_data(data)
        try:
            return [(dict(message.headers), bytes(message.payload)) for message in self._buffer]
        except ParserError as exc:
            raise UpstreamError(
                f"Provider {self._provider} sent a corrupt event stream ({exc}).",
                code="upstream_stream_broken",
            ) from None


class BedrockStreamTranslator(StreamTranslator):
    """ConverseStream events into `chat.completion.chunk` payloads, one choice, as they arrive."""

    def __init__(
        self, provider: str, *, include_usage: bool, completion_id: str, created: int, model: str
    ) -> None:
        self._provider = provider
        self._include_usage = include_usage
        self._out = ChunkWriter(completion_id, created, model)
        self._decoder = EventStreamDecoder(provider)
        self._calls = StreamedCalls()  # by the contentBlockIndex of each tool-use block
        self._finished = False
        self.usage: TokenUsage | None = None

    def read(self, data: bytes, payloads: list[bytes]) -> None:
        for headers, payload in self._decoder.feed(data):
            kind = headers.get(":message-type")
            if kind == "exception":
                raise bedrock_error(
                    self._provider, str(headers.get(":exception-type")), 502, _message(payload)
                )
            if kind == "error":
                message = f"{headers.get(':error-code')}: {headers.get(':error-message')}"
                raise upstream_error(self._provider, 502, f"in-stream error: {message}")
            payloads.extend(self._event(headers.get(":event-type"), payload))

    def end(self) -> list[bytes]:
        if not self._finished:
            raise stream_broken(self._provider)
        return []

    def _event(self, event_type: Any, payload: bytes) -> list[bytes]:
        event = event_object(self._provider, payload)
        if event_type == "messageStart":
            return [self._out.opening()]
        if event_type == "contentBlockStart":
            return self._block_start(event)
        if event_type == "contentBlockDelta":
            return self._block_delta(event)
        if event_type == "contentBlockStop":
            return self._out.call_end(self._calls.at(_block_index(event)))
        if event_type == "messageStop":
            return [self._out.delta({}, finish_reason(self._provider, event.get("stopReason")))]
        if event_type == "metadata":
            self._finished = True
            self.usage = usage_from_bedrock(event.get("usage"))
            if self._include_usage:
                return [self._out.chunk([], openai_usage(self.usage))]
        # Events added to the API later change nothing in OpenAI's format.
        return []

    def _block_start(self, event: dict[str, Any]) -> list[bytes]:
        start = event.get("start")
        tool = start.get("toolUse") if isinstance(start, dict) else None
        if not isinstance(tool, dict):
            return []
        call = self._calls.start(_block_index(event))
        return [self._out.call_start(call, str(tool.get("toolUseId", "")), str(tool.get("name", "")))]

    def _block_delta(self, event: dict[str, Any]) -> list[bytes]:
        delta = event.get("delta")
        if not isinstance(delta, dict):
            return []
        text = delta.get("text")
        if isinstance(text, str):
            return self._out.text(text)
        tool = delta.get("toolUse")
        if not isinstance(tool, dict):
            return []
        call = self._calls.at(_block_index(event))
        if call is None:
            raise UpstreamError(f"Provider {self._provider} streamed tool input for a call it never started.")
        fragment = tool.get("input")
        if not isinstance(fragment, str) or not fragment:
            return []
        return [self._out.arguments(call, fragment)]


def _block_index(event: dict[str, Any]) -> int:
    index = event.get("contentBlockIndex")
    return index if isinstance(index, int) else -1


def _message(payload: bytes) -> str | None:
    body = error_json(payload)
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) else None
