"""Hosting a gRPC service: health, reflection, tracing and graceful shutdown.

Every service's `server.py` builds its servicers, then hands them to
`GrpcHost`, which listens, reports SERVING, and on SIGTERM or SIGINT reports
NOT_SERVING, stops accepting calls and drains the ones in flight.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from aigw_runtime.telemetry import Telemetry

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024

SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
]


def _prepare_unix_socket(address: str) -> None:
    if address.startswith("unix:") and not address.startswith("unix-abstract:"):
        path = Path(address.removeprefix("unix://").removeprefix("unix:"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)


class GrpcHost:
    """One grpc.aio server with the services of one process."""

    def __init__(self, address: str, telemetry: Telemetry) -> None:
        interceptors = []
        if telemetry.enabled:
            from opentelemetry.instrumentation.grpc import aio_server_interceptor

            interceptors.append(aio_server_interceptor())
        self.address = address
        self.server = grpc.aio.server(interceptors=interceptors, options=SERVER_OPTIONS)
        self.health = HealthServicer()
        self._service_names: list[str] = []
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)

    def add(self, register: Callable[[grpc.aio.Server], None], full_name: str) -> None:
        """Registers a servicer (`register(server)`) under its full service name."""
        register(self.server)
        self._service_names.append(full_name)

    async def start(self) -> None:
        names: Sequence[str] = (
            *self._service_names,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        )
        reflection.enable_server_reflection((*names, reflection.SERVICE_NAME), self.server)
        _prepare_unix_socket(self.address)
        self.server.add_insecure_port(self.address)
        await self.server.start()
        for name in (*self._service_names, ""):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("serving %s on %s", ", ".join(self._service_names), self.address)

    async def stop(self, grace_s: float) -> None:
        """Stops accepting calls, drains those in flight for up to grace_s."""
        for name in (*self._service_names, ""):
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace_s)


async def wait_for_stop_signal() -> None:
    """Returns on the first SIGTERM, or SIGINT unless the process ignores it (under `aigw up`)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signals.append(signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def serve_until_signal(
    host: GrpcHost,
    grace_s: float,
    *,
    on_draining: Callable[[], None] | None = None,
    on_stop: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Starts the host, waits for a stop signal, then shuts down in order.

    `on_draining` runs first, so that long-lived streams can wind down instead
    of holding the shutdown for the whole grace period; `on_stop` runs last.
    """
    await host.start()
    await wait_for_stop_signal()
    log.info("stopping: draining in-flight calls (up to %.0f s)", grace_s)
    if on_draining is not None:
        on_draining()
    await host.stop(grace_s)
    if on_stop is not None:
        await on_stop()
