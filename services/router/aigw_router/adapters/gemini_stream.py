"""Gemini's answers as OpenAI's: a whole `GenerateContentResponse`, a stream of them, errors.

Each candidate becomes a choice: its text parts (thoughts left out) the
message content, its `functionCall` parts tool calls, arguments serialised as
JSON, with the call's own `id` when Gemini gave one and one of ours
(`call_<hex>`) otherwise (Gemini pairs calls and results by name and order).
Finish reasons: STOP is `stop` (`tool_calls` when the candidate called a
function), MAX_TOKENS `length`, the safety and recitation family
`content_filter`, anything else `stop`.

A prompt Gemini blocked outright (`promptFeedback.blockReason`, no
candidates) is answered as one choice with no content and finish reason
`content_filter`, streamed or not: the client learns the same thing as when
an answer is filtered midway, and a stream needs no special error path.

Streams are SSE (`alt=sse`), one `GenerateContentResponse` per event. Every
event becomes chunks at once: text deltas, each function call as one complete
tool-call delta, then a finish chunk when the candidate's `finishReason`
arrives. Gemini has no end-of-stream event, so `finish` checks that every
choice finished, then adds the usage chunk when the client asked for it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from aigw_router.adapters._chunks import ChunkWriter, event_object, stream_broken
from aigw_router.adapters._errors import error_json, upstream_error
from aigw_router.adapters._responses import count_field, tool_call, usage_object
from aigw_router.adapters.base import StreamTranslator, TokenUsage
from aigw_runtime.errors import GatewayError, UpstreamError
from aigw_runtime.sse import SseDecoder

# Finish reasons that mean a filter stopped the answer.
_FILTERED = frozenset({
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR",
})  # fmt: skip


def finish_reason(native: str, called: bool) -> str:
    """OpenAI's finish reason for a candidate's `finishReason`."""
    if native == "MAX_TOKENS":
        return "length"
    if native in _FILTERED:
        return "content_filter"
    return "tool_calls" if called else "stop"


def usage_from_gemini(metadata: Any) -> TokenUsage:
    """`usageMetadata` as TokenUsage; thoughts count as completion (and reasoning) tokens, like OpenAI's."""
    if not isinstance(metadata, Mapping):
        return TokenUsage()
    prompt = count_field(metadata, "promptTokenCount") + count_field(metadata, "toolUsePromptTokenCount")
    thoughts = count_field(metadata, "thoughtsTokenCount")
    completion = count_field(metadata, "candidatesTokenCount") + thoughts
    return TokenUsage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=count_field(metadata, "totalTokenCount") or prompt + completion,
        cached_tokens=count_field(metadata, "cachedContentTokenCount"),
        reasoning_tokens=thoughts,
    )


def new_call_id() -> str:
    return "call_" + secrets.token_hex(12)


def completion_id(answer: Mapping[str, Any]) -> str:
    """The provider's response id as a completion id, or a fresh one."""
    response_id = answer.get("responseId")
    if isinstance(response_id, str) and response_id:
        return f"chatcmpl-{response_id}"
    return "chatcmpl-" + secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class CandidateOutput:
    """What one candidate (or one streamed piece of it) said."""

    text: str | None
    calls: tuple[dict[str, Any], ...]


def candidate_output(candidate: Mapping[str, Any]) -> CandidateOutput:
    content = candidate.get("content")
    parts = content.get("parts") if isinstance(content, Mapping) else None
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in parts if isinstance(parts, list) else ():
        if not isinstance(part, Mapping) or part.get("thought"):
            continue
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
        call = part.get("functionCall")
        if isinstance(call, Mapping) and isinstance(call.get("name"), str):
            arguments = call.get("args") if isinstance(call.get("args"), Mapping) else {}
            native_id = call.get("id")
            calls.append(
                tool_call(
                    native_id if isinstance(native_id, str) and native_id else new_call_id(),
                    call["name"],
                    orjson.dumps(arguments).decode(),
                )
            )
    return CandidateOutput("".join(texts) if texts else None, tuple(calls))


def in_band_error(provider: str, answer: Mapping[str, Any]) -> GatewayError:
    error = answer.get("error")
    code = error.get("code") if isinstance(error, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    status = code if isinstance(code, int) and code >= 400 else 500
    return upstream_error(provider, status, f"in-stream error: {message}" if message else None)


def _blocked(answer: Mapping[str, Any]) -> bool:
    feedback = answer.get("promptFeedback")
    return isinstance(feedback, Mapping) and bool(feedback.get("blockReason"))


def completion_body(
    answer: Mapping[str, Any], *, provider: str, model: str, created: int
) -> tuple[bytes, TokenUsage]:
    """OpenAI's `chat.completion` JSON for a whole Gemini response, and its usage."""
    if "error" in answer:
        raise in_band_error(provider, answer)
    candidates = answer.get("candidates")
    choices: list[dict[str, Any]] = []
    if isinstance(candidates, list) and candidates:
        for position, candidate in enumerate(candidates):
            if not isinstance(candidate, Mapping):
                raise UpstreamError(f"Provider {provider} sent a candidate that is not an object.")
            output = candidate_output(candidate)
            message: dict[str, Any] = {"role": "assistant", "content": output.text, "refusal": None}
            if output.calls:
                message["tool_calls"] = list(output.calls)
            native = candidate.get("finishReason")
            choices.append(
                {
                    "index": _index(candidate, position),
                    "message": message,
                    "logprobs": None,
                    "finish_reason": finish_reason(
                        native if isinstance(native, str) else "", bool(output.calls)
                    ),
                }
            )
    elif _blocked(answer):
        message = {"role": "assistant", "content": None, "refusal": None}
        choices.append({"index": 0, "message": message, "logprobs": None, "finish_reason": "content_filter"})
    else:
        raise UpstreamError(f"Provider {provider} sent an answer without candidates.")
    usage = usage_from_gemini(answer.get("usageMetadata"))
    body = {
        "id": completion_id(answer),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": sorted(choices, key=lambda choice: int(choice["index"])),
        "usage": usage_object(usage),
    }
    return orjson.dumps(body), usage


@dataclass(slots=True)
class _ChoiceState:
    started: bool = False
    calls: int = 0
    finished: bool = False


class GeminiStreamTranslator(StreamTranslator):
    """SSE of `GenerateContentResponse` chunks into `chat.completion.chunk` payloads."""

    def __init__(self, provider: str, *, include_usage: bool, model: str, created: int) -> None:
        self._provider = provider
        self._include_usage = include_usage
        self._decoder = SseDecoder()
        self._choices: dict[int, _ChoiceState] = {}
        # The id is the first response's, or a fresh one.
        self._out = ChunkWriter(None, created, model)
        self.usage: TokenUsage | None = None

    def read(self, data: bytes, payloads: list[bytes]) -> None:
        for event in self._decoder.feed(data):
            payloads.extend(self._translate(event_object(self._provider, event.data)))

    def _translate(self, chunk: dict[str, Any]) -> list[bytes]:
        if "error" in chunk:
            raise in_band_error(self._provider, chunk)
        if self._out.id is None:
            self._out.id = completion_id(chunk)
        if "usageMetadata" in chunk:
            self.usage = usage_from_gemini(chunk["usageMetadata"])
        candidates = chunk.get("candidates")
        if not isinstance(candidates, list) or not candidates:
            if _blocked(chunk) and 0 not in self._choices:
                self._choices[0] = _ChoiceState(started=True, finished=True)
                opening = self._out.delta({"role": "assistant", "content": None})
                return [opening, self._out.delta({}, "content_filter")]
            return []
        payloads: list[bytes] = []
        for position, candidate in enumerate(candidates):
            if isinstance(candidate, Mapping):
                payloads.extend(self._candidate(candidate, position))
        return payloads

    def _candidate(self, candidate: Mapping[str, Any], position: int) -> list[bytes]:
        index = _index(candidate, position)
        state = self._choices.setdefault(index, _ChoiceState())
        if state.finished:
            return []
        output = candidate_output(candidate)
        payloads: list[bytes] = []
        if output.text or output.calls or not state.started:
            delta: dict[str, Any] = {} if state.started else {"role": "assistant"}
            delta["content"] = output.text or ("" if not output.calls else None)
            if output.calls:
                delta["tool_calls"] = [
                    {"index": state.calls + k, **call} for k, call in enumerate(output.calls)
                ]
                state.calls += len(output.calls)
            payloads.append(self._out.delta(delta, index=index))
            state.started = True
        native = candidate.get("finishReason")
        if isinstance(native, str) and native:
            state.finished = True
            reason = finish_reason(native, state.calls > 0)
            payloads.append(self._out.delta({}, reason, index))
        return payloads

    def end(self) -> list[bytes]:
        if not self._choices or not all(state.finished for state in self._choices.values()):
            raise stream_broken(self._provider)
        if not self._include_usage:
            return []
        return [self._out.usage(self.usage)]


def google_status(content: bytes) -> dict[str, Any]:
    """The `google.rpc.Status` inside an error body (`{"error": {...}}`, or a one-element list of it)."""
    body = error_json(content)
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def retry_delay(details: list[Any]) -> float | None:
    """`RetryInfo.retryDelay` (a Duration such as "41s" or "0.5s") in seconds."""
    for detail in details:
        if isinstance(detail, Mapping) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = detail.get("retryDelay")
            try:
                return float(str(delay).removesuffix("s"))
            except ValueError:
                return None
    return None


def _index(candidate: Mapping[str, Any], position: int) -> int:
    """A candidate's index (its place in the answer when it names none, or none that is a number)."""
    index = candidate.get("index", position)
    return index if isinstance(index, int) and not isinstance(index, bool) else position
