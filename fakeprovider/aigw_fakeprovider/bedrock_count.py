"""Bedrock Runtime's CountTokens (`POST /model/{modelId}/count-tokens`), counted as the Converse call's input.

The body is checked against the service model's `CountTokens` input: `input`
is a union of `converse` and `invokeModel`, and `converse` (a
`ConverseTokensRequest`) holds only the Converse request's `messages`,
`system`, `toolConfig` and `additionalModelRequestFields` (an
`inferenceConfig` is an extraneous key). `input.converse` then meets
Converse's own conversation rules (`bedrock_converse.py`), so what counts is
what Converse accepts. The answer is `{"inputTokens": N}`: the input tokens
`answers.py` gives the same conversation, which Converse reports as its
`usage.inputTokens`.

Counting an `invokeModel` body (a model family's native request) is not
served: the gateway counts Converse requests only, and the fake models no
native chat bodies, so it is refused with a ValidationException that says so.
"""

from __future__ import annotations

from typing import Any

from aigw_fakeprovider.answers import answer
from aigw_fakeprovider.bedrock_converse import parse_converse
from aigw_fakeprovider.bedrock_shapes import OperationInput, validation_error


def count_tokens_body(body: Any, model: str, shape: OperationInput) -> dict[str, Any]:
    """The CountTokens answer to a JSON body (`shape`: the operation's input), or a ValidationException."""
    shape.check_body(body)
    converse = body["input"].get("converse")
    if converse is None:
        raise validation_error(
            "This fake Bedrock counts Converse inputs only: send the conversation as input.converse."
        )
    return {"inputTokens": answer(parse_converse(converse, model).prompt).prompt_tokens}
