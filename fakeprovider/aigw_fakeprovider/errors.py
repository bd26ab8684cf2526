"""The errors a fake provider answers with, before any wire protocol shapes them.

A handler raises a `ProviderError`; the protocol that owns the route renders it
in that provider's error envelope (OpenAI's `{"error": {...}}`, Anthropic's
`{"type": "error", ...}`, AWS's `{"message": ...}`, ...). Keeping the fields
neutral lets each protocol module keep its own wording and shape.
"""

from __future__ import annotations

import math


class ProviderError(Exception):
    """A failure the fake provider reports to its client, with everything a wire shape needs."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str,
        param: str | None = None,
        code: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.param = param
        self.code = code
        self.retry_after_s = retry_after_s

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {self.message!r}, param={self.param!r})"


def retry_after(error: ProviderError) -> list[tuple[str, str]]:
    """The standard `retry-after` header, in whole seconds rounded up, when the error says when to retry."""
    if error.retry_after_s is None:
        return []
    return [("retry-after", str(math.ceil(error.retry_after_s)))]


class InvalidRequestError(ProviderError):
    """A 400: the request breaks a rule the real provider enforces."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(400, message, error_type="invalid_request_error", param=param, code=code)
