"""Deterministic answers, derived from the conversation, for every provider protocol.

A protocol module turns its request into a `Prompt` (plain data: turns, tools,
output format, limits) and turns the `Answer` back into its wire format. The
rules, so tests can predict every answer:

- Tools are offered, the tool policy is not `none` and the last turn is the
  user's: call the forced tool, or the first tool; with parallel calls allowed,
  no forced tool and at least two tools, call the first two. Arguments fill
  each function's required parameters from their JSON-schema types.
- The last turn is a tool result: `Tool results: <results joined by "; ">`.
- JSON output: `{"echo": <last user text>}`, or a value matching the schema.
- Otherwise: `Echo: <last user text>`, plus `[N image(s)]` when the user's last
  message had images; choice i > 0 appends ` (i)`.

Tokens are whitespace-separated words. Stop sequences cut the text (reason
STOP_SEQUENCE); a token limit truncates it (reason MAX_TOKENS). Prompt tokens
are the words of every turn plus `IMAGE_TOKENS` per image.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aigw_fakeprovider.schema_values import example_value

IMAGE_TOKENS = 85
"""Prompt tokens counted for each image (OpenAI's cost of a low-detail image)."""

_TOKEN = re.compile(r"\s*\S+")


def split_tokens(text: str) -> list[str]:
    """The text's tokens: each word with the whitespace before it, so they join back to the text."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(text.split())


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of the conversation: who said it, its text, and how many images it holds."""

    role: Role
    text: str = ""
    images: int = 0


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call, with its JSON-schema parameters."""

    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


class ToolPolicy(StrEnum):
    NONE = "none"
    AUTO = "auto"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True)
class ToolUse:
    """The tools offered and how the model may use them."""

    tools: tuple[Tool, ...] = ()
    policy: ToolPolicy = ToolPolicy.AUTO
    forced: str | None = None
    parallel: bool = True


class OutputKind(StrEnum):
    TEXT = "text"
    JSON_OBJECT = "json_object"
    JSON_SCHEMA = "json_schema"


@dataclass(frozen=True, slots=True)
class OutputFormat:
    kind: OutputKind = OutputKind.TEXT
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Prompt:
    """Everything that shapes an answer, free of any wire format."""

    turns: tuple[Turn, ...]
    tools: ToolUse = field(default_factory=ToolUse)
    output: OutputFormat = field(default_factory=OutputFormat)
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    choices: int = 1


class StopReason(StrEnum):
    END = "end"
    MAX_TOKENS = "max_tokens"
    STOP_SEQUENCE = "stop_sequence"
    TOOL_USE = "tool_use"


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str
    """A JSON object, as text."""


@dataclass(frozen=True, slots=True)
class Completion:
    """One choice: text, or tool calls (then `text` is None)."""

    text: str | None
    tool_calls: tuple[ToolCall, ...]
    stop_reason: StopReason
    stop_sequence: str | None
    tokens: int


@dataclass(frozen=True, slots=True)
class Answer:
    completions: tuple[Completion, ...]
    prompt_tokens: int

    @property
    def completion_tokens(self) -> int:
        return sum(completion.tokens for completion in self.completions)


def answer(prompt: Prompt) -> Answer:
    """The deterministic answer to `prompt` (see the module docstring for the rules)."""
    prompt_tokens = sum(count_tokens(turn.text) + IMAGE_TOKENS * turn.images for turn in prompt.turns)
    completions = tuple(_complete(prompt, choice) for choice in range(prompt.choices))
    return Answer(completions=completions, prompt_tokens=prompt_tokens)


def _complete(prompt: Prompt, choice: int) -> Completion:
    calls = _tool_calls(prompt, choice)
    if calls:
        argument_tokens = sum(count_tokens(call.arguments) for call in calls)
        return Completion(None, calls, StopReason.TOOL_USE, None, argument_tokens)
    text = _full_text(prompt, choice)
    reason, stop_sequence = StopReason.END, None
    cut = _first_stop(text, prompt.stop)
    if cut is not None:
        text, stop_sequence = text[: cut[0]], cut[1]
        reason = StopReason.STOP_SEQUENCE
    tokens = split_tokens(text)
    if prompt.max_tokens is not None and len(tokens) > prompt.max_tokens:
        tokens = tokens[: prompt.max_tokens]
        reason, stop_sequence = StopReason.MAX_TOKENS, None
    return Completion("".join(tokens), (), reason, stop_sequence, len(tokens))


def _first_stop(text: str, stops: Sequence[str]) -> tuple[int, str] | None:
    found = [(text.find(stop), stop) for stop in stops if stop and stop in text]
    return min(found) if found else None


def _last_user(turns: Sequence[Turn]) -> Turn | None:
    return next((turn for turn in reversed(turns) if turn.role is Role.USER), None)


def _full_text(prompt: Prompt, choice: int) -> str:
    turns = prompt.turns
    if turns and turns[-1].role is Role.TOOL:
        results: list[str] = []
        for turn in reversed(turns):
            if turn.role is not Role.TOOL:
                break
            results.insert(0, turn.text)
        return "Tool results: " + "; ".join(results)
    user = _last_user(turns)
    said = user.text if user else ""
    if prompt.output.kind is OutputKind.JSON_OBJECT:
        return json.dumps({"echo": said})
    if prompt.output.kind is OutputKind.JSON_SCHEMA:
        return json.dumps(example_value(prompt.output.schema or {"type": "object"}))
    text = f"Echo: {said}".rstrip()
    if user and user.images:
        text += f" [{user.images} image{'s' if user.images > 1 else ''}]"
    return f"{text} ({choice})" if choice else text


def _tool_calls(prompt: Prompt, choice: int) -> tuple[ToolCall, ...]:
    use = prompt.tools
    if not use.tools or use.policy is ToolPolicy.NONE:
        return ()
    if not prompt.turns or prompt.turns[-1].role is not Role.USER:
        return ()
    if use.forced is not None:
        chosen = [tool for tool in use.tools if tool.name == use.forced][:1]
    else:
        chosen = list(use.tools[: 2 if use.parallel else 1])
    digest = _conversation_digest(prompt.turns)
    return tuple(
        ToolCall(
            id=_call_id(digest, choice, index, tool.name),
            name=tool.name,
            arguments=json.dumps(example_value(tool.parameters or {"type": "object"})),
        )
        for index, tool in enumerate(chosen)
    )


def _conversation_digest(turns: Sequence[Turn]) -> str:
    hasher = hashlib.sha256()
    for turn in turns:
        hasher.update(f"{turn.role}\x00{turn.text}\x00{turn.images}\x01".encode())
    return hasher.hexdigest()


def _call_id(digest: str, choice: int, index: int, name: str) -> str:
    return "call_" + hashlib.sha256(f"{digest}:{choice}:{index}:{name}".encode()).hexdigest()[:24]
