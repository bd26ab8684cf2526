"""Starting a service process: logging, settings, config and telemetry, then its main coroutine."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import uvloop

from aigw_runtime.config import ConfigError, GatewayConfig, load_config
from aigw_runtime.secrets import SecretError
from aigw_runtime.settings import Settings, SettingsError, load_settings
from aigw_runtime.telemetry import Telemetry, setup_telemetry

# Set by `aigw up` for the services it starts.
SUPERVISED_ENV = "AIGW_SUPERVISED"


@dataclass
class ServiceContext:
    """What a service's main coroutine is given."""

    name: str
    settings: Settings
    config: GatewayConfig
    telemetry: Telemetry


def load_runtime(environ: Mapping[str, str] | None = None) -> tuple[Settings, GatewayConfig]:
    """Settings and config for this process: AIGW_CONFIG names the file, AIGW_* override it."""
    env = os.environ if environ is None else environ
    path = env.get("AIGW_CONFIG")
    config = load_config(path) if path else GatewayConfig()
    return load_settings(env, config.settings), config


def configure_logging(level: str, service: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request at INFO: far too costly on the hot path.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def run_service(name: str, main: Callable[[ServiceContext], Coroutine[Any, Any, None]]) -> None:
    """Runs `main` on uvloop with everything a service needs set up.

    A bad config, setting or secret stops the process with a one-line error and
    exit status 2, not a traceback.
    """
    if os.environ.get(SUPERVISED_ENV) == "1":
        # Ctrl-C reaches the whole process group; `aigw up` stops its children in order.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        settings, config = load_runtime()
    except (ConfigError, SettingsError) as exc:
        print(f"aigw {name}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, name)
    telemetry = setup_telemetry(name)
    try:
        uvloop.run(main(ServiceContext(name=name, settings=settings, config=config, telemetry=telemetry)))
    except (ConfigError, SettingsError, SecretError) as exc:
        logging.getLogger(name).error("cannot start: %s", exc)
        raise SystemExit(2) from None
    finally:
        telemetry.shutdown()
