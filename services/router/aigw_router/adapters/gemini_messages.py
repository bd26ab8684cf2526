"""OpenAI chat messages as Gemini `contents` and `systemInstruction`.

Roles: user messages and tool results are `user` turns, assistant messages
`model` turns; consecutive turns of one role are merged (Gemini wants them
alternating). System and developer text, wherever it appears, becomes the
`systemInstruction`. Images go as `inlineData` bytes (data URLs decoded, web
URLs fetched under the provider's image policy), audio and data-URL files
likewise, since Gemini cannot fetch a URL itself.

An assistant's tool calls become `functionCall` parts; the tool results that
answer them become `functionResponse` parts named after the call, in the
order of the calls (Gemini pairs calls and results by name and position, not
by id). A result that is a JSON object is the response as is; anything else
is wrapped as `{"output": ...}`, the key Gemini's reference names for a
function's output.

Gemini 3 models refuse a function-call turn without the `thoughtSignature`
they returned with it. OpenAI's format has no place to keep it, so the first
call of each model turn carries Google's documented placeholder signature;
the model then does not see its earlier reasoning, which is the price of a
stateless translation.
"""

from __future__ import annotations

from typing import Any

import orjson

from aigw_router.adapters._chat_request import add_turn, arguments_object, text_of
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters._params import refuse_value
from aigw_runtime.config import ImageFetchConfig
from aigw_runtime.errors import InvalidRequestError
from aigw_runtime.openai_chat import (
    AssistantMessage,
    AudioPart,
    ChatCompletionRequest,
    FilePart,
    FunctionMessage,
    ImagePart,
    TextPart,
    ToolMessage,
    UserMessage,
)

# Google's documented stand-in for a thought signature the client could not keep.
SKIP_SIGNATURE = "skip_thought_signature_validator"
_AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mp3"}


def function_response(name: str, output: str) -> dict[str, Any]:
    """A tool's output as Gemini's `functionResponse`: a JSON object as is, anything else as its output."""
    try:
        value: Any = orjson.loads(output)
    except orjson.JSONDecodeError:
        value = output
    response = value if isinstance(value, dict) else {"output": value}
    return {"functionResponse": {"name": name, "response": response}}


def function_call(name: str, arguments: str, param: str) -> dict[str, Any]:
    # Blank arguments, not only empty ones, mean none.
    args = arguments_object(arguments if arguments.strip() else "", param)
    return {"functionCall": {"name": name, "args": args}}


class Conversation:
    """Gemini `contents` built turn by turn: roles merged, tool results ordered like their calls."""

    def __init__(self) -> None:
        self.contents: list[dict[str, Any]] = []
        self.system: list[str] = []
        self._calls: dict[str, tuple[str, int]] = {}
        self._results: list[tuple[int, dict[str, Any]]] = []

    def add(self, role: str, parts: list[dict[str, Any]]) -> None:
        self._flush_results()
        add_turn(self.contents, role, "parts", parts)

    def called(self, call_id: str, name: str, position: int) -> None:
        self._calls[call_id] = (name, position)

    def add_result(self, call_id: str, output: str, param: str) -> None:
        found = self._calls.get(call_id)
        if found is None:
            raise InvalidRequestError(
                f"The tool message answers '{call_id}', which no earlier assistant message called.",
                param=param,
                code="invalid_value",
            )
        self._results.append((found[1], function_response(found[0], output)))

    def add_function_result(self, name: str, output: str) -> None:
        self._results.append((len(self._results), function_response(name, output)))

    def _flush_results(self) -> None:
        if self._results:
            ordered = [part for _, part in sorted(self._results, key=lambda result: result[0])]
            self._results = []
            add_turn(self.contents, "user", "parts", ordered)

    def finish(self) -> list[dict[str, Any]]:
        self._flush_results()
        if not self.contents:
            raise InvalidRequestError(
                "Gemini needs at least one user or assistant message besides the system prompt.",
                param="messages",
                code="invalid_value",
            )
        return self.contents


async def conversation(
    request: ChatCompletionRequest, images: ImageFetcher, policy: ImageFetchConfig
) -> Conversation:
    """The request's messages as Gemini turns (fetching image URLs under `policy`)."""
    result = Conversation()
    for index, message in enumerate(request.messages):
        param = f"messages[{index}]"
        if isinstance(message, UserMessage):
            result.add("user", await _user_parts(message, param, images, policy))
        elif isinstance(message, AssistantMessage):
            result.add("model", _model_parts(message, result, param))
        elif isinstance(message, ToolMessage):
            result.add_result(message.tool_call_id, text_of(message.content), f"{param}.tool_call_id")
        elif isinstance(message, FunctionMessage):
            result.add_function_result(message.name, message.content or "")
        elif text := text_of(message.content):
            result.system.append(text)
    return result


async def _user_parts(
    message: UserMessage, param: str, images: ImageFetcher, policy: ImageFetchConfig
) -> list[dict[str, Any]]:
    if isinstance(message.content, str):
        return [{"text": message.content}] if message.content else []
    parts: list[dict[str, Any]] = []
    for number, part in enumerate(message.content):
        where = f"{param}.content[{number}]"
        if isinstance(part, TextPart):
            if part.text:
                parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            image = await images.load(part.image_url.url, policy, param=f"{where}.image_url.url")
            parts.append({"inlineData": {"mimeType": image.media_type, "data": image.base64}})
        elif isinstance(part, AudioPart):
            mime = _AUDIO_TYPES.get(part.input_audio.format)
            if mime is None:
                raise refuse_value(f"{where}.input_audio.format", "Audio must be wav or mp3.")
            parts.append({"inlineData": {"mimeType": mime, "data": part.input_audio.data}})
        else:
            parts.append(_file_part(part, where))
    return parts


def _file_part(part: FilePart, where: str) -> dict[str, Any]:
    data_url = part.file.file_data or ""
    header, comma, data = data_url.removeprefix("data:").partition(",")
    mime, _, encoding = header.partition(";")
    if not data_url.startswith("data:") or not comma or encoding != "base64" or not mime:
        raise refuse_value(
            f"{where}.file",
            "Gemini takes files as base64 data URLs in file_data (data:<type>;base64,...), not file ids.",
        )
    return {"inlineData": {"mimeType": mime, "data": data}}


def _model_parts(message: AssistantMessage, turns: Conversation, param: str) -> list[dict[str, Any]]:
    content = message.content
    texts = [content] if isinstance(content, str) else [getattr(p, "text", "") for p in content or ()]
    parts: list[dict[str, Any]] = [{"text": text} for text in texts if text]
    calls = []
    for number, tool_call in enumerate(message.tool_calls or ()):
        function = tool_call.function
        turns.called(tool_call.id, function.name, number)
        calls.append(function_call(function.name, function.arguments, f"{param}.tool_calls[{number}]"))
    if message.function_call is not None:
        calls.append(function_call(message.function_call.name, message.function_call.arguments, param))
    if calls:
        calls[0]["thoughtSignature"] = SKIP_SIGNATURE
    return parts + calls
