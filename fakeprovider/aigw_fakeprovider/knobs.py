"""Knobs: the latency, pacing and fault settings a test turns at runtime.

The CLI sets the defaults; `PUT /_fake/knobs` changes them for every request or
only for requests naming one model. A model's knobs are stored as the fields a
test changed for it, laid over the current defaults when a request arrives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    """What goes wrong with a request that a fault applies to.

    `drop` cuts a stream's connection after `drop_after_chunks` chunks (and
    closes a request that does not stream without answering). `stream_error`
    sends that many chunks, then the error event the provider itself sends
    when it fails mid-stream, and ends the stream there with no end marker;
    a request that does not stream gets that error as an error status.
    """

    NONE = "none"
    RATE_LIMITED = "429"
    SERVER_ERROR = "500"
    OVERLOADED = "503"
    HANG = "hang"
    DROP = "drop"
    STREAM_ERROR = "stream_error"

    @property
    def is_error_status(self) -> bool:
        return self in (FaultKind.RATE_LIMITED, FaultKind.SERVER_ERROR, FaultKind.OVERLOADED)


@dataclass(frozen=True, slots=True)
class Knobs:
    """How the fake provider delivers answers; the names match the CLI flags."""

    latency_ms: float = 0.0
    ttft_ms: float = 0.0
    tokens_per_s: float = 0.0
    fault: FaultKind = FaultKind.NONE
    fault_rate: float = 1.0
    retry_after: float = 1.0
    drop_after_chunks: int = 3
    """Chunks a stream sends before it is cut: dropped (`drop`) or failed in band (`stream_error`)."""


KNOB_NAMES = frozenset(field.name for field in dataclasses.fields(Knobs))


class KnobError(ValueError):
    """A knob change that names an unknown knob or gives it a value out of range."""


def _number(name: str, value: Any, *, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise KnobError(f"knob {name!r} must be a number, got {value!r}")
    if value < 0 or (maximum is not None and value > maximum):
        bound = f"between 0 and {maximum:g}" if maximum is not None else ">= 0"
        raise KnobError(f"knob {name!r} must be {bound}, got {value!r}")
    return float(value)


def _fault(value: Any) -> FaultKind:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        return FaultKind(text)
    except ValueError:
        choices = ", ".join(kind.value for kind in FaultKind)
        raise KnobError(f"knob 'fault' must be one of {choices}, got {value!r}") from None


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise KnobError(f"knob {name!r} must be a whole number >= 0, got {value!r}")
    return value


def parse_knob_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validates knob changes (snake_case names, JSON values) into typed values."""
    unknown = sorted(set(changes) - KNOB_NAMES)
    if unknown:
        raise KnobError(f"unknown knob(s): {', '.join(unknown)}; known: {', '.join(sorted(KNOB_NAMES))}")
    parsed: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "fault":
            parsed[name] = _fault(value)
        elif name == "drop_after_chunks":
            parsed[name] = _count(name, value)
        elif name == "fault_rate":
            parsed[name] = _number(name, value, maximum=1.0)
        else:
            parsed[name] = _number(name, value)
    return parsed


def knobs_as_json(knobs: Knobs) -> dict[str, Any]:
    return {field.name: getattr(knobs, field.name) for field in dataclasses.fields(Knobs)}


class KnobBoard:
    """The knobs in force: CLI defaults, runtime changes for all, and per-model changes."""

    def __init__(self, defaults: Knobs) -> None:
        self._defaults = defaults
        self._current = defaults
        self._per_model: dict[str, dict[str, Any]] = {}

    def for_model(self, model: str | None) -> Knobs:
        """The knobs for a request naming `model` (None when the request names none)."""
        overrides = self._per_model.get(model) if model is not None else None
        return dataclasses.replace(self._current, **overrides) if overrides else self._current

    def has_own_knobs(self, model: str) -> bool:
        """Whether a test changed knobs for this model in particular."""
        return model in self._per_model

    def change(self, changes: Mapping[str, Any], *, model: str | None = None) -> Knobs:
        """Applies validated changes for everyone, or only for `model`; returns the result."""
        parsed = parse_knob_changes(changes)
        if model is None:
            self._current = dataclasses.replace(self._current, **parsed)
        else:
            self._per_model[model] = {**self._per_model.get(model, {}), **parsed}
        return self.for_model(model)

    def reset(self) -> None:
        """Back to the CLI defaults, with no per-model knobs."""
        self._current = self._defaults
        self._per_model.clear()

    def as_json(self) -> dict[str, Any]:
        return {
            "default": knobs_as_json(self._current),
            "models": {model: knobs_as_json(self.for_model(model)) for model in sorted(self._per_model)},
        }
