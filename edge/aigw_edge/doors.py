"""The front doors: what each model endpoint's body is, and what it asks the router for.

A `Door` decodes and validates a body into the few routing facts the pipeline
needs (model, stream, include_usage); the body itself travels on unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aigw.router.v1 import router_pb2
from aigw_runtime.anthropic_messages import decode_count_tokens_request, decode_messages_request
from aigw_runtime.errors import InvalidRequestError
from aigw_runtime.openai_chat import decode_chat_request
from aigw_runtime.openai_embeddings import decode_embeddings_request


@dataclass(frozen=True, slots=True)
class RoutingFacts:
    model: str
    stream: bool
    include_usage: bool


@dataclass(frozen=True, slots=True)
class Door:
    name: str
    operation: router_pb2.Operation
    decode: Callable[[bytes], RoutingFacts]


def _chat_facts(body: bytes) -> RoutingFacts:
    chat = decode_chat_request(body)
    stream = bool(chat.stream)
    if chat.stream_options is not None and not stream:
        raise InvalidRequestError(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )
    include_usage = bool(stream and chat.stream_options and chat.stream_options.include_usage)
    return RoutingFacts(model=chat.model, stream=stream, include_usage=include_usage)


def _embeddings_facts(body: bytes) -> RoutingFacts:
    return RoutingFacts(model=decode_embeddings_request(body).model, stream=False, include_usage=False)


def _anthropic_messages_facts(body: bytes) -> RoutingFacts:
    request = decode_messages_request(body)
    stream = bool(request.stream)
    # Anthropic's stream always reports usage (message_start and message_delta).
    return RoutingFacts(model=request.model, stream=stream, include_usage=stream)


def _anthropic_count_tokens_facts(body: bytes) -> RoutingFacts:
    return RoutingFacts(model=decode_count_tokens_request(body).model, stream=False, include_usage=False)


CHAT = Door("chat.completions", router_pb2.OPERATION_CHAT_COMPLETIONS, _chat_facts)
EMBEDDINGS = Door("embeddings", router_pb2.OPERATION_EMBEDDINGS, _embeddings_facts)
ANTHROPIC_MESSAGES = Door(
    "anthropic.messages", router_pb2.OPERATION_ANTHROPIC_MESSAGES, _anthropic_messages_facts
)
ANTHROPIC_COUNT_TOKENS = Door(
    "anthropic.count_tokens", router_pb2.OPERATION_ANTHROPIC_COUNT_TOKENS, _anthropic_count_tokens_facts
)
