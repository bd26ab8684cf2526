"""Amazon Bedrock's Converse API (`type: bedrock`), and its InvokeModel embeddings.

Chat goes to `POST {endpoint}/model/{modelId}/converse` (or `/converse-stream`),
token counting to `/model/{modelId}/count-tokens` (the Converse request's
messages, system, toolConfig and additionalModelRequestFields, the members of
`input.converse`, answered with `inputTokens`), embeddings to
`/model/{modelId}/invoke`; the endpoint is
`https://bedrock-runtime.{region}.amazonaws.com` unless `base_url` replaces
it. Requests are signed with SigV4 or carry a Bedrock API key (see
`bedrock_auth.py`); the request body is built in `bedrock_request.py`,
answers and streams are translated in `bedrock_stream.py`, embeddings in
`bedrock_embeddings.py` (Titan takes one text per request and Cohere 96, so a
batch may be several InvokeModel requests, each signed on its own).

The model id may be an ARN or an inference profile, holding `:` and `/`. It
is one path segment, so `/` must go out as `%2F`; and the path SigV4 signs
must be the path that is sent, byte for byte. HTTP clients do not send every
URL as given: aiohttp's URL type (behind the router's client) decodes `%3A`
back to `:`. So the id is percent-encoded except for the characters a path
may hold as they are (`:`, `@` and the sub-delimiters but `+`), which no
client rewrites, and the URL built here is the one signed and the one sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from urllib.parse import quote

import orjson

from aigw_router.adapters._errors import error_json, retry_after_seconds
from aigw_router.adapters._images import ImageData
from aigw_router.adapters._responses import counted_tokens, json_object
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
from aigw_router.adapters.bedrock_auth import BedrockAuth
from aigw_router.adapters.bedrock_embeddings import embeddings_body, embeddings_parts, embeddings_result
from aigw_router.adapters.bedrock_request import converse_body
from aigw_router.adapters.bedrock_stream import BedrockStreamTranslator, bedrock_error, completion_body
from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.config import ProviderConfig
from aigw_runtime.errors import GatewayError

EVENT_STREAM = "application/vnd.amazon.eventstream"
# Characters a path segment may hold unencoded (RFC 3986 pchar) that clients leave as they are.
_PATH_SAFE = "!$&'()*,:;=@"
# The members of a Converse request that CountTokens counts (`ConverseTokensRequest`).
_COUNTED_MEMBERS = ("messages", "system", "toolConfig", "additionalModelRequestFields")


def model_path(model: str, action: str) -> str:
    """`/model/{modelId}/{action}`, the id encoded as one segment that no HTTP client rewrites."""
    return f"/model/{quote(model, safe=_PATH_SAFE)}/{action}"


class BedrockAdapter(ProviderAdapter):
    """`type: bedrock`: Converse for chat, InvokeModel for Titan and Cohere embeddings."""

    def __init__(self, provider: ProviderConfig, services: AdapterServices) -> None:
        super().__init__(provider, services)
        self._auth = BedrockAuth(provider)
        endpoint = provider.base_url or f"https://bedrock-runtime.{provider.region}.amazonaws.com"
        self._endpoint = endpoint.rstrip("/")
        self.clock: Clock = SystemClock()

    def model_url(self, model: str, action: str) -> str:
        return self._endpoint + model_path(model, action)

    async def _signed(self, url: str, content: bytes, accept: str) -> UpstreamRequest:
        headers = {"content-type": "application/json", "accept": accept}
        return UpstreamRequest(url=url, headers=await self._auth.sign(url, headers, content), content=content)

    async def _load_image(self, url: str, param: str) -> ImageData:
        return await self.services.images.load(url, self.provider.image_fetch, param=param)

    # --- chat -------------------------------------------------------------------

    async def build_chat(self, call: ChatCall) -> UpstreamRequest:
        body = await converse_body(call, self.name, self._load_image)
        url = self.model_url(call.upstream_model, "converse-stream" if call.stream else "converse")
        return await self._signed(
            url, orjson.dumps(body), EVENT_STREAM if call.stream else "application/json"
        )

    def parse_chat(self, content: bytes, upstream_model: str) -> CompletionResult:
        body, usage = completion_body(
            self.name,
            json_object(self.name, content),
            completion_id=_completion_id(),
            created=int(self.clock.now()),
            model=upstream_model,
        )
        return CompletionResult(body=body, usage=usage)

    def chat_stream(self, include_usage: bool, upstream_model: str) -> StreamTranslator:
        return BedrockStreamTranslator(
            self.name,
            include_usage=include_usage,
            completion_id=_completion_id(),
            created=int(self.clock.now()),
            model=upstream_model,
        )

    async def build_chat_token_count(self, call: ChatCall) -> UpstreamRequest:
        body = await converse_body(call, self.name, self._load_image)
        counted = {name: body[name] for name in _COUNTED_MEMBERS if name in body}
        content = orjson.dumps({"input": {"converse": counted}})
        return await self._signed(
            self.model_url(call.upstream_model, "count-tokens"), content, "application/json"
        )

    def parse_chat_token_count(self, content: bytes) -> int:
        return counted_tokens(self.name, content, "inputTokens")

    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        lowered = {name.lower(): value for name, value in headers.items()}
        kind, message = lowered.get("x-amzn-errortype"), None
        body = error_json(content)
        if isinstance(body, dict):
            found = body.get("message", body.get("Message"))
            message = found if isinstance(found, str) else None
            # Some AWS front ends name the error in the body instead of the header.
            if kind is None and isinstance(body.get("__type"), str):
                kind = body["__type"].rsplit("#", 1)[-1]
        return bedrock_error(self.name, kind, status, message, retry_after_seconds(lowered))

    # --- embeddings -------------------------------------------------------------

    def split_embeddings(self, call: EmbeddingsCall) -> list[EmbeddingsCall]:
        return embeddings_parts(call)

    async def build_embeddings(self, call: EmbeddingsCall) -> UpstreamRequest:
        content = embeddings_body(call, self.name)
        return await self._signed(self.model_url(call.upstream_model, "invoke"), content, "application/json")

    def parse_embeddings(self, answers: Sequence[UpstreamAnswer], call: EmbeddingsCall) -> CompletionResult:
        return embeddings_result(self.name, answers, call)


def _completion_id() -> str:
    # Bedrock's answer carries no id (its request id is a header the adapter does not see).
    return f"chatcmpl-{uuid.uuid4().hex}"
