"""The one way aigw opens a gRPC channel to another service."""

from __future__ import annotations

import grpc

from aigw_runtime.grpc_server import MAX_MESSAGE_BYTES
from aigw_runtime.telemetry import Telemetry

CHANNEL_OPTIONS: list[tuple[str, int | str]] = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
    ("grpc.enable_retries", 0),
    # Reconnect quickly after a peer restarts.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]


def open_channel(target: str, telemetry: Telemetry) -> grpc.aio.Channel:
    """A long-lived channel to `target` (host:port or unix:/path), traced when tracing is on."""
    interceptors = None
    if telemetry.enabled:
        from opentelemetry.instrumentation.grpc import aio_client_interceptors

        interceptors = aio_client_interceptors()
    return grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS, interceptors=interceptors)
