"""Azure OpenAI's chat stream: OpenAI's chunks, plus content-filter annotations to keep valid.

Azure opens a stream with a chunk that is not a completion chunk at all:
`{"choices": [], "created": 0, "id": "", "model": "", "object": "",
"prompt_filter_results": [...]}`, and clients that read `choices[0]` of every
chunk fail on it. It is not sent on; its `prompt_filter_results` travel on the
first real chunk instead, so nothing Azure reported is lost. Choices carry
`content_filter_results` (passed through: an extra field OpenAI's SDK keeps),
and with asynchronous filtering Azure may send a choice with annotations but
no `delta`; it gets an empty one, as OpenAI's chunk schema requires.
"""

from __future__ import annotations

from typing import Any

import orjson

from aigw_router.adapters._chunks import event_object
from aigw_router.adapters.openai import OpenAIStreamTranslator

_PROMPT_FILTER = b'"prompt_filter_results"'
_CHOICES = b'"choices":[{'
_DELTA = b'"delta"'


class AzureStreamTranslator(OpenAIStreamTranslator):
    """OpenAI's pass-through, without Azure's prompt-filter chunk and with every choice a delta."""

    def __init__(self, provider: str, include_usage: bool) -> None:
        super().__init__(provider, include_usage)
        self._prompt_filter_results: Any = None

    def read(self, data: bytes, payloads: list[bytes]) -> None:
        raw: list[bytes] = []
        try:
            super().read(data, raw)
        finally:
            self._adjust(raw, payloads)

    def _adjust(self, raw: list[bytes], payloads: list[bytes]) -> None:
        for payload in raw:
            if _PROMPT_FILTER in payload or self._prompt_filter_results is not None:
                payload = self._carry_prompt_filter(payload)
            elif _CHOICES in payload and _DELTA not in payload:
                payload = orjson.dumps(self._with_deltas(event_object(self._provider, payload)))
            if payload:
                payloads.append(payload)

    def _carry_prompt_filter(self, payload: bytes) -> bytes:
        """Holds back a chunk that only reports prompt filtering; adds its results to the next chunk."""
        chunk = self._with_deltas(event_object(self._provider, payload))
        if not chunk.get("id") and not chunk.get("choices"):
            results = chunk.get("prompt_filter_results")
            if results is not None:
                self._prompt_filter_results = results
            return b""
        if self._prompt_filter_results is not None:
            chunk.setdefault("prompt_filter_results", self._prompt_filter_results)
            self._prompt_filter_results = None
        return orjson.dumps(chunk)

    @staticmethod
    def _with_deltas(chunk: dict[str, Any]) -> dict[str, Any]:
        choices = chunk.get("choices")
        for choice in choices if isinstance(choices, list) else ():
            if isinstance(choice, dict) and "delta" not in choice:
                choice["delta"] = {}
        return chunk
