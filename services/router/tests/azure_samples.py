"""What the Azure OpenAI adapter's tests share: the resource, its credentials, the adapter, chat calls."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from aigw_router.adapters import AdapterServices, ChatCall, ParamPolicy
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.azure import AzureOpenAIAdapter
from aigw_runtime.clock import Clock
from aigw_runtime.config import ProviderConfig

RESOURCE = "https://contoso.openai.azure.com"
KEY = "azure-key-0123456789abcdef0123456789ab"
SECRET = "entra~secret~value~0123456789"


def _services(handler: Callable[[httpx.Request], httpx.Response] | None = None) -> AdapterServices:
    transport = httpx.MockTransport(handler or (lambda request: httpx.Response(500)))
    client = httpx.AsyncClient(transport=transport)
    return AdapterServices(http=client, images=ImageFetcher(client))


def _provider(**fields: Any) -> ProviderConfig:
    os.environ["AIGW_TEST_AZURE_KEY"] = KEY
    os.environ["AIGW_TEST_AZURE_SECRET"] = SECRET
    defaults: dict[str, Any] = {
        "name": "azure-east",
        "type": "azure-openai",
        "base_url": RESOURCE,
        "api_version": "2024-10-21",
        "api_key": "env:AIGW_TEST_AZURE_KEY",
    }
    return ProviderConfig(**{**defaults, **fields})


def entra_fields(**fields: Any) -> dict[str, Any]:
    """Provider fields that authenticate with an Entra ID app (tenant-1, app-1, `SECRET`) instead of `KEY`."""
    return {
        "api_key": None,
        "tenant_id": "tenant-1",
        "client_id": "app-1",
        "client_secret": "env:AIGW_TEST_AZURE_SECRET",
        **fields,
    }


def azure_adapter(
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    clock: Clock | None = None,
    **fields: Any,
) -> AzureOpenAIAdapter:
    """An adapter for provider azure-east at `RESOURCE` with `KEY`, `fields` changing its configuration.

    `handler` answers the adapter's own HTTP calls (Entra ID's token endpoint); by default they fail.
    """
    return AzureOpenAIAdapter(_provider(**fields), _services(handler), clock=clock)


def chat_call(
    body: dict[str, Any], *, stream: bool = False, policy: ParamPolicy = ParamPolicy.REJECT
) -> ChatCall:
    """A chat call for `body` to the deployment "gpt-4o prod"."""
    return ChatCall(body=orjson.dumps(body), upstream_model="gpt-4o prod", stream=stream, policy=policy)


def chat_body(**fields: Any) -> dict[str, Any]:
    """A one-message chat body with `fields` added."""
    return {"model": "public", "messages": [{"role": "user", "content": "hi"}], **fields}


def sent_chat(adapter: AzureOpenAIAdapter, call: ChatCall) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL, headers and JSON body `adapter` sends to Azure for `call`."""
    request = asyncio.run(adapter.build_chat(call))
    return request.url, request.headers, orjson.loads(request.content)
