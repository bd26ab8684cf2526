"""Google's Gemini API (AI Studio, `type: gemini`); Vertex AI reuses it (see `vertex.py`).

Both take the same `GenerateContentRequest`: `contents` and
`systemInstruction` from the messages (see `gemini_messages.py`), `tools` as
`functionDeclarations` (schemas: `gemini_schema.py`), `toolConfig` from
`tool_choice` (auto → AUTO, none → NONE, required → ANY, a named function →
ANY limited to it), and `generationConfig` from the output controls:
max_tokens → maxOutputTokens, temperature (both 0..2), top_p → topP, stop →
stopSequences, seed (int32), n → candidateCount (at most 8), presence and
frequency penalties, and response_format → responseMimeType
`application/json` with its schema as responseJsonSchema. `top_k`, a common
extra, maps to topK.

Parameters Gemini has no equivalent for (logprobs, logit_bias,
reasoning_effort, parallel_tool_calls: false, ...) and other provider extras
go through the model's unsupported-params policy; a value equal to Gemini's
own behaviour (parallel_tool_calls: true, logprobs: false) is simply left
out. Answers, streams and errors: `gemini_stream.py`.

Token counting goes to `countTokens` with the request chat would send, as
`generateContentRequest` (AI Studio counts system instruction, tools and tool
config with the contents only in that form); the answer's `totalTokens` is the
count (absent when zero, as proto3 JSON leaves zeros out).

Embeddings go to `batchEmbedContents`, which takes at most 100 requests: a
larger batch is sent as several, and their vectors come back as one list in
input order. Gemini's answer carries no token counts, so usage is zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import msgspec
import orjson

from aigw_router.adapters._chat_request import allowed_tool_names
from aigw_router.adapters._embeddings import embedding_list, split_inputs
from aigw_router.adapters._errors import retry_after_seconds, upstream_error
from aigw_router.adapters._params import RequestFields, apply_policy, refuse_value
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
from aigw_router.adapters.gemini_messages import conversation
from aigw_router.adapters.gemini_schema import function_schema, response_json_schema
from aigw_router.adapters.gemini_stream import (
    GeminiStreamTranslator,
    completion_body,
    google_status,
    retry_delay,
)
from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.config import ConfigError, ProviderConfig
from aigw_runtime.errors import GatewayError, UpstreamError
from aigw_runtime.openai_chat import (
    AllowedToolsChoice,
    ChatCompletionRequest,
    FunctionTool,
    JsonObjectFormat,
    JsonSchemaFormat,
    NamedToolChoice,
    invalid_request,
)
from aigw_runtime.secrets import resolve_secret

# Request fields translated (or, for bookkeeping fields, deliberately not sent).
_HANDLED = frozenset({
    "model", "messages", "stream", "stream_options", "temperature", "top_p", "top_k", "n", "max_tokens",
    "max_completion_tokens", "stop", "seed", "presence_penalty", "frequency_penalty", "tools",
    "tool_choice", "parallel_tool_calls", "response_format", "user", "metadata", "store", "modalities",
})  # fmt: skip
# Values that ask for what Gemini does anyway are left out rather than refused.
_FIELDS = RequestFields(handled=_HANDLED, neutral={"logprobs": False, "parallel_tool_calls": True})
_EMBEDDING_FIELDS = RequestFields(
    handled=frozenset({"model", "input", "encoding_format", "dimensions", "user"})
)
_MAX_CANDIDATES = 8
_MAX_BATCH = 100
_INT32 = 2**31


class GeminiAdapter(ProviderAdapter):
    """`type: gemini`: Google AI Studio; base_url without a version, key in `x-goog-api-key`."""

    default_base_url = "https://generativelanguage.googleapis.com"

    def __init__(
        self, provider: ProviderConfig, services: AdapterServices, *, clock: Clock | None = None
    ) -> None:
        super().__init__(provider, services)
        self.clock: Clock = clock or SystemClock()
        self.base_url = (provider.base_url or self.default_base_url).rstrip("/")
        self._headers = self.credentials(provider)

    def credentials(self, provider: ProviderConfig) -> dict[str, str]:
        """Headers that authenticate every request (Vertex's are per request: see `auth_headers`)."""
        if provider.api_key is None:
            raise ConfigError(f"provider {self.name}: type gemini needs api_key")
        return {"x-goog-api-key": resolve_secret(provider.api_key)}

    # --- where and how to send -------------------------------------------------

    def model_url(self, model: str, method: str) -> str:
        path = model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"
        return f"{self.base_url}/v1beta/{quote(path, safe='/')}:{method}"

    def model_name(self, model: str) -> str:
        """The model's resource name, as request bodies name it (`models/...`, `tunedModels/...`)."""
        return model if model.startswith(("models/", "tunedModels/")) else f"models/{model}"

    async def auth_headers(self) -> dict[str, str]:
        return self._headers

    async def _request(self, url: str, body: dict[str, Any], *, stream: bool = False) -> UpstreamRequest:
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
            **(await self.auth_headers()),
        }
        return UpstreamRequest(url=url, headers=headers, content=orjson.dumps(body))

    # --- chat ------------------------------------------------------------------

    async def build_chat(self, call: ChatCall) -> UpstreamRequest:
        body = await self.generate_content_body(call)
        method = "streamGenerateContent?alt=sse" if call.stream else "generateContent"
        return await self._request(self.model_url(call.upstream_model, method), body, stream=call.stream)

    async def generate_content_body(self, call: ChatCall) -> dict[str, Any]:
        """The `GenerateContentRequest` for an OpenAI chat request (a 400 if it cannot be translated)."""
        raw = orjson.loads(call.body)
        _FIELDS.apply_policy(raw, self.name, call.policy)
        if raw.get("parallel_tool_calls") is False:
            # Gemini may always answer with several calls at once.
            apply_policy(raw, ["parallel_tool_calls"], self.name, call.policy)
        try:
            request = msgspec.convert(raw, ChatCompletionRequest)
        except msgspec.ValidationError as exc:
            raise invalid_request(str(exc)) from None
        if request.modalities and set(request.modalities) - {"text"}:
            raise refuse_value("modalities", "Gemini answers chat completions with text only.")
        turns = await conversation(request, self.services.images, self.provider.image_fetch)
        body: dict[str, Any] = {"contents": turns.finish()}
        if turns.system:
            body["systemInstruction"] = {"parts": [{"text": text} for text in turns.system]}
        tools, tool_config = _tools(request)
        if tools:
            body["tools"] = tools
        if tool_config:
            body["toolConfig"] = tool_config
        config = _generation_config(request, raw.get("top_k"))
        if config:
            body["generationConfig"] = config
        return body

    def parse_chat(self, content: bytes, upstream_model: str) -> CompletionResult:
        created = int(self.clock.now())
        body, usage = completion_body(
            json_object(self.name, content), provider=self.name, model=upstream_model, created=created
        )
        return CompletionResult(body=body, usage=usage)

    def chat_stream(self, include_usage: bool, upstream_model: str) -> StreamTranslator:
        return GeminiStreamTranslator(
            self.name, include_usage=include_usage, model=upstream_model, created=int(self.clock.now())
        )

    # --- token counting --------------------------------------------------------

    async def build_chat_token_count(self, call: ChatCall) -> UpstreamRequest:
        body = self.count_tokens_body(call.upstream_model, await self.generate_content_body(call))
        return await self._request(self.model_url(call.upstream_model, "countTokens"), body)

    def count_tokens_body(self, model: str, generate: dict[str, Any]) -> dict[str, Any]:
        """The countTokens body for a GenerateContentRequest: on AI Studio, the whole request, named."""
        return {"generateContentRequest": {"model": self.model_name(model), **generate}}

    def parse_chat_token_count(self, content: bytes) -> int:
        return counted_tokens(self.name, content, "totalTokens", absent=0)

    # --- embeddings ------------------------------------------------------------

    def embedding_limit(self, model: str) -> int:
        """How many inputs one embeddings request to `model` may hold."""
        return _MAX_BATCH

    def split_embeddings(self, call: EmbeddingsCall) -> list[EmbeddingsCall]:
        return split_inputs(call, self.embedding_limit(call.upstream_model))

    def embedding_texts(self, call: EmbeddingsCall) -> tuple[list[str], int | None]:
        """The inputs (text only: Gemini cannot take token ids) and the requested dimensions."""
        request = orjson.loads(call.body)
        _EMBEDDING_FIELDS.apply_policy(request, self.name, call.policy)
        value = request.get("input")
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            raise refuse_value("input", f"Provider {self.name} embeds text only: give a string or strings.")
        dimensions = request.get("dimensions")
        return texts, dimensions if isinstance(dimensions, int) and not isinstance(dimensions, bool) else None

    async def build_embeddings(self, call: EmbeddingsCall) -> UpstreamRequest:
        texts, dimensions = self.embedding_texts(call)
        model = self.model_name(call.upstream_model)
        extra = {"outputDimensionality": dimensions} if dimensions else {}
        requests = [{"model": model, "content": {"parts": [{"text": text}]}, **extra} for text in texts]
        return await self._request(
            self.model_url(call.upstream_model, "batchEmbedContents"), {"requests": requests}
        )

    def read_embeddings(self, answer: UpstreamAnswer) -> tuple[list[Any], int]:
        """One answer's vectors and token count."""
        embeddings = json_object(self.name, answer.content).get("embeddings")
        if not isinstance(embeddings, list):
            raise UpstreamError(f"Provider {self.name} sent a response that is not a list of embeddings.")
        return [e.get("values") if isinstance(e, dict) else None for e in embeddings], 0

    def parse_embeddings(self, answers: Sequence[UpstreamAnswer], call: EmbeddingsCall) -> CompletionResult:
        limit = self.embedding_limit(call.upstream_model)
        return embedding_list(self.name, call, answers, limit, self.read_embeddings)

    # --- answers and errors ----------------------------------------------------

    def map_error(self, status: int, headers: dict[str, str], content: bytes) -> GatewayError:
        error = google_status(content)
        message = error.get("message")
        details = error.get("details")
        details = details if isinstance(details, list) else []
        if status == 400 and any(
            isinstance(d, dict) and d.get("reason") == "API_KEY_INVALID" for d in details
        ):
            status = 401  # a bad key is the gateway's fault, not the client's
        retry = retry_after_seconds(headers)
        if retry is None:
            retry = retry_delay(details)
        return upstream_error(
            self.name,
            status,
            message if isinstance(message, str) else None,
            retry_after_s=retry,
            overloaded=error.get("status") == "UNAVAILABLE",
        )


def _tools(request: ChatCompletionRequest) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """`tools` (one Tool of functionDeclarations) and `toolConfig`, or nothing without tools."""
    declarations: list[dict[str, Any]] = []
    for number, tool in enumerate(request.tools or ()):
        if not isinstance(tool, FunctionTool):
            raise refuse_value(f"tools[{number}]", "Gemini supports function tools only, not custom tools.")
        function = tool.function
        declaration: dict[str, Any] = {"name": function.name}
        if function.description:
            declaration["description"] = function.description
        declaration.update(function_schema(function.parameters, f"tools[{number}].function.parameters"))
        declarations.append(declaration)
    if not declarations:
        return [], None
    choice = request.tool_choice
    mode, allowed = "AUTO", None
    if choice == "none":
        mode = "NONE"
    elif choice == "required":
        mode = "ANY"
    elif isinstance(choice, NamedToolChoice):
        mode, allowed = "ANY", [choice.function.name]
    elif isinstance(choice, AllowedToolsChoice):
        names = allowed_tool_names(choice.allowed_tools)
        declarations = [d for d in declarations if d["name"] in names]
        if not declarations:
            raise refuse_value("tool_choice", "allowed_tools names none of the request's function tools.")
        mode = "ANY" if choice.allowed_tools.get("mode") == "required" else "AUTO"
    elif choice is not None and choice != "auto":
        raise refuse_value("tool_choice", "Gemini can only be told to call function tools.")
    config: dict[str, Any] = {"mode": mode}
    if allowed:
        config["allowedFunctionNames"] = allowed
    return [{"functionDeclarations": declarations}], {"functionCallingConfig": config}


def _generation_config(request: ChatCompletionRequest, top_k: Any) -> dict[str, Any]:
    config: dict[str, Any] = {}
    max_tokens = request.max_completion_tokens or request.max_tokens
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if isinstance(top_k, int) and not isinstance(top_k, bool) and top_k > 0:
        config["topK"] = top_k
    elif top_k is not None:
        raise refuse_value("top_k", "top_k must be a positive integer.")
    if request.seed is not None:
        if not -_INT32 <= request.seed < _INT32:
            raise refuse_value("seed", "Gemini takes a seed that fits in 32 bits.")
        config["seed"] = request.seed
    if request.stop:
        config["stopSequences"] = [request.stop] if isinstance(request.stop, str) else request.stop
    if request.n is not None:
        if request.n > _MAX_CANDIDATES:
            raise refuse_value("n", f"Gemini returns at most {_MAX_CANDIDATES} choices.")
        config["candidateCount"] = request.n
    if request.presence_penalty is not None:
        config["presencePenalty"] = request.presence_penalty
    if request.frequency_penalty is not None:
        config["frequencyPenalty"] = request.frequency_penalty
    response_format = request.response_format
    if isinstance(response_format, JsonObjectFormat | JsonSchemaFormat):
        config["responseMimeType"] = "application/json"
    if isinstance(response_format, JsonSchemaFormat) and response_format.json_schema.schema:
        config["responseJsonSchema"] = response_json_schema(
            response_format.json_schema.schema, "response_format.json_schema.schema"
        )
    return config
