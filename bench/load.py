"""Load for the benchmark: wrk for plain requests when installed, else an asyncio client; streams always."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

BODY = {
    "model": "bench-json",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Say hello."},
    ],
    "max_tokens": 32,
    "temperature": 0,
}

WRK_SCRIPT = """\
wrk.method = "POST"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
{auth}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %f %f %f\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
"""


@dataclass
class Latency:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_plain(url: str, key: str | None, model: str, connections: int, seconds: float) -> Latency:
    body = json.dumps({**BODY, "model": model})
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            auth = f'wrk.headers["Authorization"] = "Bearer {key}"' if key else ""
            script.write(WRK_SCRIPT.format(body=body, auth=auth))
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                script.name,
                url + "/chat/completions",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        Path(script.name).unlink()
        _, requests, errors, p50, p99, duration = next(
            line for line in out.splitlines() if line.startswith("RESULT")
        ).split()
        return Latency(int(requests) / float(duration), float(p50), float(p99), int(errors))
    return asyncio.run(_plain_async(url, key, body, connections, seconds))


async def _plain_async(url: str, key: str | None, body: str, connections: int, seconds: float) -> Latency:
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                start = time.perf_counter()
                async with session.post(url + "/chat/completions", data=body, headers=headers) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append((time.perf_counter() - start) * 1000)

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - started
    return Latency(
        len(latencies) / elapsed, _percentile(latencies, 0.5), _percentile(latencies, 0.99), errors
    )


@dataclass
class Ttft:
    p50_ms: float
    p99_ms: float
    streams: int
    errors: int


async def _ttft(url: str, key: str | None, model: str, seconds: float) -> Ttft:
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
    body = json.dumps({**BODY, "model": model, "stream": True})
    samples: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            first = None
            done = False
            async with session.post(url + "/chat/completions", data=body, headers=headers) as response:
                async for line in response.content:
                    if (
                        first is None
                        and line.startswith(b"data: {")
                        and b'"content":"' in line
                        and b'"content":""' not in line
                    ):
                        first = time.perf_counter()
                    done = done or line.strip() == b"data: [DONE]"
            if first is None or not done or response.status != 200:
                errors += 1
                continue
            samples.append((first - start) * 1000)
    return Ttft(_percentile(samples, 0.5), _percentile(samples, 0.99), len(samples), errors)


def run_ttft(url: str, key: str | None, model: str, seconds: float) -> Ttft:
    return asyncio.run(_ttft(url, key, model, seconds))
