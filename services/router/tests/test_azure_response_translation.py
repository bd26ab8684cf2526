"""The Azure OpenAI adapter, answers: passed through unchanged, content filter annotations and all."""

from __future__ import annotations

import orjson

from azure_samples import azure_adapter


def test_an_answer_passes_through_with_its_filter_annotations() -> None:
    answer = orjson.dumps(
        {
            "id": "chatcmpl-AzF2",
            "object": "chat.completion",
            "created": 1733000000,
            "model": "gpt-4o-2024-11-20",
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "content_filter",
                    "message": {"role": "assistant", "content": "Partial"},
                    "content_filter_results": {"violence": {"filtered": True, "severity": "medium"}},
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
        }
    )

    result = azure_adapter().parse_chat(answer, "gpt-4o prod")

    assert result.body == answer
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (12, 13)
