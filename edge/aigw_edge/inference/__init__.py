"""The public gRPC API `aigw.inference.v1`, on the same pipeline as the HTTP API."""
