"""The front doors: what each model endpoint's body is, and what it asks the router for.

A `Door` decodes and validates a body into the few routing facts the pipeline
needs (model, stream, include_usage); the body itself travels on unchanged.
Anthropic's doors also read the `anthropic-beta` header, which goes on to
Claude deployments.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
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
    # Whether the client's `anthropic-beta` header is read and sent on.
    anthropic_beta: bool = False


ANTHROPIC_BETA_HEADER = b"anthropic-beta"
MAX_BETAS = 32
# Anthropic's beta names: `prompt-caching-2024-07-31`, `context-1m-2025-08-07`, ...
_BETA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def anthropic_betas(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, ...]:
    """The beta names of every `anthropic-beta` header (comma-separated lists), in order, once each.

    A name that is not a plain token is a 400: it would go into a header of the
    upstream request.
    """
    names: list[str] = []
    for key, value in headers:
        if key != ANTHROPIC_BETA_HEADER:
            continue
        for item in value.decode("latin-1").split(","):
            name = item.strip()
            if not name or name in names:
                continue
            if not _BETA_NAME.fullmatch(name):
                raise InvalidRequestError(
                    f"Invalid anthropic-beta value: {name[:100]!r}.", param="anthropic-beta"
                )
            names.append(name)
    if len(names) > MAX_BETAS:
        raise InvalidRequestError(
            f"At most {MAX_BETAS} anthropic-beta values are allowed.", param="anthropic-beta"
        )
    return tuple(names)


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
    "anthropic.messages",
    router_pb2.OPERATION_ANTHROPIC_MESSAGES,
    _anthropic_messages_facts,
    anthropic_beta=True,
)
ANTHROPIC_COUNT_TOKENS = Door(
    "anthropic.count_tokens",
    router_pb2.OPERATION_ANTHROPIC_COUNT_TOKENS,
    _anthropic_count_tokens_facts,
    anthropic_beta=True,
)
