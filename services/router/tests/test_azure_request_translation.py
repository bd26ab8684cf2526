"""The Azure OpenAI adapter, requests: paths, what each api-version defines, which providers can start."""

from __future__ import annotations

from typing import Any

import pytest

from aigw_router.adapters import ADAPTER_TYPES, ParamPolicy
from aigw_router.adapters.azure import AzureOpenAIAdapter
from aigw_runtime.config import ConfigError
from aigw_runtime.errors import GatewayError
from azure_samples import KEY, RESOURCE, azure_adapter, chat_body, chat_call, entra_fields, sent_chat

# --- paths, headers, bodies -------------------------------------------------------------------


def test_the_adapter_is_registered_for_its_type() -> None:
    assert ADAPTER_TYPES["azure-openai"] is AzureOpenAIAdapter


def test_a_deployment_path_carries_the_deployment_and_api_version_and_no_model() -> None:
    url, headers, sent = sent_chat(
        azure_adapter(), chat_call(chat_body(temperature=0.2, data_sources=[{"type": "azure_search"}]))
    )

    assert url == f"{RESOURCE}/openai/deployments/gpt-4o%20prod/chat/completions?api-version=2024-10-21"
    assert headers["api-key"] == KEY and "authorization" not in headers
    assert "model" not in sent
    assert sent["temperature"] == 0.2 and sent["data_sources"] == [{"type": "azure_search"}]


def test_a_stream_asks_for_usage() -> None:
    _, headers, sent = sent_chat(azure_adapter(), chat_call(chat_body(stream=True), stream=True))

    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert headers["accept"] == "text/event-stream"


def test_the_v1_api_takes_the_deployment_as_the_model_and_no_api_version() -> None:
    adapter = azure_adapter(base_url=f"{RESOURCE}/openai/v1/", api_version=None)

    url, _, sent = sent_chat(adapter, chat_call(chat_body(verbosity="low", store=True)))

    assert url == f"{RESOURCE}/openai/v1/chat/completions"
    assert sent["model"] == "gpt-4o prod"
    assert sent["verbosity"] == "low" and sent["store"] is True


def test_the_v1_api_sends_an_api_version_only_when_configured() -> None:
    adapter = azure_adapter(base_url=f"{RESOURCE}/openai/v1", api_version="preview")

    url, _, _ = sent_chat(adapter, chat_call(chat_body()))

    assert url == f"{RESOURCE}/openai/v1/chat/completions?api-version=preview"


# --- what the api-version defines -------------------------------------------------------------


@pytest.mark.parametrize("name", ["store", "reasoning_effort", "verbosity", "service_tier", "prediction"])
def test_a_parameter_the_ga_api_version_lacks_is_refused_naming_it(name: str) -> None:
    with pytest.raises(GatewayError) as caught:
        sent_chat(azure_adapter(), chat_call(chat_body(**{name: "x"})))

    assert caught.value.status == 400
    assert caught.value.param == name and caught.value.code == "unsupported_parameter"


def test_with_the_drop_policy_those_parameters_are_left_out() -> None:
    _, _, sent = sent_chat(
        azure_adapter(), chat_call(chat_body(store=True, verbosity="low", seed=3), policy=ParamPolicy.DROP)
    )

    assert "store" not in sent and "verbosity" not in sent and sent["seed"] == 3


def test_stream_options_keep_only_what_azure_defines() -> None:
    options = {"include_usage": True, "include_obfuscation": False}

    with pytest.raises(GatewayError) as caught:
        sent_chat(azure_adapter(), chat_call(chat_body(stream=True, stream_options=options), stream=True))
    _, _, sent = sent_chat(
        azure_adapter(),
        chat_call(chat_body(stream=True, stream_options=options), stream=True, policy=ParamPolicy.DROP),
    )

    assert caught.value.param == "stream_options.include_obfuscation"
    assert sent["stream_options"] == {"include_usage": True}


def test_a_later_api_version_defines_more() -> None:
    adapter = azure_adapter(api_version="2025-01-01-preview")

    _, _, sent = sent_chat(
        adapter, chat_call(chat_body(store=True, reasoning_effort="low", modalities=["text"]))
    )

    assert (sent["store"], sent["reasoning_effort"], sent["modalities"]) == (True, "low", ["text"])
    with pytest.raises(GatewayError) as caught:
        sent_chat(adapter, chat_call(chat_body(verbosity="low")))
    assert caught.value.param == "verbosity"


def test_the_developer_role_is_sent_as_system_where_it_does_not_exist() -> None:
    messages = [{"role": "developer", "content": "terse"}, {"role": "user", "content": "hi"}]

    _, _, at_ga = sent_chat(azure_adapter(), chat_call(chat_body(messages=messages)))
    _, _, at_preview = sent_chat(
        azure_adapter(api_version="2024-12-01-preview"), chat_call(chat_body(messages=messages))
    )

    assert at_ga["messages"][0] == {"role": "system", "content": "terse"}
    assert at_preview["messages"][0]["role"] == "developer"


def test_an_image_passes_but_audio_input_is_refused_at_the_ga_version() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}}
    audio = {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}

    _, _, sent = sent_chat(
        azure_adapter(), chat_call(chat_body(messages=[{"role": "user", "content": [image]}]))
    )
    with pytest.raises(GatewayError) as caught:
        sent_chat(
            azure_adapter(), chat_call(chat_body(messages=[{"role": "user", "content": [image, audio]}]))
        )

    assert sent["messages"][0]["content"] == [image]
    assert caught.value.status == 400 and caught.value.param == "messages[0].content[1]"


def test_only_function_tools_go_to_deployment_paths() -> None:
    tools = [{"type": "custom", "custom": {"name": "grammar"}}]

    with pytest.raises(GatewayError) as caught:
        sent_chat(azure_adapter(), chat_call(chat_body(tools=tools)))

    assert caught.value.status == 400 and caught.value.param == "tools[0]"


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"base_url": f"{RESOURCE}/openai"}, "without /openai"),
        ({"api_version": "2024-06-01"}, "older than 2024-10-21"),
        ({"api_version": "latest"}, "is not an Azure OpenAI api-version"),
        (entra_fields(client_id=None), "go together"),
        (entra_fields(api_key="env:AIGW_TEST_AZURE_KEY"), "not both"),
    ],
)
def test_a_provider_that_cannot_work_is_refused_at_start(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        azure_adapter(**fields)
