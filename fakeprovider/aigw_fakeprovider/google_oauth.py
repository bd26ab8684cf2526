"""Google's OAuth token endpoint for service accounts, and the access tokens Vertex AI then accepts.

`POST /token` (as `https://oauth2.googleapis.com/token`) takes the JWT bearer
grant (RFC 7523) as a form: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
and `assertion`, a JWT signed with RS256 by the service account's private
key. The fake knows one service account, from its key file
(`--google-service-account`), and checks what Google checks: the signature
against that account's public key (and the key id, when the JWT names one),
`iss` the account's email, `aud` the token endpoint's own URL, a `scope`,
`iat`/`exp` at most an hour apart and around now. It answers
`{"access_token", "expires_in": 3599, "token_type": "Bearer"}`; refusals use
OAuth's `{"error", "error_description"}`.

Issued tokens are kept with their scopes and expiry; `DELETE /_fake/google/tokens`
revokes them all and `DELETE /_fake/google/tokens/{token}` one of them, so a
test can see a client recover from a refused token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from aigw_fakeprovider._http import Request
from aigw_fakeprovider._tokens import IssuedTokens
from aigw_fakeprovider.app import CONTROL_PREFIX, Route
from aigw_fakeprovider.delivery import JsonResponse, Response
from aigw_fakeprovider.errors import ProviderError
from aigw_runtime.clock import Clock

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
TOKEN_LIFETIME_S = 3599
_MAX_ASSERTION_LIFETIME_S = 3600
_CLOCK_SKEW_S = 300
_BAD_SIGNATURE = "Invalid JWT Signature."
_BAD_TIMES = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your "
    "iat and exp values in the JWT claim."
)


class ServiceAccountError(ValueError):
    """The service-account key file cannot be used (the message never holds the key)."""


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    """What the token endpoint knows of the one service account it serves."""

    email: str
    key_id: str | None
    project_id: str | None
    public_key: rsa.RSAPublicKey

    @classmethod
    def from_file(cls, path: str | Path) -> ServiceAccount:
        """Reads a service-account key JSON file; its private key gives the public key to verify with."""
        try:
            info = orjson.loads(Path(path).read_bytes())
        except (OSError, orjson.JSONDecodeError) as error:
            raise ServiceAccountError(f"{path}: not a readable JSON service-account key ({error})") from None
        if not isinstance(info, dict) or not isinstance(info.get("client_email"), str):
            raise ServiceAccountError(f"{path}: a service-account key needs client_email and private_key")
        try:
            key = serialization.load_pem_private_key(str(info.get("private_key", "")).encode(), password=None)
        except (ValueError, TypeError):
            raise ServiceAccountError(f"{path}: private_key is not a PEM private key") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ServiceAccountError(f"{path}: private_key is not an RSA key")
        key_id, project = info.get("private_key_id"), info.get("project_id")
        return cls(
            email=info["client_email"],
            key_id=key_id if isinstance(key_id, str) else None,
            project_id=project if isinstance(project, str) else None,
            public_key=key.public_key(),
        )


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What an access token grants: the service account it was issued to, and its scopes."""

    email: str
    scopes: frozenset[str]


class TokenStore(IssuedTokens[TokenGrant]):
    """Access tokens issued by the token endpoint, checked by the APIs that take them."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, prefix="ya29.fake-", lifetime_s=TOKEN_LIFETIME_S)


def _oauth_error(status: int, error: str, description: str) -> ProviderError:
    return ProviderError(status, description, error_type=error)


def _invalid_grant(description: str) -> ProviderError:
    return _oauth_error(400, "invalid_grant", description)


def _segment(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode(assertion: str) -> tuple[dict[str, object], dict[str, object], bytes, bytes]:
    """The JWT's header, claims, signed bytes and signature; a malformed one is an invalid grant."""
    pieces = assertion.split(".")
    if len(pieces) != 3:
        raise _invalid_grant("Invalid JWT: the assertion is not a signed JWT.")
    try:
        header, claims = orjson.loads(_segment(pieces[0])), orjson.loads(_segment(pieces[1]))
        signature = _segment(pieces[2])
    except (binascii.Error, ValueError):
        raise _invalid_grant("Invalid JWT: the assertion is not a signed JWT.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _invalid_grant("Invalid JWT: the assertion is not a signed JWT.")
    return header, claims, f"{pieces[0]}.{pieces[1]}".encode("ascii"), signature


class GoogleOAuthProtocol:
    """The token endpoint, and a control route to revoke every token issued."""

    def __init__(self, *, account: ServiceAccount | None, tokens: TokenStore, clock: Clock) -> None:
        self._account = account
        self._tokens = tokens
        self._clock = clock

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", "/token", self._token),
            Route("DELETE", f"{CONTROL_PREFIX}google/tokens", self._revoke_all),
            Route("DELETE", f"{CONTROL_PREFIX}google/tokens/{{token}}", self._revoke),
        )

    def error_response(self, error: ProviderError) -> Response:
        body = {"error": error.error_type, "error_description": error.message}
        return JsonResponse(error.status, body, headers=[("cache-control", "no-cache, no-store, max-age=0")])

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        return _oauth_error(405 if allowed_methods else 404, "invalid_request", "Unsupported method or path.")

    async def _revoke_all(self, request: Request) -> Response:
        return JsonResponse(200, {"revoked": self._tokens.revoke_all()})

    async def _revoke(self, request: Request) -> Response:
        if not self._tokens.revoke(request.path_params["token"]):
            raise _oauth_error(404, "invalid_token", "No such token was issued, or it has already gone.")
        return JsonResponse(200, {"revoked": 1})

    async def _token(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise _oauth_error(400, "invalid_request", "Required parameter is missing: grant_type")
        form = {name: values[0] for name, values in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        if not grant:
            raise _oauth_error(400, "invalid_request", "Required parameter is missing: grant_type")
        if grant != JWT_BEARER:
            raise _oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
        assertion = form.get("assertion")
        if not assertion:
            raise _oauth_error(400, "invalid_request", "Required parameter is missing: assertion")
        account, scopes = self._verify(assertion, f"http://{request.headers.get('host', '')}{request.path}")
        token = self._tokens.issue(TokenGrant(account.email, scopes))
        body = {"access_token": token, "expires_in": TOKEN_LIFETIME_S, "token_type": "Bearer"}
        return JsonResponse(200, body, headers=[("cache-control", "no-cache, no-store, max-age=0")])

    def _verify(self, assertion: str, own_url: str) -> tuple[ServiceAccount, frozenset[str]]:
        header, claims, signed, signature = _decode(assertion)
        account = self._account
        if account is None or claims.get("iss") != account.email:
            raise _invalid_grant("Invalid grant: account not found")
        if header.get("alg") != "RS256":
            raise _invalid_grant(_BAD_SIGNATURE)
        kid = header.get("kid")
        if kid is not None and kid != account.key_id:
            raise _invalid_grant(_BAD_SIGNATURE)
        try:
            account.public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise _invalid_grant(_BAD_SIGNATURE) from None
        if claims.get("aud") != own_url:
            raise _invalid_grant(f"Invalid JWT: Failed audience check. The right audience is {own_url}")
        issued, expires = claims.get("iat"), claims.get("exp")
        now = self._clock.now()
        if (
            not isinstance(issued, int)
            or not isinstance(expires, int)
            or expires - issued > _MAX_ASSERTION_LIFETIME_S
            or issued > now + _CLOCK_SKEW_S
            or expires <= now
        ):
            raise _invalid_grant(_BAD_TIMES)
        subject = claims.get("sub")
        if subject is not None and subject != account.email:
            raise _oauth_error(
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client not "
                "authorized for any of the scopes requested.",
            )
        scope = claims.get("scope")
        if not isinstance(scope, str) or not scope.split():
            raise _oauth_error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        return account, frozenset(scope.split())
