"""aigw auth service: API keys, principals, and the change feed that keeps edges' caches coherent."""
