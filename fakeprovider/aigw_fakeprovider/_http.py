"""The little ASGI this package needs: a read request and a way back to the client.

Besides answering, a fake provider must misbehave on purpose: never answer, or
cut the TCP connection mid-response. ASGI has no message for the latter, so the
server (see `server.py`) puts a callable under `CLOSE_CONNECTION` in the scope's
extensions that closes the socket; `Connection.drop` uses it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CLOSE_CONNECTION = "aigw.close_connection"
"""Scope extension: a no-argument callable that closes the client's TCP connection."""


class ConnectionDropped(Exception):
    """Raised to make the ASGI server cut the connection when it offers no way to close it."""


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, its body read in full; header names are lowercase."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    path_params: Mapping[str, str] = field(default_factory=dict)
    # The raw query string (`api-version=2024-10-21`), without the `?`.
    query: str = ""
    # The path as it arrived, still percent-encoded: what SigV4 signs, and where `%2F` differs from `/`.
    raw_path: str = ""

    def with_path_params(self, params: Mapping[str, str]) -> Request:
        return dataclasses.replace(self, path_params=params)

    def bearer_token(self) -> str | None:
        """The token of an `Authorization: Bearer <token>` header; None when there is none or it is blank."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


async def read_request(scope: Scope, receive: Receive) -> Request:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return Request(
        method=scope["method"],
        path=scope["path"],
        headers=_headers(scope.get("headers", ())),
        body=b"".join(chunks),
        query=scope.get("query_string", b"").decode("latin-1"),
        raw_path=(scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1"),
    )


def _encode_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


class Connection:
    """The way back to one client: answer, stream, wait for it to leave, or cut it off."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, closing: asyncio.Event) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._closing = closing

    async def respond(self, status: int, body: bytes, headers: Iterable[tuple[str, str]]) -> None:
        """A complete response with a body of known length."""
        all_headers = [*headers, ("content-length", str(len(body)))]
        await self._send(
            {"type": "http.response.start", "status": status, "headers": _encode_headers(all_headers)}
        )
        await self._send({"type": "http.response.body", "body": body, "more_body": False})

    async def start(self, status: int, headers: Iterable[tuple[str, str]]) -> None:
        """Starts a response whose body follows in `write` calls."""
        await self._send(
            {"type": "http.response.start", "status": status, "headers": _encode_headers(headers)}
        )

    async def write(self, chunk: bytes) -> None:
        await self._send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def finish(self) -> None:
        await self._send({"type": "http.response.body", "body": b"", "more_body": False})

    async def pause(self, seconds: float) -> bool:
        """Waits `seconds`; returns False at once if the server starts shutting down meanwhile."""
        if self._closing.is_set():
            return False
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def wait_until_gone(self) -> None:
        """Waits until the client disconnects, or cuts it off if the server is shutting down."""
        disconnect = asyncio.ensure_future(self._wait_for_disconnect())
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            done, _ = await asyncio.wait({disconnect, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            disconnect.cancel()
            closing.cancel()
        if disconnect not in done:
            await self.drop()

    async def drop(self) -> None:
        """Closes the TCP connection, after what was already written, without finishing the response."""
        close: Callable[[], None] | None = self._scope.get("extensions", {}).get(CLOSE_CONNECTION)
        if close is None:
            raise ConnectionDropped
        close()
        await self._wait_for_disconnect()

    async def _wait_for_disconnect(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass
