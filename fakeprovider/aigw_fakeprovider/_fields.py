"""Typed reads of a JSON request body's fields, refused in the wording of the provider that reads them.

The rules are the same for every provider whose body is plain JSON: a field
is absent or has a value; a required field must be present; a value must
have the field's JSON type, lie in its range and be one of its choices; an
object holds only the fields its type defines. What differs is how each
provider words a refusal and names a nested field, and whether `null` counts
as an absent field (OpenAI, Cohere) or as a value of the wrong type unless
the field is nullable (Anthropic, which validates like a pydantic model): a
`Wording` says all that (`anthropic_fields.py`, `cohere_fields.py`,
`openai_fields.py`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from aigw_fakeprovider.errors import ProviderError

_ABSENT = object()


class Kind(enum.Enum):
    """The JSON type a field must have."""

    STRING = "string"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    OBJECT = "object"
    ARRAY = "array"


class Wording(Protocol):
    """How one provider names a nested field and words each refusal of a field."""

    @property
    def null_is_absent(self) -> bool:
        """Whether `null` counts as an absent field; if not, it is refused unless the read allows it."""

    def join(self, path: str, key: str | int) -> str:
        """The path of field or list item `key` inside the value at `path` (the body's path is "")."""

    def missing(self, path: str) -> ProviderError: ...

    def wrong_type(self, path: str, kind: Kind, value: Any) -> ProviderError: ...

    def not_one_of(self, path: str, value: str, supported: Sequence[str]) -> ProviderError: ...

    def too_small(self, path: str, kind: Kind, value: float, minimum: float) -> ProviderError: ...

    def too_large(self, path: str, kind: Kind, value: float, maximum: float) -> ProviderError: ...

    def unknown_fields(self, path: str, names: Sequence[str]) -> ProviderError:
        """The refusal of the fields `names` (in body order), which the object at `path` does not define."""


class Fields:
    """One JSON object's fields at `path`, read with type and range checks; `wording` words refusals."""

    def __init__(self, value: Mapping[str, Any], wording: Wording, path: str = "") -> None:
        self.value = value
        self.wording = wording
        self.path = path

    def at(self, key: str | int) -> str:
        return self.wording.join(self.path, key)

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        known = set(allowed)
        unknown = [name for name in self.value if name not in known]
        if unknown:
            raise self.wording.unknown_fields(self.path, unknown)

    def _get(self, key: str, kind: Kind, *, required: bool = False, nullable: bool = False) -> Any:
        """The value, or None when absent (or null and `nullable`); refuses a missing required field."""
        found = self.value.get(key, _ABSENT)
        if found is None and self.wording.null_is_absent:
            found = _ABSENT
        if found is _ABSENT:
            if required:
                raise self.wording.missing(self.at(key))
            return None
        if found is None and not nullable:
            raise self.wording.wrong_type(self.at(key), kind, found)
        return found

    def string(self, key: str, *, required: bool = False, nullable: bool = False) -> str | None:
        found = self._get(key, Kind.STRING, required=required, nullable=nullable)
        if found is not None and not isinstance(found, str):
            raise self.wording.wrong_type(self.at(key), Kind.STRING, found)
        return found

    def required_string(self, key: str) -> str:
        found = self.string(key, required=True)
        assert found is not None  # a missing value raised above
        return found

    def choice(self, key: str, supported: Sequence[str], *, required: bool = False) -> str | None:
        found = self.string(key, required=required)
        if found is not None and found not in supported:
            raise self.wording.not_one_of(self.at(key), found, supported)
        return found

    def required_choice(self, key: str, supported: Sequence[str]) -> str:
        found = self.choice(key, supported, required=True)
        assert found is not None  # a missing value raised above
        return found

    def boolean(self, key: str) -> bool | None:
        found = self._get(key, Kind.BOOLEAN)
        if found is not None and not isinstance(found, bool):
            raise self.wording.wrong_type(self.at(key), Kind.BOOLEAN, found)
        return found

    def integer(
        self, key: str, *, required: bool = False, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        found = self._get(key, Kind.INTEGER, required=required)
        if found is None:
            return None
        if isinstance(found, bool) or not isinstance(found, int):
            raise self.wording.wrong_type(self.at(key), Kind.INTEGER, found)
        self._check_range(key, Kind.INTEGER, found, minimum, maximum)
        return found

    def number(self, key: str, *, minimum: float | None = None, maximum: float | None = None) -> float | None:
        found = self._get(key, Kind.NUMBER)
        if found is None:
            return None
        if isinstance(found, bool) or not isinstance(found, int | float):
            raise self.wording.wrong_type(self.at(key), Kind.NUMBER, found)
        self._check_range(key, Kind.NUMBER, found, minimum, maximum)
        return float(found)

    def _check_range(
        self, key: str, kind: Kind, value: float, minimum: float | None, maximum: float | None
    ) -> None:
        if minimum is not None and value < minimum:
            raise self.wording.too_small(self.at(key), kind, value, minimum)
        if maximum is not None and value > maximum:
            raise self.wording.too_large(self.at(key), kind, value, maximum)

    def object(self, key: str, *, required: bool = False, nullable: bool = False) -> Fields | None:
        found = self._get(key, Kind.OBJECT, required=required, nullable=nullable)
        if found is None:
            return None
        if not isinstance(found, dict):
            raise self.wording.wrong_type(self.at(key), Kind.OBJECT, found)
        return Fields(found, self.wording, self.at(key))

    def required_object(self, key: str) -> Fields:
        found = self.object(key, required=True)
        assert found is not None  # a missing value raised above
        return found

    def array(self, key: str, *, required: bool = False) -> list[Any] | None:
        found = self._get(key, Kind.ARRAY, required=required)
        if found is not None and not isinstance(found, list):
            raise self.wording.wrong_type(self.at(key), Kind.ARRAY, found)
        return found

    def objects(self, key: str, *, required: bool = False) -> list[Fields] | None:
        """A list whose items must all be objects, each with its own path."""
        found = self.array(key, required=required)
        if found is None:
            return None
        items: list[Fields] = []
        for index, item in enumerate(found):
            path = self.wording.join(self.at(key), index)
            if not isinstance(item, dict):
                raise self.wording.wrong_type(path, Kind.OBJECT, item)
            items.append(Fields(item, self.wording, path))
        return items
