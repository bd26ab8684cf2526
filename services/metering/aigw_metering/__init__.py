"""aigw metering service: admission by rate limits, and durable usage accounting."""

from aigw_metering.limiter import AdmissionDecision, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from aigw_metering.usage import UsageEvent, UsageTotal
from aigw_metering.usage_store import SchemaMissingError, UsageStore

__all__ = [
    "AdmissionDecision",
    "MemoryRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "SchemaMissingError",
    "UsageEvent",
    "UsageStore",
    "UsageTotal",
]
