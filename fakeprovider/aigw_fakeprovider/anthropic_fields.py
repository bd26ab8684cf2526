"""Anthropic's wording for refused request fields (see `_fields.py` for the rules).

Anthropic validates bodies like a pydantic model and words a failure as
`<path>: <problem>`, the path dotted with list indices as numbers
(`messages.0.content.1.source.media_type: Input should be ...`). Unknown
fields are refused (`<path>: Extra inputs are not permitted`), and `null` is
a value of the wrong type unless the field is nullable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aigw_fakeprovider._fields import Kind
from aigw_fakeprovider.errors import InvalidRequestError

# What pydantic calls each JSON type in "Input should be a valid <noun>".
_NOUNS = {
    Kind.STRING: "string",
    Kind.BOOLEAN: "boolean",
    Kind.INTEGER: "integer",
    Kind.NUMBER: "number",
    Kind.OBJECT: "dictionary",
    Kind.ARRAY: "list",
}


def invalid(path: str, problem: str) -> InvalidRequestError:
    return InvalidRequestError(f"{path}: {problem}" if path else problem)


def _quoted(values: Sequence[str]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _bound(kind: Kind, bound: float) -> str:
    return f"{bound:g}" if kind is Kind.NUMBER else str(bound)


class AnthropicWording:
    """Pydantic's messages at dotted paths."""

    null_is_absent = False

    def join(self, path: str, key: str | int) -> str:
        return f"{path}.{key}" if path else str(key)

    def missing(self, path: str) -> InvalidRequestError:
        return invalid(path, "Field required")

    def wrong_type(self, path: str, kind: Kind, value: Any) -> InvalidRequestError:
        return invalid(path, f"Input should be a valid {_NOUNS[kind]}")

    def not_one_of(self, path: str, value: str, supported: Sequence[str]) -> InvalidRequestError:
        return invalid(path, f"Input should be {_quoted(supported)}")

    def too_small(self, path: str, kind: Kind, value: float, minimum: float) -> InvalidRequestError:
        return invalid(path, f"Input should be greater than or equal to {_bound(kind, minimum)}")

    def too_large(self, path: str, kind: Kind, value: float, maximum: float) -> InvalidRequestError:
        return invalid(path, f"Input should be less than or equal to {_bound(kind, maximum)}")

    def unknown_fields(self, path: str, names: Sequence[str]) -> InvalidRequestError:
        return invalid(self.join(path, names[0]), "Extra inputs are not permitted")


ANTHROPIC = AnthropicWording()
