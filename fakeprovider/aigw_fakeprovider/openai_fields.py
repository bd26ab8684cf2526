"""OpenAI's wording for refused request fields (see `_fields.py` for the rules).

OpenAI names the offending field in `param` (`temperature`,
`messages[0].content`) and words each kind of failure in a fixed way; the
functions here reproduce those messages so a gateway's mistakes surface
exactly as they would against the real API. `null` is an absent field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aigw_fakeprovider._fields import Fields, Kind
from aigw_fakeprovider.errors import InvalidRequestError


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


# How OpenAI names each JSON type in "Invalid type for '<param>': expected <noun>".
_NOUNS = {
    Kind.STRING: "a string",
    Kind.BOOLEAN: "a boolean",
    Kind.INTEGER: "an integer",
    Kind.NUMBER: "a decimal",
    Kind.OBJECT: "an object",
    Kind.ARRAY: "an array",
}


class OpenAIWording:
    """OpenAI's messages, the field named in `param`; an unknown field is refused only at the top level."""

    null_is_absent = True

    def join(self, path: str, key: str | int) -> str:
        if isinstance(key, int):
            return f"{path}[{key}]"
        return f"{path}.{key}" if path else key

    def missing(self, path: str) -> InvalidRequestError:
        return missing(path)

    def wrong_type(self, path: str, kind: Kind, value: Any) -> InvalidRequestError:
        return invalid_type(path, _NOUNS[kind], value)

    def not_one_of(self, path: str, value: str, supported: Sequence[str]) -> InvalidRequestError:
        return invalid_value(path, value, supported)

    def too_small(self, path: str, kind: Kind, value: float, minimum: float) -> InvalidRequestError:
        return out_of_range(path, value, minimum=minimum, maximum=None)

    def too_large(self, path: str, kind: Kind, value: float, maximum: float) -> InvalidRequestError:
        return out_of_range(path, value, minimum=None, maximum=maximum)

    def unknown_fields(self, path: str, names: Sequence[str]) -> InvalidRequestError:
        return unrecognized(names)


OPENAI = OpenAIWording()


def non_empty_array(fields: Fields, key: str, *, required: bool = False) -> list[Any] | None:
    """`fields.array(key)`, refusing an empty list as OpenAI does."""
    found = fields.array(key, required=required)
    if found is not None and not found:
        raise empty_array(fields.at(key))
    return found
