"""Fixtures of the edge's tests: real auth and metering in-process (see edge_services.py)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from edge_services import AuthServer


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="aigw-edge-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def auth_server(tmp_path: Path, socket_dir: Path) -> AsyncIterator[AuthServer]:
    server = AuthServer(tmp_path, f"unix:{socket_dir}/auth.sock")
    await server.start()
    yield server
    if server.host is not None:
        await server.stop()
