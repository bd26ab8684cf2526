"""The MeteringService RPCs: thin handlers over a RateLimiter and a UsageStore."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aigw.metering.v1 import metering_pb2, metering_pb2_grpc
from aigw_metering.limiter import RateLimiter
from aigw_metering.usage import UsageEvent, check_batch_size, validate_batch
from aigw_metering.usage_store import UsageStore
from aigw_runtime.clock import Clock, SystemClock
from aigw_runtime.errors import InvalidRequestError, to_detail
from aigw_runtime.multiplex import MultiplexServer
from aigw_runtime.servicer import Context, unary_errors

_UNLIMITED = metering_pb2.AdmitResponse(allowed=True)
ADMIT_METHOD = "/aigw.metering.v1.MeteringService/Admit"


def _usage_event(message: metering_pb2.UsageEvent, received_at: datetime) -> UsageEvent:
    usage = message.usage
    created_at = message.created_at.ToDatetime(tzinfo=UTC) if message.HasField("created_at") else received_at
    return UsageEvent(
        request_id=message.request_id,
        key_id=message.key_id,
        model=message.model,
        provider=message.provider,
        deployment=message.deployment,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
        cached_tokens=usage.cached_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        latency_ms=message.latency_ms,
        status_code=message.status_code,
        cache_hit=message.cache_hit,
        stream=message.stream,
        created_at=created_at,
    )


class MeteringServicer(metering_pb2_grpc.MeteringServiceServicer):
    """Admission per key, and usage events in and totals out; errors become statuses via unary_errors."""

    def __init__(
        self, limiter: RateLimiter, usage: UsageStore, clock: Clock | None = None, *, tracing: bool = False
    ) -> None:
        self._limiter = limiter
        self._usage = usage
        self._clock = clock or SystemClock()
        self.multiplexed: MultiplexServer[metering_pb2.AdmitManyRequest, metering_pb2.AdmitManyResponse] = (
            MultiplexServer(
                self._admit_one,
                lambda envelope: envelope.WhichOneof("kind") == "cancel",
                lambda envelope, error: metering_pb2.AdmitManyResponse(
                    call_id=envelope.call_id, error=to_detail(error)
                ),
                traced_method=ADMIT_METHOD if tracing else None,
                trace_context=lambda envelope: envelope.trace_context,
            )
        )

    @unary_errors
    async def Admit(self, request: metering_pb2.AdmitRequest, context: Context) -> metering_pb2.AdmitResponse:
        return await self._admit(request)

    async def AdmitMany(
        self, request_iterator: AsyncIterator[metering_pb2.AdmitManyRequest], context: Context
    ) -> AsyncIterator[metering_pb2.AdmitManyResponse]:
        async for envelope in self.multiplexed.serve(request_iterator):
            yield envelope

    async def _admit_one(self, envelope: metering_pb2.AdmitManyRequest) -> metering_pb2.AdmitManyResponse:
        return metering_pb2.AdmitManyResponse(
            call_id=envelope.call_id, response=await self._admit(envelope.request)
        )

    async def _admit(self, request: metering_pb2.AdmitRequest) -> metering_pb2.AdmitResponse:
        limit = request.rpm_limit
        if limit == 0:
            return _UNLIMITED
        if limit < 0:
            raise InvalidRequestError("rpm_limit must be 0 (unlimited) or positive", param="rpm_limit")
        if not request.key_id:
            raise InvalidRequestError("key_id must not be empty", param="key_id")
        decision = await self._limiter.admit(request.key_id, limit)
        return metering_pb2.AdmitResponse(
            allowed=decision.allowed,
            retry_after_s=decision.retry_after_s,
            requests=metering_pb2.RateLimitState(
                limit=decision.limit, remaining=decision.remaining, reset_s=decision.reset_s
            ),
        )

    @unary_errors
    async def RecordUsage(
        self, request: metering_pb2.RecordUsageRequest, context: Context
    ) -> metering_pb2.RecordUsageResponse:
        # Checked first so that an oversized batch is refused before it is converted.
        check_batch_size(len(request.events))
        received_at = datetime.fromtimestamp(self._clock.now(), UTC)
        events = [_usage_event(message, received_at) for message in request.events]
        validate_batch(events)
        return metering_pb2.RecordUsageResponse(stored=await self._usage.record(events))

    @unary_errors
    async def GetUsageSummary(
        self, request: metering_pb2.GetUsageSummaryRequest, context: Context
    ) -> metering_pb2.GetUsageSummaryResponse:
        totals = await self._usage.summary(request.key_id or None)
        return metering_pb2.GetUsageSummaryResponse(
            totals=[
                metering_pb2.UsageTotal(
                    key_id=total.key_id,
                    model=total.model,
                    requests=total.requests,
                    prompt_tokens=total.prompt_tokens,
                    completion_tokens=total.completion_tokens,
                    total_tokens=total.total_tokens,
                    errors=total.errors,
                    cache_hits=total.cache_hits,
                )
                for total in totals
            ]
        )
