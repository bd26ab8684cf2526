"""The ASGI app: routes each request to a wire protocol and records what arrived.

A wire protocol (one module per provider, e.g. `openai.py`) offers routes and
renders its errors. Adding a provider is adding such a module and listing it
in `server.build_app`; nothing here changes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from aigw_fakeprovider._http import Connection, Receive, Request, Scope, Send, read_request
from aigw_fakeprovider.delivery import Response
from aigw_fakeprovider.errors import ProviderError
from aigw_fakeprovider.recorder import RequestRecorder

Handler = Callable[[Request], Awaitable[Response]]

CONTROL_PREFIX = "/_fake/"
"""Paths under this prefix belong to the control API and are never recorded."""

_PLACEHOLDER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def _compile(path: str) -> re.Pattern[str]:
    pattern, last = [], 0
    for placeholder in _PLACEHOLDER.finditer(path):
        pattern.append(re.escape(path[last : placeholder.start()]))
        pattern.append(f"(?P<{placeholder.group(1)}>[^/]+?)")
        last = placeholder.end()
    pattern.append(re.escape(path[last:]))
    return re.compile("".join(pattern))


@dataclass(frozen=True, slots=True)
class Route:
    """A method and path (which may hold `{name}` placeholders) served by a handler."""

    method: str
    path: str
    handler: Handler
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pattern", _compile(self.path))

    @property
    def literal_segments(self) -> list[str]:
        """The path's segments before its first placeholder."""
        return self.path.partition("{")[0].split("/")[:-1] if "{" in self.path else self.path.split("/")

    def match(self, path: str) -> dict[str, str] | None:
        found = self._pattern.fullmatch(path)
        return found.groupdict() if found else None


class WireProtocol(Protocol):
    """One provider's HTTP API as the fake serves it."""

    def routes(self) -> Sequence[Route]:
        """The endpoints this protocol serves."""

    def error_response(self, error: ProviderError) -> Response:
        """The error in this provider's envelope."""

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        """What this provider answers for a path it does not serve, or a method a path does not allow."""


def _shared_segments(path: list[str], route: list[str]) -> int:
    shared = 0
    for mine, theirs in zip(path, route, strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


@dataclass(frozen=True, slots=True)
class _Mounted:
    route: Route
    protocol: WireProtocol


class FakeProviderApp:
    """An ASGI 3 app serving the given wire protocols and the control API."""

    def __init__(
        self, *, protocols: Sequence[WireProtocol], control: WireProtocol, recorder: RequestRecorder
    ) -> None:
        if not protocols:
            raise ValueError("a fake provider needs at least one wire protocol")
        self._fallback = protocols[0]
        self._control = control
        self._recorder = recorder
        self._mounted = [
            _Mounted(route, protocol) for protocol in (control, *protocols) for route in protocol.routes()
        ]
        self._closing = asyncio.Event()

    def begin_shutdown(self) -> None:
        """Releases requests that hang on purpose, so the server can stop."""
        self._closing.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = await read_request(scope, receive)
        if not request.path.startswith(CONTROL_PREFIX):
            self._recorder.record(request)
        response = await self._handle(request)
        await response.send(Connection(scope, receive, send, self._closing))

    def _owner(self, path: str) -> WireProtocol:
        """The protocol whose routes share the most leading path segments with `path` (ties: the first).

        It answers for a path no route serves, in its own error envelope, as
        that provider would (`/v2/rerank` is Cohere's 404, not OpenAI's).
        """
        if path.startswith(CONTROL_PREFIX):
            return self._control
        segments = path.split("/")
        best, best_shared = self._fallback, 1
        for mounted in self._mounted:
            shared = _shared_segments(segments, mounted.route.literal_segments)
            if shared > best_shared:
                best, best_shared = mounted.protocol, shared
        return best

    async def _handle(self, request: Request) -> Response:
        allowed: list[str] = []
        protocol: WireProtocol | None = None
        for mounted in self._mounted:
            params = mounted.route.match(request.path)
            if params is None:
                continue
            protocol = mounted.protocol
            if mounted.route.method != request.method:
                allowed.append(mounted.route.method)
                continue
            try:
                return await mounted.route.handler(request.with_path_params(params))
            except ProviderError as error:
                return protocol.error_response(error)
        # Only a path no route serves needs the search for the provider it resembles.
        protocol = protocol or self._owner(request.path)
        return protocol.error_response(protocol.unknown_route(request, allowed))

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
