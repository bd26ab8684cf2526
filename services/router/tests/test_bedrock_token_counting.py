"""The Bedrock adapter, token counts: the Converse input sent to count-tokens, signed like Converse."""

from __future__ import annotations

import orjson
import pytest

from aigw_router.adapters import ChatCall
from aigw_runtime.errors import GatewayError, InvalidRequestError
from bedrock_samples import (
    CLAUDE,
    PROFILE_ARN,
    REGION,
    bedrock_adapter,
    chat_body,
    signature_as_aws_computes_it,
)
from chat_samples import PNG_DATA_URL, WEATHER


async def test_a_count_sends_the_converse_input_to_count_tokens_signed_like_converse() -> None:
    body = chat_body(
        messages=[
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
                ],
            },
        ],
        tools=[WEATHER],
        tool_choice="required",
        max_tokens=50,
        temperature=0.5,
        response_format={"type": "json_schema", "json_schema": {"name": "o", "schema": {"type": "object"}}},
    )
    call = ChatCall(body=body, upstream_model=PROFILE_ARN, stream=False)
    adapter = bedrock_adapter()
    converse = orjson.loads((await adapter.build_chat(call)).content)

    request = await adapter.build_chat_token_count(call)

    assert request.url.startswith(f"https://bedrock-runtime.{REGION}.amazonaws.com/model/arn")
    assert request.url.endswith("/count-tokens")
    assert request.headers["authorization"].split("Signature=")[1] == signature_as_aws_computes_it(request)
    # ConverseTokensRequest counts the input only: no inferenceConfig or outputConfig.
    assert {"inferenceConfig", "outputConfig"} <= set(converse)
    assert orjson.loads(request.content) == {
        "input": {
            "converse": {
                "messages": converse["messages"],
                "system": converse["system"],
                "toolConfig": converse["toolConfig"],
            }
        }
    }


async def test_a_count_is_refused_where_the_converse_call_would_be() -> None:
    call = ChatCall(body=chat_body(seed=3), upstream_model=CLAUDE, stream=False)

    with pytest.raises(InvalidRequestError) as refused:
        await bedrock_adapter().build_chat_token_count(call)

    assert refused.value.param == "seed"


def test_the_count_is_input_tokens_and_an_answer_without_it_is_a_502() -> None:
    adapter = bedrock_adapter()

    assert adapter.parse_chat_token_count(b'{"inputTokens": 17}') == 17
    with pytest.raises(GatewayError) as failed:
        adapter.parse_chat_token_count(b'{"outputTokens": 17}')
    assert failed.value.status == 502
