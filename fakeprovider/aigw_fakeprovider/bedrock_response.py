"""Bedrock's Converse answers and ConverseStream events, built from protocol-neutral answers.

A Converse answer is `{output: {message: {role, content}}, stopReason, usage,
metrics}`; content holds a `text` block or `toolUse` blocks (ids
`tooluse_...`). A stream is `application/vnd.amazon.eventstream` frames (see
`bedrock_eventstream.py`): `messageStart`; for text, a `contentBlockDelta`
per token and a `contentBlockStop` (Bedrock sends no start for a text
block); for each tool call, `contentBlockStart` with its id and name, its
input JSON in `contentBlockDelta` fragments and `contentBlockStop`; then
`messageStop` with the stop reason and `metadata` with usage and metrics. A
stream that fails after it started ends with an exception message instead
(`:message-type` exception), named as the ConverseStreamOutput member of the
error's shape (`throttlingException` for a ThrottlingException).
"""

from __future__ import annotations

import json
from typing import Any

from aigw_fakeprovider.answers import Answer, Completion, StopReason, ToolCall, split_tokens
from aigw_fakeprovider.bedrock_eventstream import event_frame, exception_frame
from aigw_fakeprovider.delivery import Frame
from aigw_fakeprovider.errors import ProviderError

STOP_REASONS = {
    StopReason.END: "end_turn",
    StopReason.STOP_SEQUENCE: "stop_sequence",
    StopReason.MAX_TOKENS: "max_tokens",
    StopReason.TOOL_USE: "tool_use",
}


def tool_use_id(call: ToolCall) -> str:
    """Bedrock's id for a neutral tool call (`tooluse_` instead of OpenAI's `call_`)."""
    return "tooluse_" + call.id.removeprefix("call_")


def _usage(answer: Answer) -> dict[str, int]:
    return {
        "inputTokens": answer.prompt_tokens,
        "outputTokens": answer.completion_tokens,
        "totalTokens": answer.prompt_tokens + answer.completion_tokens,
    }


def _content(completion: Completion) -> list[dict[str, Any]]:
    if completion.text is not None:
        return [{"text": completion.text}] if completion.text else []
    return [
        {"toolUse": {"toolUseId": tool_use_id(call), "name": call.name, "input": json.loads(call.arguments)}}
        for call in completion.tool_calls
    ]


def converse_body(answer: Answer, latency_ms: int) -> dict[str, Any]:
    """A Converse response (Bedrock answers with one message)."""
    completion = answer.completions[0]
    return {
        "output": {"message": {"role": "assistant", "content": _content(completion)}},
        "stopReason": STOP_REASONS[completion.stop_reason],
        "usage": _usage(answer),
        "metrics": {"latencyMs": latency_ms},
    }


def exception_event(error: ProviderError) -> bytes:
    """The exception message that ends a stream which failed after it started."""
    return exception_frame(error.error_type[:1].lower() + error.error_type[1:], error.message)


def _frame(event_type: str, payload: dict[str, Any], *, token: bool = False) -> Frame:
    return Frame(event_frame(event_type, payload), token)


def _text_block(text: str) -> list[Frame]:
    deltas = [
        _frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": token}}, token=True)
        for token in split_tokens(text)
    ]
    return [*deltas, _frame("contentBlockStop", {"contentBlockIndex": 0})]


def _tool_block(index: int, call: ToolCall) -> list[Frame]:
    start = {"toolUse": {"toolUseId": tool_use_id(call), "name": call.name}}
    deltas = [
        _frame(
            "contentBlockDelta",
            {"contentBlockIndex": index, "delta": {"toolUse": {"input": fragment}}},
            token=True,
        )
        for fragment in split_tokens(call.arguments)
    ]
    return [
        _frame("contentBlockStart", {"contentBlockIndex": index, "start": start}),
        *deltas,
        _frame("contentBlockStop", {"contentBlockIndex": index}),
    ]


def stream_frames(answer: Answer, latency_ms: int) -> list[Frame]:
    """The events of a ConverseStream answer, from messageStart to metadata."""
    completion = answer.completions[0]
    frames = [_frame("messageStart", {"role": "assistant"})]
    if completion.text:
        frames.extend(_text_block(completion.text))
    for index, call in enumerate(completion.tool_calls):
        frames.extend(_tool_block(index, call))
    frames.append(_frame("messageStop", {"stopReason": STOP_REASONS[completion.stop_reason]}))
    frames.append(_frame("metadata", {"usage": _usage(answer), "metrics": {"latencyMs": latency_ms}}))
    return frames
