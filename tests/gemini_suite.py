"""The suite the `test_e2e_gemini_*` modules run: providers of `type: gemini` and `type: vertex` on the fake.

The fake provider serves Google AI Studio (key in `x-goog-api-key`) and Vertex
AI (a bearer token from its own OAuth token endpoint, which verifies the JWT
the router signs with the service-account key `google_keys` writes). It
checks every GenerateContentRequest as Google does; the client must see
OpenAI's API.
"""

from __future__ import annotations

from typing import Any

from google_keys import PROJECT
from harness import FakeProvider

GEMINI_ACCOUNT_ENV = "VERTEX_E2E_SERVICE_ACCOUNT"
"""The variable `GEMINI_CONFIG` reads Vertex's service-account key from."""
GEMINI_CONFIG = """\
providers:
  - name: gemini
    type: gemini
    base_url: {fake_url}
    api_key: env:FAKE_UPSTREAM_KEY
    timeout_s: 5
    image_fetch: {{allow_http: true, allow_private_addresses: true}}
  - &vertex
    name: vertex
    type: vertex
    base_url: {fake_url}
    project: aigw-test
    region: us-central1
    service_account: env:VERTEX_E2E_SERVICE_ACCOUNT
    token_url: {fake_url}/token
    timeout_s: 5
    image_fetch: {{allow_http: true, allow_private_addresses: true}}
  # The same account as its own provider: a token of its own, fetched and renewed where a test sees it.
  - <<: *vertex
    name: vertex-fresh
models:
  - name: gemini-chat
    deployments: [{{provider: gemini, model: gemini-2.0-flash}}]
  - name: vertex-chat
    deployments: [{{provider: vertex, model: gemini-3-flash-preview}}]
  - name: vertex-fresh
    deployments: [{{provider: vertex-fresh, model: gemini-2.5-flash}}]
  - name: gemini-faulty
    deployments: [{{provider: gemini, model: gemini-faulty}}]
  - name: vertex-faulty
    deployments: [{{provider: vertex, model: vertex-faulty}}]
  - name: gemini-embed
    deployments: [{{provider: gemini, model: gemini-embedding-001}}]
  - name: vertex-embed
    deployments: [{{provider: vertex, model: text-embedding-005}}]
"""
VERTEX_PATH = f"/v1/projects/{PROJECT}/locations/us-central1/publishers/google/models"
CHATS = ["gemini-chat", "vertex-chat"]
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "units": {"type": ["string", "null"], "enum": ["C", "F"]},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
"""`chat_samples.WEATHER` with a nullable enum, which Gemini's schema spells its own way."""


def upstream(fake: FakeProvider, marker: str) -> list[dict[str, Any]]:
    """The requests that reached the fake on a path with marker in it."""
    return [r for r in fake.requests() if marker in r["path"]]


def generations(fake: FakeProvider) -> list[dict[str, Any]]:
    """The generateContent and streamGenerateContent requests that reached the fake."""
    return [r for r in fake.requests() if r["path"].lower().endswith("generatecontent")]
