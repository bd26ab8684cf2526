"""MeteringService over a real gRPC channel, wired as server.py wires it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from aigw.common.v1 import common_pb2
from aigw.metering.v1 import metering_pb2, metering_pb2_grpc
from aigw_metering.limiter import MemoryRateLimiter
from aigw_metering.server import SERVICE_NAME, build_host
from aigw_metering.service import MeteringServicer
from aigw_metering.usage_store import UsageStore
from aigw_runtime.errors import from_rpc_error
from aigw_runtime.grpc_client import open_channel
from aigw_runtime.telemetry import Telemetry

NO_TELEMETRY = Telemetry(enabled=False, provider=None)


@pytest.fixture
async def channel(sqlite_engine: AsyncEngine, clock: Any, free_port: int) -> AsyncIterator[grpc.aio.Channel]:
    servicer = MeteringServicer(MemoryRateLimiter(clock), UsageStore(sqlite_engine), clock)
    host = build_host(f"127.0.0.1:{free_port}", NO_TELEMETRY, servicer)
    await host.start()
    channel = open_channel(f"127.0.0.1:{free_port}", NO_TELEMETRY)
    yield channel
    await channel.close()
    await host.stop(0)


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> metering_pb2_grpc.MeteringServiceStub:
    return metering_pb2_grpc.MeteringServiceStub(channel)


def _event(request_id: str, **fields: Any) -> metering_pb2.UsageEvent:
    usage = common_pb2.Usage(prompt_tokens=10, completion_tokens=5, total_tokens=15)
    defaults: dict[str, Any] = {
        "key_id": "key-a",
        "model": "gpt-4o",
        "provider": "openai",
        "status_code": 200,
        "usage": usage,
    }
    return metering_pb2.UsageEvent(request_id=request_id, **(defaults | fields))


async def _error(call: Any) -> tuple[grpc.StatusCode, int, str | None, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    error = from_rpc_error(caught.value)
    return caught.value.code(), error.status, error.param, error.message


async def test_admit_allows_within_the_limit_with_its_state(stub: Any) -> None:
    response = await stub.Admit(metering_pb2.AdmitRequest(key_id="key-a", model="gpt-4o", rpm_limit=2))

    assert response.allowed is True
    assert response.retry_after_s == 0.0
    assert response.HasField("requests")
    assert (response.requests.limit, response.requests.remaining, response.requests.reset_s) == (2, 1, 30.0)


async def test_admit_refuses_over_the_limit_with_retry_after(stub: Any, clock: Any) -> None:
    request = metering_pb2.AdmitRequest(key_id="key-a", model="gpt-4o", rpm_limit=2)
    await stub.Admit(request)
    await stub.Admit(request)

    refused = await stub.Admit(request)
    clock.advance(30.0)
    later = await stub.Admit(request)

    assert refused.allowed is False
    assert refused.retry_after_s == 30.0
    assert (refused.requests.limit, refused.requests.remaining, refused.requests.reset_s) == (2, 0, 60.0)
    assert later.allowed is True


async def test_admit_of_an_unlimited_key_has_no_rate_limit_state(stub: Any) -> None:
    response = await stub.Admit(metering_pb2.AdmitRequest(key_id="key-a", model="gpt-4o", rpm_limit=0))

    assert response.allowed is True
    assert response.HasField("requests") is False


@pytest.mark.parametrize(
    ("request_fields", "param"),
    [({"key_id": "key-a", "rpm_limit": -1}, "rpm_limit"), ({"key_id": "", "rpm_limit": 5}, "key_id")],
)
async def test_admit_rejects_a_bad_request(stub: Any, request_fields: dict[str, Any], param: str) -> None:
    code, status, error_param, _ = await _error(stub.Admit(metering_pb2.AdmitRequest(**request_fields)))

    assert (code, status, error_param) == (grpc.StatusCode.INVALID_ARGUMENT, 400, param)


async def test_record_usage_then_summary(stub: Any) -> None:
    created_at = Timestamp(seconds=1_735_787_045)
    events = [
        _event("req-1", created_at=created_at),
        _event("req-2", status_code=502, cache_hit=True),
        _event("req-3", key_id="key-b", model="claude", stream=True, latency_ms=900),
    ]

    first = await stub.RecordUsage(metering_pb2.RecordUsageRequest(events=events))
    second = await stub.RecordUsage(metering_pb2.RecordUsageRequest(events=events))
    everything = await stub.GetUsageSummary(metering_pb2.GetUsageSummaryRequest())
    only_b = await stub.GetUsageSummary(metering_pb2.GetUsageSummaryRequest(key_id="key-b"))

    assert (first.stored, second.stored) == (3, 0)
    assert list(everything.totals) == [
        metering_pb2.UsageTotal(
            key_id="key-a",
            model="gpt-4o",
            requests=2,
            prompt_tokens=20,
            completion_tokens=10,
            total_tokens=30,
            errors=1,
            cache_hits=1,
        ),
        metering_pb2.UsageTotal(
            key_id="key-b",
            model="claude",
            requests=1,
            prompt_tokens=10,
            completion_tokens=5,
            total_tokens=15,
            errors=0,
            cache_hits=0,
        ),
    ]
    assert [total.key_id for total in only_b.totals] == ["key-b"]


@pytest.mark.parametrize(
    ("bad_event", "param"),
    [
        (_event(""), "events[1].request_id"),
        (_event("req-x", key_id=""), "events[1].key_id"),
        (_event("req-x", usage=common_pb2.Usage(prompt_tokens=-1)), "events[1].usage.prompt_tokens"),
        (_event("req-x", usage=common_pb2.Usage(reasoning_tokens=-3)), "events[1].usage.reasoning_tokens"),
        (_event("r" * 129), "events[1].request_id"),
        (_event("req-x", latency_ms=-1), "events[1].latency_ms"),
    ],
)
async def test_record_usage_rejects_an_invalid_event_and_stores_none_of_the_batch(
    stub: Any, bad_event: metering_pb2.UsageEvent, param: str
) -> None:
    request = metering_pb2.RecordUsageRequest(events=[_event("req-ok"), bad_event])

    code, status, error_param, message = await _error(stub.RecordUsage(request))
    summary = await stub.GetUsageSummary(metering_pb2.GetUsageSummaryRequest())

    assert (code, status, error_param) == (grpc.StatusCode.INVALID_ARGUMENT, 400, param)
    assert message.startswith(param)
    assert list(summary.totals) == []


async def test_record_usage_refuses_a_batch_over_10000_events(stub: Any) -> None:
    request = metering_pb2.RecordUsageRequest(events=[_event(f"req-{index}") for index in range(10_001)])

    code, status, error_param, message = await _error(stub.RecordUsage(request))

    assert (code, status, error_param) == (grpc.StatusCode.INVALID_ARGUMENT, 400, "events")
    assert "10000" in message


async def test_record_usage_accepts_a_batch_of_exactly_10000_events(stub: Any) -> None:
    request = metering_pb2.RecordUsageRequest(events=[_event(f"req-{index}") for index in range(10_000)])

    response = await stub.RecordUsage(request)

    assert response.stored == 10_000


async def test_health_reports_the_service_serving(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)

    response = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))

    assert response.status == health_pb2.HealthCheckResponse.SERVING
