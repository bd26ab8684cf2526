"""JSON Schemas from OpenAI requests, in the two shapes Gemini takes.

Function parameters go out as Gemini's `Schema` (`parameters`), the subset
of OpenAPI 3.0 every Gemini model takes: upper-case types, `nullable` instead
of a `null` type, string-only `enum`, no `$ref` (local references are
inlined), no `additionalProperties`. What only annotates or loosens a schema
(`$schema`, `default`, `examples`, `additionalProperties: false`, unsupported
`format`s, ...) is dropped. A schema whose shape that subset cannot hold (a
free-form map, tuple items, `not`, non-string enums, recursion) is not bent
into a different one: it goes out as `parametersJsonSchema`, the declaration's
JSON Schema field, trimmed like a response schema.

Structured output (`response_format: json_schema`) goes out as
`responseJsonSchema`, which takes JSON Schema itself (with `$ref`, `$defs`,
`anyOf` and `additionalProperties`); it only loses the keywords the API
documents as unsupported. What even that cannot carry is a 400 naming the
place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aigw_router.adapters._params import refuse_value

_TYPES = {
    "string": "STRING",
    "number": "NUMBER",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "array": "ARRAY",
    "object": "OBJECT",
}
# The formats Gemini's Schema accepts per type; any other format is only a hint and is dropped.
_FORMATS = {
    "STRING": frozenset({"enum", "date-time"}),
    "NUMBER": frozenset({"float", "double"}),
    "INTEGER": frozenset({"int32", "int64"}),
}
# The constraints Gemini's Schema keeps, per type (besides title and description).
_KEPT_BY_TYPE = {
    "STRING": ("pattern", "minLength", "maxLength"),
    "NUMBER": ("minimum", "maximum"),
    "INTEGER": ("minimum", "maximum"),
    "ARRAY": ("minItems", "maxItems"),
    "OBJECT": ("minProperties", "maxProperties"),
}
_INEXPRESSIBLE = (
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "prefixItems",
    "dependentSchemas",
    "contains",
)
_MAX_DEPTH = 32

# responseJsonSchema: the keywords the Gemini API reference lists as supported.
_JSON_SCHEMA_KEYWORDS = frozenset(
    {
        "$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum", "items",
        "prefixItems", "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf", "properties",
        "additionalProperties", "required", "propertyOrdering",
    }
)  # fmt: skip
_SCHEMA_MAPS = ("properties", "$defs")
_SCHEMA_LISTS = ("anyOf", "oneOf", "prefixItems")


class _Inexpressible(Exception):
    """The schema has no equivalent in Gemini's OpenAPI subset (the message says where and why)."""


class _OpenApiConverter:
    """Converts one JSON Schema (with its own `$defs`) into Gemini's OpenAPI subset."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self._root = root
        self._resolving: list[str] = []

    @staticmethod
    def refuse(where: str, problem: str) -> Exception:
        return _Inexpressible(f"at {where or 'the top'}, {problem}")

    def convert(self, schema: Any, where: str, depth: int = 0) -> dict[str, Any]:
        if depth > _MAX_DEPTH:
            raise self.refuse(where, "the schema nests too deeply")
        if schema is True or schema == {}:
            raise self.refuse(where, "a value of any type has no equivalent (give it a type)")
        if not isinstance(schema, Mapping):
            raise self.refuse(where, "a schema must be an object")
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._inline(ref, schema, where, depth)
        for keyword in _INEXPRESSIBLE:
            if keyword in schema:
                raise self.refuse(where, f"'{keyword}' has no equivalent")
        branches, nullable = self._branches(schema, where)
        if branches is not None:
            result = self._union(schema, branches, where, depth)
        else:
            result = self._typed(schema, where, depth)
        if nullable:
            result["nullable"] = True
        return result

    def _inline(self, ref: str, schema: Mapping[str, Any], where: str, depth: int) -> dict[str, Any]:
        if ref in self._resolving:
            raise self.refuse(where, f"the recursive reference {ref} cannot be expressed")
        target: Any = self._root
        if not ref.startswith("#"):
            raise self.refuse(where, f"only local references (#/...) can be inlined, not {ref}")
        for step in (s for s in ref[1:].split("/") if s):
            step = step.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or step not in target:
                raise self.refuse(where, f"the reference {ref} points nowhere")
            target = target[step]
        self._resolving.append(ref)
        try:
            result = self.convert(target, where, depth + 1)
        finally:
            self._resolving.pop()
        if isinstance(schema.get("description"), str):
            result["description"] = schema["description"]
        return result

    def _branches(self, schema: Mapping[str, Any], where: str) -> tuple[list[Any] | None, bool]:
        """The alternatives of a union (without `null`), and whether null is one of them."""
        declared = schema.get("type")
        for keyword in ("anyOf", "oneOf"):
            options = schema.get(keyword)
            if isinstance(options, list):
                kept = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
                return kept, len(kept) < len(options)
        all_of = schema.get("allOf")
        if isinstance(all_of, list):
            if len(all_of) != 1:
                raise self.refuse(where, "'allOf' with several schemas has no equivalent")
            return list(all_of), False
        if isinstance(declared, list):
            kinds = [kind for kind in declared if kind != "null"]
            nullable = len(kinds) < len(declared)
            if len(kinds) <= 1:
                return None, nullable
            rest = {k: v for k, v in schema.items() if k != "type"}
            return [{**rest, "type": kind} for kind in kinds], nullable
        return None, declared == "null"

    def _union(
        self, schema: Mapping[str, Any], branches: list[Any], where: str, depth: int
    ) -> dict[str, Any]:
        if not branches:
            raise self.refuse(where, "a schema that only allows null has no equivalent")
        converted = [self.convert(b, f"{where}.anyOf[{i}]", depth + 1) for i, b in enumerate(branches)]
        result = converted[0] if len(converted) == 1 else {"anyOf": converted}
        for key in ("title", "description"):
            if isinstance(schema.get(key), str):
                result[key] = schema[key]
        return result

    def _type_of(self, schema: Mapping[str, Any], where: str) -> str:
        declared = schema.get("type")
        if isinstance(declared, list):
            declared = next((kind for kind in declared if kind != "null"), None)
        if declared is None:
            if "properties" in schema or "additionalProperties" in schema:
                declared = "object"
            elif "items" in schema:
                declared = "array"
            elif "enum" in schema or "const" in schema:
                declared = "string"
            else:
                raise self.refuse(where, "a schema without a type has no equivalent")
        if declared == "null":
            raise self.refuse(where, "a schema that only allows null has no equivalent")
        kind = _TYPES.get(declared) if isinstance(declared, str) else None
        if kind is None:
            raise self.refuse(where, f"the type {declared!r} is not a JSON Schema type")
        return kind

    def _typed(self, schema: Mapping[str, Any], where: str, depth: int) -> dict[str, Any]:
        kind = self._type_of(schema, where)
        result: dict[str, Any] = {"type": kind}
        for key in ("title", "description", *_KEPT_BY_TYPE.get(kind, ())):
            value = schema.get(key)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                result[key] = value
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in _FORMATS.get(kind, ()):
            result["format"] = fmt
        enum = self._enum(schema, where)
        if enum is not None:
            if kind != "STRING":
                raise self.refuse(where, "Gemini only takes enums of strings")
            result["enum"] = enum
        if kind == "OBJECT":
            self._object(schema, result, where, depth)
        elif kind == "ARRAY":
            items = schema.get("items")
            if isinstance(items, list):
                raise self.refuse(where, "tuple items (a list of schemas) have no equivalent")
            if items is None:
                raise self.refuse(where, "an array needs an 'items' schema")
            result["items"] = self.convert(items, f"{where}.items", depth + 1)
        return result

    def _enum(self, schema: Mapping[str, Any], where: str) -> list[str] | None:
        if "const" in schema:
            values = [schema["const"]]
        elif isinstance(schema.get("enum"), list):
            values = [v for v in schema["enum"] if v is not None]
        else:
            return None
        if not all(isinstance(value, str) for value in values):
            raise self.refuse(where, "Gemini only takes enums (and consts) of strings")
        return values

    def _object(self, schema: Mapping[str, Any], result: dict[str, Any], where: str, depth: int) -> None:
        properties = schema.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            raise self.refuse(
                where, "an object without declared properties (a free-form map) has no equivalent"
            )
        result["properties"] = {
            name: self.convert(sub, f"{where}.properties.{name}", depth + 1)
            for name, sub in properties.items()
        }
        required = schema.get("required")
        if isinstance(required, list):
            kept = [name for name in required if isinstance(name, str) and name in properties]
            if kept:
                result["required"] = kept
        ordering = schema.get("propertyOrdering")
        if isinstance(ordering, list):
            result["propertyOrdering"] = ordering


def function_schema(parameters: Mapping[str, Any] | None, param: str) -> dict[str, Any]:
    """A function declaration's `parameters` (or `parametersJsonSchema`), empty when it takes none.

    Gemini refuses an OBJECT schema without properties, so a function that
    takes nothing declares no parameters at all.
    """
    if not parameters:
        return {}
    takes_nothing = not parameters.get("properties") and not parameters.get("additionalProperties")
    if parameters.get("type", "object") == "object" and takes_nothing and "$ref" not in parameters:
        return {}
    try:
        return {"parameters": _OpenApiConverter(parameters).convert(parameters, "")}
    except _Inexpressible:
        return {
            "parametersJsonSchema": _trimmed(parameters, _Trim(param, "The tool's parameters schema"), "", 0)
        }


def response_json_schema(schema: Mapping[str, Any], param: str) -> dict[str, Any]:
    """A structured-output JSON Schema trimmed to the keywords `responseJsonSchema` supports."""
    trimmed: dict[str, Any] = _trimmed(schema, _Trim(param, "The response schema"), "", 0)
    return trimmed


@dataclass(frozen=True, slots=True)
class _Trim:
    """Which request parameter a JSON Schema came from, and how to name it in a refusal."""

    param: str
    what: str

    def refuse(self, where: str, problem: str) -> Exception:
        return refuse_value(
            self.param, f"{self.what} cannot be sent to Gemini: at {where or 'the top'}, {problem}."
        )


def _trimmed(schema: Any, trim: _Trim, where: str, depth: int) -> Any:
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, Mapping):
        raise trim.refuse(where, "a schema must be an object")
    if depth > _MAX_DEPTH:
        raise trim.refuse(where, "the schema nests too deeply")
    source = dict(schema)
    if "definitions" in source and "$defs" not in source:
        source["$defs"] = source.pop("definitions")
    if "const" in source and "enum" not in source:
        source["enum"] = [source.pop("const")]
    all_of = source.pop("allOf", None)
    if isinstance(all_of, list):
        if len(all_of) != 1 or not isinstance(all_of[0], Mapping):
            raise trim.refuse(where, "'allOf' with several schemas has no equivalent")
        source = {**source, **all_of[0]}
    if isinstance(source.get("items"), list) and "prefixItems" not in source:
        source["prefixItems"] = source.pop("items")  # draft-04 tuple items
    if isinstance(source.get("$ref"), str):
        # Gemini allows nothing beside a $ref but other $-keywords.
        source = {k: v for k, v in source.items() if k.startswith("$")}
    result: dict[str, Any] = {}
    for key, value in source.items():
        if key not in _JSON_SCHEMA_KEYWORDS:
            continue
        if key == "$ref" and isinstance(value, str):
            value = value.replace("#/definitions/", "#/$defs/")
        elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
            value = {
                name: _trimmed(sub, trim, f"{where}.{key}.{name}", depth + 1) for name, sub in value.items()
            }
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            value = [_trimmed(sub, trim, f"{where}.{key}[{i}]", depth + 1) for i, sub in enumerate(value)]
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping | bool):
            value = _trimmed(value, trim, f"{where}.{key}", depth + 1)
        result[key] = value
    return result
