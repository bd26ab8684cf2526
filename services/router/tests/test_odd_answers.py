"""Answers no provider should send, read without a crash: a count that is not a number, a list where an object belongs.

Each case was found by feeding mutated provider answers to the adapters; each
one used to raise a TypeError or ValueError (a 500 at the edge).
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ProviderAdapter
from aigw_router.adapters._images import ImageFetcher
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError

URL = "http://127.0.0.1:9"


def _adapter(monkeypatch: pytest.MonkeyPatch, **fields: Any) -> ProviderAdapter:
    monkeypatch.setenv("ODD_KEY", "k" * 20)
    monkeypatch.setenv("ODD_KEY_ID", "AKIDODD0000000000000")
    provider = ProviderConfig(name="odd", **fields)
    client = httpx.AsyncClient()
    return ADAPTER_TYPES[provider.type](provider, AdapterServices(http=client, images=ImageFetcher(client)))


def _completion(usage: Any) -> dict[str, Any]:
    message = {"role": "assistant", "content": "ok"}
    return {"id": "c", "object": "chat.completion", "created": 1, "model": "m", "usage": usage,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}  # fmt: skip


@pytest.mark.parametrize(
    "usage",
    [
        {"prompt_tokens": "x", "completion_tokens": [1], "total_tokens": {"a": None}},
        {"prompt_tokens": 3, "completion_tokens": True, "prompt_tokens_details": [1]},
    ],
)
def test_openai_counts_that_are_not_numbers_count_as_zero(
    monkeypatch: pytest.MonkeyPatch, usage: Any
) -> None:
    adapter = _adapter(monkeypatch, type="openai", base_url=URL + "/v1", api_key="env:ODD_KEY")

    result = adapter.parse_chat(orjson.dumps(_completion(usage)), "m")

    assert result.usage.completion_tokens == 0 and result.usage.cached_tokens == 0


@pytest.mark.parametrize("stop_reason", [{"a": None}, [], 7])
def test_a_bedrock_stop_reason_that_is_not_a_string_reads_as_stop(
    monkeypatch: pytest.MonkeyPatch, stop_reason: Any
) -> None:
    adapter = _adapter(
        monkeypatch,
        type="bedrock",
        base_url=URL,
        region="us-east-1",
        aws_access_key_id="env:ODD_KEY_ID",
        aws_secret_access_key="env:ODD_KEY",
    )
    answer = {
        "output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
    }

    completion = orjson.loads(adapter.parse_chat(orjson.dumps(answer), "m").body)

    assert completion["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("index", ["x", [], {}, True])
def test_a_gemini_candidate_index_that_is_not_a_number_is_its_place(
    monkeypatch: pytest.MonkeyPatch, index: Any
) -> None:
    adapter = _adapter(monkeypatch, type="gemini", base_url=URL, api_key="env:ODD_KEY")
    candidate = {
        "content": {"role": "model", "parts": [{"text": "ok"}]},
        "finishReason": "STOP",
        "index": index,
    }

    completion = orjson.loads(adapter.parse_chat(orjson.dumps({"candidates": [candidate]}), "m").body)

    assert completion["choices"][0]["index"] == 0


def test_cohere_content_that_is_not_a_list_is_no_text(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = _adapter(monkeypatch, type="cohere", base_url=URL, api_key="env:ODD_KEY")
    answer = {"id": "c", "finish_reason": "COMPLETE", "message": {"role": "assistant", "content": -1}}

    completion = orjson.loads(adapter.parse_chat(orjson.dumps(answer), "m").body)

    assert completion["choices"][0]["message"]["content"] is None


@pytest.mark.parametrize("choices", [1.5, True, {"a": 1}])
def test_an_azure_chunk_whose_choices_are_not_a_list_does_not_crash_the_stream(
    monkeypatch: pytest.MonkeyPatch, choices: Any
) -> None:
    adapter = _adapter(
        monkeypatch, type="azure-openai", base_url=URL, api_key="env:ODD_KEY", api_version="2024-10-21"
    )
    translator = adapter.chat_stream(False, "m")
    odd = {"id": "", "choices": choices, "prompt_filter_results": [{"prompt_index": 0}]}

    try:
        translator.feed(b"data: " + orjson.dumps(odd) + b"\n\ndata: [DONE]\n\n")
        translator.finish()
    except GatewayError:
        pass
