"""Wiring and lifecycle: build the app, serve it with uvicorn, report where it listens.

`run` is what the CLI calls (uvloop, signals, blocking). `running_fake_provider`
serves in the current event loop for tests and scripts:

    async with running_fake_provider(ServerSettings(port=0)) as fake:
        client = openai.AsyncOpenAI(base_url=f"{fake.url}/v1", api_key="sk-test")
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, cast

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from aigw_fakeprovider._http import CLOSE_CONNECTION
from aigw_fakeprovider.anthropic import AnthropicProtocol
from aigw_fakeprovider.app import FakeProviderApp, WireProtocol
from aigw_fakeprovider.azure import AzureOpenAIProtocol
from aigw_fakeprovider.azure_entra import EntraTokenProtocol, TokenIssuer
from aigw_fakeprovider.bedrock import BedrockProtocol
from aigw_fakeprovider.bedrock_sigv4 import AwsCredentials
from aigw_fakeprovider.cohere import CohereProtocol
from aigw_fakeprovider.control import ControlApi
from aigw_fakeprovider.faults import FaultPlanner
from aigw_fakeprovider.gemini import GeminiProtocol
from aigw_fakeprovider.gemini_vertex import VertexProtocol
from aigw_fakeprovider.google_oauth import GoogleOAuthProtocol, ServiceAccount, TokenStore
from aigw_fakeprovider.knobs import KnobBoard, Knobs
from aigw_fakeprovider.openai import OpenAIProtocol
from aigw_fakeprovider.recorder import RequestRecorder
from aigw_runtime.clock import Clock, SystemClock

_GRACEFUL_SHUTDOWN_S = 3


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Where to listen, which API key to require (None: any), and the default knobs."""

    host: str = "127.0.0.1"
    port: int = 9999
    api_key: str | None = None
    knobs: Knobs = field(default_factory=Knobs)
    # The one AWS identity Bedrock's SigV4 signatures are checked against (aws_region None: any region).
    aws_access_key_id: str = "AKIDFAKEPROVIDER0000"
    aws_secret_access_key: str = "fake-aws-secret-access-key"
    aws_session_token: str | None = None
    aws_region: str | None = "us-east-1"
    # A Google service-account key file: Vertex AI's token endpoint verifies JWTs against its key.
    google_service_account: str | None = None


def build_app(settings: ServerSettings, clock: Clock | None = None) -> FakeProviderApp:
    """The ASGI app with every wire protocol and the control API, sharing one state."""
    board = KnobBoard(settings.knobs)
    planner = FaultPlanner(board)
    recorder = RequestRecorder()
    clock = clock or SystemClock()
    entra_tokens = TokenIssuer(clock)
    google_tokens = TokenStore(clock)
    google_account = (
        ServiceAccount.from_file(settings.google_service_account) if settings.google_service_account else None
    )
    protocols: list[WireProtocol] = [
        OpenAIProtocol(api_key=settings.api_key, planner=planner, clock=clock),
        AnthropicProtocol(api_key=settings.api_key, planner=planner),
        CohereProtocol(api_key=settings.api_key, planner=planner),
        AzureOpenAIProtocol(api_key=settings.api_key, planner=planner, clock=clock, issuer=entra_tokens),
        EntraTokenProtocol(client_secret=settings.api_key, issuer=entra_tokens),
        GeminiProtocol(api_key=settings.api_key, planner=planner),
        VertexProtocol(tokens=google_tokens, account=google_account, planner=planner, clock=clock),
        GoogleOAuthProtocol(account=google_account, tokens=google_tokens, clock=clock),
        BedrockProtocol(
            api_key=settings.api_key,
            credentials=AwsCredentials(
                settings.aws_access_key_id, settings.aws_secret_access_key, settings.aws_session_token
            ),
            region=settings.aws_region,
            planner=planner,
            clock=clock,
        ),
    ]
    return FakeProviderApp(
        protocols=protocols,
        control=ControlApi(board=board, planner=planner, recorder=recorder),
        recorder=recorder,
    )


class _ClosableHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, offering the app a way to close the connection (see `_http`)."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        scope = cast("dict[str, Any]", self.scope)
        scope["extensions"] = {CLOSE_CONNECTION: self.transport.close}


class _Server(uvicorn.Server):
    """uvicorn's server, reporting readiness and releasing hanging requests at shutdown."""

    def __init__(
        self, config: uvicorn.Config, app: FakeProviderApp, *, on_ready: Callable[[], None], signals: bool
    ) -> None:
        super().__init__(config)
        self._app = app
        self._on_ready = on_ready
        self._signals = signals

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_ready()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._app.begin_shutdown()
        await super().shutdown(sockets=sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self._signals:
            yield
            return
        with super().capture_signals():
            yield


def _bind(host: str, port: int) -> socket.socket:
    """A bound TCP socket; its protocol must be IPPROTO_TCP, or asyncio leaves Nagle on (40 ms stalls)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(address)
    return sock


def _url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(app: FakeProviderApp, *, on_ready: Callable[[], None], signals: bool) -> _Server:
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http=_ClosableHttpToolsProtocol,
        lifespan="off",
        proxy_headers=False,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
    )
    return _Server(config, app, on_ready=on_ready, signals=signals)


def run(settings: ServerSettings, *, on_ready: Callable[[str], None]) -> None:
    """Serves until SIGTERM or SIGINT; calls `on_ready(url)` once it accepts connections."""
    sock = _bind(settings.host, settings.port)
    url = _url(settings.host, sock)
    server = _server(build_app(settings), on_ready=lambda: on_ready(url), signals=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        # Covers a signal before uvicorn installs its handlers, and the one it re-raises after.
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(frozen=True, slots=True)
class RunningFakeProvider:
    """A fake provider serving in the background: its base URL and its app."""

    url: str
    app: FakeProviderApp


@contextlib.asynccontextmanager
async def running_fake_provider(
    settings: ServerSettings | None = None, *, clock: Clock | None = None
) -> AsyncIterator[RunningFakeProvider]:
    """Serves in the current event loop (port 0 by default) until the block exits."""
    settings = settings or ServerSettings(port=0)
    sock = _bind(settings.host, settings.port)
    app = build_app(settings, clock)
    ready = asyncio.Event()
    server = _server(app, on_ready=ready.set, signals=False)
    task: asyncio.Task[Any] = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        ready_wait = asyncio.create_task(ready.wait())
        await asyncio.wait({task, ready_wait}, return_when=asyncio.FIRST_COMPLETED)
        ready_wait.cancel()
        if task.done():
            task.result()
            raise RuntimeError("the fake provider stopped before it was ready")
        yield RunningFakeProvider(url=_url(settings.host, sock), app=app)
    finally:
        server.should_exit = True
        await task
