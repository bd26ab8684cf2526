"""Typed `aigw.inference.v1` messages to and from OpenAI's Chat Completions JSON."""

from __future__ import annotations

from typing import Any

import orjson
from google.protobuf import json_format, struct_pb2

from aigw.common.v1 import common_pb2
from aigw.inference.v1 import inference_pb2 as pb
from aigw_runtime.errors import UpstreamError


def _struct(value: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(value)


def _part(part: pb.ContentPart) -> dict[str, Any]:
    kind = part.WhichOneof("part")
    if kind == "image_url":
        image: dict[str, Any] = {"url": part.image_url.url}
        if part.image_url.detail:
            image["detail"] = part.image_url.detail
        return {"type": "image_url", "image_url": image}
    if kind == "refusal":
        return {"type": "refusal", "refusal": part.refusal}
    return {"type": "text", "text": part.text}


def _message(message: pb.Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role}
    if message.HasField("text"):
        out["content"] = message.text
    elif message.parts:
        out["content"] = [_part(p) for p in message.parts]
    elif message.role == "assistant":
        out["content"] = None
    if message.name:
        out["name"] = message.name
    if message.tool_calls:
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": call.type or "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    if message.refusal:
        out["refusal"] = message.refusal
    return out


def _tool(tool: pb.Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.function.name}
    if tool.function.description:
        function["description"] = tool.function.description
    if tool.function.HasField("parameters"):
        function["parameters"] = _struct(tool.function.parameters)
    if tool.function.HasField("strict"):
        function["strict"] = tool.function.strict
    return {"type": tool.type or "function", "function": function}


_OPTIONAL_SCALARS = (
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "n",
    "presence_penalty",
    "frequency_penalty",
)


def request_to_openai(request: pb.ChatCompleteRequest, stream: bool) -> bytes:
    """The OpenAI request body for a typed request."""
    body: dict[str, Any] = {"model": request.model, "messages": [_message(m) for m in request.messages]}
    if request.tools:
        body["tools"] = [_tool(t) for t in request.tools]
    if request.HasField("tool_choice"):
        if request.tool_choice.WhichOneof("choice") == "function_name":
            body["tool_choice"] = {
                "type": "function",
                "function": {"name": request.tool_choice.function_name},
            }
        else:
            body["tool_choice"] = request.tool_choice.mode
    for name in _OPTIONAL_SCALARS:
        if request.HasField(name):
            body[name] = getattr(request, name)
    if request.stop:
        body["stop"] = list(request.stop)
    if request.user:
        body["user"] = request.user
    if request.HasField("response_format"):
        body["response_format"] = _struct(request.response_format)
    if stream:
        body["stream"] = True
        if request.HasField("stream_options"):
            body["stream_options"] = {"include_usage": request.stream_options.include_usage}
    if request.HasField("extra"):
        for key, value in _struct(request.extra).items():
            body.setdefault(key, value)
    return orjson.dumps(body)


def _usage(usage: Any) -> common_pb2.Usage | None:
    if not isinstance(usage, dict):
        return None
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return common_pb2.Usage(
        prompt_tokens=usage.get("prompt_tokens") or 0,
        completion_tokens=usage.get("completion_tokens") or 0,
        total_tokens=usage.get("total_tokens") or 0,
        cached_tokens=prompt_details.get("cached_tokens") or 0,
        reasoning_tokens=completion_details.get("reasoning_tokens") or 0,
    )


def _tool_calls(calls: Any) -> list[pb.ToolCall]:
    return [
        pb.ToolCall(
            id=call.get("id") or "",
            type=call.get("type") or "function",
            function=pb.FunctionCall(
                name=(call.get("function") or {}).get("name") or "",
                arguments=(call.get("function") or {}).get("arguments") or "",
            ),
        )
        for call in calls or ()
    ]


def _load(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UpstreamError("The provider's answer is not JSON.") from None
    if not isinstance(value, dict):
        raise UpstreamError("The provider's answer is not a JSON object.")
    return value


def response_from_openai(body: bytes) -> pb.ChatCompleteResponse:
    answer = _load(body)
    choices = []
    for choice in answer.get("choices") or ():
        message = choice.get("message") or {}
        typed = pb.Message(
            role=message.get("role") or "assistant", tool_calls=_tool_calls(message.get("tool_calls"))
        )
        if isinstance(message.get("content"), str):
            typed.text = message["content"]
        if isinstance(message.get("refusal"), str):
            typed.refusal = message["refusal"]
        choices.append(
            pb.Choice(
                index=choice.get("index") or 0, message=typed, finish_reason=choice.get("finish_reason") or ""
            )
        )
    response = pb.ChatCompleteResponse(
        id=answer.get("id") or "",
        created=answer.get("created") or 0,
        model=answer.get("model") or "",
        choices=choices,
        system_fingerprint=answer.get("system_fingerprint") or "",
    )
    usage = _usage(answer.get("usage"))
    if usage is not None:
        response.usage.CopyFrom(usage)
    return response


def chunk_from_openai(payload: bytes) -> pb.ChatCompleteStreamResponse:
    chunk = _load(payload)
    choices = []
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or {}
        typed = pb.Delta(
            role=delta.get("role") or "",
            tool_calls=[
                pb.ToolCallDelta(
                    index=call.get("index") or 0,
                    id=call.get("id") or "",
                    type=call.get("type") or "",
                    function=pb.FunctionCall(
                        name=(call.get("function") or {}).get("name") or "",
                        arguments=(call.get("function") or {}).get("arguments") or "",
                    ),
                )
                for call in delta.get("tool_calls") or ()
            ],
        )
        if isinstance(delta.get("content"), str):
            typed.content = delta["content"]
        if isinstance(delta.get("refusal"), str):
            typed.refusal = delta["refusal"]
        choices.append(
            pb.ChunkChoice(
                index=choice.get("index") or 0, delta=typed, finish_reason=choice.get("finish_reason") or ""
            )
        )
    response = pb.ChatCompleteStreamResponse(
        id=chunk.get("id") or "",
        created=chunk.get("created") or 0,
        model=chunk.get("model") or "",
        choices=choices,
    )
    usage = _usage(chunk.get("usage"))
    if usage is not None:
        response.usage.CopyFrom(usage)
    return response
