"""The suite the `test_e2e_anthropic_messages_*` modules run: Anthropic's Messages API as aigw's second door.

One model is Claude (a `type: anthropic` provider: requests pass through), one
is served over OpenAI's API (requests and answers are translated); the
`anthropic` SDK must not be able to tell them apart.
"""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

MESSAGES_CONFIG = """\
providers:
  - name: claude
    type: anthropic
    base_url: {fake_url}
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
  - name: gpt
    type: openai
    base_url: {fake_url}/v1
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 3
models:
  - name: claude
    deployments: [{{provider: claude, model: claude-fake}}]
  - name: gpt
    deployments: [{{provider: gpt, model: gpt-fake}}]
  - name: claude-faulty
    deployments: [{{provider: claude, model: claude-faulty}}]
  - name: gpt-faulty
    deployments: [{{provider: gpt, model: gpt-faulty}}]
  - name: gpt-cached
    deployments: [{{provider: gpt, model: gpt-cached}}]
    cache: {{enabled: true, ttl_s: 60}}
"""
MODELS = ["claude", "gpt"]
UPSTREAM_PATH = {"claude": "/v1/messages", "gpt": "/v1/chat/completions"}
WEATHER: anthropic.types.ToolParam = {
    "name": "get_weather",
    "description": "The current weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
HELLO: list[Any] = [{"role": "user", "content": "hello there gateway"}]


def anthropic_error(failure: pytest.ExceptionInfo[anthropic.APIStatusError]) -> dict[str, Any]:
    """The `error` of the error answer the `anthropic` SDK raised for, checked to be in Anthropic's shape."""
    body = failure.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    error: dict[str, Any] = body["error"]
    return error
