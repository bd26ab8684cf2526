"""LangChain's ChatOpenAI through aigw: invoke, stream and tools."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from harness import Gateway


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@pytest.fixture(scope="module")
def chat(gateway: Gateway) -> ChatOpenAI:
    key: str = gateway.create_key("langchain")["key"]
    return ChatOpenAI(model="chat", base_url=gateway.v1, api_key=key, max_retries=0, timeout=20)  # type: ignore[arg-type]


def test_invoke(chat: ChatOpenAI) -> None:
    answer = chat.invoke("hello langchain")
    assert answer.content == "Echo: hello langchain"
    assert answer.usage_metadata is not None and answer.usage_metadata["output_tokens"] == 3


def test_stream(chat: ChatOpenAI) -> None:
    pieces = [chunk.content for chunk in chat.stream("stream this please")]
    assert "".join(str(p) for p in pieces) == "Echo: stream this please"
    assert len([p for p in pieces if p]) >= 4


def test_tools_round_trip(chat: ChatOpenAI) -> None:
    with_tools = chat.bind_tools([get_weather], tool_choice="get_weather")
    first = with_tools.invoke([HumanMessage("weather in Lyon?")])
    call = first.tool_calls[0]
    assert call["name"] == "get_weather" and "city" in call["args"]

    second = with_tools.invoke(
        [
            HumanMessage("weather in Lyon?"),
            first,
            ToolMessage(get_weather.invoke(call["args"]), tool_call_id=call["id"]),
        ]
    )
    assert str(second.content).startswith("Tool results: sunny in")


def test_streamed_tool_calls_assemble(chat: ChatOpenAI) -> None:
    with_tools = chat.bind_tools([get_weather], tool_choice="get_weather")
    gathered = None
    for chunk in with_tools.stream("weather in Oslo?"):
        gathered = chunk if gathered is None else gathered + chunk
    assert gathered is not None
    assert gathered.tool_calls[0]["name"] == "get_weather"  # type: ignore[attr-defined]
