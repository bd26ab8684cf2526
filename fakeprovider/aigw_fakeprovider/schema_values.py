"""Deterministic example values for JSON schemas, for tool arguments and structured output.

Covers what tool and response schemas use in practice: objects (filling the
`required` properties, or every property when none is required), arrays (one
item, or `minItems`), strings (by `format`), numbers within bounds, booleans,
`enum`/`const`, `anyOf`/`oneOf`/`allOf` (first non-null branch), nullable type
lists and local `$ref`s into `$defs`/`definitions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MAX_DEPTH = 8

_STRING_BY_FORMAT = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def example_value(schema: Mapping[str, Any]) -> Any:
    """A value matching `schema`, the same every time for the same schema."""
    return _value(schema, root=schema, name="value", depth=0)


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#"):
        return schema
    target: Any = root
    for part in ref.removeprefix("#").strip("/").split("/"):
        if not part:
            continue
        if not isinstance(target, Mapping) or part not in target:
            return {}
        target = target[part]
    return target if isinstance(target, Mapping) else {}


def _first_branch(schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for keyword in ("anyOf", "oneOf", "allOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list):
            for branch in branches:
                if isinstance(branch, Mapping) and branch.get("type") != "null":
                    return branch
    return None


def _type_of(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((kind for kind in declared if kind != "null"), "null")
    if isinstance(declared, str):
        return declared
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _value(schema: Mapping[str, Any], *, root: Mapping[str, Any], name: str, depth: int) -> Any:
    schema = _resolve(schema, root)
    if depth > _MAX_DEPTH:
        return None
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    branch = _first_branch(schema)
    if branch is not None:
        return _value(branch, root=root, name=name, depth=depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        return _object(schema, root=root, depth=depth)
    if kind == "array":
        return _array(schema, root=root, name=name, depth=depth)
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _STRING_BY_FORMAT.get(str(schema.get("format")), f"sample {name}")


def _object(schema: Mapping[str, Any], *, root: Mapping[str, Any], depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    required = schema.get("required")
    names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else list(properties)
    result: dict[str, Any] = {}
    for prop in names:
        sub = properties.get(prop)
        result[prop] = _value(sub if isinstance(sub, Mapping) else {}, root=root, name=prop, depth=depth + 1)
    return result


def _array(schema: Mapping[str, Any], *, root: Mapping[str, Any], name: str, depth: int) -> list[Any]:
    items = schema.get("items")
    item_schema = items if isinstance(items, Mapping) else {}
    min_items = schema.get("minItems")
    count = max(1, min_items) if isinstance(min_items, int) else 1
    return [_value(item_schema, root=root, name=name, depth=depth + 1) for _ in range(count)]


def _number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    value: float = 1 if integer else 1.5
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    if isinstance(minimum, int | float) and value < minimum:
        value = minimum
    if isinstance(maximum, int | float) and value > maximum:
        value = maximum
    return int(value) if integer else float(value)
