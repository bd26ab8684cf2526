"""`aigw.inference.v1.InferenceService`: typed chat for internal services, same pipeline as HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aigw.inference.v1 import inference_pb2, inference_pb2_grpc
from aigw_edge.context import RequestContext, RequestIds
from aigw_edge.doors import CHAT
from aigw_edge.inference.convert import chunk_from_openai, request_to_openai, response_from_openai
from aigw_edge.pipeline import ChatPipeline
from aigw_runtime.errors import GatewayError
from aigw_runtime.servicer import Context, bearer_token, stream_errors, unary_errors


def _metadata(ctx: RequestContext) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, value in ctx.headers)


class InferenceServicer(inference_pb2_grpc.InferenceServiceServicer):
    def __init__(self, pipeline: ChatPipeline, request_ids: RequestIds) -> None:
        self._pipeline = pipeline
        self._request_ids = request_ids

    @unary_errors
    async def ChatComplete(
        self, request: inference_pb2.ChatCompleteRequest, context: Context
    ) -> inference_pb2.ChatCompleteResponse:
        ctx = RequestContext(request_id=self._request_ids())
        try:
            prepared = await self._pipeline.prepare(
                ctx, CHAT, bearer_token(context), request_to_openai(request, False)
            )
            answer = await self._pipeline.complete(ctx, prepared)
            await context.send_initial_metadata(_metadata(ctx))
            return response_from_openai(answer)
        except GatewayError as error:
            ctx.status = error.status
            context.set_trailing_metadata(_metadata(ctx))
            raise
        finally:
            self._pipeline.finish(ctx)

    @stream_errors
    async def ChatCompleteStream(
        self, request: inference_pb2.ChatCompleteRequest, context: Context
    ) -> AsyncIterator[inference_pb2.ChatCompleteStreamResponse]:
        ctx = RequestContext(request_id=self._request_ids())
        try:
            prepared = await self._pipeline.prepare(
                ctx, CHAT, bearer_token(context), request_to_openai(request, True)
            )
            stream = await self._pipeline.open_stream(ctx, prepared)
            await context.send_initial_metadata(_metadata(ctx))
            async for payloads in stream:
                for payload in payloads:
                    yield chunk_from_openai(payload)
        except GatewayError as error:
            ctx.status = error.status
            context.set_trailing_metadata(_metadata(ctx))
            raise
        finally:
            self._pipeline.finish(ctx)
