"""Usage events and totals, and the rules a batch of events must follow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aigw_metering.models import ID_LENGTH, NAME_LENGTH
from aigw_runtime.errors import InvalidRequestError

MAX_BATCH_EVENTS = 10_000


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """One answered request, as the edge reports it."""

    request_id: str
    key_id: str
    model: str
    provider: str
    deployment: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    latency_ms: int
    status_code: int
    cache_hit: bool
    stream: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """Totals of one (key, model) pair."""

    key_id: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    # Requests answered with an HTTP status of 400 or more.
    errors: int
    cache_hits: int


_TOKEN_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens", "reasoning_tokens")
_TEXT_LIMITS = (
    ("key_id", ID_LENGTH),
    ("model", NAME_LENGTH),
    ("provider", NAME_LENGTH),
    ("deployment", NAME_LENGTH),
)


def _invalid(index: int, field: str, problem: str) -> InvalidRequestError:
    param = f"events[{index}].{field}"
    return InvalidRequestError(f"{param} {problem}", param=param)


def _check_event(index: int, event: UsageEvent) -> None:
    if not event.request_id:
        raise _invalid(index, "request_id", "must not be empty")
    if len(event.request_id) > ID_LENGTH:
        raise _invalid(index, "request_id", f"must be at most {ID_LENGTH} characters")
    if not event.key_id:
        raise _invalid(index, "key_id", "must not be empty")
    for field, limit in _TEXT_LIMITS:
        if len(getattr(event, field)) > limit:
            raise _invalid(index, field, f"must be at most {limit} characters")
    for field in _TOKEN_FIELDS:
        if getattr(event, field) < 0:
            raise _invalid(index, f"usage.{field}", "must not be negative")
    if event.latency_ms < 0:
        raise _invalid(index, "latency_ms", "must not be negative")
    if not 0 <= event.status_code <= 999:
        raise _invalid(index, "status_code", "must be an HTTP status between 0 and 999")


def check_batch_size(count: int) -> None:
    """Raises InvalidRequestError (400) for a batch over MAX_BATCH_EVENTS."""
    if count > MAX_BATCH_EVENTS:
        raise InvalidRequestError(
            f"a batch holds at most {MAX_BATCH_EVENTS} events, got {count}", param="events"
        )


def validate_batch(events: Sequence[UsageEvent]) -> None:
    """Raises InvalidRequestError (400) for a batch too large or naming the first event at fault."""
    check_batch_size(len(events))
    for index, event in enumerate(events):
        _check_event(index, event)
