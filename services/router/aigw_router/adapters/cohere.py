"""Cohere's v2 API (`type: cohere`): chat (`POST /v2/chat`) and embeddings (`POST /v2/embed`).

OpenAI chat requests are translated (see `cohere_request.py` for the request
and the choices made there), answers and streams translated back (see
`cohere_stream.py`: tool plans as content, finish reasons, usage from billed
units), embeddings through `cohere_embeddings.py` (a batch larger than the 96
texts Cohere takes per request is sent as several requests).

`base_url` is Cohere's SDK base URL, without a version path
(https://api.cohere.com by default); requests carry `Authorization: Bearer
<api_key>`.

Errors come as `{"id"?, "message"}` and are mapped by status like every
adapter's (`_errors.upstream_error`). Cohere-specific statuses: 422 (an
unknown field) is a client error like 400; 498, which the official SDK names
an invalid token, counts as a refused credential (401); 402 (billing limit)
and 499 (request cancelled) are upstream failures (502).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from aigw_router.adapters._embeddings import split_inputs
from aigw_router.adapters._errors import error_json, retry_after_seconds, upstream_error
from aigw_router.adapters._responses import json_object
from aigw_router.adapters.base import (
    AdapterServices,
    ChatCall,
    CompletionResult,
    EmbeddingsCall,
    ProviderAdapter,
    StreamTranslator,
    UpstreamAnswer,
    UpstreamRequest,
)
from aigw_router.adapters.cohere_embeddings import MAX_TEXTS, embed_body, embeddings_result
from aigw_router.adapters.cohere_request import translate_chat_request
from aigw_router.adapters.cohere_stream import (
    CohereChatStream,
    chat_completion,
    error_message,
    usage_from_cohere,
)
from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError
from aigw_runtime.secrets import resolve_secret

DEFAULT_BASE_URL = "https://api.cohere.com"
_INVALID_TOKEN = 498


class CohereAdapter(ProviderAdapter):
    """`type: cohere`: Command models for chat, Embed models for embeddings."""

    def __init__(
        self, provider: ProviderConfig, services: AdapterServices, *, clock: Clock | None = None
    ) -> None:
        super().__init__(provider, services)
        self._clock = clock or SystemClock()
        base_url = (provider.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._chat_url = base_url + "/v2/chat"
        self._embed_url = base_url + "/v2/embed"
        self._headers = {"content-type": "application/json", "accept": "application/json"}
        if provider.api_key:
            self._headers["authorization"] = f"Bearer {resolve_secret(provider.api_key)}"

    def _request(self, url: str, body: dict[str, Any], stream: bool = False) -> UpstreamRequest:
        headers = dict(self._headers)
        if stream:
            headers["accept"] = "text/event-stream"
        return UpstreamRequest(url=url, headers=headers, content=orjson.dumps(body))

    async def build_chat(self, call: ChatCall) -> UpstreamRequest:
        return self._request(self._chat_url, translate_chat_request(call, self.name), call.stream)

    def parse_chat(self, content: bytes, upstream_model: str) -> CompletionResult:
        response = json_object(self.name, content)
        completion = chat_completion(self.name, response, upstream_model, int(self._clock.now()))
        return CompletionResult(body=orjson.dumps(completion), usage=usage_from_cohere(response.get("usage")))

    def chat_stream(self, include_usage: bool, upstream_model: str) -> StreamTranslator:
        return CohereChatStream(self.name, include_usage, upstream_model, int(self._clock.now()))

    def split_embeddings(self, call: EmbeddingsCall) -> list[EmbeddingsCall]:
        return split_inputs(call, MAX_TEXTS)

    async def build_embeddings(self, call: EmbeddingsCall) -> UpstreamRequest:
        return self._request(self._embed_url, embed_body(call, self.name))

    def parse_embeddings(self, answers: Sequence[UpstreamAnswer], call: EmbeddingsCall) -> CompletionResult:
        return embeddings_result(self.name, answers, call)

    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        return upstream_error(
            self.name,
            401 if status == _INVALID_TOKEN else status,
            error_message(error_json(content)),
            retry_after_s=retry_after_seconds(headers),
        )
