"""Cohere v2 chat and embed answers, stream events and error envelope, built from neutral answers.

Shapes follow Cohere's documented examples and the official SDK's types. A
chat response carries `id`, `finish_reason`, `message` (text `content`, or a
`tool_plan` with `tool_calls`) and `usage` with `billed_units` and `tokens`;
`tokens.input_tokens` also counts `PREAMBLE_TOKENS`, the prompt Cohere adds
itself, which it does not bill. A stream is SSE with an `event:` line naming
each event, whose JSON repeats it as `type`: `message-start`, then text as
`content-start`, one `content-delta` per token and `content-end`, or tool
calls as one `tool-plan-delta` per token of the plan, then per call
`tool-call-start`, one `tool-call-delta` per argument token and
`tool-call-end`; last `message-end` with the finish reason and usage. There
is no `[DONE]`.

Cohere's v2 stream has no error event (the SDK's `StreamedChatResponseV2`
union holds only the events above, citations, and `message-end`). A
generation that fails after the stream started ends with `message-end`
whose delta says so: `finish_reason` `ERROR` and `error`, "an error message
if an error occurred during the generation" (the API definition's
`ChatMessageEndEvent`), without usage.
"""

from __future__ import annotations

from typing import Any

import orjson

from aigw_fakeprovider.answers import Answer, Completion, StopReason, ToolCall, split_tokens
from aigw_fakeprovider.delivery import Frame
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.vectors import embedding_vector

FINISH_REASONS = {
    StopReason.END: "COMPLETE",
    StopReason.STOP_SEQUENCE: "STOP_SEQUENCE",
    StopReason.MAX_TOKENS: "MAX_TOKENS",
    StopReason.TOOL_USE: "TOOL_CALL",
}
PREAMBLE_TOKENS = 64
"""Tokens of the prompt Cohere adds to every chat (counted in `tokens`, not in `billed_units`)."""


def error_body(error: ProviderError, error_id: str) -> dict[str, Any]:
    return {"id": error_id, "message": error.message}


def tool_call_id(call: ToolCall) -> str:
    """Cohere's id for a neutral tool call: the function name and a suffix (`get_weather_1byjy32y4hvq`)."""
    return f"{call.name}_{call.id.removeprefix('call_')[:12]}"


def tool_plan(completion: Completion) -> str:
    """The plan the fake model states before its tool calls."""
    return "I will call " + " and ".join(call.name for call in completion.tool_calls) + "."


def _usage(answer: Answer, output_tokens: int) -> dict[str, Any]:
    return {
        "billed_units": {"input_tokens": answer.prompt_tokens, "output_tokens": output_tokens},
        "tokens": {"input_tokens": answer.prompt_tokens + PREAMBLE_TOKENS, "output_tokens": output_tokens},
    }


def _native_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": tool_call_id(call),
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def chat_body(answer: Answer, response_id: str) -> dict[str, Any]:
    """A chat response (Cohere answers with one generation)."""
    completion = answer.completions[0]
    message: dict[str, Any] = {"role": "assistant"}
    if completion.tool_calls:
        message["tool_plan"] = tool_plan(completion)
        message["tool_calls"] = [_native_call(call) for call in completion.tool_calls]
    else:
        message["content"] = [{"type": "text", "text": completion.text}] if completion.text else []
    return {
        "id": response_id,
        "finish_reason": FINISH_REASONS[completion.stop_reason],
        "message": message,
        "usage": _usage(answer, completion.tokens),
    }


def _event(body: dict[str, Any], *, token: bool = False) -> Frame:
    name = str(body["type"]).encode()
    return Frame(b"event: " + name + b"\ndata: " + orjson.dumps(body) + b"\n\n", token)


def failed_end_event(error: ProviderError) -> bytes:
    """The `message-end` of a generation that failed after its stream started."""
    return _event({"type": "message-end", "delta": {"error": error.message, "finish_reason": "ERROR"}}).data


def _text_events(text: str) -> list[Frame]:
    opening = {
        "type": "content-start",
        "index": 0,
        "delta": {"message": {"content": {"type": "text", "text": ""}}},
    }
    deltas = [
        _event(
            {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": token}}}},
            token=True,
        )
        for token in split_tokens(text)
    ]
    return [_event(opening), *deltas, _event({"type": "content-end", "index": 0})]


def _tool_events(completion: Completion) -> list[Frame]:
    frames = [
        _event({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": token}}}, token=True)
        for token in split_tokens(tool_plan(completion))
    ]
    for index, call in enumerate(completion.tool_calls):
        header = {**_native_call(call), "function": {"name": call.name, "arguments": ""}}
        frames.append(
            _event({"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": header}}})
        )
        for fragment in split_tokens(call.arguments):
            delta = {"message": {"tool_calls": {"function": {"arguments": fragment}}}}
            frames.append(_event({"type": "tool-call-delta", "index": index, "delta": delta}, token=True))
        frames.append(_event({"type": "tool-call-end", "index": index}))
    return frames


def stream_frames(answer: Answer, response_id: str) -> list[Frame]:
    """The events of a streamed chat response, from message-start to message-end."""
    completion = answer.completions[0]
    opening = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    frames = [_event({"id": response_id, "type": "message-start", "delta": {"message": opening}})]
    if completion.tool_calls:
        frames.extend(_tool_events(completion))
    elif completion.text:
        frames.extend(_text_events(completion.text))
    closing = {
        "finish_reason": FINISH_REASONS[completion.stop_reason],
        "usage": _usage(answer, completion.tokens),
    }
    frames.append(_event({"type": "message-end", "delta": closing}))
    return frames


def embed_body(
    response_id: str, texts: tuple[str, ...], *, dimensions: int, input_tokens: int
) -> dict[str, Any]:
    """An embed response with float vectors, in the order of the texts."""
    return {
        "id": response_id,
        "embeddings": {"float": [embedding_vector(text, dimensions) for text in texts]},
        "texts": list(texts),
        "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": input_tokens}},
        "response_type": "embeddings_by_type",
    }
