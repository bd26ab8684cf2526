"""Process settings: defaults, then the config file's `settings:` section, then `AIGW_*` variables.

Settings say where things are (addresses, database, Redis, data directory);
the gateway config (`config.py`) says what the gateway serves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

ENV_PREFIX = "AIGW_"

DEFAULT_PORTS = {"edge": 50050, "auth": 50051, "router": 50052, "cache": 50053, "metering": 50054}


class SettingsError(Exception):
    """A setting has a value of the wrong type or shape."""


class Settings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Everything a service process needs to find its peers and its state."""

    config: str | None = None
    data_dir: str = ".aigw"
    database_url: str | None = None
    redis_url: str | None = None
    admin_key: str | None = None
    # Key for the keyed hashes of API keys; generated into data_dir when unset.
    key_hash_secret: str | None = None
    # Where each service listens (its own address) and where clients reach it.
    auth_addr: str = f"127.0.0.1:{DEFAULT_PORTS['auth']}"
    router_addr: str = f"127.0.0.1:{DEFAULT_PORTS['router']}"
    cache_addr: str = f"127.0.0.1:{DEFAULT_PORTS['cache']}"
    metering_addr: str = f"127.0.0.1:{DEFAULT_PORTS['metering']}"
    # The edge's public gRPC API (aigw.inference.v1).
    edge_grpc_addr: str = f"127.0.0.1:{DEFAULT_PORTS['edge']}"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # Seconds a stopping service waits for in-flight calls.
    shutdown_grace_s: float = 10.0
    # Upper bound of a request body at the edge.
    max_body_bytes: int = 32 * 1024 * 1024
    # Where the edge spools usage events that metering could not take yet.
    spool_dir: str | None = None
    log_level: str = "info"

    def listen_addr(self, service: str) -> str:
        """The address `service` binds to (the same one its clients dial)."""
        addresses = {
            "auth": self.auth_addr,
            "router": self.router_addr,
            "cache": self.cache_addr,
            "metering": self.metering_addr,
            "edge": self.edge_grpc_addr,
        }
        return addresses[service]

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser()

    @property
    def spool_path(self) -> Path:
        return Path(self.spool_dir).expanduser() if self.spool_dir else self.data_path / "spool"


def _field_names() -> tuple[str, ...]:
    return Settings.__struct_fields__


def load_settings(
    environ: Mapping[str, str] | None = None, file_settings: Mapping[str, Any] | None = None
) -> Settings:
    """Merges the config file's `settings:` with `AIGW_<NAME>` variables (which win)."""
    env = os.environ if environ is None else environ
    merged: dict[str, Any] = dict(file_settings or {})
    for name in _field_names():
        value = env.get(ENV_PREFIX + name.upper())
        if value is not None and value != "":
            merged[name] = value
    try:
        # strict=False lets "8080" from the environment become an int.
        return msgspec.convert(merged, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {exc}") from None
