"""A clock stopped at one instant, so the `created` time an adapter writes into its answers is known."""

from __future__ import annotations


class FixedClock:
    """Wall time stays at `at`; monotonic time stays at zero."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at

    def monotonic(self) -> float:
        return 0.0
