"""The conversation rules Bedrock's Converse API enforces beyond the shapes, and the prompt they make.

The body has already passed the service model's shapes (`bedrock_shapes.py`);
these are the rules the service checks on top, with its wording where it is
known: the conversation starts with a user message and alternates roles,
content is never empty and text never blank, `toolUse` is the assistant's
and `toolResult` the user's, each `toolResult` answers a `toolUse` of the
turn before and every `toolUse` followed by a turn is answered in it,
`toolConfig` is required once tool blocks appear, the forced tool exists,
tool names are unique and input schemas are objects. Image bytes must be an
image of the declared format (so a test can tell that the right bytes came).
Block kinds the adapter never sends (documents, video, guard content, cache
points, ...) are accepted, as the API does, and ignored by the answer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aigw_fakeprovider._blocks import Block, answer_turns
from aigw_fakeprovider.answers import (
    OutputFormat,
    OutputKind,
    Prompt,
    Role,
    Tool,
    ToolPolicy,
    ToolUse,
    Turn,
)
from aigw_fakeprovider.bedrock_shapes import validation_error
from aigw_fakeprovider.errors import ProviderError

EFFORTS = ("low", "medium", "high", "xhigh", "max")
_START = (
    "A conversation must start with a user message. Try again with a conversation that starts with a user "
    "message."
)
_ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation alternates "
    "between user and assistant roles and try again."
)
_TOOL_CONFIG = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
# The first bytes of an image of each format Converse takes.
_MAGIC = {"png": (b"\x89PNG\r\n\x1a\n",), "jpeg": (b"\xff\xd8\xff",), "gif": (b"GIF87a", b"GIF89a")}


@dataclass(frozen=True, slots=True)
class ConverseRequest:
    """A valid Converse (or ConverseStream) request: what the answer needs."""

    model: str
    prompt: Prompt


def _blank(path: str, owner: str) -> ProviderError:
    return validation_error(
        f"The text field in the {owner} object at {path} is blank. Add text to the text field, and try again."
    )


def _check_image(image: Mapping[str, Any], path: str) -> None:
    data = image["source"].get("bytes")
    if data is None:
        return  # an S3 location: nothing to look at here
    raw = base64.b64decode(data)
    image_format = image["format"]
    valid = (
        raw[:4] == b"RIFF" and raw[8:12] == b"WEBP"
        if image_format == "webp"
        else raw.startswith(_MAGIC[image_format])
    )
    if not valid:
        raise validation_error(f"The image at {path} is not a valid {image_format} image.")


def _tool_result(result: Mapping[str, Any], path: str) -> Block:
    texts: list[str] = []
    for number, part in enumerate(result["content"]):
        if "text" in part:
            texts.append(part["text"])
        elif "json" in part:
            texts.append(json.dumps(part["json"]))
        elif "image" in part:
            _check_image(part["image"], f"{path}.content.{number}")
    return Block("tool_result", " ".join(texts), tool_id=result["toolUseId"])


def _block(block: Mapping[str, Any], role: str, path: str) -> Block:
    kind = next(iter(block))
    if kind == "text":
        if not block["text"].strip():
            raise _blank(path, "ContentBlock")
        return Block("text", block["text"])
    if kind == "image":
        if role != "user":
            raise validation_error(f"The image at {path} is in an assistant message; images are the user's.")
        _check_image(block["image"], path)
        return Block("image", images=1)
    if kind == "toolUse":
        if role != "assistant":
            raise validation_error(f"The toolUse block at {path} must be in an assistant message.")
        if not isinstance(block["toolUse"]["input"], dict):
            raise validation_error(f"The input of the toolUse block at {path} must be a JSON object.")
        return Block("tool_use", tool_id=block["toolUse"]["toolUseId"])
    if kind == "toolResult":
        if role != "user":
            raise validation_error(f"The toolResult block at {path} must be in a user message.")
        return _tool_result(block["toolResult"], path)
    return Block(kind)


def _turns(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Block]]]:
    if not messages or messages[0]["role"] != "user":
        raise validation_error(_START)
    turns: list[tuple[str, list[Block]]] = []
    for index, message in enumerate(messages):
        role = message["role"]
        if role == "system":
            raise validation_error(
                f"The role at messages.{index}.role is system; give system prompts in the system field."
            )
        if turns and turns[-1][0] == role:
            raise validation_error(_ALTERNATE)
        if not message["content"]:
            raise validation_error(
                f"The content field in the Message object at messages.{index} is empty. Add a ContentBlock "
                "object to the content field and try again."
            )
        blocks = [_block(b, role, f"messages.{index}.content.{n}") for n, b in enumerate(message["content"])]
        turns.append((role, blocks))
    return turns


def _check_pairing(turns: Sequence[tuple[str, list[Block]]]) -> None:
    for index, (_, blocks) in enumerate(turns):
        calls = [b.tool_id for b in blocks if b.kind == "tool_use"]
        if len(set(calls)) != len(calls):
            raise validation_error(f"The toolUse blocks at messages.{index}.content must have unique ids.")
        results = [b.tool_id for b in blocks if b.kind == "tool_result"]
        previous = turns[index - 1][1] if index else []
        offered = [b.tool_id for b in previous if b.kind == "tool_use"]
        if len(results) > len(offered):
            raise validation_error(
                f"The number of toolResult blocks at messages.{index}.content exceeds the number of toolUse "
                "blocks of previous turn."
            )
        missing = [call for call in offered if call not in results]
        if missing:
            raise validation_error(
                f"Expected toolResult blocks at messages.{index}.content for the following Ids: "
                f"{', '.join(str(call) for call in missing)}"
            )


def _system_turns(system: Sequence[Mapping[str, Any]]) -> list[Turn]:
    system_text = " ".join(block["text"] for block in system if "text" in block)
    return [Turn(Role.SYSTEM, system_text)] if system_text else []


def _system(system: Sequence[Mapping[str, Any]]) -> None:
    for number, block in enumerate(system):
        if "text" in block and not block["text"].strip():
            raise _blank(f"system.{number}", "SystemContentBlock")


def _tool_use(config: Mapping[str, Any] | None, has_tool_blocks: bool) -> ToolUse:
    if config is None:
        if has_tool_blocks:
            raise validation_error(_TOOL_CONFIG)
        return ToolUse()
    tools: list[Tool] = []
    for number, entry in enumerate(config["tools"]):
        spec = entry.get("toolSpec")
        if spec is None:
            continue  # a system tool or a cache point: offered, never called here
        schema = spec["inputSchema"].get("json")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise validation_error(
                f"The value at toolConfig.tools.{number}.toolSpec.inputSchema.json.type must be one of the "
                "following: object."
            )
        if spec["name"] in {tool.name for tool in tools}:
            raise validation_error(
                f"The tool name {spec['name']} is used by more than one tool in toolConfig."
            )
        tools.append(Tool(spec["name"], schema))
    choice = config.get("toolChoice") or {"auto": {}}
    if "tool" in choice:
        forced = choice["tool"]["name"]
        if forced not in {tool.name for tool in tools}:
            raise validation_error(
                f"The tool {forced} named in toolConfig.toolChoice is not in toolConfig.tools."
            )
        return ToolUse(tuple(tools), ToolPolicy.REQUIRED, forced)
    return ToolUse(tuple(tools), ToolPolicy.REQUIRED if "any" in choice else ToolPolicy.AUTO)


def _output(config: Mapping[str, Any] | None) -> OutputFormat:
    if config is None:
        return OutputFormat()
    effort = config.get("effort")
    if effort is not None and effort not in EFFORTS:
        raise validation_error(f"The effort {effort} is not one of {', '.join(EFFORTS)}.")
    text_format = config.get("textFormat")
    if text_format is None:
        return OutputFormat()
    try:
        schema = json.loads(text_format["structure"]["jsonSchema"]["schema"])
    except (KeyError, json.JSONDecodeError):
        schema = None
    if not isinstance(schema, dict):
        raise validation_error("The JSON schema in outputConfig.textFormat must be a JSON object.")
    return OutputFormat(OutputKind.JSON_SCHEMA, schema)


def parse_converse(body: Mapping[str, Any], model: str) -> ConverseRequest:
    """Checks a shape-valid Converse body against the conversation rules; raises a ValidationException."""
    system = body.get("system") or []
    _system(system)
    turns = _turns(body.get("messages") or [])
    _check_pairing(turns)
    has_tool_blocks = any(b.kind in ("tool_use", "tool_result") for _, blocks in turns for b in blocks)
    inference = body.get("inferenceConfig") or {}
    prompt = Prompt(
        turns=(*_system_turns(system), *answer_turns(turns)),
        tools=_tool_use(body.get("toolConfig"), has_tool_blocks),
        output=_output(body.get("outputConfig")),
        max_tokens=inference.get("maxTokens"),
        stop=tuple(inference.get("stopSequences") or ()),
    )
    return ConverseRequest(model=model, prompt=prompt)
