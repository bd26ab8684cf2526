"""`aigw`: start the gateway, run one service, migrate, and manage keys and usage."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

SERVICES = ("edge", "auth", "router", "cache", "metering")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aigw", description="aigw, an AI gateway.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start every service on this machine")
    up.add_argument("--config", help="gateway config YAML (default: a demo config with a fake provider)")
    up.add_argument("--http-port", type=int, help="edge HTTP port (default 8080)")
    up.add_argument("--grpc-port", type=int, help="edge public gRPC port (default 50050)")

    serve = commands.add_parser("serve", help="run one service in this process")
    serve.add_argument("service", choices=SERVICES)

    commands.add_parser("migrate", help="apply the database migrations of every installed service")

    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = key_commands.add_parser("create", help="create a key and print its secret once")
    create.add_argument("--name", required=True)
    create.add_argument("--models", help="comma-separated model names the key may use (default: all)")
    create.add_argument("--rpm", type=int, default=0, help="requests per minute (default: unlimited)")
    create.add_argument("--json", action="store_true", help="print the result as JSON")
    listing = key_commands.add_parser("list", help="list keys")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    listing.add_argument("--json", action="store_true")
    revoke = key_commands.add_parser("revoke", help="revoke a key")
    revoke.add_argument("id")

    usage = commands.add_parser("usage", help="print usage totals per key and model")
    usage.add_argument("--key", help="only this key id")
    usage.add_argument("--json", action="store_true")

    fake = commands.add_parser("fake-provider", help="run the fake LLM provider", add_help=False)
    fake.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def serve(service: str) -> int:
    module = f"aigw_{service}.server"
    if importlib.util.find_spec(f"aigw_{service}") is None:
        print(f"aigw: the {service} service is not installed in this environment", file=sys.stderr)
        return 2
    importlib.import_module(module).main()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["fake-provider"]:
        # Everything after the command belongs to the fake provider's own parser.
        from aigw_fakeprovider.cli import main as fake_main

        status: int = fake_main(raw[1:])
        return status
    args = _parser().parse_args(raw)
    if args.command == "serve":
        return serve(args.service)
    if args.command == "up":
        from aigw_runtime.cli.up import up

        return up(config=args.config, http_port=args.http_port, grpc_port=args.grpc_port)
    if args.command == "migrate":
        from aigw_runtime.cli.migrate import migrate_command

        return migrate_command()
    from aigw_runtime.cli import admin

    if args.command == "keys":
        return admin.keys_command(args)
    return admin.usage_command(args)


if __name__ == "__main__":
    sys.exit(main())
