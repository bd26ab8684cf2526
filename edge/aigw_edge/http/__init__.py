"""The edge's HTTP side: a lean ASGI app (no framework on the hot path)."""
