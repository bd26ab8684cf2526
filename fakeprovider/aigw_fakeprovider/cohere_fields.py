"""Cohere's wording for refused request fields (see `_fields.py` for the rules).

Cohere answers a field it does not define, at any depth, with a 422
`unknown field: parameter '<name>' is not a valid field. For proper usage,
please refer to https://docs.cohere.com/reference/<endpoint>` (as quoted in
public bug reports for `strict` inside a tool and `tool_content` inside a
message), and any other invalid body with a 400 whose message starts with
`invalid request: `. Paths in messages name list items by index
(`messages[1].content[0].image_url.url`); `null` is an absent field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from aigw_fakeprovider._fields import Fields, Kind
from aigw_fakeprovider.errors import ProviderError

_REFERENCE = "https://docs.cohere.com/reference/"
_NOUNS = {
    Kind.STRING: "a string",
    Kind.BOOLEAN: "a boolean",
    Kind.INTEGER: "an integer",
    Kind.NUMBER: "a number",
    Kind.OBJECT: "an object",
    Kind.ARRAY: "an array",
}


def invalid(problem: str) -> ProviderError:
    """Cohere's 400 for a body that breaks one of its rules."""
    return ProviderError(400, f"invalid request: {problem}", error_type="invalid_request")


def unknown_field(name: str, endpoint: str) -> ProviderError:
    """Cohere's 422 for a field its API does not define."""
    return ProviderError(
        422,
        f"unknown field: parameter '{name}' is not a valid field. For proper usage, please refer to "
        f"{_REFERENCE}{endpoint}",
        error_type="unprocessable_entity",
    )


def _shown(kind: Kind, number: float) -> str:
    return f"{number:g}" if kind is Kind.NUMBER else str(number)


@dataclass(frozen=True, slots=True)
class CohereWording:
    """Cohere's messages; `endpoint` names the API reference page an unknown-field error points to."""

    endpoint: str
    null_is_absent: ClassVar[bool] = True

    def join(self, path: str, key: str | int) -> str:
        if isinstance(key, int):
            return f"{path}[{key}]"
        return f"{path}.{key}" if path else key

    def missing(self, path: str) -> ProviderError:
        return invalid(f"{path} is required")

    def wrong_type(self, path: str, kind: Kind, value: Any) -> ProviderError:
        return invalid(f"{path} must be {_NOUNS[kind]}")

    def not_one_of(self, path: str, value: str, supported: Sequence[str]) -> ProviderError:
        return invalid(f"{path} must be one of {', '.join(supported)}, got '{value}'")

    def too_small(self, path: str, kind: Kind, value: float, minimum: float) -> ProviderError:
        return invalid(f"{path}: {_shown(kind, value)} is not greater or equal to {_shown(kind, minimum)}")

    def too_large(self, path: str, kind: Kind, value: float, maximum: float) -> ProviderError:
        return invalid(f"{path}: {_shown(kind, value)} is not less or equal to {_shown(kind, maximum)}")

    def unknown_fields(self, path: str, names: Sequence[str]) -> ProviderError:
        return unknown_field(names[0], self.endpoint)


CHAT = CohereWording("chat")
EMBED = CohereWording("embed")


def strings(fields: Fields, key: str, *, max_items: int | None = None) -> list[str] | None:
    """An array of strings, with at most `max_items` of them."""
    found = fields.array(key)
    if found is None:
        return None
    if not all(isinstance(item, str) for item in found):
        raise invalid(f"{fields.at(key)} must be an array of strings")
    if max_items is not None and len(found) > max_items:
        raise invalid(f"{fields.at(key)} must have at most {max_items} items, got {len(found)}")
    return found
