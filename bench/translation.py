"""CPU per request of each adapter's translation, in process: what a provider type adds to a request.

For each provider type, builds the native request for the benchmark's chat
request (`load.BODY`) and turns a native answer back into OpenAI's JSON, in a
loop, and prints microseconds per request (the best of several rounds, so a
busy machine inflates it less). Bedrock is measured twice: signed with SigV4
(botocore) and with a Bedrock API key. No network: the HTTP call itself is the
same for every provider and is measured by `bench/run.py`.

    python bench/translation.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable

import httpx
import orjson
from load import BODY
from upstream import ANTHROPIC_MESSAGE, BEDROCK_CONVERSE, COMPLETION

from aigw_router.adapters import ADAPTER_TYPES, AdapterServices, ChatCall, ProviderAdapter
from aigw_router.adapters._images import ImageFetcher
from aigw_runtime.config import ProviderConfig

GEMINI_ANSWER = orjson.dumps(
    {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": "Hello! How can I help you today?"}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 19, "candidatesTokenCount": 9, "totalTokenCount": 28},
        "modelVersion": "gemini-2.0-flash",
        "responseId": "bench",
    }
)
COHERE_ANSWER = orjson.dumps(
    {
        "id": "bench",
        "finish_reason": "COMPLETE",
        "message": {
            "role": "assistant",
            "content": [{"type": "text", "text": "Hello! How can I help you today?"}],
        },
        "usage": {
            "billed_units": {"input_tokens": 19, "output_tokens": 9},
            "tokens": {"input_tokens": 19, "output_tokens": 9},
        },
    }
)
URL = "http://127.0.0.1:9"
KEY = {"api_key": "env:BENCH_KEY"}
AWS = {"region": "us-east-1"}
SIGV4 = {"aws_access_key_id": "env:BENCH_KEY_ID", "aws_secret_access_key": "env:BENCH_KEY"}
CASES: list[tuple[str, dict[str, str], bytes]] = [
    ("openai (pass-through)", {"type": "openai", "base_url": URL + "/v1", **KEY}, COMPLETION),
    (
        "azure-openai",
        {"type": "azure-openai", "base_url": URL, "api_version": "2024-10-21", **KEY},
        COMPLETION,
    ),
    ("anthropic", {"type": "anthropic", "base_url": URL, **KEY}, ANTHROPIC_MESSAGE),
    ("bedrock, SigV4", {"type": "bedrock", "base_url": URL, **AWS, **SIGV4}, BEDROCK_CONVERSE),
    ("bedrock, API key", {"type": "bedrock", "base_url": URL, **AWS, **KEY}, BEDROCK_CONVERSE),
    ("gemini", {"type": "gemini", "base_url": URL, **KEY}, GEMINI_ANSWER),
    ("cohere", {"type": "cohere", "base_url": URL, **KEY}, COHERE_ANSWER),
]


def _adapter(fields: dict[str, str], services: AdapterServices) -> ProviderAdapter:
    provider = ProviderConfig(name="bench", **fields)  # type: ignore[arg-type]
    return ADAPTER_TYPES[provider.type](provider, services)


async def _per_request_us(adapter: ProviderAdapter, answer: bytes, requests: int) -> float:
    call = ChatCall(body=orjson.dumps(BODY), upstream_model="bench-model", stream=False)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(requests):
            await adapter.build_chat(call)
            adapter.parse_chat(answer, "bench-model")
        best = min(best, (time.perf_counter() - start) / requests * 1e6)
    return best


async def _measure(requests: int, report: Callable[[str], None]) -> None:
    """Reports the table, a line at a time."""
    os.environ.setdefault("BENCH_KEY", "bench-secret-key-0000000000")
    os.environ.setdefault("BENCH_KEY_ID", "AKIDBENCHMARK0000000")
    async with httpx.AsyncClient() as client:
        services = AdapterServices(http=client, images=ImageFetcher(client))
        report("| provider type | µs per request (build + parse) | over pass-through |")
        report("|---|---:|---:|")
        base = None
        for name, fields, answer in CASES:
            cost = await _per_request_us(_adapter(fields, services), answer, requests)
            base = cost if base is None else base
            report(f"| {name} | {cost:.1f} | {'' if cost is base else f'+{cost - base:.1f}'} |")


def translation_table(requests: int = 20000) -> str:
    """The measured table, as Markdown."""
    lines: list[str] = []
    asyncio.run(_measure(requests, lines.append))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    asyncio.run(_measure(args.requests, print))


if __name__ == "__main__":
    main()
