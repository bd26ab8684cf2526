"""aigw edge: the OpenAI-compatible HTTP API, the public gRPC API and the admin API."""
