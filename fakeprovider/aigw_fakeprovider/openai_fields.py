"""Typed reads of JSON request fields that fail with OpenAI's own 400 messages.

OpenAI names the offending field in `param` (`temperature`,
`messages[0].content`) and words each kind of failure in a fixed way; the
functions here reproduce those messages so a gateway's mistakes surface
exactly as they would against the real API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aigw_fakeprovider.errors import InvalidRequestError

_MISSING = object()


def describe(value: Any) -> str:
    """How OpenAI names a JSON value's type in its messages ("an integer", "a decimal number")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _quoted_list(values: Sequence[str]) -> str:
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def missing(param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def invalid_type(param: str, expected: str, value: Any) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid type for '{param}': expected {expected}, but got {describe(value)} instead.",
        param=param,
        code="invalid_type",
    )


def invalid_value(param: str, value: Any, supported: Sequence[str]) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid value: '{value}'. Supported values are: {_quoted_list(supported)}.",
        param=param,
        code="invalid_value",
    )


def out_of_range(
    param: str, value: float, *, minimum: float | None, maximum: float | None
) -> InvalidRequestError:
    kind = "integer" if isinstance(value, int) else "decimal"
    if minimum is not None and value < minimum:
        side, relation, bound, code = "below minimum", ">=", minimum, f"{kind}_below_min_value"
    else:
        side, relation, bound, code = "above maximum", "<=", maximum or 0, f"{kind}_above_max_value"
    return InvalidRequestError(
        f"Invalid '{param}': {kind} {side} value. "
        f"Expected a value {relation} {bound:g}, but got {value:g} instead.",
        param=param,
        code=code,
    )


def empty_array(param: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid '{param}': empty array. "
        "Expected an array with minimum length 1, but got an empty array instead.",
        param=param,
        code="empty_array",
    )


def array_too_long(param: str, maximum: int, length: int) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid '{param}': array too long. Expected an array with maximum length {maximum}, "
        f"but got an array with length {length} instead.",
        param=param,
        code="array_above_max_length",
    )


def unrecognized(names: Sequence[str]) -> InvalidRequestError:
    noun = "argument" if len(names) == 1 else "arguments"
    return InvalidRequestError(f"Unrecognized request {noun} supplied: {', '.join(names)}")


class Fields:
    """One JSON object's fields, read with type and range checks; `prefix` is its own param path."""

    def __init__(self, value: Mapping[str, Any], prefix: str = "") -> None:
        self.value = value
        self.prefix = prefix

    def param(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def _get(self, key: str, required: bool) -> Any:
        found = self.value.get(key, _MISSING)
        if required and (found is _MISSING or found is None):
            raise missing(self.param(key))
        return None if found is _MISSING else found

    def string(self, key: str, *, required: bool = False) -> str | None:
        found = self._get(key, required)
        if found is not None and not isinstance(found, str):
            raise invalid_type(self.param(key), "a string", found)
        return found

    def required_string(self, key: str) -> str:
        found = self.string(key, required=True)
        assert found is not None  # a missing value raised above
        return found

    def choice(self, key: str, supported: Sequence[str]) -> str | None:
        found = self.string(key)
        if found is not None and found not in supported:
            raise invalid_value(self.param(key), found, supported)
        return found

    def required_choice(self, key: str, supported: Sequence[str]) -> str:
        self.required_string(key)
        found = self.choice(key, supported)
        assert found is not None  # a missing value raised above
        return found

    def boolean(self, key: str) -> bool | None:
        found = self._get(key, False)
        if found is not None and not isinstance(found, bool):
            raise invalid_type(self.param(key), "a boolean", found)
        return found

    def integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
        found = self._get(key, False)
        if found is None:
            return None
        if isinstance(found, bool) or not isinstance(found, int):
            raise invalid_type(self.param(key), "an integer", found)
        _check_range(self.param(key), found, minimum, maximum)
        return found

    def number(self, key: str, *, minimum: float | None = None, maximum: float | None = None) -> float | None:
        found = self._get(key, False)
        if found is None:
            return None
        if isinstance(found, bool) or not isinstance(found, int | float):
            raise invalid_type(self.param(key), "a decimal", found)
        _check_range(self.param(key), found, minimum, maximum)
        return float(found)

    def object(self, key: str, *, required: bool = False) -> Fields | None:
        found = self._get(key, required)
        if found is None:
            return None
        if not isinstance(found, dict):
            raise invalid_type(self.param(key), "an object", found)
        return Fields(found, self.param(key))

    def required_object(self, key: str) -> Fields:
        found = self.object(key, required=True)
        assert found is not None  # a missing value raised above
        return found

    def array(self, key: str, *, required: bool = False, non_empty: bool = False) -> list[Any] | None:
        found = self._get(key, required)
        if found is None:
            return None
        if not isinstance(found, list):
            raise invalid_type(self.param(key), "an array", found)
        if non_empty and not found:
            raise empty_array(self.param(key))
        return found


def _check_range(param: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise out_of_range(param, value, minimum=minimum, maximum=maximum)
