"""Reading an OpenAI chat request the way every translating adapter reads it.

Providers that want the conversation as alternating turns get consecutive
messages of one role merged into one turn (`add_turn`); tool call arguments
are a JSON object wherever a provider takes them as one (`arguments_object`);
an `allowed_tools` choice names the functions it allows (`allowed_tool_names`).
"""

from __future__ import annotations

from typing import Any

import orjson

from aigw_router.adapters._params import refuse_value
from aigw_runtime.openai_chat import TextPart


def text_of(content: str | list[TextPart]) -> str:
    """A message's text, its parts joined."""
    return content if isinstance(content, str) else "".join(part.text for part in content)


def add_turn(turns: list[dict[str, Any]], role: str, key: str, items: list[dict[str, Any]]) -> None:
    """Adds `items` (blocks, parts) under `key` to the last turn if it is `role`'s, else as a new turn.

    Nothing is added for no items.
    """
    if not items:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1][key].extend(items)
    else:
        turns.append({"role": role, key: items})


def arguments_object(
    arguments: str, param: str, refusal: str = "Tool call arguments must be a JSON object."
) -> dict[str, Any]:
    """A tool call's arguments as the JSON object they must be (empty arguments are `{}`); a 400 otherwise."""
    try:
        value = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise refuse_value(param, refusal)
    return value


def allowed_tool_names(allowed: dict[str, Any]) -> set[Any]:
    """The function names an `allowed_tools` choice lists (entries that name no function are skipped)."""
    listed = allowed.get("tools")
    return {
        tool["function"].get("name")
        for tool in (listed if isinstance(listed, list) else ())
        if isinstance(tool, dict) and isinstance(tool.get("function"), dict)
    }
