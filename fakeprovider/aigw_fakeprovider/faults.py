"""Deciding, deterministically, which requests a fault applies to.

`fault_rate` is not a probability: each scope (a model with its own knobs, or
everything else) counts its requests, and request n fails when
floor(n * rate) > floor((n - 1) * rate). With rate 0.5 every second request
fails, with 0.25 every fourth, with 1 all of them. Changing knobs restarts the
counts so a test always starts from request 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aigw_fakeprovider.knobs import FaultKind, KnobBoard, Knobs

_DEFAULT_SCOPE = ""
_EPSILON = 1e-9  # so that rates such as 0.1 hit exactly every tenth request


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """How to deliver one request: the knobs in force and the fault, if any, it suffers."""

    knobs: Knobs
    fault: FaultKind

    @property
    def drop_after_chunks(self) -> int | None:
        """For a stream: how many chunks to send before dropping the connection, or None."""
        return self.knobs.drop_after_chunks if self.fault is FaultKind.DROP else None

    @property
    def stream_error_after_chunks(self) -> int | None:
        """For a stream: how many chunks to send before the provider's in-band error, or None."""
        return self.knobs.drop_after_chunks if self.fault is FaultKind.STREAM_ERROR else None


def fault_applies(request_number: int, rate: float) -> bool:
    """Whether the 1-based `request_number`-th request of a scope suffers a fault at `rate`."""
    return math.floor(request_number * rate + _EPSILON) > math.floor((request_number - 1) * rate + _EPSILON)


class FaultPlanner:
    """Resolves each request's knobs and decides whether its fault applies."""

    def __init__(self, board: KnobBoard) -> None:
        self._board = board
        self._counts: dict[str, int] = {}

    def plan(self, model: str | None) -> RequestPlan:
        knobs = self._board.for_model(model)
        if knobs.fault is FaultKind.NONE:
            return RequestPlan(knobs, FaultKind.NONE)
        scope = model if model is not None and self._board.has_own_knobs(model) else _DEFAULT_SCOPE
        number = self._counts.get(scope, 0) + 1
        self._counts[scope] = number
        return RequestPlan(knobs, knobs.fault if fault_applies(number, knobs.fault_rate) else FaultKind.NONE)

    def restart(self) -> None:
        """Starts every scope's count again from the first request."""
        self._counts.clear()
