"""The protocol-neutral answer rules, without a server."""

from __future__ import annotations

import json

from aigw_fakeprovider.answers import (
    IMAGE_TOKENS,
    OutputFormat,
    OutputKind,
    Prompt,
    Role,
    StopReason,
    Tool,
    ToolPolicy,
    ToolUse,
    Turn,
    answer,
    split_tokens,
)
from aigw_fakeprovider.schema_values import example_value

WEATHER = Tool(
    "get_weather",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CLOCK = Tool("get_time", {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]})


def ask(text: str, **prompt: object) -> Prompt:
    return Prompt(turns=(Turn(Role.USER, text),), **prompt)  # type: ignore[arg-type]


def test_tokens_keep_their_leading_whitespace_and_join_back() -> None:
    assert split_tokens("Echo: a  b") == ["Echo:", " a", "  b"]
    assert "".join(split_tokens("x y z")) == "x y z"


def test_text_answer_echoes_the_last_user_turn() -> None:
    prompt = Prompt(turns=(Turn(Role.USER, "old"), Turn(Role.ASSISTANT, "reply"), Turn(Role.USER, "new one")))

    result = answer(prompt)

    assert result.completions[0].text == "Echo: new one"
    assert result.completions[0].stop_reason is StopReason.END
    assert result.prompt_tokens == 1 + 1 + 2
    assert result.completion_tokens == 3


def test_images_are_mentioned_and_cost_fixed_prompt_tokens() -> None:
    result = answer(Prompt(turns=(Turn(Role.USER, "what is this?", images=1),)))

    assert result.completions[0].text == "Echo: what is this? [1 image]"
    assert result.prompt_tokens == 3 + IMAGE_TOKENS


def test_max_tokens_truncates_after_stop_sequences_cut() -> None:
    truncated = answer(ask("a b c d e", max_tokens=2)).completions[0]
    stopped = answer(ask("a b END c d e", max_tokens=4, stop=("END",))).completions[0]
    stopped_then_long = answer(ask("a b c END", max_tokens=2, stop=("END",))).completions[0]

    assert (truncated.text, truncated.stop_reason, truncated.tokens) == ("Echo: a", StopReason.MAX_TOKENS, 2)
    assert (stopped.text, stopped.stop_reason, stopped.stop_sequence) == (
        "Echo: a b",
        StopReason.STOP_SEQUENCE,
        "END",
    )
    assert stopped_then_long.stop_reason is StopReason.MAX_TOKENS


def test_earliest_stop_sequence_wins() -> None:
    completion = answer(ask("one two three", stop=("three", "two"))).completions[0]

    assert completion.text == "Echo: one"
    assert completion.stop_sequence == "two"


def test_tools_are_called_only_after_a_user_turn() -> None:
    after_user = answer(ask("hi", tools=ToolUse((WEATHER,)))).completions[0]
    after_tool = answer(
        Prompt(turns=(Turn(Role.USER, "hi"), Turn(Role.ASSISTANT, ""), Turn(Role.TOOL, "21C"), Turn(Role.TOOL, "dry")),
               tools=ToolUse((WEATHER,)))
    ).completions[0]  # fmt: skip

    assert after_user.text is None and after_user.stop_reason is StopReason.TOOL_USE
    assert json.loads(after_user.tool_calls[0].arguments) == {"city": "sample city"}
    assert after_tool.text == "Tool results: 21C; dry"


def test_tool_policy_decides_which_tools_are_called() -> None:
    def names(use: ToolUse) -> list[str]:
        return [call.name for call in answer(ask("hi", tools=use)).completions[0].tool_calls]

    assert names(ToolUse((WEATHER, CLOCK))) == ["get_weather", "get_time"]
    assert names(ToolUse((WEATHER, CLOCK), parallel=False)) == ["get_weather"]
    assert names(ToolUse((WEATHER, CLOCK), ToolPolicy.REQUIRED, forced="get_time")) == ["get_time"]
    assert names(ToolUse((WEATHER, CLOCK), ToolPolicy.NONE)) == []


def test_each_choice_gets_its_own_tool_call_ids() -> None:
    result = answer(ask("hi", tools=ToolUse((WEATHER,)), choices=2))

    first, second = (completion.tool_calls[0].id for completion in result.completions)
    assert first != second
    assert answer(ask("hi", tools=ToolUse((WEATHER,)), choices=2)).completions[0].tool_calls[0].id == first


def test_json_outputs_are_valid_json() -> None:
    as_object = answer(ask("json please", output=OutputFormat(OutputKind.JSON_OBJECT))).completions[0]
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    as_schema = answer(ask("x", output=OutputFormat(OutputKind.JSON_SCHEMA, schema))).completions[0]

    assert json.loads(as_object.text or "") == {"echo": "json please"}
    assert json.loads(as_schema.text or "") == {"n": 1}


def test_example_values_follow_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer", "minimum": 18, "maximum": 99},
            "score": {"type": ["number", "null"], "maximum": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "kind": {"const": "person"},
            "address": {"$ref": "#/definitions/address"},
            "email": {"type": "string", "format": "email"},
            "optional": {"type": "string"},
        },
        "required": ["name", "age", "score", "tags", "kind", "address", "email"],
        "definitions": {"address": {"properties": {"zip": {"type": "string"}}}},
    }

    assert example_value(schema) == {
        "name": "sample name",
        "age": 18,
        "score": 1.0,
        "tags": ["sample tags", "sample tags"],
        "kind": "person",
        "address": {"zip": "sample zip"},
        "email": "user@example.com",
    }
