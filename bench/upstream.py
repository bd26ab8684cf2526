"""The fake upstream the benchmark calls, directly and through aigw.

nginx answering from memory when it is installed (it costs microseconds, so
the gateway is what gets measured), otherwise aigw's own fake provider.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

MODEL = "gpt-4o-mini-2024-07-18"
COMPLETION = orjson.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1727346168,
        "model": MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello! How can I help you today?"},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 19, "completion_tokens": 9, "total_tokens": 28},
    }
)


def _chunk(delta: dict[str, object], finish: str | None = None, usage: dict[str, int] | None = None) -> bytes:
    choices = [] if usage else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1727346168,
        "model": MODEL,
        "choices": choices,
        **({"usage": usage} if usage else {}),
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


ANTHROPIC_MESSAGE = orjson.dumps(
    {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-bench",
        "content": [{"type": "text", "text": "Hello! How can I help you today?"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 19, "output_tokens": 9},
    }
)
BEDROCK_CONVERSE = orjson.dumps(
    {
        "output": {
            "message": {"role": "assistant", "content": [{"text": "Hello! How can I help you today?"}]}
        },
        "stopReason": "end_turn",
        "usage": {"inputTokens": 19, "outputTokens": 9, "totalTokens": 28},
        "metrics": {"latencyMs": 1},
    }
)

TOKENS = ["Hello", "!", " How", " can", " I", " help", " you", " today", "?"]
STREAM = b"".join(
    [
        _chunk({"role": "assistant", "content": ""}),
        *(_chunk({"content": t}) for t in TOKENS),
        _chunk({}, "stop"),
        _chunk({}, usage={"prompt_tokens": 19, "completion_tokens": 9, "total_tokens": 28}),
        b"data: [DONE]\n\n",
    ]
)

NGINX_CONF = """\
worker_processes 1;
error_log {run}/error.log warn;
pid {run}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {run}/body;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{json_port};
    location / {{ default_type application/json; return 200 '{json}'; }}
  }}
  server {{
    listen 127.0.0.1:{sse_port};
    location / {{ default_type text/event-stream; return 200 '{sse}'; }}
  }}
  server {{
    listen 127.0.0.1:{anthropic_port};
    location / {{ default_type application/json; return 200 '{anthropic}'; }}
  }}
  server {{
    listen 127.0.0.1:{bedrock_port};
    location / {{ default_type application/json; return 200 '{bedrock}'; }}
  }}
}}
"""


@dataclass
class Upstream:
    kind: str
    json_url: str
    stream_url: str
    process: subprocess.Popen[bytes]
    # Fixed native answers for the translation rows; None without nginx.
    anthropic_url: str | None = None
    bedrock_url: str | None = None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _wait_listening(port: int) -> None:
    import socket

    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def start_upstream(fake_key: str) -> Upstream:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx:
        run = Path(tempfile.mkdtemp(prefix="aigw-bench-nginx-"))
        json_port, sse_port, anthropic_port, bedrock_port = (_free_port() for _ in range(4))
        escape = lambda b: b.decode().replace("\\", "\\\\").replace("'", "\\'")  # noqa: E731
        (run / "nginx.conf").write_text(
            NGINX_CONF.format(
                run=run,
                json_port=json_port,
                sse_port=sse_port,
                anthropic_port=anthropic_port,
                bedrock_port=bedrock_port,
                json=escape(COMPLETION),
                sse=escape(STREAM),
                anthropic=escape(ANTHROPIC_MESSAGE),
                bedrock=escape(BEDROCK_CONVERSE),
            )
        )
        process = subprocess.Popen(
            [nginx, "-p", str(run), "-c", str(run / "nginx.conf"), "-g", "daemon off;"]
        )
        for port in (json_port, sse_port, anthropic_port, bedrock_port):
            _wait_listening(port)
        return Upstream(
            "nginx (answers from memory)",
            f"http://127.0.0.1:{json_port}/v1",
            f"http://127.0.0.1:{sse_port}/v1",
            process,
            anthropic_url=f"http://127.0.0.1:{anthropic_port}",
            bedrock_url=f"http://127.0.0.1:{bedrock_port}",
        )
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aigw_fakeprovider", "--port", str(port), "--api-key", fake_key],
        stdout=subprocess.DEVNULL,
    )
    _wait_listening(port)
    url = f"http://127.0.0.1:{port}/v1"
    return Upstream("aigw fake-provider (Python; nginx not installed)", url, url, process)
