"""Requests to the fake's Azure OpenAI surfaces, and Entra ID's token endpoint."""

from __future__ import annotations

from typing import Any

import httpx

GA = "2024-10-21"
PREVIEW = "2024-12-01-preview"
DEPLOYMENT = "gpt-4o-prod"
SCOPE = "https://cognitiveservices.azure.com/.default"


def chat_path(deployment: str = DEPLOYMENT, version: str | None = GA) -> str:
    query = f"?api-version={version}" if version else ""
    return f"/openai/deployments/{deployment}/chat/completions{query}"


def body(text: str = "hello there", **fields: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **fields}


async def token(http: httpx.AsyncClient, secret: str, **changes: str) -> httpx.Response:
    """Entra ID's answer to a client-credentials grant (fields given as "" are left out)."""
    form = {"grant_type": "client_credentials", "client_id": "app-1", "client_secret": secret, "scope": SCOPE}
    form.update(changes)
    return await http.post("/tenant-1/oauth2/v2.0/token", data={k: v for k, v in form.items() if v})
