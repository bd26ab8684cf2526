"""Every preset of `openai-compatible` through the running suite, driven with the official `openai` SDK.

Each preset's provider points at the fake provider's OpenAI API (its quirks
are rewrites of OpenAI's body, so the fake's strict OpenAI checks see what the
preset sends); the client sees OpenAI's API whatever the preset: answers,
streams, tool calls, images and embeddings where the preset offers them, and
a clear 400 where it does not.
"""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from aigw_router.adapters.presets import PRESETS, ImageInput
from chat_samples import PNG_DATA_URL, WEATHER
from harness import FAKE_KEY, FakeProvider, Gateway

_PROVIDERS = "\n".join(
    f"  - {{{{name: {kind}, type: {kind}, base_url: '{{fake_url}}/v1', api_key: env:FAKE_UPSTREAM_KEY, "
    f"timeout_s: 5, image_fetch: {{{{allow_http: true, allow_private_addresses: true}}}}}}}}"
    for kind in PRESETS
)
_MODELS = "\n".join(
    f"  - {{{{name: {kind}, deployments: [{{{{provider: {kind}, model: {kind}-model}}}}]}}}}"
    for kind in PRESETS
)
SUITE_CONFIG = f"providers:\n{_PROVIDERS}\nmodels:\n{_MODELS}\n"
HELLO: Any = [{"role": "user", "content": "hello from a preset"}]
WITH_IMAGES = [kind for kind, preset in PRESETS.items() if preset.images is not ImageInput.NONE]
WITH_EMBEDDINGS = [kind for kind, preset in PRESETS.items() if preset.embeddings]


def _sent(fake: FakeProvider) -> dict[str, Any]:
    (request,) = fake.requests()
    assert request["headers"]["authorization"] == f"Bearer {FAKE_KEY}"
    return request


@pytest.mark.parametrize("kind", list(PRESETS))
def test_a_chat_answer_comes_back_from_every_preset(
    suite_client: openai.OpenAI, suite_fake: FakeProvider, kind: str
) -> None:
    answer = suite_client.chat.completions.create(model=kind, messages=HELLO, max_completion_tokens=50)

    assert answer.choices[0].message.content == "Echo: hello from a preset"
    assert answer.usage is not None and answer.usage.total_tokens > 0
    sent = _sent(suite_fake)
    assert sent["path"] == "/v1/chat/completions" and sent["body"]["model"] == f"{kind}-model"


@pytest.mark.parametrize("kind", list(PRESETS))
def test_a_stream_comes_back_from_every_preset(suite_client: openai.OpenAI, kind: str) -> None:
    stream = suite_client.chat.completions.create(model=kind, messages=HELLO, stream=True)

    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)

    assert text == "Echo: hello from a preset"


@pytest.mark.parametrize("kind", list(PRESETS))
def test_every_preset_calls_tools(suite_client: openai.OpenAI, kind: str) -> None:
    messages: Any = [{"role": "user", "content": "weather in Paris"}]

    answer = suite_client.chat.completions.create(model=kind, messages=messages, tools=[WEATHER])

    (call,) = answer.choices[0].message.tool_calls or []
    assert answer.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and isinstance(json.loads(call.function.arguments), dict)


@pytest.mark.parametrize("kind", WITH_IMAGES)
def test_an_image_reaches_every_preset_that_takes_images(
    suite_client: openai.OpenAI, suite_fake: FakeProvider, suite_gateway: Gateway, kind: str
) -> None:
    url = f"{suite_gateway.fake.url}/_fake/images/cat.png"
    content: Any = [{"type": "text", "text": "what is it"}, {"type": "image_url", "image_url": {"url": url}}]

    answer = suite_client.chat.completions.create(model=kind, messages=[{"role": "user", "content": content}])

    assert answer.choices[0].message.content
    sent_url = _sent(suite_fake)["body"]["messages"][0]["content"][1]["image_url"]["url"]
    # A preset that takes data URLs only gets the bytes the gateway fetched.
    fetched = PRESETS[kind].images is ImageInput.DATA_URLS
    assert sent_url.startswith("data:image/png;base64,") if fetched else sent_url == url


def test_a_preset_without_images_refuses_them_before_sending(
    suite_client: openai.OpenAI, suite_fake: FakeProvider
) -> None:
    content: Any = [{"type": "image_url", "image_url": {"url": PNG_DATA_URL}}]

    with pytest.raises(openai.BadRequestError) as refused:
        suite_client.chat.completions.create(
            model="deepseek", messages=[{"role": "user", "content": content}]
        )

    assert refused.value.status_code == 400 and suite_fake.requests() == []


@pytest.mark.parametrize("kind", WITH_EMBEDDINGS)
def test_embeddings_come_back_from_every_preset_that_has_them(
    suite_client: openai.OpenAI, suite_fake: FakeProvider, kind: str
) -> None:
    result = suite_client.embeddings.create(model=kind, input=["one", "two"])

    assert [item.index for item in result.data] == [0, 1]
    assert _sent(suite_fake)["path"] == "/v1/embeddings"


@pytest.mark.parametrize("kind", sorted(set(PRESETS) - set(WITH_EMBEDDINGS)))
def test_a_preset_without_embeddings_says_so(suite_client: openai.OpenAI, kind: str) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        suite_client.embeddings.create(model=kind, input="one")

    assert "does not support embeddings" in refused.value.message
