"""Helpers the adapters' stream tests share."""

from __future__ import annotations

import pytest

from aigw_router.adapters import StreamTranslator
from aigw_runtime.errors import GatewayError


def until_failure(translator: StreamTranslator, data: bytes) -> tuple[list[bytes], GatewayError]:
    """The payloads a translator delivers from `data`, and the in-stream error it raises after them."""
    delivered: list[bytes] = []
    with pytest.raises(GatewayError) as failed:
        delivered.extend(translator.feed(data))
        translator.finish()
    return delivered, failed.value
