"""Reading Google's proto3 JSON bodies the way Google's front end does, with its error wording.

Every Google API parses a JSON body into a protobuf message: a field may be
named in lowerCamelCase or in the proto's snake_case, `null` means absent,
and any other name is refused before anything else is looked at (`Invalid
JSON payload received. Unknown name "messages" at 'contents[0]': Cannot find
field.`). A value of the wrong type is `Invalid value at '<path>' (<type>),
<value>`. Paths use the proto's snake_case names with list indices
(`contents[0].parts[1].inline_data`). Rules checked after parsing are worded
`* GenerateContentRequest.<path>: <problem>`.

Errors are `GoogleError`s: a `google.rpc.Status` (`code`, `message`,
`status`, optional `details`) inside `{"error": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import orjson

from aigw_fakeprovider.errors import ProviderError

AI_STUDIO_PACKAGE = "google.ai.generativelanguage.v1beta"
VERTEX_PACKAGE = "google.cloud.aiplatform.v1"

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_TYPE_PREFIX = "type.googleapis.com/"
_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")
_MAX_ECHO = 80


class GoogleError(ProviderError):
    """A failure as a `google.rpc.Status`: HTTP status, message, canonical status name, details."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        google_status: str | None = None,
        details: Sequence[Mapping[str, Any]] = (),
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(
            status,
            message,
            error_type=google_status or STATUS_NAMES.get(status, "UNKNOWN"),
            retry_after_s=retry_after_s,
        )
        self.details = list(details)


def status_body(error: ProviderError) -> dict[str, Any]:
    """`{"error": {code, message, status[, details]}}` for any provider error."""
    body: dict[str, Any] = {"code": error.status, "message": error.message}
    body["status"] = (
        error.error_type if isinstance(error, GoogleError) else STATUS_NAMES.get(error.status, "UNKNOWN")
    )
    if isinstance(error, GoogleError) and error.details:
        body["details"] = error.details
    return {"error": body}


def _bad_request(message: str) -> GoogleError:
    violation = {
        "@type": f"{_TYPE_PREFIX}google.rpc.BadRequest",
        "fieldViolations": [{"description": message}],
    }
    return GoogleError(400, message, details=[violation])


def not_json() -> GoogleError:
    return _bad_request("Invalid JSON payload received. Expected a JSON object, got something else.")


def unknown_name(name: str, path: str) -> GoogleError:
    where = f" at '{path}'" if path else ""
    return _bad_request(f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find field.')


def unknown_query_parameter(name: str) -> GoogleError:
    return _bad_request(
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name}' could not be found in request message."
    )


def invalid_value(path: str, type_name: str, value: Any) -> GoogleError:
    echoed = orjson.dumps(value).decode()
    if len(echoed) > _MAX_ECHO:
        echoed = echoed[:_MAX_ECHO] + "..."
    return _bad_request(f"Invalid value at '{path}' ({type_name}), {echoed}")


def violation(request_type: str, path: str, problem: str) -> GoogleError:
    """A rule the request breaks after it parsed, in Google's `* Request.path: problem` form."""
    return GoogleError(400, f"* {request_type}.{path}: {problem}\n")


def invalid_argument(message: str) -> GoogleError:
    return GoogleError(400, message)


def snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def decode_bytes(value: str) -> bytes | None:
    """A proto `bytes` value (standard or URL-safe base64, padding optional), or None if invalid."""
    text = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


class Message:
    """One JSON object read as the proto message `type_name`, knowing only the fields in `known`."""

    def __init__(
        self, value: Any, path: str, known: Collection[str], *, type_name: str, package: str
    ) -> None:
        if not isinstance(value, dict):
            raise invalid_value(path or type_name, f"{_TYPE_PREFIX}{package}.{type_name}", value)
        self.path = path
        self.package = package
        self.values: dict[str, Any] = {}
        for key, item in value.items():
            name = key if key in known else camel(key)
            if name not in known:
                raise unknown_name(key, path)
            if item is not None:
                self.values[name] = item

    def has(self, name: str) -> bool:
        return name in self.values

    def at(self, name: str) -> str:
        return f"{self.path}.{snake(name)}" if self.path else snake(name)

    def string(self, name: str) -> str | None:
        found = self.values.get(name)
        if found is not None and not isinstance(found, str):
            raise invalid_value(self.at(name), "TYPE_STRING", found)
        return found

    def boolean(self, name: str) -> bool | None:
        found = self.values.get(name)
        if found is not None and not isinstance(found, bool):
            raise invalid_value(self.at(name), "TYPE_BOOL", found)
        return found

    def integer(self, name: str, type_name: str = "TYPE_INT32") -> int | None:
        found = self.values.get(name)
        if found is None:
            return None
        if isinstance(found, str) and re.fullmatch(r"-?\d+", found):
            found = int(found)  # proto3 JSON takes integers as strings too
        if isinstance(found, float) and found.is_integer():
            found = int(found)
        if isinstance(found, bool) or not isinstance(found, int):
            raise invalid_value(self.at(name), type_name, found)
        limit = 2**31 if type_name == "TYPE_INT32" else 2**63
        if not -limit <= found < limit:
            raise invalid_value(self.at(name), type_name, found)
        return found

    def number(self, name: str) -> float | None:
        found = self.values.get(name)
        if found is not None and (isinstance(found, bool) or not isinstance(found, int | float)):
            raise invalid_value(self.at(name), "TYPE_FLOAT", found)
        return None if found is None else float(found)

    def enum(self, name: str, values: Collection[str], enum_type: str) -> str | None:
        found = self.values.get(name)
        if found is not None and found not in values:
            raise invalid_value(self.at(name), f"{_TYPE_PREFIX}{self.package}.{enum_type}", found)
        return found

    def strings(self, name: str) -> list[str]:
        found = self.values.get(name, [])
        if not isinstance(found, list):
            raise invalid_value(self.at(name), "TYPE_STRING", found)
        for index, item in enumerate(found):
            if not isinstance(item, str):
                raise invalid_value(f"{self.at(name)}[{index}]", "TYPE_STRING", item)
        return found

    def struct(self, name: str) -> dict[str, Any] | None:
        """A `google.protobuf.Struct`: any JSON object."""
        found = self.values.get(name)
        if found is not None and not isinstance(found, dict):
            raise invalid_value(self.at(name), f"{_TYPE_PREFIX}google.protobuf.Struct", found)
        return found

    def message(self, name: str, known: Collection[str], type_name: str) -> Message | None:
        if name not in self.values:
            return None
        return Message(self.values[name], self.at(name), known, type_name=type_name, package=self.package)

    def messages(self, name: str, known: Collection[str], type_name: str) -> list[Message]:
        found = self.values.get(name, [])
        if not isinstance(found, list):
            raise invalid_value(self.at(name), f"{_TYPE_PREFIX}{self.package}.{type_name}", found)
        return [
            Message(item, f"{self.at(name)}[{index}]", known, type_name=type_name, package=self.package)
            for index, item in enumerate(found)
        ]


def parse_body(body: bytes, known: Collection[str], *, type_name: str, package: str) -> Message:
    """The request body as the top-level message `type_name`."""
    try:
        value = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        raise not_json() from None
    if not isinstance(value, dict):
        raise not_json()
    return Message(value, "", known, type_name=type_name, package=package)
