"""Microsoft Entra ID's token endpoint, as far as Azure OpenAI's clients use it.

`POST /{tenant}/oauth2/v2.0/token` takes the client-credentials grant as a form
(`grant_type=client_credentials`, `client_id`, `client_secret`, `scope` ending
in `/.default`) and answers `{"token_type": "Bearer", "expires_in",
"ext_expires_in", "access_token"}`. The client secret must be the fake's API
key (any non-empty secret when none is configured). Refusals use Entra's
OAuth error envelope (`error`, `error_description` with its AADSTS code,
`error_codes`, ...). The tokens issued are kept, with their audience and
expiry, so the Azure OpenAI protocol accepts exactly those (see `azure.py`).
`DELETE /_fake/azure/tokens` revokes them all, as when Azure stops honouring
a token before it expires.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from urllib.parse import parse_qs

from aigw_fakeprovider._http import Request
from aigw_fakeprovider._tokens import IssuedTokens
from aigw_fakeprovider.app import CONTROL_PREFIX, Route
from aigw_fakeprovider.delivery import JsonResponse, Response
from aigw_fakeprovider.errors import ProviderError
from aigw_runtime.clock import Clock

TOKEN_LIFETIME_S = 3599
COGNITIVE_SERVICES = "https://cognitiveservices.azure.com"
_DEFAULT_SUFFIX = "/.default"


class TokenIssuer(IssuedTokens[str]):
    """Entra's access tokens, each granting access to one audience (the resource its scope named)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock, prefix="eyJ0eXAiOiJKV1QifQ.", lifetime_s=TOKEN_LIFETIME_S)

    def valid(self, token: str, audience: str) -> bool:
        """Whether `token` was issued here for `audience` and has not expired or been revoked."""
        return self.lookup(token) == audience


class EntraError(ProviderError):
    """An OAuth error as Entra ID words it: an error name, an AADSTS code and its description."""

    def __init__(self, status: int, error: str, aadsts: int, description: str) -> None:
        super().__init__(status, f"AADSTS{aadsts}: {description}", error_type=error, code=str(aadsts))
        self.aadsts = aadsts


def _missing(parameter: str) -> EntraError:
    return EntraError(
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{parameter}'.",
    )


class EntraTokenProtocol:
    """The client-credentials token endpoint of any tenant."""

    def __init__(self, *, client_secret: str | None, issuer: TokenIssuer) -> None:
        self._client_secret = client_secret
        self._issuer = issuer

    def routes(self) -> Sequence[Route]:
        return (
            Route("POST", "/{tenant}/oauth2/v2.0/token", self._token),
            Route("DELETE", f"{CONTROL_PREFIX}azure/tokens", self._revoke),
        )

    def error_response(self, error: ProviderError) -> Response:
        trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
        timestamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        code = error.aadsts if isinstance(error, EntraError) else 90056
        name = error.error_type if isinstance(error, EntraError) else "invalid_request"
        description = f"{error.message}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\n" + (
            f"Timestamp: {timestamp}"
        )
        body = {
            "error": name,
            "error_description": description,
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        }
        return JsonResponse(error.status, body, headers=[("cache-control", "no-store, no-cache")])

    def unknown_route(self, request: Request, allowed_methods: Sequence[str]) -> ProviderError:
        return EntraError(
            405 if allowed_methods else 404,
            "invalid_request",
            90056,
            "The resource is malformed or not supported; the token endpoint takes POST only.",
        )

    async def _revoke(self, request: Request) -> Response:
        return JsonResponse(200, {"revoked": self._issuer.revoke_all()})

    async def _token(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise _missing("grant_type")
        form = {name: values[0] for name, values in parse_qs(request.body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        if not grant:
            raise _missing("grant_type")
        if grant != "client_credentials":
            raise EntraError(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        client_id = form.get("client_id")
        if not client_id:
            raise _missing("client_id")
        scope = form.get("scope")
        if not scope:
            raise _missing("scope")
        if not scope.endswith(_DEFAULT_SUFFIX) or " " in scope:
            raise EntraError(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a "
                "scope value with /.default suffixed to the resource identifier (application ID URI).",
            )
        secret = form.get("client_secret")
        if not secret:
            raise EntraError(
                401,
                "invalid_client",
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' "
                "grant type.",
            )
        if self._client_secret is not None and secret != self._client_secret:
            raise EntraError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app '{client_id}'.",
            )
        token = self._issuer.issue(scope.removesuffix(_DEFAULT_SUFFIX))
        body = {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_S,
            "ext_expires_in": TOKEN_LIFETIME_S,
            "access_token": token,
        }
        return JsonResponse(200, body, headers=[("cache-control", "no-store, no-cache")])
