"""The public gRPC API on the same pipeline, and health and reflection on every service."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import struct_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from aigw.inference.v1 import inference_pb2 as pb
from aigw.inference.v1 import inference_pb2_grpc
from aigw_runtime.errors import from_rpc_error
from harness import Gateway


@pytest.fixture(scope="module")
def key(gateway: Gateway) -> str:
    secret: str = gateway.create_key("grpc", models=["chat", "faulty"])["key"]
    return secret


def _request(text: str, **fields: object) -> pb.ChatCompleteRequest:
    return pb.ChatCompleteRequest(model="chat", messages=[pb.Message(role="user", text=text)], **fields)  # type: ignore[arg-type]


async def _unary(
    gateway: Gateway, request: pb.ChatCompleteRequest, key: str
) -> tuple[pb.ChatCompleteResponse, dict[str, str]]:
    async with grpc.aio.insecure_channel(gateway.grpc_addr) as channel:
        call = inference_pb2_grpc.InferenceServiceStub(channel).ChatComplete(
            request, metadata=(("authorization", f"Bearer {key}"),), timeout=10
        )
        response = await call
        return response, dict(await call.initial_metadata())


def test_a_typed_chat_answers_with_usage_and_request_id(gateway: Gateway, key: str) -> None:
    response, metadata = asyncio.run(_unary(gateway, _request("hello grpc"), key))

    assert response.choices[0].message.text == "Echo: hello grpc"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens > 0
    assert metadata["x-aigw-request-id"].startswith("req_")


def test_typed_tools_come_back_as_tool_calls(gateway: Gateway, key: str) -> None:
    parameters = struct_pb2.Struct()
    parameters.update({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    request = _request(
        "weather?",
        tools=[
            pb.Tool(
                type="function", function=pb.FunctionDefinition(name="get_weather", parameters=parameters)
            )
        ],
        tool_choice=pb.ToolChoice(function_name="get_weather"),
    )

    response, _ = asyncio.run(_unary(gateway, request, key))

    call = response.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and call.id
    assert response.choices[0].finish_reason == "tool_calls"


def test_a_typed_stream_yields_chunks_and_usage(gateway: Gateway, key: str) -> None:
    async def run() -> list[pb.ChatCompleteStreamResponse]:
        async with grpc.aio.insecure_channel(gateway.grpc_addr) as channel:
            stub = inference_pb2_grpc.InferenceServiceStub(channel)
            request = _request("a b c", stream_options=pb.StreamOptions(include_usage=True))
            return [
                c
                async for c in stub.ChatCompleteStream(
                    request, metadata=(("authorization", f"Bearer {key}"),)
                )
            ]

    chunks = asyncio.run(run())

    assert "".join(c.choices[0].delta.content for c in chunks if c.choices) == "Echo: a b c"
    assert chunks[-1].usage.completion_tokens == 4


@pytest.mark.parametrize(
    ("key_value", "model", "code", "status"),
    [
        ("sk-aigw-wrong", "chat", grpc.StatusCode.UNAUTHENTICATED, 401),
        (None, "private", grpc.StatusCode.NOT_FOUND, 404),
    ],
)
def test_errors_are_grpc_statuses_with_the_gateway_detail(
    gateway: Gateway, key: str, key_value: str | None, model: str, code: grpc.StatusCode, status: int
) -> None:
    request = pb.ChatCompleteRequest(model=model, messages=[pb.Message(role="user", text="x")])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        asyncio.run(_unary(gateway, request, key_value or key))

    assert caught.value.code() == code
    assert from_rpc_error(caught.value).status == status


def test_a_missing_message_field_is_invalid_argument(gateway: Gateway, key: str) -> None:
    request = pb.ChatCompleteRequest(model="chat", messages=[pb.Message(role="tool", text="orphan")])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        asyncio.run(_unary(gateway, request, key))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert from_rpc_error(caught.value).param == "messages[0].tool_call_id"


def test_a_broken_upstream_stream_ends_with_an_error_status(gateway: Gateway, key: str) -> None:
    gateway.fake.knobs(model="faulty-model", fault="drop", drop_after_chunks=2)

    async def run() -> tuple[int, grpc.aio.AioRpcError]:
        received = 0
        async with grpc.aio.insecure_channel(gateway.grpc_addr) as channel:
            stub = inference_pb2_grpc.InferenceServiceStub(channel)
            request = pb.ChatCompleteRequest(
                model="faulty", messages=[pb.Message(role="user", text="a b c d")]
            )
            try:
                async for _ in stub.ChatCompleteStream(
                    request, metadata=(("authorization", f"Bearer {key}"),)
                ):
                    received += 1
            except grpc.aio.AioRpcError as error:
                return received, error
        raise AssertionError("the stream ended cleanly")

    received, error = asyncio.run(run())
    assert received == 2
    assert error.code() == grpc.StatusCode.UNAVAILABLE and from_rpc_error(error).status == 502


async def _reflected_services(address: str) -> list[str]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        async for answer in stub.ServerReflectionInfo(iter([request])):
            return sorted(s.name for s in answer.list_services_response.service)
    return []


def test_every_service_lists_itself_by_reflection_and_is_healthy(gateway: Gateway) -> None:
    expected = {
        "edge": "aigw.inference.v1.InferenceService",
        "auth": "aigw.auth.v1.AuthService",
        "router": "aigw.router.v1.RouterService",
        "cache": "aigw.cache.v1.CacheService",
        "metering": "aigw.metering.v1.MeteringService",
    }
    sockets = {line.split()[-1] for line in gateway.log if "serving aigw." in line}
    addresses = {
        name: next(a for a in sockets if a.endswith(f"/{name}.sock")) for name in expected if name != "edge"
    }
    addresses["edge"] = gateway.grpc_addr

    async def check() -> None:
        for name, address in addresses.items():
            services = await _reflected_services(address)
            assert expected[name] in services and "grpc.health.v1.Health" in services
            async with grpc.aio.insecure_channel(address) as channel:
                health = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
                assert health.status == health_pb2.HealthCheckResponse.SERVING

    asyncio.run(check())


def test_the_grpc_api_enforces_the_same_rate_limit(gateway: Gateway) -> None:
    limited: str = gateway.create_key("grpc-limited", rpm_limit=1)["key"]

    async def twice() -> grpc.aio.AioRpcError:
        await _unary(gateway, _request("first"), limited)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _unary(gateway, _request("second"), limited)
        return caught.value

    error = asyncio.run(twice())
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert from_rpc_error(error).retry_after_s is not None
