"""OpenAI's Embeddings request, as a typed msgspec struct (validated at the edge, forwarded unchanged)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from aigw_runtime.errors import InvalidRequestError
from aigw_runtime.openai_chat import decode_body

NonEmptyText = Annotated[str, msgspec.Meta(min_length=1)]
Tokens = Annotated[list[int], msgspec.Meta(min_length=1)]


class EmbeddingsRequest(msgspec.Struct, omit_defaults=True, kw_only=True):
    """`POST /v1/embeddings`: text or token arrays, up to 2048 inputs."""

    model: Annotated[str, msgspec.Meta(min_length=1)]
    # A string, or a list of strings, or of token ids, or of token-id lists
    # (msgspec takes one list type per union: the list's items are checked below).
    input: (
        NonEmptyText
        | Annotated[list[NonEmptyText | int | Tokens], msgspec.Meta(min_length=1, max_length=2048)]
    )
    encoding_format: Literal["float", "base64"] | None = None
    dimensions: Annotated[int, msgspec.Meta(ge=1)] | None = None
    user: str | None = None


_decoder = msgspec.json.Decoder(EmbeddingsRequest)


def decode_embeddings_request(body: bytes) -> EmbeddingsRequest:
    """Decodes and validates a request body; a bad one raises a 400 naming the field."""
    request = decode_body(_decoder, body)
    if isinstance(request.input, list) and len({type(item) for item in request.input}) > 1:
        raise InvalidRequestError(
            "'input' must be a string, or a list of strings, of token ids or of token-id lists, not a mix.",
            param="input",
            code="invalid_value",
        )
    return request
