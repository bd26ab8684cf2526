"""The Azure OpenAI adapter, streams: the prompt filter chunk folded in, usage sent only when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from openai.types.chat import ChatCompletionChunk

from aigw_runtime.errors import GatewayError
from azure_samples import azure_adapter

FIXTURES = Path(__file__).parent / "fixtures"


def _translate(include_usage: bool, step: int = 11) -> tuple[list[dict[str, Any]], Any]:
    raw = (FIXTURES / "azure_stream_content_filter.sse").read_bytes()
    translator = azure_adapter().chat_stream(include_usage, "gpt-4o prod")
    payloads = [p for i in range(0, len(raw), step) for p in translator.feed(raw[i : i + step])]
    payloads += translator.finish()
    for payload in payloads:
        # What a client's OpenAI SDK makes of each chunk, validated rather than merely constructed.
        ChatCompletionChunk.model_validate_json(payload)
    return [orjson.loads(p) for p in payloads], translator.usage


def test_the_prompt_filter_chunk_is_not_sent_but_its_results_ride_on_the_first_chunk() -> None:
    chunks, _ = _translate(include_usage=True)

    assert all(chunk["id"] == "chatcmpl-AzF1" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[0]["prompt_filter_results"][0]["content_filter_results"]["jailbreak"]["detected"] is False
    assert all("prompt_filter_results" not in chunk for chunk in chunks[1:])
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Paris is"


def test_an_annotation_only_choice_gets_an_empty_delta() -> None:
    chunks, _ = _translate(include_usage=True)

    annotated = [c for c in chunks if c["choices"] and "content_filter_offsets" in c["choices"][0]]
    assert len(annotated) == 1 and annotated[0]["choices"][0]["delta"] == {}


def test_usage_is_counted_and_sent_only_when_asked() -> None:
    with_usage, counted = _translate(include_usage=True)
    without_usage, also_counted = _translate(include_usage=False, step=5)

    assert with_usage[-1]["choices"] == [] and with_usage[-1]["usage"]["total_tokens"] == 15
    assert all("usage" not in chunk for chunk in without_usage)
    assert counted.total_tokens == also_counted.total_tokens == 15
    assert len(without_usage) == len(with_usage) - 1


def test_a_stream_cut_before_done_is_broken() -> None:
    raw = (FIXTURES / "azure_stream_content_filter.sse").read_bytes().replace(b"data: [DONE]\n\n", b"")
    translator = azure_adapter().chat_stream(True, "gpt-4o prod")
    translator.feed(raw)

    with pytest.raises(GatewayError) as caught:
        translator.finish()
    assert caught.value.code == "upstream_stream_broken"
