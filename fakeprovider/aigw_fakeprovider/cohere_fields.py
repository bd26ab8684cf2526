"""Typed reads of Cohere request fields that fail the way Cohere's API does.

Cohere answers a field it does not define, at any depth, with a 422
`unknown field: parameter '<name>' is not a valid field. For proper usage,
please refer to https://docs.cohere.com/reference/<endpoint>` (as quoted in
public bug reports for `strict` inside a tool and `tool_content` inside a
message), and any other invalid body with a 400 whose message starts with
`invalid request: `. Paths in messages name list items by index
(`messages[1].content[0].image_url.url`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aigw_fakeprovider.errors import ProviderError

_REFERENCE = "https://docs.cohere.com/reference/"
_MISSING = object()


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


class Fields:
    """One JSON object's fields at `path`, read with type and range checks.

    `endpoint` names the API reference page an unknown-field error points to.
    """

    def __init__(self, value: Mapping[str, Any], endpoint: str, path: str = "") -> None:
        self.value = value
        self.endpoint = endpoint
        self.path = path

    def at(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def child(self, value: Mapping[str, Any], path: str) -> Fields:
        return Fields(value, self.endpoint, path)

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        known = set(allowed)
        for name in self.value:
            if name not in known:
                raise unknown_field(name, self.endpoint)

    def _get(self, key: str, required: bool) -> Any:
        found = self.value.get(key, _MISSING)
        if found is _MISSING or found is None:
            if required:
                raise invalid(f"{self.at(key)} is required")
            return None
        return found

    def string(self, key: str, *, required: bool = False) -> str | None:
        found = self._get(key, required)
        if found is not None and not isinstance(found, str):
            raise invalid(f"{self.at(key)} must be a string")
        return found

    def required_string(self, key: str) -> str:
        found = self.string(key, required=True)
        assert found is not None  # a missing value raised above
        return found

    def choice(self, key: str, supported: Sequence[str], *, required: bool = False) -> str | None:
        found = self.string(key, required=required)
        if found is not None and found not in supported:
            raise invalid(f"{self.at(key)} must be one of {', '.join(supported)}, got '{found}'")
        return found

    def boolean(self, key: str) -> bool | None:
        found = self._get(key, False)
        if found is not None and not isinstance(found, bool):
            raise invalid(f"{self.at(key)} must be a boolean")
        return found

    def integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
        found = self._get(key, False)
        if found is None:
            return None
        if isinstance(found, bool) or not isinstance(found, int):
            raise invalid(f"{self.at(key)} must be an integer")
        if minimum is not None and found < minimum:
            raise invalid(f"{self.at(key)}: {found} is not greater or equal to {minimum}")
        if maximum is not None and found > maximum:
            raise invalid(f"{self.at(key)}: {found} is not less or equal to {maximum}")
        return found

    def number(self, key: str, *, minimum: float, maximum: float | None = None) -> float | None:
        found = self._get(key, False)
        if found is None:
            return None
        if isinstance(found, bool) or not isinstance(found, int | float):
            raise invalid(f"{self.at(key)} must be a number")
        if found < minimum:
            raise invalid(f"{self.at(key)}: {found:g} is not greater or equal to {minimum:g}")
        if maximum is not None and found > maximum:
            raise invalid(f"{self.at(key)}: {found:g} is not less or equal to {maximum:g}")
        return float(found)

    def object(self, key: str, *, required: bool = False) -> Fields | None:
        found = self._get(key, required)
        if found is None:
            return None
        if not isinstance(found, dict):
            raise invalid(f"{self.at(key)} must be an object")
        return self.child(found, self.at(key))

    def required_object(self, key: str) -> Fields:
        found = self.object(key, required=True)
        assert found is not None  # a missing value raised above
        return found

    def array(self, key: str, *, required: bool = False) -> list[Any] | None:
        found = self._get(key, required)
        if found is not None and not isinstance(found, list):
            raise invalid(f"{self.at(key)} must be an array")
        return found

    def objects(self, key: str, *, required: bool = False) -> list[Fields] | None:
        """A list whose items must all be objects, each with its own path."""
        found = self.array(key, required=required)
        if found is None:
            return None
        items: list[Fields] = []
        for index, item in enumerate(found):
            path = f"{self.at(key)}[{index}]"
            if not isinstance(item, dict):
                raise invalid(f"{path} must be an object")
            items.append(self.child(item, path))
        return items

    def strings(self, key: str, *, max_items: int | None = None) -> list[str] | None:
        found = self.array(key)
        if found is None:
            return None
        if not all(isinstance(item, str) for item in found):
            raise invalid(f"{self.at(key)} must be an array of strings")
        if max_items is not None and len(found) > max_items:
            raise invalid(f"{self.at(key)} must have at most {max_items} items, got {len(found)}")
        return found
