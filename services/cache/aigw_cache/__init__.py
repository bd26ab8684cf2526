"""aigw cache service: exact-match response cache with TTL, per-tenant namespaces."""
