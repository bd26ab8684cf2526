"""Gemini on Vertex AI (`type: vertex`): the Gemini request at a project's regional endpoint.

Chat is Gemini's (see `gemini.py`) at
`{base}/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:generateContent`
(and `:streamGenerateContent?alt=sse`), where the base is
`https://{region}-aiplatform.googleapis.com` (`https://aiplatform.googleapis.com`
for the `global` location) unless `base_url` replaces it. Requests carry an
OAuth bearer token made from `service_account` (see `vertex_auth.py`); a 401
makes the adapter forget its token, so the next request gets a fresh one.

Token counting uses `:countTokens`, whose body holds the contents, system
instruction, tools and generation config of the request chat would send (it
has no field for the tool config); `totalTokens` is the count.

Embeddings use `:predict`: `instances` of `{"content": text}`,
`parameters.outputDimensionality` for `dimensions`. A request holds at most
250 instances, and only one for the gemini-embedding models, so a batch may
be sent as several requests (one per input for gemini-embedding-001), whose
vectors come back as one list in input order. Each prediction carries its
input's token count; usage is their sum.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from aigw_router.adapters._embeddings import token_count
from aigw_router.adapters._responses import json_object
from aigw_router.adapters.base import EmbeddingsCall, UpstreamAnswer, UpstreamRequest
from aigw_router.adapters.gemini import GeminiAdapter
from aigw_router.adapters.vertex_auth import ServiceAccountTokens, parse_service_account
from aigw_runtime.config import ConfigError, ProviderConfig
from aigw_runtime.errors import GatewayError, UpstreamError
from aigw_runtime.secrets import resolve_secret

_MAX_INSTANCES = 250
# The gemini-embedding models take one instance per predict request.
_ONE_INSTANCE_PREFIX = "gemini-embedding"
_TOKEN_TIMEOUT_S = 30.0
# The fields of a GenerateContentRequest that Vertex's CountTokensRequest has too.
_COUNTED_FIELDS = ("contents", "systemInstruction", "tools", "generationConfig")


class VertexAdapter(GeminiAdapter):
    """`type: vertex`: Gemini on Vertex AI in `project` and `region`, OAuth tokens from `service_account`."""

    tokens: ServiceAccountTokens

    def credentials(self, provider: ProviderConfig) -> dict[str, str]:
        if provider.project is None or provider.region is None:
            raise ConfigError(f"provider {self.name}: type vertex needs project and region (the location)")
        if provider.service_account is None:
            raise ConfigError(
                f"provider {self.name}: type vertex needs service_account (a key JSON reference)"
            )
        region = provider.region
        if provider.base_url is None:
            host = (
                "aiplatform.googleapis.com" if region == "global" else f"{region}-aiplatform.googleapis.com"
            )
            self.base_url = f"https://{host}"
        self._location = f"projects/{quote(provider.project)}/locations/{quote(region)}"
        self.tokens = ServiceAccountTokens(
            parse_service_account(resolve_secret(provider.service_account), self.name),
            http=self.services.http,
            provider=self.name,
            clock=self.clock,
            token_url=provider.token_url,
            timeout=httpx.Timeout(
                min(provider.timeout_s, _TOKEN_TIMEOUT_S), connect=provider.connect_timeout_s
            ),
        )
        return {}

    def model_url(self, model: str, method: str) -> str:
        if model.startswith("projects/"):
            path = model
        elif model.startswith("publishers/"):
            path = f"{self._location}/{model}"
        else:
            path = f"{self._location}/publishers/google/models/{model}"
        return f"{self.base_url}/v1/{quote(path, safe='/')}:{method}"

    async def auth_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {await self.tokens.token()}"}

    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        if status == 401:
            # The token was revoked or expired early: the next request gets a fresh one.
            self.tokens.invalidate()
        return super().map_error(status, headers, content)

    def count_tokens_body(self, model: str, generate: dict[str, Any]) -> dict[str, Any]:
        return {name: generate[name] for name in _COUNTED_FIELDS if name in generate}

    def embedding_limit(self, model: str) -> int:
        return 1 if model.rsplit("/", 1)[-1].startswith(_ONE_INSTANCE_PREFIX) else _MAX_INSTANCES

    async def build_embeddings(self, call: EmbeddingsCall) -> UpstreamRequest:
        texts, dimensions = self.embedding_texts(call)
        body: dict[str, Any] = {"instances": [{"content": text} for text in texts]}
        if dimensions:
            body["parameters"] = {"outputDimensionality": dimensions}
        return await self._request(self.model_url(call.upstream_model, "predict"), body)

    def read_embeddings(self, answer: UpstreamAnswer) -> tuple[list[Any], int]:
        predictions = json_object(self.name, answer.content).get("predictions")
        if not isinstance(predictions, list):
            raise UpstreamError(f"Provider {self.name} sent a response that is not a list of predictions.")
        vectors: list[Any] = []
        tokens = 0
        for prediction in predictions:
            embeddings = prediction.get("embeddings") if isinstance(prediction, dict) else None
            embeddings = embeddings if isinstance(embeddings, dict) else {}
            vectors.append(embeddings.get("values"))
            statistics = embeddings.get("statistics")
            tokens += token_count(statistics.get("token_count") if isinstance(statistics, dict) else None)
        return vectors, tokens
