"""Checking a Bedrock request body against the service model itself, as the service does.

The shapes come from botocore's copy of the Bedrock Runtime service model
(`bedrock-runtime/2023-09-30/service-2.json`, the file AWS's SDKs are built
from), so the fake accepts what the API defines and nothing else: members of
every structure (an unknown one is refused), required members, unions with
exactly one member set, list and string lengths, number ranges, enums,
patterns (matched whole, as the service does) and base64 blobs. Failures are
`ValidationException`s worded like the service's: `1 validation error
detected: Value at 'inferenceConfig.temperature' failed to satisfy
constraint: Member must have value less than or equal to 1`, list members
named `messages.1.member` (counted from 1), and an unknown member as
`Malformed input request: #/inferenceConfig: extraneous key [topK] is not
permitted, ...`.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import cache
from typing import Any

from botocore.loaders import create_loader  # type: ignore[import-untyped]
from botocore.model import ServiceModel, Shape  # type: ignore[import-untyped]

from aigw_fakeprovider.errors import ProviderError

SERVICE = "bedrock-runtime"
_ECHOED_LENGTH = 100  # longer strings, lists and structures are named by path only


def validation_error(message: str) -> ProviderError:
    return ProviderError(400, message, error_type="ValidationException")


def extraneous_key(pointer: str, name: str) -> ProviderError:
    """An unknown member, as Bedrock's JSON-schema check words it (`pointer`: `/a/0/b`, or empty)."""
    return validation_error(
        f"Malformed input request: #{pointer}: extraneous key [{name}] is not permitted, "
        "please reformat your input and try again."
    )


def _constraint(path: str, value: Any, constraint: str) -> ProviderError:
    if value is None:
        subject = "Value null at"
    elif isinstance(value, dict | list) or (isinstance(value, str) and len(value) > _ECHOED_LENGTH):
        subject = "Value at"
    else:
        subject = f"Value '{value}' at"
    return validation_error(
        f"1 validation error detected: {subject} '{path}' failed to satisfy constraint: {constraint}"
    )


@cache
def _pattern(expression: str) -> re.Pattern[str]:
    return re.compile(expression)


def load_service_model() -> ServiceModel:
    """Bedrock Runtime's service model, as shipped with botocore."""
    return ServiceModel(create_loader().load_service_model(SERVICE, "service-2"), service_name=SERVICE)


class OperationInput:
    """The input shape of one operation, checking JSON bodies and URI members."""

    def __init__(self, model: ServiceModel, operation: str) -> None:
        self._shape = model.operation_model(operation).input_shape

    def check_uri_member(self, name: str, value: str) -> None:
        """Checks a member bound to the path (`modelId`) against its shape."""
        _check(value, self._shape.members[name], name, f"/{name}")

    def check_body(self, body: Any) -> None:
        """Checks a JSON body: the members bound to the body (`location` absent), with their constraints."""
        _check_structure(body, self._shape, "", "")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check(value: Any, shape: Shape, path: str, pointer: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return  # any JSON value
        _check_structure(value, shape, path, pointer)
    elif kind == "list":
        _check_list(value, shape, path, pointer)
    elif kind == "map":
        _check_map(value, shape, path, pointer)
    elif kind == "string":
        _check_string(value, shape, path)
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _constraint(path, value, "Member must be an integer")
        _check_range(value, shape, path)
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _constraint(path, value, "Member must be a number")
        _check_range(value, shape, path)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _constraint(path, value, "Member must be a boolean")
    elif kind == "blob":
        _check_blob(value, shape, path)
    else:
        raise _constraint(path, value, f"Member of type {kind} is not accepted in a request body")


def _check_structure(value: Any, shape: Shape, path: str, pointer: str) -> None:
    if not isinstance(value, dict):
        raise _constraint(path or "body", value, "Member must be a structure")
    members = {
        name: member for name, member in shape.members.items() if "location" not in member.serialization
    }
    for name in value:
        if name not in members:
            raise extraneous_key(pointer, name)
    present = [name for name, member in value.items() if member is not None]
    if shape.is_tagged_union and len(present) != 1:
        names = ", ".join(members)
        raise _constraint(path, value, f"Member must have exactly one of these members set: [{names}]")
    for name in shape.required_members:
        if name in members and value.get(name) is None:
            raise _constraint(_join(path, name), None, "Member must not be null")
    for name in present:
        _check(value[name], members[name], _join(path, name), f"{pointer}/{name}")


def _check_length(length: int, value: Any, shape: Shape, path: str) -> None:
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and length < minimum:
        raise _constraint(path, value, f"Member must have length greater than or equal to {minimum}")
    if maximum is not None and length > maximum:
        raise _constraint(path, value, f"Member must have length less than or equal to {maximum}")


def _check_list(value: Any, shape: Shape, path: str, pointer: str) -> None:
    if not isinstance(value, list):
        raise _constraint(path, value, "Member must be a list")
    _check_length(len(value), value, shape, path)
    for index, item in enumerate(value):
        if item is None:
            raise _constraint(f"{path}.{index + 1}.member", None, "Member must not be null")
        _check(item, shape.member, f"{path}.{index + 1}.member", f"{pointer}/{index}")


def _check_map(value: Any, shape: Shape, path: str, pointer: str) -> None:
    if not isinstance(value, dict):
        raise _constraint(path, value, "Member must be a map")
    _check_length(len(value), value, shape, path)
    for key, item in value.items():
        _check_string(key, shape.key, f"{path}.key")
        _check(item, shape.value, f"{path}.{key}", f"{pointer}/{key}")


def _check_string(value: Any, shape: Shape, path: str) -> None:
    if not isinstance(value, str):
        raise _constraint(path, value, "Member must be a string")
    _check_length(len(value), value, shape, path)
    if shape.enum and value not in shape.enum:
        raise _constraint(path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    expression = shape.metadata.get("pattern")
    if expression is not None and not _pattern(expression).fullmatch(value):
        raise _constraint(path, value, f"Member must satisfy regular expression pattern: {expression}")


def _check_range(value: float, shape: Shape, path: str) -> None:
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and value < minimum:
        raise _constraint(path, value, f"Member must have value greater than or equal to {minimum}")
    if maximum is not None and value > maximum:
        raise _constraint(path, value, f"Member must have value less than or equal to {maximum}")


def _check_blob(value: Any, shape: Shape, path: str) -> None:
    if not isinstance(value, str):
        raise _constraint(path, value, "Member must be a base64-encoded string")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _constraint(path, value, "Member must be a base64-encoded string") from None
    _check_length(len(decoded), value, shape, path)
