"""Presets of openai-compatible: where each request goes, how it authenticates, and its documented quirks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest

from aigw_router.adapters import AdapterServices, ChatCall, EmbeddingsCall, ParamPolicy, UpstreamRequest
from aigw_router.adapters._images import ImageFetcher
from aigw_router.adapters.presets import PRESETS, PresetAdapter
from aigw_runtime.config import (
    API_KEY_REQUIRED,
    BASE_URL_REQUIRED,
    ConfigError,
    ImageFetchConfig,
    ProviderConfig,
)
from aigw_runtime.errors import GatewayError

FIXTURES = Path(__file__).parent / "fixtures"
KEY_ENV = "AIGW_TEST_PRESET_KEY"
PNG = b"\x89PNG\r\n\x1a\n fake png bytes"

DEFAULT_CHAT_URLS = {
    "mistral": "https://api.mistral.ai/v1/chat/completions",
    "groq": "https://api.groq.com/openai/v1/chat/completions",
    "together": "https://api.together.xyz/v1/chat/completions",
    "fireworks": "https://api.fireworks.ai/inference/v1/chat/completions",
    "deepseek": "https://api.deepseek.com/chat/completions",
    "openrouter": "https://openrouter.ai/api/v1/chat/completions",
    "xai": "https://api.x.ai/v1/chat/completions",
    "ollama": "http://127.0.0.1:11434/v1/chat/completions",
}
SELF_HOSTED = ("vllm", "tgi")


def _adapter(
    kind: str,
    *,
    base_url: str | None = None,
    api_key: str | None = "sk-preset-upstream",
    images: httpx.AsyncClient | None = None,
) -> PresetAdapter:
    if api_key is not None:
        os.environ[KEY_ENV] = api_key
    if base_url is None and kind in SELF_HOSTED:
        base_url = "http://10.0.0.5:8000/v1"
    provider = ProviderConfig(
        name=f"{kind}-main",
        type=kind,  # type: ignore[arg-type]
        base_url=base_url,
        api_key=f"env:{KEY_ENV}" if api_key is not None else None,
        image_fetch=ImageFetchConfig(allow_private_addresses=True, allow_http=True),
    )
    client = httpx.AsyncClient()
    return PresetAdapter(provider, AdapterServices(http=client, images=ImageFetcher(images or client)))


def _body(**fields: Any) -> bytes:
    return orjson.dumps({"model": "public-name", "messages": [{"role": "user", "content": "hi"}], **fields})


async def _sent(
    kind: str, body: bytes, *, stream: bool = False, policy: ParamPolicy = ParamPolicy.REJECT, **options: Any
) -> dict[str, Any]:
    request = await _build(kind, body, stream=stream, policy=policy, **options)
    sent: dict[str, Any] = orjson.loads(request.content)
    return sent


async def _build(
    kind: str, body: bytes, *, stream: bool = False, policy: ParamPolicy = ParamPolicy.REJECT, **options: Any
) -> UpstreamRequest:
    call = ChatCall(body=body, upstream_model="upstream-model", stream=stream, policy=policy)
    return await _adapter(kind, **options).build_chat(call)


async def _refused(kind: str, body: bytes, policy: ParamPolicy = ParamPolicy.REJECT) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        await _build(kind, body, policy=policy)
    assert caught.value.status == 400
    return caught.value


# --- where requests go and how they authenticate ----------------------------------------


@pytest.mark.parametrize("kind", sorted(DEFAULT_CHAT_URLS))
async def test_a_preset_sends_to_its_default_base_url_with_a_bearer_key(kind: str) -> None:
    request = await _build(kind, _body())

    assert request.url == DEFAULT_CHAT_URLS[kind]
    assert request.headers["authorization"] == "Bearer sk-preset-upstream"
    assert orjson.loads(request.content)["model"] == "upstream-model"


@pytest.mark.parametrize("kind", sorted(PRESETS))
async def test_a_configured_base_url_replaces_the_default(kind: str) -> None:
    request = await _build(kind, _body(), base_url="https://gateway.example/proxy/v1/")
    assert request.url == "https://gateway.example/proxy/v1/chat/completions"


@pytest.mark.parametrize("kind", ["ollama", "vllm", "tgi"])
async def test_a_local_server_needs_no_key_and_gets_no_authorization_header(kind: str) -> None:
    request = await _build(kind, _body(), api_key=None)
    assert "authorization" not in request.headers


@pytest.mark.parametrize("kind", sorted(DEFAULT_CHAT_URLS.keys() - {"ollama"}))
def test_a_hosted_preset_without_a_key_stops_at_start(kind: str) -> None:
    with pytest.raises(ConfigError, match="needs api_key"):
        _adapter(kind, api_key=None)


@pytest.mark.parametrize("kind", SELF_HOSTED)
def test_a_self_hosted_server_without_a_base_url_stops_at_start(kind: str) -> None:
    provider = ProviderConfig(name="local", type=kind)  # type: ignore[arg-type]
    client = httpx.AsyncClient()
    with pytest.raises(ConfigError, match="needs base_url"):
        PresetAdapter(provider, AdapterServices(http=client, images=ImageFetcher(client)))


def test_the_preset_table_agrees_with_the_config_rules() -> None:
    assert {kind for kind, preset in PRESETS.items() if preset.default_base_url is None} == (
        BASE_URL_REQUIRED & PRESETS.keys()
    )
    assert {
        kind for kind, preset in PRESETS.items() if preset.api_key_required
    } == API_KEY_REQUIRED & PRESETS.keys()
    assert set(PRESETS) == {*DEFAULT_CHAT_URLS, *SELF_HOSTED}


# --- Mistral ------------------------------------------------------------------------------


async def test_mistral_gets_its_own_names_for_seed_and_the_token_limit() -> None:
    body = _body(
        messages=[{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        seed=7,
        max_completion_tokens=64,
        n=2,
        safe_prompt=True,
    )

    sent = await _sent("mistral", body)

    assert sent["random_seed"] == 7 and "seed" not in sent
    assert sent["max_tokens"] == 64 and "max_completion_tokens" not in sent
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    # n and Mistral's own safe_prompt are Mistral fields: they go through.
    assert sent["n"] == 2 and sent["safe_prompt"] is True


async def test_mistral_streams_without_stream_options() -> None:
    sent = await _sent("mistral", _body(stream=True, stream_options={"include_usage": True}), stream=True)
    assert sent["stream"] is True and "stream_options" not in sent


@pytest.mark.parametrize("param", ["logprobs", "user", "service_tier"])
async def test_mistral_refuses_an_openai_only_parameter_by_name(param: str) -> None:
    value = {"logprobs": True, "user": "u-1", "service_tier": "flex"}[param]
    error = await _refused("mistral", _body(**{param: value}))
    assert error.param == param and param in error.message


async def test_mistral_leaves_out_openai_only_parameters_under_the_drop_policy() -> None:
    body = _body(logprobs=True, top_logprobs=3, user="u-1", logit_bias=None, temperature=0.3)
    sent = await _sent("mistral", body, policy=ParamPolicy.DROP)
    assert not {"logprobs", "top_logprobs", "user", "logit_bias"} & sent.keys()
    assert sent["temperature"] == 0.3


async def test_a_parameter_set_to_null_is_never_sent_to_a_provider_that_lacks_it() -> None:
    sent = await _sent("mistral", _body(logprobs=None, user=None))
    assert "logprobs" not in sent and "user" not in sent


async def test_mistral_refuses_message_names_or_drops_them() -> None:
    messages = [
        {"role": "system", "content": "s", "name": None},
        {"role": "user", "content": "hi", "name": "ann"},
    ]

    error = await _refused("mistral", _body(messages=messages))
    dropped = await _sent("mistral", _body(messages=messages), policy=ParamPolicy.DROP)

    assert error.param == "messages[1].name"
    assert dropped["messages"] == [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]


async def test_mistral_embeddings_name_the_dimension_its_way() -> None:
    call = EmbeddingsCall(
        body=orjson.dumps({"model": "e", "input": ["a"], "dimensions": 256}), upstream_model="mistral-embed"
    )
    request = await _adapter("mistral").build_embeddings(call)

    assert request.url == "https://api.mistral.ai/v1/embeddings"
    assert orjson.loads(request.content) == {
        "model": "mistral-embed",
        "input": ["a"],
        "output_dimension": 256,
    }


# --- Groq ---------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", list(ParamPolicy))
async def test_groq_refuses_more_than_one_choice_whatever_the_policy(policy: ParamPolicy) -> None:
    error = await _refused("groq", _body(n=3), policy)
    assert error.param == "n" and error.code == "unsupported_value"


async def test_groq_gets_no_n_of_one_and_keeps_the_usage_request_in_streams() -> None:
    sent = await _sent("groq", _body(n=1, max_completion_tokens=10), stream=True)
    assert "n" not in sent and sent["max_completion_tokens"] == 10
    assert sent["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("param", ["logprobs", "logit_bias", "top_logprobs"])
async def test_groq_refuses_what_its_compatibility_page_lists(param: str) -> None:
    value = {"logprobs": True, "logit_bias": {"50256": -100}, "top_logprobs": 2}[param]
    assert (await _refused("groq", _body(**{param: value}))).param == param
    assert param not in await _sent("groq", _body(**{param: value}), policy=ParamPolicy.DROP)


async def test_groq_refuses_message_names() -> None:
    error = await _refused("groq", _body(messages=[{"role": "user", "content": "hi", "name": "ann"}]))
    assert error.param == "messages[0].name"


async def test_groq_has_no_embeddings() -> None:
    call = EmbeddingsCall(body=b'{"model": "e", "input": "a"}', upstream_model="e")
    with pytest.raises(GatewayError) as caught:
        await _adapter("groq").build_embeddings(call)
    assert caught.value.status == 400 and caught.value.code == "unsupported_operation"


# --- DeepSeek -----------------------------------------------------------------------------


async def test_deepseek_takes_max_tokens_and_keeps_usage_in_streams() -> None:
    sent = await _sent("deepseek", _body(max_completion_tokens=100, parallel_tool_calls=True), stream=True)
    assert sent["max_tokens"] == 100 and "max_completion_tokens" not in sent
    assert "parallel_tool_calls" not in sent
    assert sent["stream_options"] == {"include_usage": True}


async def test_deepseek_refuses_images_and_json_schema_whatever_the_policy() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    with_image = _body(messages=[{"role": "user", "content": [{"type": "text", "text": "look"}, image]}])
    schema = {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"}}}

    assert (await _refused("deepseek", with_image, ParamPolicy.DROP)).param == "messages[0].content[1]"
    assert (
        await _refused("deepseek", _body(response_format=schema), ParamPolicy.DROP)
    ).param == "response_format"
    sent = await _sent("deepseek", _body(response_format={"type": "json_object"}))
    assert sent["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize(
    ("param", "value"), [("seed", 1), ("parallel_tool_calls", False), ("logit_bias", {"1": 1})]
)
async def test_deepseek_refuses_parameters_its_api_does_not_define(param: str, value: Any) -> None:
    assert (await _refused("deepseek", _body(**{param: value}))).param == param


# --- Ollama -------------------------------------------------------------------------------


async def test_ollama_fetches_image_urls_into_data_urls() -> None:
    def serve(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "http://images.test/cat.png"
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})

    images = httpx.AsyncClient(transport=httpx.MockTransport(serve))
    parts = [
        {"type": "text", "text": "two cats"},
        {"type": "image_url", "image_url": {"url": "http://images.test/cat.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/"}},
    ]

    sent = await _sent("ollama", _body(messages=[{"role": "user", "content": parts}]), images=images)

    inlined = sent["messages"][0]["content"]
    assert inlined[1]["image_url"] == {
        "url": "data:image/png;base64,iVBORw0KGgogZmFrZSBwbmcgYnl0ZXM=",
        "detail": "low",
    }
    assert inlined[2] == parts[2]


async def test_ollama_takes_tool_choice_auto_as_its_default_and_refuses_the_others() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]

    auto = await _sent("ollama", _body(tools=tools, tool_choice="auto", max_completion_tokens=5))
    error = await _refused("ollama", _body(tools=tools, tool_choice="required"))
    dropped = await _sent("ollama", _body(tools=tools, tool_choice="required"), policy=ParamPolicy.DROP)

    assert "tool_choice" not in auto and auto["max_tokens"] == 5 and auto["tools"] == tools
    assert error.param == "tool_choice"
    assert "tool_choice" not in dropped


async def test_ollama_embeddings_refuse_user() -> None:
    body = orjson.dumps({"model": "e", "input": "a", "user": "u"})
    with pytest.raises(GatewayError) as caught:
        await _adapter("ollama").build_embeddings(
            EmbeddingsCall(body=body, upstream_model="nomic-embed-text")
        )
    assert caught.value.param == "user"


# --- presets without request quirks -------------------------------------------------------


@pytest.mark.parametrize("kind", ["together", "fireworks", "openrouter", "xai", "vllm"])
async def test_a_preset_without_quirks_passes_openai_requests_through(kind: str) -> None:
    body = _body(seed=3, n=2, logprobs=True, max_completion_tokens=9, user="u", vendor_extra={"k": 1})
    sent = await _sent(kind, body, stream=True)
    assert {k: sent[k] for k in ("seed", "n", "logprobs", "max_completion_tokens", "user", "vendor_extra")} == {
        "seed": 3, "n": 2, "logprobs": True, "max_completion_tokens": 9, "user": "u", "vendor_extra": {"k": 1},
    }  # fmt: skip
    assert sent["stream_options"] == {"include_usage": True}


async def test_tgi_takes_max_tokens() -> None:
    sent = await _sent("tgi", _body(max_completion_tokens=12))
    assert sent["max_tokens"] == 12 and "max_completion_tokens" not in sent


# --- usage in streams ---------------------------------------------------------------------


def _translate(kind: str, fixture: str, include_usage: bool) -> tuple[list[bytes], Any]:
    raw = (FIXTURES / fixture).read_bytes()
    translator = _adapter(kind).chat_stream(include_usage, "upstream-model")
    out = [p for i in range(0, len(raw), 11) for p in translator.feed(raw[i : i + 11])]
    out += translator.finish()
    return out, translator.usage


def test_usage_beside_the_last_choice_becomes_a_usage_chunk_of_its_own() -> None:
    payloads, usage = _translate("mistral", "mistral_stream_inline_usage.sse", include_usage=True)

    chunks = [openai.types.chat.ChatCompletionChunk.model_validate_json(p) for p in payloads]
    assert [c.choices[0].finish_reason for c in chunks[:-1]] == [None, None, "stop"]
    assert chunks[2].usage is None
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (10, 3)
    assert chunks[-1].id == chunks[0].id
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (10, 3, 13)


def test_usage_is_metered_but_not_sent_when_the_client_did_not_ask() -> None:
    payloads, usage = _translate("mistral", "mistral_stream_inline_usage.sse", include_usage=False)
    assert len(payloads) == 3 and all(b'"usage"' not in p for p in payloads)
    assert usage.total_tokens == 13


def test_groq_usage_in_x_groq_is_metered() -> None:
    payloads, usage = _translate("groq", "groq_stream_x_groq_usage.sse", include_usage=False)
    assert len(payloads) == 3
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (38, 4, 42)


# --- response ids -------------------------------------------------------------------------


def test_a_provider_id_without_the_openai_prefix_gets_it_in_answers() -> None:
    answer = orjson.dumps(
        {
            "id": "930c60df-bf64-41c9-a88e-3ec75f81e00e",
            "object": "chat.completion",
            "created": 1705651092,
            "model": "deepseek-chat",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 16, "completion_tokens": 10, "total_tokens": 26},
        }
    )

    result = _adapter("deepseek").parse_chat(answer, "deepseek-chat")

    completion = openai.types.chat.ChatCompletion.model_validate_json(result.body)
    assert completion.id == "chatcmpl-930c60df-bf64-41c9-a88e-3ec75f81e00e"
    assert completion.choices[0].message.content == "Hi" and result.usage.total_tokens == 26


def test_an_openai_style_id_is_passed_through_untouched() -> None:
    answer = b'{"id":"chatcmpl-7","object":"chat.completion","created":1,"model":"m","choices":[]}'
    assert _adapter("groq").parse_chat(answer, "m").body == answer


def test_stream_chunk_ids_get_the_openai_prefix() -> None:
    payloads, _ = _translate("mistral", "mistral_stream_inline_usage.sse", include_usage=True)
    ids = {openai.types.chat.ChatCompletionChunk.model_validate_json(p).id for p in payloads}
    assert ids == {"chatcmpl-cmpl-e5cc70bb28c444948073e77776eb30ef"}
