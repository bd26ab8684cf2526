"""OpenTelemetry tracing, configured by the standard OTEL_* variables.

Tracing is on when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT
or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and not disabled by OTEL_SDK_DISABLED or
OTEL_TRACES_EXPORTER=none. When it is off, no interceptor or span processor is
installed at all, so the hot path pays nothing for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

log = logging.getLogger(__name__)


def tracing_configured(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if env.get("OTEL_TRACES_EXPORTER", "otlp").lower() == "none":
        return False
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


@dataclass
class Telemetry:
    """The tracing state of one process."""

    enabled: bool
    provider: TracerProvider | None

    def tracer(self, name: str) -> trace.Tracer:
        return trace.get_tracer(name)

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()


def setup_telemetry(service: str, environ: Mapping[str, str] | None = None) -> Telemetry:
    """Installs the tracer provider with a batching OTLP/gRPC exporter, if configured."""
    env = os.environ if environ is None else environ
    if not tracing_configured(env):
        return Telemetry(enabled=False, provider=None)
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    attributes: dict[str, Any] = {"service.name": env.get("OTEL_SERVICE_NAME") or f"aigw-{service}"}
    attributes["service.namespace"] = "aigw"
    # The SDK reads OTEL_TRACES_SAMPLER(_ARG) and OTEL_RESOURCE_ATTRIBUTES itself.
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info(
        "tracing to %s",
        env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
    )
    return Telemetry(enabled=True, provider=provider)


def extract_context(headers: Mapping[str, str]) -> Any:
    """The parent context carried by W3C `traceparent`/`tracestate` headers."""
    return extract(headers)


def inject_headers(carrier: dict[str, str]) -> None:
    inject(carrier)
