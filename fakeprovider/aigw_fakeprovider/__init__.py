"""A strict fake LLM provider: OpenAI's wire protocol, deterministic answers, knobs and faults.

Run it with `aigw fake-provider` or `python -m aigw_fakeprovider`; embed it in
tests with `running_fake_provider`.
"""

from aigw_fakeprovider.answers import Answer, Prompt, answer
from aigw_fakeprovider.app import FakeProviderApp, Route, WireProtocol
from aigw_fakeprovider.knobs import FaultKind, Knobs
from aigw_fakeprovider.server import (
    RunningFakeProvider,
    ServerSettings,
    build_app,
    run,
    running_fake_provider,
)

__all__ = [
    "Answer",
    "FakeProviderApp",
    "FaultKind",
    "Knobs",
    "Prompt",
    "Route",
    "RunningFakeProvider",
    "ServerSettings",
    "WireProtocol",
    "answer",
    "build_app",
    "run",
    "running_fake_provider",
]
