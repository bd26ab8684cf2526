"""Typed reads of Anthropic request fields that fail with Anthropic's own 400 messages.

Anthropic validates bodies like a pydantic model and words a failure as
`<path>: <problem>`, the path dotted with list indices as numbers
(`messages.0.content.1.source.media_type: Input should be ...`). Unknown
fields are refused (`<path>: Extra inputs are not permitted`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aigw_fakeprovider.errors import InvalidRequestError

_MISSING = object()


def invalid(path: str, problem: str) -> InvalidRequestError:
    return InvalidRequestError(f"{path}: {problem}" if path else problem)


def _quoted(values: Sequence[str]) -> str:
    quoted = [f"'{value}'" for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


class Fields:
    """One JSON object's fields at `path`, read with type and range checks."""

    def __init__(self, value: Mapping[str, Any], path: str = "") -> None:
        self.value = value
        self.path = path

    def at(self, key: str | int) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def reject_extra(self, allowed: Iterable[str]) -> None:
        known = set(allowed)
        for name in self.value:
            if name not in known:
                raise invalid(self.at(name), "Extra inputs are not permitted")

    def _get(self, key: str, required: bool) -> Any:
        found = self.value.get(key, _MISSING)
        if found is _MISSING:
            if required:
                raise invalid(self.at(key), "Field required")
            return None
        return found

    def string(self, key: str, *, required: bool = False, nullable: bool = False) -> str | None:
        found = self._get(key, required)
        if found is None and (nullable or key not in self.value):
            return None
        if not isinstance(found, str):
            raise invalid(self.at(key), "Input should be a valid string")
        return found

    def required_string(self, key: str) -> str:
        found = self.string(key, required=True)
        assert found is not None  # a missing value raised above
        return found

    def choice(self, key: str, supported: Sequence[str], *, required: bool = False) -> str | None:
        found = self.string(key, required=required)
        if found is not None and found not in supported:
            raise invalid(self.at(key), f"Input should be {_quoted(supported)}")
        return found

    def boolean(self, key: str) -> bool | None:
        found = self._get(key, False)
        if found is None and key not in self.value:
            return None
        if not isinstance(found, bool):
            raise invalid(self.at(key), "Input should be a valid boolean")
        return found

    def integer(self, key: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        found = self._get(key, required)
        if found is None and key not in self.value:
            return None
        if isinstance(found, bool) or not isinstance(found, int):
            raise invalid(self.at(key), "Input should be a valid integer")
        if minimum is not None and found < minimum:
            raise invalid(self.at(key), f"Input should be greater than or equal to {minimum}")
        return found

    def number(self, key: str, *, minimum: float, maximum: float) -> float | None:
        found = self._get(key, False)
        if found is None and key not in self.value:
            return None
        if isinstance(found, bool) or not isinstance(found, int | float):
            raise invalid(self.at(key), "Input should be a valid number")
        if found < minimum:
            raise invalid(self.at(key), f"Input should be greater than or equal to {minimum:g}")
        if found > maximum:
            raise invalid(self.at(key), f"Input should be less than or equal to {maximum:g}")
        return float(found)

    def object(self, key: str, *, required: bool = False, nullable: bool = False) -> Fields | None:
        found = self._get(key, required)
        if found is None and (nullable or key not in self.value):
            return None
        if not isinstance(found, dict):
            raise invalid(self.at(key), "Input should be a valid dictionary")
        return Fields(found, self.at(key))

    def required_object(self, key: str) -> Fields:
        found = self.object(key, required=True)
        assert found is not None  # a missing value raised above
        return found

    def array(self, key: str, *, required: bool = False) -> list[Any] | None:
        found = self._get(key, required)
        if found is None and key not in self.value:
            return None
        if not isinstance(found, list):
            raise invalid(self.at(key), "Input should be a valid list")
        return found

    def objects(self, key: str, *, required: bool = False) -> list[Fields] | None:
        """A list whose items must all be objects, each with its own path."""
        found = self.array(key, required=required)
        if found is None:
            return None
        items: list[Fields] = []
        for index, item in enumerate(found):
            if not isinstance(item, dict):
                raise invalid(f"{self.at(key)}.{index}", "Input should be a valid dictionary")
            items.append(Fields(item, f"{self.at(key)}.{index}"))
        return items
