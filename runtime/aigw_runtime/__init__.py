"""What every aigw service shares: settings, config, telemetry, gRPC bootstrap and errors."""
