"""One request, one trace, across every process: checked with a real OTLP/gRPC receiver."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1 import trace_pb2

from harness import FakeProvider, Gateway, start_gateway


class Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    """Collects every span exported to it, with the service that sent it."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, trace_pb2.Span]] = []
        self._lock = threading.Lock()

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        with self._lock:
            for resource_spans in request.resource_spans:
                service = next(
                    (
                        a.value.string_value
                        for a in resource_spans.resource.attributes
                        if a.key == "service.name"
                    ),
                    "?",
                )
                for scope_spans in resource_spans.scope_spans:
                    self.spans.extend((service, span) for span in scope_spans.spans)
        return trace_service_pb2.ExportTraceServiceResponse()

    def trace(self, trace_id: bytes) -> list[tuple[str, trace_pb2.Span]]:
        with self._lock:
            return [(s, span) for s, span in self.spans if span.trace_id == trace_id]


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, int]]:
    collector = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield collector, port
    server.stop(0)


@pytest.fixture(scope="module")
def traced_gateway(
    receiver: tuple[Receiver, int], tmp_path_factory: pytest.TempPathFactory, fake_provider: FakeProvider
) -> Iterator[Gateway]:
    _, port = receiver
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
    }
    gateway = start_gateway(Path(tmp_path_factory.mktemp("traced")), fake_provider, "embedded", None, env)
    yield gateway
    gateway.stop()


def _wait_for(receiver: Receiver, trace_id: bytes, names: set[str]) -> list[tuple[str, trace_pb2.Span]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        spans = receiver.trace(trace_id)
        if names <= {span.name for _, span in spans}:
            return spans
        time.sleep(0.1)
    raise AssertionError(f"missing spans: {names - {span.name for _, span in receiver.trace(trace_id)}}")


def test_one_request_makes_one_trace_with_every_hop_as_parent_and_child(
    traced_gateway: Gateway, receiver: tuple[Receiver, int]
) -> None:
    collector, _ = receiver
    key = traced_gateway.create_key("traced", rpm_limit=100)["key"]
    trace_id, client_span = secrets.token_bytes(16), secrets.token_bytes(8)
    traceparent = f"00-{trace_id.hex()}-{client_span.hex()}-01"

    response = httpx.post(
        f"{traced_gateway.v1}/chat/completions",
        headers={"authorization": f"Bearer {key}", "traceparent": traceparent},
        json={"model": "cached", "messages": [{"role": "user", "content": "trace me"}]},
        timeout=20,
    )
    assert response.status_code == 200

    rpcs = {
        "auth": "/aigw.auth.v1.AuthService/Authenticate",
        "metering": "/aigw.metering.v1.MeteringService/Admit",
        "cache": "/aigw.cache.v1.CacheService/Lookup",
        "router": "/aigw.router.v1.RouterService/Complete",
    }
    spans = _wait_for(collector, trace_id, {"POST /v1/chat/completions", "upstream fake", *rpcs.values()})
    by_id = {span.span_id: (service, span) for service, span in spans}

    root_service, root = next((s, span) for s, span in spans if span.name == "POST /v1/chat/completions")
    assert root_service == "aigw-edge" and root.parent_span_id == client_span
    assert root.kind == trace_pb2.Span.SPAN_KIND_SERVER

    for service, method in rpcs.items():
        server_side = [span for s, span in spans if s == f"aigw-{service}" and span.name == method]
        assert len(server_side) == 1, f"{service} has no server span for {method}"
        client_service, client = by_id[server_side[0].parent_span_id]
        assert (client_service, client.name, client.kind) == (
            "aigw-edge",
            method,
            trace_pb2.Span.SPAN_KIND_CLIENT,
        )
        assert client.parent_span_id == root.span_id

    upstream = next(span for s, span in spans if span.name == "upstream fake")
    parent_service, parent = by_id[upstream.parent_span_id]
    assert (parent_service, parent.name) == ("aigw-router", rpcs["router"])
    assert upstream.kind == trace_pb2.Span.SPAN_KIND_CLIENT
    assert not any("sk-" in a.value.string_value for _, span in spans for a in span.attributes)


def test_anthropics_door_is_traced_the_same_way(
    traced_gateway: Gateway, receiver: tuple[Receiver, int]
) -> None:
    collector, _ = receiver
    key = traced_gateway.create_key("traced-messages")["key"]
    trace_id, client_span = secrets.token_bytes(16), secrets.token_bytes(8)

    response = httpx.post(
        f"{traced_gateway.v1}/messages",
        headers={"x-api-key": key, "traceparent": f"00-{trace_id.hex()}-{client_span.hex()}-01"},
        json={"model": "chat", "max_tokens": 20, "messages": [{"role": "user", "content": "trace me"}]},
        timeout=20,
    )
    assert response.status_code == 200 and response.json()["type"] == "message"

    router = "/aigw.router.v1.RouterService/Complete"
    spans = _wait_for(collector, trace_id, {"POST /v1/messages", router, "upstream fake"})
    by_id = {span.span_id: (service, span) for service, span in spans}
    root = next(span for _, span in spans if span.name == "POST /v1/messages")
    served = next(span for service, span in spans if service == "aigw-router" and span.name == router)
    upstream = next(span for _, span in spans if span.name == "upstream fake")
    assert root.parent_span_id == client_span
    assert by_id[served.parent_span_id][1].parent_span_id == root.span_id
    assert upstream.parent_span_id == served.span_id
