"""aigw router service: the model catalog, provider adapters and the upstream calls."""
