"""`aigw fake-provider`: run the strict fake OpenAI-compatible provider.

Prints exactly one line to stdout once it accepts connections,
`fake-provider listening on http://HOST:PORT`, so a parent process can read the
port chosen with `--port 0`. Stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from aigw_fakeprovider.google_oauth import ServiceAccount, ServiceAccountError
from aigw_fakeprovider.knobs import FaultKind, KnobError, Knobs, parse_knob_changes
from aigw_fakeprovider.server import ServerSettings, run

API_KEY_ENV = "FAKE_PROVIDER_API_KEY"


def _parser() -> argparse.ArgumentParser:
    defaults = Knobs()
    parser = argparse.ArgumentParser(
        prog="aigw fake-provider",
        description="A strict fake OpenAI-compatible provider for tests, demos and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=9999, help="port, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV) or None,
        help=f"the Bearer key to require (default: ${API_KEY_ENV}; unset: any non-empty key)",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=defaults.latency_ms, help="delay before a non-stream answer"
    )
    parser.add_argument(
        "--ttft-ms", type=float, default=defaults.ttft_ms, help="delay before a stream's first chunk"
    )
    parser.add_argument(
        "--tokens-per-s", type=float, default=defaults.tokens_per_s, help="stream pace (0: unpaced)"
    )
    parser.add_argument(
        "--fault",
        choices=[kind.value for kind in FaultKind],
        default=defaults.fault.value,
        help="fault to inject",
    )
    parser.add_argument(
        "--fault-rate", type=float, default=defaults.fault_rate, help="share of requests that fail, 0..1"
    )
    parser.add_argument(
        "--retry-after", type=float, default=defaults.retry_after, help="Retry-After seconds on 429"
    )
    parser.add_argument(
        "--drop-after-chunks",
        type=int,
        default=defaults.drop_after_chunks,
        help="chunks a stream sends before a drop or a stream_error",
    )
    aws = ServerSettings()
    parser.add_argument(
        "--aws-access-key-id",
        default=aws.aws_access_key_id,
        help="the AWS access key id Bedrock's SigV4 signatures must use (default: %(default)s)",
    )
    parser.add_argument(
        "--aws-secret-access-key", default=aws.aws_secret_access_key, help="the secret key of that key id"
    )
    parser.add_argument(
        "--aws-session-token", default=aws.aws_session_token, help="the session token signed requests carry"
    )
    parser.add_argument(
        "--aws-region",
        default=aws.aws_region,
        help="the region Bedrock's signatures are scoped to, 'any' for every one (default: %(default)s)",
    )
    parser.add_argument(
        "--google-service-account",
        metavar="FILE",
        help="a Google service-account key (JSON): the OAuth token endpoint accepts its JWTs (Vertex AI)",
    )
    return parser


def settings_from_args(argv: Sequence[str]) -> ServerSettings:
    """Parses the command line; exits with status 2 and a usage message when it is invalid."""
    parser = _parser()
    args = parser.parse_args(list(argv))
    try:
        knobs = Knobs(
            **parse_knob_changes(
                {
                    "latency_ms": args.latency_ms,
                    "ttft_ms": args.ttft_ms,
                    "tokens_per_s": args.tokens_per_s,
                    "fault": args.fault,
                    "fault_rate": args.fault_rate,
                    "retry_after": args.retry_after,
                    "drop_after_chunks": args.drop_after_chunks,
                }
            )
        )
    except KnobError as error:
        parser.error(str(error))
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    if args.google_service_account:
        try:
            ServiceAccount.from_file(args.google_service_account)
        except ServiceAccountError as error:
            parser.error(f"--google-service-account: {error}")
    return ServerSettings(
        host=args.host,
        port=args.port,
        api_key=args.api_key or None,
        knobs=knobs,
        aws_access_key_id=args.aws_access_key_id,
        aws_secret_access_key=args.aws_secret_access_key,
        aws_session_token=args.aws_session_token or None,
        aws_region=None if args.aws_region == "any" else args.aws_region,
        google_service_account=args.google_service_account or None,
    )


def main(argv: Sequence[str]) -> int:
    """Runs the fake provider until it is told to stop; returns the exit status."""
    settings = settings_from_args(argv)
    run(settings, on_ready=lambda url: print(f"fake-provider listening on {url}", flush=True))
    return 0
