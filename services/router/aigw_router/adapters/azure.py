"""Azure OpenAI: OpenAI's wire format behind Azure's paths, keys or Entra ID, and content filters.

Two surfaces, chosen by `base_url`:

- The resource endpoint (`https://<resource>.openai.azure.com`, no path):
  deployment paths, `/openai/deployments/{deployment}/chat/completions?api-version=...`
  (and `/embeddings`). The deployment's `model` in aigw's config is the Azure
  deployment name; it goes in the path, and the body carries no `model`
  (the 2024-10-21 schema does not define one). The body is fitted to the
  api-version's schema (`azure_surface.py`).
- A base URL ending in `/openai/v1`: Azure's OpenAI-compatible v1 API, where
  the body is OpenAI's with `model` set to the deployment name, and no
  api-version unless `api_version` is set (e.g. `preview`).

Authentication is an `api-key` header, or an Entra ID bearer token from the
client-credentials grant (`entra_auth.py`), forgotten when Azure answers 401.

Answers are OpenAI's plus Azure's content-filter annotations
(`prompt_filter_results`, `content_filter_results` in choices), which are
passed through as extra fields; `finish_reason: content_filter` is already
canonical. Streams: see `azure_stream.py`. A prompt refused by the content
filter (400, `code: content_filter`) becomes a 400 whose message names the
filtered categories.

Embeddings are OpenAI's: a batch of up to 2048 inputs (Azure's limit and
OpenAI's) is one request, its answer passed through as `openai.py` does.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import orjson

from aigw_router.adapters._errors import error_json, retry_after_seconds, upstream_error
from aigw_router.adapters.azure_stream import AzureStreamTranslator
from aigw_router.adapters.azure_surface import DeploymentSurface
from aigw_router.adapters.base import (
    AdapterServices,
    ChatCall,
    EmbeddingsCall,
    StreamTranslator,
    UpstreamRequest,
)
from aigw_router.adapters.entra_auth import ClientCredentials, EntraTokens
from aigw_router.adapters.openai import OpenAIAdapter
from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.config import ConfigError, ProviderConfig
from aigw_runtime.errors import GatewayError, InvalidRequestError, error_for_status
from aigw_runtime.secrets import resolve_secret

_V1_SUFFIX = "/openai/v1"


def _entra_credentials(provider: ProviderConfig) -> ClientCredentials | None:
    """The Entra ID client credentials, when configured; a ConfigError when they are ambiguous."""
    entra = (provider.tenant_id, provider.client_id, provider.client_secret)
    if all(value is None for value in entra):
        return None
    if any(value is None for value in entra):
        raise ConfigError(f"provider {provider.name}: tenant_id, client_id and client_secret go together")
    if provider.api_key is not None:
        raise ConfigError(
            f"provider {provider.name}: set api_key or Entra ID credentials (tenant_id, client_id, "
            "client_secret), not both"
        )
    tenant_id, client_id, secret = entra
    assert tenant_id is not None and client_id is not None and secret is not None  # checked above
    return ClientCredentials(tenant_id, client_id, resolve_secret(secret))


class AzureOpenAIAdapter(OpenAIAdapter):
    """`type: azure-openai`: deployment paths with an api-version, or the `/openai/v1` API."""

    default_base_url = None

    def __init__(
        self, provider: ProviderConfig, services: AdapterServices, *, clock: Clock | None = None
    ) -> None:
        if provider.base_url is None:
            raise ConfigError(f"provider {provider.name}: type azure-openai needs base_url")
        credentials = _entra_credentials(provider)
        super().__init__(provider, services)
        # OpenAI's bearer header is not how Azure takes a key (see below).
        self._headers.pop("authorization", None)
        base_url = provider.base_url.rstrip("/")
        self.v1 = base_url.endswith(_V1_SUFFIX)
        self.surface: DeploymentSurface | None = None
        if self.v1:
            self._base = base_url
            self._query = (
                f"?{urlencode({'api-version': provider.api_version})}" if provider.api_version else ""
            )
        else:
            if base_url.endswith("/openai"):
                raise ConfigError(
                    f"provider {provider.name}: base_url is the resource endpoint without /openai "
                    "(https://<resource>.openai.azure.com), or ends in /openai/v1"
                )
            if provider.api_version is None:
                raise ConfigError(f"provider {provider.name}: type azure-openai needs api_version")
            self.surface = DeploymentSurface.for_version(provider.name, provider.api_version)
            self._base = f"{base_url}/openai/deployments/"
            self._query = f"?{urlencode({'api-version': provider.api_version})}"
        self.tokens: EntraTokens | None = None
        if credentials is not None:
            self.tokens = EntraTokens(
                credentials,
                http=services.http,
                provider=self.name,
                clock=clock or SystemClock(),
                token_url=provider.token_url,
                timeout=httpx.Timeout(min(provider.timeout_s, 30.0), connect=provider.connect_timeout_s),
            )
        elif provider.api_key is not None:
            self._headers["api-key"] = resolve_secret(provider.api_key)
        else:
            raise ConfigError(
                f"provider {provider.name}: type azure-openai needs api_key, or tenant_id, client_id and "
                "client_secret (Entra ID)"
            )

    def url(self, deployment: str, operation: str) -> str:
        """The URL of `operation` (`chat/completions`, `embeddings`) for one deployment."""
        if self.v1:
            return f"{self._base}/{operation}{self._query}"
        return f"{self._base}{quote(deployment, safe='')}/{operation}{self._query}"

    async def _authorized(self, request: UpstreamRequest, url: str) -> UpstreamRequest:
        headers = request.headers
        if self.tokens is not None:
            headers = {**headers, "authorization": f"Bearer {await self.tokens.token()}"}
        return dataclasses.replace(request, url=url, headers=headers)

    def prepare_chat(self, request: dict[str, Any], call: ChatCall) -> None:
        if self.surface is not None:
            self.surface.prepare_chat(request, call.policy)

    async def build_chat(self, call: ChatCall) -> UpstreamRequest:
        request = await super().build_chat(call)
        return await self._authorized(request, self.url(call.upstream_model, "chat/completions"))

    def chat_stream(self, include_usage: bool, upstream_model: str) -> StreamTranslator:
        return AzureStreamTranslator(self.name, include_usage)

    async def build_embeddings(self, call: EmbeddingsCall) -> UpstreamRequest:
        request = await super().build_embeddings(call)
        if self.surface is not None:
            body = orjson.loads(request.content)
            self.surface.prepare_embeddings(body)
            request = dataclasses.replace(request, content=orjson.dumps(body))
        return await self._authorized(request, self.url(call.upstream_model, "embeddings"))

    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        if status == 401 and self.tokens is not None:
            # The token was revoked or expired early: the next request gets a fresh one.
            self.tokens.invalidate()
        error = _azure_error(content)
        code = error.get("code")
        message = error.get("message") if isinstance(error.get("message"), str) else None
        if status == 400 and code == "content_filter":
            return self._content_filtered(error)
        if status == 400 and code == "BadRequest" and message and "api version" in message.lower():
            # "API version not supported", "Model ... is enabled only for api versions ...": the
            # gateway's configuration is at fault, not the client's request.
            return error_for_status(
                502,
                f"Provider {self.name} refused api_version {self.provider.api_version}: {message}",
                code="upstream_api_version",
            )
        param = error.get("param") if isinstance(error.get("param"), str) else None
        return upstream_error(
            self.name, status, message, retry_after_s=retry_after_seconds(headers), param=param
        )

    def _content_filtered(self, error: dict[str, Any]) -> GatewayError:
        inner = error.get("innererror")
        results = inner.get("content_filter_result") if isinstance(inner, dict) else None
        filtered = []
        for category, result in results.items() if isinstance(results, dict) else ():
            if isinstance(result, dict) and result.get("filtered"):
                severity = result.get("severity")
                filtered.append(f"{category}: {severity}" if isinstance(severity, str) else category)
        categories = f" ({', '.join(filtered)})" if filtered else ""
        return InvalidRequestError(
            f"The prompt was refused by the content filter of provider {self.name}{categories}. "
            "Change the prompt and try again.",
            param="messages",
            code="content_filter",
        )


def _azure_error(content: bytes) -> dict[str, Any]:
    """Azure's error object: `{"error": {...}}`, or the gateway layer's `{"statusCode", "message"}`."""
    body = error_json(content)
    if not isinstance(body, dict):
        return {}
    error = body.get("error")
    if isinstance(error, dict):
        return error
    if isinstance(error, str):
        return {"message": error}
    message = body.get("message")
    return {"message": message} if isinstance(message, str) else {}
