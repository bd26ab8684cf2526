"""Checking a request's AWS Signature Version 4 the way Bedrock does, with botocore's own signer.

The fake recomputes the signature from what arrived (method, the path exactly
as sent, still percent-encoded, which botocore's signer encodes once more as
AWS does for every service but S3; the query; the headers named in
`SignedHeaders`; the body) with its configured secret key and the request's
own `X-Amz-Date`, and compares. A signed `X-Amz-Content-SHA256` must be the
body's hash. Failures answer as AWS does: 403 with
`MissingAuthenticationTokenException`, `IncompleteSignatureException`,
`UnrecognizedClientException` (an unknown key or session token) or
`InvalidSignatureException` (a wrong signature, scope, region, or a date more
than five minutes away).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.credentials import ReadOnlyCredentials  # type: ignore[import-untyped]

from aigw_fakeprovider._http import Request
from aigw_fakeprovider.errors import ProviderError
from aigw_runtime.clock import Clock

SERVICE = "bedrock"
MAX_SKEW_S = 300
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]{64})"
)
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def forbidden(error_type: str, message: str) -> ProviderError:
    return ProviderError(403, message, error_type=error_type)


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    """The one identity the fake knows."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


@dataclass(frozen=True, slots=True)
class _Scope:
    access_key_id: str
    date: str
    region: str
    service: str


def _scope(credential: str) -> _Scope:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise forbidden(
            "IncompleteSignatureException",
            f"Credential should be scoped to a valid region, not '{credential}'.",
        )
    return _Scope(*parts[:4])


class SigV4Verifier:
    """Accepts a request only if its SigV4 signature is the one the fake's credentials produce."""

    def __init__(self, credentials: AwsCredentials, clock: Clock, region: str | None = None) -> None:
        self._credentials = credentials
        self._clock = clock
        self._region = region

    def verify(self, request: Request, raw_path: str) -> None:
        """Raises a 403 ProviderError unless `request`, sent to `raw_path` (as encoded), is signed right."""
        header = request.headers.get("authorization")
        if not header:
            raise forbidden("MissingAuthenticationTokenException", "Missing Authentication Token")
        found = _AUTHORIZATION.fullmatch(header.strip())
        if found is None:
            raise forbidden(
                "IncompleteSignatureException",
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
            )
        scope = _scope(found["credential"])
        if scope.access_key_id != self._credentials.access_key_id:
            raise forbidden(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        if scope.service != SERVICE:
            raise forbidden(
                "InvalidSignatureException", f"Credential should be scoped to correct service: '{SERVICE}'."
            )
        if self._region is not None and scope.region != self._region:
            raise forbidden(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region, not '{scope.region}'. "
                f"Should be '{self._region}'.",
            )
        signed = found["signed"].split(";")
        self._check_date(request, scope, signed)
        self._check_token(request, signed)
        if "host" not in signed or any(name not in request.headers for name in signed):
            raise forbidden("InvalidSignatureException", BAD_SIGNATURE)
        content_hash = request.headers.get("x-amz-content-sha256")
        if content_hash is not None and content_hash != hashlib.sha256(request.body).hexdigest():
            raise forbidden("InvalidSignatureException", "The provided x-amz-content-sha256 does not match.")
        expected = self._signature(request, raw_path, scope, signed)
        if not hmac.compare_digest(expected, found["signature"]):
            raise forbidden("InvalidSignatureException", BAD_SIGNATURE)

    def _check_date(self, request: Request, scope: _Scope, signed: list[str]) -> None:
        stamp = request.headers.get("x-amz-date", "")
        try:
            moment = datetime.strptime(stamp, _DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise forbidden(
                "IncompleteSignatureException",
                "Authorization header requires existence of a valid X-Amz-Date.",
            ) from None
        if "x-amz-date" not in signed or stamp[:8] != scope.date:
            raise forbidden("InvalidSignatureException", BAD_SIGNATURE)
        now = self._clock.now()
        earliest = datetime.fromtimestamp(now - MAX_SKEW_S, UTC).strftime(_DATE_FORMAT)
        latest = datetime.fromtimestamp(now + MAX_SKEW_S, UTC).strftime(_DATE_FORMAT)
        current = datetime.fromtimestamp(now, UTC).strftime(_DATE_FORMAT)
        if moment.timestamp() < now - MAX_SKEW_S:
            raise forbidden(
                "InvalidSignatureException",
                f"Signature expired: {stamp} is now earlier than {earliest} ({current} - 5 min.)",
            )
        if moment.timestamp() > now + MAX_SKEW_S:
            raise forbidden(
                "InvalidSignatureException",
                f"Signature not yet current: {stamp} is still later than {latest} ({current} + 5 min.)",
            )

    def _check_token(self, request: Request, signed: list[str]) -> None:
        expected = self._credentials.session_token
        sent = request.headers.get("x-amz-security-token")
        if expected is None and sent is None:
            return
        if sent != expected or "x-amz-security-token" not in signed:
            raise forbidden(
                "UnrecognizedClientException", "The security token included in the request is invalid."
            )

    def _signature(self, request: Request, path: str, scope: _Scope, signed: list[str]) -> str:
        headers = {name: request.headers[name] for name in signed}
        query = f"?{request.query}" if request.query else ""
        aws_request = AWSRequest(
            method=request.method,
            url=f"http://{headers['host']}{path}{query}",
            headers=headers,
            data=request.body,
        )
        aws_request.context["timestamp"] = request.headers["x-amz-date"]
        credentials = ReadOnlyCredentials(scope.access_key_id, self._credentials.secret_access_key, None)
        signer = SigV4Auth(credentials, scope.service, scope.region)
        canonical = signer.canonical_request(aws_request)
        return str(signer.signature(signer.string_to_sign(aws_request, canonical), aws_request))
