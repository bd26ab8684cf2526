"""`make bench`: what aigw adds to a request, measured against calling the same upstream directly.

Starts a fake upstream (nginx from memory when installed), `aigw up` with every
service on this machine, and measures in one run, scenario by scenario:
  - added latency at concurrency 1 (p50, p99), non-streaming;
  - throughput at concurrency 64;
  - added time to first token at concurrency 1, streaming.
Rows: the upstream directly; aigw; aigw with a rate-limited key (Admit on the
path); aigw translating to Anthropic's Messages API and to Bedrock's Converse
(SigV4-signed), non-streaming, when nginx serves their fixed answers; aigw
with tracing exported over OTLP. Then the CPU of each adapter's translation,
in process (bench/translation.py). Writes docs/benchmarks.md.

    python bench/run.py [--seconds 10] [--warmup 2] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
from load import Latency, Ttft, run_plain, run_ttft
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from translation import translation_table
from upstream import Upstream, _free_port, start_upstream

ROOT = Path(__file__).resolve().parent.parent
FAKE_KEY = "sk-bench-upstream-" + secrets.token_hex(8)


class _DiscardingCollector(trace_service_pb2_grpc.TraceServiceServicer):
    def Export(self, request: object, context: object) -> trace_service_pb2.ExportTraceServiceResponse:
        return trace_service_pb2.ExportTraceServiceResponse()


@dataclass
class Gateway:
    url: str
    key: str
    limited_key: str
    process: subprocess.Popen[str]
    workdir: Path

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


def _config(upstream: Upstream) -> str:
    providers = [
        f"{{name: up-json, type: openai-compatible, api_key: env:BENCH_UPSTREAM_KEY, "
        f"base_url: '{upstream.json_url}'}}",
        f"{{name: up-sse, type: openai-compatible, api_key: env:BENCH_UPSTREAM_KEY, "
        f"base_url: '{upstream.stream_url}'}}",
    ]
    models = [
        "{name: bench-json, deployments: [{provider: up-json, model: gpt-4o-mini}]}",
        "{name: bench-stream, deployments: [{provider: up-sse, model: gpt-4o-mini}]}",
    ]
    if upstream.anthropic_url:
        providers.append(
            f"{{name: up-anthropic, type: anthropic, api_key: env:BENCH_UPSTREAM_KEY, "
            f"base_url: '{upstream.anthropic_url}'}}"
        )
        models.append("{name: bench-anthropic, deployments: [{provider: up-anthropic, model: claude-bench}]}")
    if upstream.bedrock_url:
        providers.append(
            f"{{name: up-bedrock, type: bedrock, region: us-east-1, base_url: '{upstream.bedrock_url}', "
            "aws_access_key_id: env:BENCH_AWS_KEY_ID, aws_secret_access_key: env:BENCH_UPSTREAM_KEY}"
        )
        models.append(
            "{name: bench-bedrock, deployments: [{provider: up-bedrock, model: anthropic.claude-bench-v1:0}]}"
        )
    lines = ["providers:", *(f"  - {p}" for p in providers), "models:", *(f"  - {m}" for m in models)]
    return "\n".join(lines) + "\n"


def start_gateway(upstream: Upstream, extra_env: dict[str, str]) -> Gateway:
    workdir = Path(tempfile.mkdtemp(prefix="aigw-bench-"))
    config = workdir / "config.yaml"
    config.write_text(_config(upstream))
    port = _free_port()
    admin = "sk-bench-admin-" + secrets.token_hex(8)
    env = {
        **os.environ,
        **extra_env,
        "AIGW_ADMIN_KEY": admin,
        "BENCH_UPSTREAM_KEY": FAKE_KEY,
        "BENCH_AWS_KEY_ID": "AKIDBENCHMARK0000000",
        "AIGW_DATA_DIR": str(workdir / "data"),
    }
    for name in ("AIGW_DATABASE_URL", "AIGW_REDIS_URL"):
        env.pop(name, None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aigw_runtime.cli.main",
            "up",
            "--config",
            str(config),
            "--http-port",
            str(port),
            "--grpc-port",
            str(_free_port()),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=workdir,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("aigw is up"):
            break
    else:
        raise RuntimeError("aigw did not start")
    url = f"http://127.0.0.1:{port}"

    def key(rpm: int) -> str:
        created = httpx.post(
            f"{url}/admin/v1/keys",
            json={"name": f"bench-{rpm}", "rpm_limit": rpm},
            headers={"authorization": f"Bearer {admin}"},
        )
        created.raise_for_status()
        secret: str = created.json()["key"]
        return secret

    return Gateway(
        url=url + "/v1", key=key(0), limited_key=key(100_000_000), process=process, workdir=workdir
    )


@dataclass
class Row:
    name: str
    c1: Latency
    c64: Latency
    # None for the rows that measure plain requests only (the translation rows).
    ttft: Ttft | None


def measure(name: str, url: str, stream_url: str, key: str | None, seconds: float, warmup: float) -> Row:
    print(f"measuring {name} ...", file=sys.stderr, flush=True)
    run_plain(url, key, "bench-json", 1, warmup)
    c1 = run_plain(url, key, "bench-json", 1, seconds)
    run_plain(url, key, "bench-json", 64, warmup)
    c64 = run_plain(url, key, "bench-json", 64, seconds)
    run_ttft(stream_url, key, "bench-stream", warmup)
    ttft = run_ttft(stream_url, key, "bench-stream", seconds)
    return Row(name, c1, c64, ttft)


def measure_plain(name: str, url: str, key: str, model: str, seconds: float, warmup: float) -> Row:
    print(f"measuring {name} ...", file=sys.stderr, flush=True)
    run_plain(url, key, model, 1, warmup)
    c1 = run_plain(url, key, model, 1, seconds)
    run_plain(url, key, model, 64, warmup)
    c64 = run_plain(url, key, model, 64, seconds)
    return Row(name, c1, c64, None)


TRANSLATED = {
    "bench-anthropic": "translated to Anthropic Messages",
    "bench-bedrock": "translated to Bedrock Converse, SigV4",
}


def measure_interleaved(url: str, key: str, models: list[str], seconds: float, rounds: int = 5) -> str:
    """Added latency at c=1 of each translated model over the pass-through, models taking turns.

    Rows measured one after the other drift with the machine by more than the
    difference sought (a tenth of a millisecond), so each round measures every
    model in turn and the table gives the medians of the rounds.
    """
    print("measuring translation against pass-through, interleaved ...", file=sys.stderr, flush=True)
    order = ["bench-json", *models]
    p50s: dict[str, list[float]] = {model: [] for model in order}
    p99s: dict[str, list[float]] = {model: [] for model in order}
    for _ in range(rounds):
        for model in order:
            result = run_plain(url, key, model, 1, max(1.0, seconds / rounds))
            p50s[model].append(result.p50_ms)
            p99s[model].append(result.p99_ms)
    base50, base99 = statistics.median(p50s["bench-json"]), statistics.median(p99s["bench-json"])
    lines = [
        f"Translation over the OpenAI pass-through, c=1, the models in turn ({rounds} rounds, medians):",
        "",
        "| target | p50 ms | added over pass-through | p99 ms | added over pass-through |",
        "|---|---:|---:|---:|---:|",
        f"| aigw, OpenAI pass-through | {base50:.3f} | | {base99:.3f} | |",
    ]
    for model in models:
        p50, p99 = statistics.median(p50s[model]), statistics.median(p99s[model])
        added50, added99 = p50 - base50, p99 - base99
        lines.append(
            f"| aigw, {TRANSLATED[model]} | {p50:.3f} | {added50:+.3f} | {p99:.3f} | {added99:+.3f} |"
        )
    return "\n".join(lines) + "\n"


def _machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def report(rows: list[Row], upstream: str, seconds: float, load_tool: str) -> str:
    direct = rows[0]
    lines = [
        "| target | c=1 p50 ms (added) | c=1 p99 ms (added) | c=64 req/s "
        "| TTFT c=1 p50 ms (added) | TTFT p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:

        def added(value: float, base: float, is_direct: bool = row is direct) -> str:
            return f"{value:.3f}" if is_direct else f"{value:.3f} (+{value - base:.3f})"

        errors = row.c1.errors + row.c64.errors + (row.ttft.errors if row.ttft else 0)
        assert direct.ttft is not None
        ttft = (
            f"{added(row.ttft.p50_ms, direct.ttft.p50_ms)} | {row.ttft.p99_ms:.3f}"
            if row.ttft
            else "not measured | not measured"
        )
        lines.append(
            f"| {row.name} | {added(row.c1.p50_ms, direct.c1.p50_ms)} "
            f"| {added(row.c1.p99_ms, direct.c1.p99_ms)} "
            f"| {row.c64.requests_per_s:,.0f} | {ttft} | {errors} |"
        )
    return "\n".join(lines) + (
        f"\n\nUpstream: {upstream}. Load: {load_tool} for plain requests (closed loop), "
        "an asyncio client for "
        f"streams (time to the first content token). {seconds:.0f} s per scenario after a warm-up.\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()

    collector = grpc.server(futures.ThreadPoolExecutor(2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_DiscardingCollector(), collector)
    otlp_port = collector.add_insecure_port("127.0.0.1:0")
    collector.start()
    upstream = start_upstream(FAKE_KEY)
    timing = (args.seconds, args.warmup)
    tracing_env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{otlp_port}",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
    }
    gateways: list[Gateway] = []
    try:
        rows = [measure("upstream directly", upstream.json_url, upstream.stream_url, FAKE_KEY, *timing)]
        plain = start_gateway(upstream, {})
        gateways.append(plain)
        rows.append(measure("aigw", plain.url, plain.url, plain.key, *timing))
        limited = "aigw, key with an rpm limit (Admit on the path)"
        rows.append(measure(limited, plain.url, plain.url, plain.limited_key, *timing))
        if upstream.anthropic_url:
            name = "aigw, translated to Anthropic Messages (non-streaming)"
            rows.append(measure_plain(name, plain.url, plain.key, "bench-anthropic", *timing))
        if upstream.bedrock_url:
            name = "aigw, translated to Bedrock Converse, SigV4 (non-streaming)"
            rows.append(measure_plain(name, plain.url, plain.key, "bench-bedrock", *timing))
        translated = [
            m
            for m, url in (
                ("bench-anthropic", upstream.anthropic_url),
                ("bench-bedrock", upstream.bedrock_url),
            )
            if url
        ]
        interleaved = (
            measure_interleaved(plain.url, plain.key, translated, 2 * args.seconds) if translated else ""
        )
        # The traced gateway runs alone, so that it does not share the CPU with the first one.
        plain.stop()
        gateways.remove(plain)
        traced = start_gateway(upstream, tracing_env)
        gateways.append(traced)
        rows.append(
            measure(
                "aigw, tracing on (spans exported over OTLP)", traced.url, traced.url, traced.key, *timing
            )
        )
    finally:
        for gateway in gateways:
            gateway.stop()
        upstream.stop()
        collector.stop(0)

    import shutil

    table = report(rows, upstream.kind, args.seconds, "wrk" if shutil.which("wrk") else "an asyncio client")
    if interleaved:
        table += "\n" + interleaved
    print("measuring the adapters' translation in process ...", file=sys.stderr, flush=True)
    table += (
        "\nTranslation alone, in process (`bench/translation.py`): the CPU each adapter spends to build "
        "the native request and read the native answer, best of 5 rounds.\n\n" + translation_table()
    )
    command = "make bench" + (
        ""
        if args.seconds == 10 and args.warmup == 2
        else f"  (python bench/run.py --seconds {args.seconds:g} --warmup {args.warmup:g})"
    )
    print(table)
    write_report(args.out, table, command, _machine(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    return 0


MARK_BEGIN = "<!-- make bench: begin -->"
MARK_END = "<!-- make bench: end -->"


def write_report(path: Path, table: str, command: str, machine: str, when: str) -> None:
    """Replaces the generated block of docs/benchmarks.md, keeping the hand-written text around it."""
    block = f"{MARK_BEGIN}\nMeasured {when} with `{command}` on {machine}.\n\n{table}{MARK_END}"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{MARK_BEGIN}\n{MARK_END}\n"
    if MARK_BEGIN in text and MARK_END in text:
        before, _, rest = text.partition(MARK_BEGIN)
        _, _, after = rest.partition(MARK_END)
        text = before + block + after
    else:
        text += "\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
