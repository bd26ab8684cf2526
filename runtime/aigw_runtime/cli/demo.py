"""The demo config `aigw up` uses without --config: a `demo` model on the built-in fake provider."""

from __future__ import annotations

from pathlib import Path

DEMO_CONFIG = """\
# Written by `aigw up` when no --config is given. The fake provider is
# started beside the gateway, so this works with no provider account.
providers:
  - name: demo-fake
    type: openai-compatible
    base_url: http://127.0.0.1:{port}/v1
    api_key: env:AIGW_DEMO_UPSTREAM_KEY
models:
  - name: demo
    deployments:
      - provider: demo-fake
        model: fake-gpt
  - name: demo-cached
    deployments:
      - provider: demo-fake
        model: fake-gpt
    cache: {{enabled: true, ttl_s: 300}}
"""


def write_demo_config(data_dir: Path, fake_provider_port: int) -> Path:
    path = data_dir / "demo-config.yaml"
    path.write_text(DEMO_CONFIG.format(port=fake_provider_port), encoding="utf-8")
    return path
