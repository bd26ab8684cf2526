"""The OpenAPI 3.1 document served at `/openapi.json`, built from the same types the edge validates with."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from aigw_edge.http.admin import CreateKeyBody
from aigw_edge.http.openapi_anthropic import anthropic_components, anthropic_paths
from aigw_runtime.openai_chat import ChatCompletionRequest, FunctionCall


class ErrorDetail(msgspec.Struct):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(msgspec.Struct):
    error: ErrorDetail


class ResponseToolCall(msgspec.Struct):
    id: str
    type: Literal["function"]
    function: FunctionCall


class ResponseMessage(msgspec.Struct):
    role: Literal["assistant"]
    content: str | None
    refusal: str | None = None
    tool_calls: list[ResponseToolCall] | None = None


class Choice(msgspec.Struct):
    index: int
    message: ResponseMessage
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"] | None
    logprobs: dict[str, Any] | None = None


class Usage(msgspec.Struct):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: dict[str, int] | None = None
    completion_tokens_details: dict[str, int] | None = None


class ChatCompletion(msgspec.Struct):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    system_fingerprint: str | None = None


class Model(msgspec.Struct):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(msgspec.Struct):
    object: Literal["list"]
    data: list[Model]


class ApiKey(msgspec.Struct):
    id: str
    name: str
    prefix: str
    models: list[str]
    rpm_limit: int
    created_at: str | None
    revoked_at: str | None


class CreatedApiKey(ApiKey):
    key: str


class UsageTotal(msgspec.Struct):
    key_id: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    errors: int
    cache_hits: int


_TYPES = (
    ChatCompletionRequest,
    ChatCompletion,
    ErrorResponse,
    Model,
    ModelList,
    CreateKeyBody,
    ApiKey,
    CreatedApiKey,
    UsageTotal,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _json(_ref("ErrorResponse"), "OpenAI's error shape") for status in statuses}


def build_openapi(version: str) -> dict[str, Any]:
    _, components = msgspec.json.schema_components(_TYPES, ref_template="#/components/schemas/{name}")
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    chat_answer = {
        "description": "A chat.completion; with `stream: true`, SSE of chat.completion.chunk",
        "content": {
            "application/json": {"schema": _ref("ChatCompletion")},
            "text/event-stream": {"schema": {"type": "string"}},
        },
    }
    paths: dict[str, Any] = {
        "/v1/chat/completions": {
            "post": {
                "summary": "Create a chat completion (OpenAI-compatible)",
                "operationId": "createChatCompletion",
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("ChatCompletionRequest")}},
                },
                "responses": {"200": chat_answer, **_errors(400, 401, 404, 413, 429, 502, 503, 504)},
            }
        },
        **anthropic_paths([{"bearer": []}, {"apiKey": []}]),
        "/v1/models": {
            "get": {
                "summary": "List the models this key may use",
                "operationId": "listModels",
                "security": bearer,
                "responses": {"200": _json(_ref("ModelList"), "The models"), **_errors(401)},
            }
        },
        "/v1/models/{model}": {
            "get": {
                "summary": "Retrieve one model",
                "operationId": "retrieveModel",
                "security": bearer,
                "parameters": [
                    {"name": "model", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _json(_ref("Model"), "The model"), **_errors(401, 404)},
            }
        },
        "/admin/v1/keys": {
            "post": {
                "summary": "Create an API key (its secret is returned once)",
                "operationId": "createKey",
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("CreateKeyBody")}},
                },
                "responses": {"201": _json(_ref("CreatedApiKey"), "The new key"), **_errors(400, 401, 403)},
            },
            "get": {
                "summary": "List API keys",
                "operationId": "listKeys",
                "security": bearer,
                "parameters": [{"name": "include_revoked", "in": "query", "schema": {"type": "boolean"}}],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"data": {"type": "array", "items": _ref("ApiKey")}},
                        },
                        "The keys",
                    ),
                    **_errors(401, 403),
                },
            },
        },
        "/admin/v1/keys/{id}": {
            "delete": {
                "summary": "Revoke an API key",
                "operationId": "revokeKey",
                "security": bearer,
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("ApiKey"), "The revoked key"), **_errors(401, 403, 404)},
            }
        },
        "/admin/v1/usage": {
            "get": {
                "summary": "Usage totals per key and model",
                "operationId": "getUsage",
                "security": bearer,
                "parameters": [{"name": "key_id", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"data": {"type": "array", "items": _ref("UsageTotal")}},
                        },
                        "Totals",
                    ),
                    **_errors(401, 403),
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Liveness",
                "operationId": "healthz",
                "responses": {"200": {"description": "alive"}},
            }
        },
        "/readyz": {
            "get": {
                "summary": "Readiness: every internal service answers its health check",
                "operationId": "readyz",
                "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "aigw",
            "version": version,
            "description": "An AI gateway with OpenAI-compatible endpoints and Anthropic's Messages API.",
        },
        "paths": paths,
        "components": {
            "schemas": {**components, **anthropic_components()},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
        },
    }
