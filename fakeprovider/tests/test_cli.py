"""`aigw fake-provider` / `python -m aigw_fakeprovider`: arguments, the ready line, knobs, clean stop."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys

import httpx
import pytest

from aigw_fakeprovider.cli import settings_from_args
from aigw_fakeprovider.knobs import FaultKind

READY = re.compile(r"fake-provider listening on (http://127\.0\.0\.1:(\d+))\n")


def test_defaults_bind_localhost_on_9999_with_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_PROVIDER_API_KEY", "env-key")

    settings = settings_from_args([])

    assert (settings.host, settings.port, settings.api_key) == ("127.0.0.1", 9999, "env-key")
    assert settings.knobs.fault is FaultKind.NONE


def test_flags_set_the_default_knobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAKE_PROVIDER_API_KEY", raising=False)

    settings = settings_from_args(
        ["--port", "0", "--api-key", "k", "--latency-ms", "5", "--ttft-ms", "6", "--tokens-per-s", "7",
         "--fault", "hang", "--fault-rate", "0.5", "--retry-after", "2", "--drop-after-chunks", "4"]
    )  # fmt: skip

    assert settings.api_key == "k"
    knobs = settings.knobs
    assert (knobs.latency_ms, knobs.ttft_ms, knobs.tokens_per_s) == (5.0, 6.0, 7.0)
    assert (knobs.fault, knobs.fault_rate, knobs.retry_after, knobs.drop_after_chunks) == (
        FaultKind.HANG,
        0.5,
        2.0,
        4,
    )


@pytest.mark.parametrize("argv", [["--fault", "404"], ["--fault-rate", "2"], ["--port", "70000"]])
def test_invalid_flags_exit_with_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        settings_from_args(argv)

    assert raised.value.code == 2


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_module_prints_one_ready_line_serves_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    env = {**os.environ, "FAKE_PROVIDER_API_KEY": "env-key"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aigw_fakeprovider", "--port", "0", "--fault", "503", "--fault-rate", "0.5",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=15)).decode()
        ready = READY.fullmatch(line)
        assert ready is not None, line
        async with httpx.AsyncClient(base_url=ready.group(1), timeout=5) as http:
            body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            good = await http.post(
                "/v1/chat/completions", headers={"Authorization": "Bearer env-key"}, json=body
            )
            faulty = await http.post(
                "/v1/chat/completions", headers={"Authorization": "Bearer env-key"}, json=body
            )
            wrong = await http.post(
                "/v1/chat/completions", headers={"Authorization": "Bearer nope"}, json=body
            )
        process.send_signal(stop_signal)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert int(ready.group(2)) > 0
    assert good.status_code == 200 and good.json()["choices"][0]["message"]["content"] == "Echo: hi"
    assert faulty.status_code == 503
    assert wrong.status_code == 401
    assert process.returncode == 0, stderr.decode()
    assert stdout == b""
