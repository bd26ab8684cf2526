"""Usage events to metering: after the answer, batched, and never lost.

`record()` only appends to a list. A background task sends batches to
MeteringService.RecordUsage (idempotent by request id). A batch metering
cannot take is written to the spool directory and replayed later; on a
graceful stop the last batch is sent, or spooled if metering is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from pathlib import Path

import grpc
from google.protobuf.message import DecodeError

from aigw.metering.v1 import metering_pb2, metering_pb2_grpc

log = logging.getLogger(__name__)

BATCH_SIZE = 500
FLUSH_INTERVAL_S = 0.25
REPLAY_INTERVAL_S = 2.0
RPC_TIMEOUT_S = 10.0


class UsageSink:
    def __init__(self, metering: metering_pb2_grpc.MeteringServiceStub, spool_dir: Path) -> None:
        self._metering = metering
        self._spool = spool_dir
        self._pending: list[metering_pb2.UsageEvent] = []
        self._wake = asyncio.Event()
        self._last_replay = 0.0

    def record(self, event: metering_pb2.UsageEvent) -> None:
        self._pending.append(event)
        if len(self._pending) >= BATCH_SIZE:
            self._wake.set()

    async def run(self) -> None:
        """Sends batches forever; run it as a background task and `close()` it to stop."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), FLUSH_INTERVAL_S)
            self._wake.clear()
            await self.flush()
            if time.monotonic() - self._last_replay >= REPLAY_INTERVAL_S:
                self._last_replay = time.monotonic()
                await self.replay_spool()

    async def flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:BATCH_SIZE], self._pending[BATCH_SIZE:]
            request = metering_pb2.RecordUsageRequest(events=batch)
            if not await self._send(request):
                self._write_spool(request)

    async def _send(self, request: metering_pb2.RecordUsageRequest) -> bool:
        try:
            await self._metering.RecordUsage(request, timeout=RPC_TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            log.warning(
                "metering did not take %d usage events (%s); spooling them",
                len(request.events),
                exc.code().name,
            )
            return False
        return True

    def _write_spool(self, request: metering_pb2.RecordUsageRequest) -> None:
        self._spool.mkdir(parents=True, exist_ok=True)
        name = f"usage-{time.time_ns()}-{secrets.token_hex(4)}"
        partial = self._spool / f".{name}.tmp"
        with open(partial, "wb") as file:
            file.write(request.SerializeToString())
            file.flush()
            os.fsync(file.fileno())
        partial.rename(self._spool / f"{name}.pb")

    def spooled_files(self) -> list[Path]:
        if not self._spool.is_dir():
            return []
        return sorted(self._spool.glob("usage-*.pb"))

    async def replay_spool(self) -> None:
        """Sends spooled batches, oldest first, stopping at the first failure."""
        for path in self.spooled_files():
            try:
                request = metering_pb2.RecordUsageRequest.FromString(path.read_bytes())
            except (OSError, DecodeError):
                log.exception("unreadable usage spool file %s; moving it aside", path.name)
                path.rename(path.with_suffix(".bad"))
                continue
            if not await self._send(request):
                return
            path.unlink()

    async def close(self) -> None:
        """Sends what is pending (or spools it); called on a graceful stop."""
        await self.flush()
