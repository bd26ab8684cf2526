"""OpenAI's Chat Completions request, as typed msgspec structs.

This is the canonical request inside aigw. The edge decodes every body with
it to reject malformed requests with a precise 400; the body itself travels
on unchanged, so fields the gateway does not model (provider extras) pass
through untouched. Field names and limits follow OpenAI's OpenAPI spec.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec

from aigw_runtime.errors import InvalidRequestError

ToolName = Annotated[str, msgspec.Meta(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]


class _Base(msgspec.Struct, omit_defaults=True, kw_only=True):
    pass


# --- content parts -----------------------------------------------------------


class TextPart(_Base, kw_only=True, tag_field="type", tag="text"):
    text: str


class ImageUrl(_Base, kw_only=True):
    url: Annotated[str, msgspec.Meta(min_length=1)]
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Base, kw_only=True, tag_field="type", tag="image_url"):
    image_url: ImageUrl


class InputAudio(_Base, kw_only=True):
    data: str
    format: str


class AudioPart(_Base, kw_only=True, tag_field="type", tag="input_audio"):
    input_audio: InputAudio


class FileRef(_Base, kw_only=True):
    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class FilePart(_Base, kw_only=True, tag_field="type", tag="file"):
    file: FileRef


class RefusalPart(_Base, kw_only=True, tag_field="type", tag="refusal"):
    refusal: str


UserPart = TextPart | ImagePart | AudioPart | FilePart
AssistantPart = TextPart | RefusalPart


# --- tool calls ----------------------------------------------------------------


class FunctionCall(_Base, kw_only=True):
    name: str
    arguments: str


class ToolCall(_Base, kw_only=True):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


# --- messages ------------------------------------------------------------------


class SystemMessage(_Base, kw_only=True, tag_field="role", tag="system"):
    content: str | list[TextPart]
    name: str | None = None


class DeveloperMessage(_Base, kw_only=True, tag_field="role", tag="developer"):
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(_Base, kw_only=True, tag_field="role", tag="user"):
    content: str | list[UserPart]
    name: str | None = None


class AssistantMessage(_Base, kw_only=True, tag_field="role", tag="assistant"):
    content: str | list[AssistantPart] | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    function_call: FunctionCall | None = None
    audio: dict[str, Any] | None = None


class ToolMessage(_Base, kw_only=True, tag_field="role", tag="tool"):
    content: str | list[TextPart]
    tool_call_id: str


class FunctionMessage(_Base, kw_only=True, tag_field="role", tag="function"):
    content: str | None
    name: str


Message = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage


# --- tools ---------------------------------------------------------------------


class FunctionDefinition(_Base, kw_only=True):
    name: ToolName
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionTool(_Base, kw_only=True, tag_field="type", tag="function"):
    function: FunctionDefinition


class CustomTool(_Base, kw_only=True, tag_field="type", tag="custom"):
    custom: dict[str, Any]


class NamedFunction(_Base, kw_only=True):
    name: str


class NamedToolChoice(_Base, kw_only=True, tag_field="type", tag="function"):
    function: NamedFunction


class AllowedToolsChoice(_Base, kw_only=True, tag_field="type", tag="allowed_tools"):
    allowed_tools: dict[str, Any]


class NamedCustomToolChoice(_Base, kw_only=True, tag_field="type", tag="custom"):
    custom: dict[str, Any]


ToolChoice = (
    Literal["none", "auto", "required"] | NamedToolChoice | AllowedToolsChoice | NamedCustomToolChoice
)


# --- output controls -----------------------------------------------------------


class TextFormat(_Base, kw_only=True, tag_field="type", tag="text"):
    pass


class JsonObjectFormat(_Base, kw_only=True, tag_field="type", tag="json_object"):
    pass


class JsonSchema(_Base, kw_only=True):
    name: Annotated[str, msgspec.Meta(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]
    description: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None


class JsonSchemaFormat(_Base, kw_only=True, tag_field="type", tag="json_schema"):
    json_schema: JsonSchema


ResponseFormat = TextFormat | JsonObjectFormat | JsonSchemaFormat


class StreamOptions(_Base, kw_only=True):
    include_usage: bool | None = None
    include_obfuscation: bool | None = None


Temperature = Annotated[float, msgspec.Meta(ge=0, le=2)]
Penalty = Annotated[float, msgspec.Meta(ge=-2, le=2)]
Probability = Annotated[float, msgspec.Meta(ge=0, le=1)]
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]


class ChatCompletionRequest(_Base, kw_only=True):
    """`POST /v1/chat/completions`; unknown top-level fields are allowed and passed on."""

    model: Annotated[str, msgspec.Meta(min_length=1)]
    messages: Annotated[list[Message], msgspec.Meta(min_length=1)]
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    temperature: Temperature | None = None
    top_p: Probability | None = None
    n: Annotated[int, msgspec.Meta(ge=1, le=128)] | None = None
    max_tokens: PositiveInt | None = None
    max_completion_tokens: PositiveInt | None = None
    stop: str | Annotated[list[str], msgspec.Meta(max_length=4)] | None = None
    seed: int | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[str, Annotated[int, msgspec.Meta(ge=-100, le=100)]] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, msgspec.Meta(ge=0, le=20)] | None = None
    tools: list[FunctionTool | CustomTool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None
    reasoning_effort: str | None = None
    modalities: list[str] | None = None


_T = TypeVar("_T")
_decoder = msgspec.json.Decoder(ChatCompletionRequest)


def decode_chat_request(body: bytes) -> ChatCompletionRequest:
    """Decodes and validates a request body; a bad one raises a 400 naming the field."""
    return decode_body(_decoder, body)


def decode_body(decoder: msgspec.json.Decoder[_T], body: bytes) -> _T:
    """Decodes and validates a request body with `decoder`; a bad one raises a 400 naming the field."""
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise invalid_request(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidRequestError(
            f"We could not parse the JSON body of your request. ({exc})", code="invalid_json"
        ) from None


def invalid_request(validation_message: str) -> InvalidRequestError:
    """A 400 from a msgspec message such as "Expected `str`, got `int` - at `$.messages[0].role`"."""
    message, at, path = validation_message.rpartition(" - at `")
    if not at:
        message, path = validation_message, "$`"
    param = path.rstrip("`").removeprefix("$").removeprefix(".") or None
    missing = "Object missing required field `"
    if message.startswith(missing):
        field = message.removeprefix(missing).rstrip("`")
        param = f"{param}.{field}" if param else field
        return InvalidRequestError(
            f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
        )
    where = f"'{param}'" if param else "the request body"
    return InvalidRequestError(f"Invalid value for {where}: {message}.", param=param, code="invalid_value")
