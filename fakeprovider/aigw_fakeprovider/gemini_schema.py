"""Gemini's `Schema` (a subset of OpenAPI 3.0) checked like the API checks it, and read back as JSON Schema.

Function parameters (`parameters`) and structured output (`responseSchema`)
use it: upper-case types, `nullable`, `anyOf`, string enums, and only the
fields below; AI Studio allows string formats `enum` and `date-time` only,
Vertex AI any format plus `additionalProperties`, `ref` and `defs`. An
OBJECT needs properties, an ARRAY its items, every `required` name a
property. The JSON Schema twins (`parametersJsonSchema`,
`responseJsonSchema`) take any JSON object.

Answers are built from JSON Schema (`schema_values.py`), so a valid Schema is
turned back into one.
"""

from __future__ import annotations

from typing import Any

from aigw_fakeprovider.gemini_fields import Message, invalid_argument, violation

TYPES = ("TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL")
_FIELDS = frozenset({
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties",
    "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf",
    "propertyOrdering", "default", "items", "minimum", "maximum",
})  # fmt: skip
_VERTEX_FIELDS = _FIELDS | {"additionalProperties", "ref", "defs"}
_AI_STUDIO_STRING_FORMATS = ("enum", "date-time")
_INT64_FIELDS = ("maxItems", "minItems", "minProperties", "maxProperties", "minLength", "maxLength")
_MAX_DEPTH = 32


class SchemaReader:
    """Validates Schemas of one request (`request_type` names it in errors) and converts them."""

    def __init__(self, request_type: str, *, vertex: bool) -> None:
        self._request_type = request_type
        self._vertex = vertex

    def read(self, value: Any, path: str, package: str, depth: int = 0) -> dict[str, Any]:
        """The JSON Schema equivalent of the Schema `value` at `path`; raises Google's 400 if invalid."""
        if depth > _MAX_DEPTH:
            raise violation(self._request_type, path, "schema nesting is too deep")
        fields = _VERTEX_FIELDS if self._vertex else _FIELDS
        schema = Message(value, path, fields, type_name="Schema", package=package)
        kind = schema.enum("type", TYPES, "Type")
        branches = schema.messages("anyOf", fields, "Schema")
        result: dict[str, Any] = {}
        if branches:
            result["anyOf"] = [
                self.read(branch.values, branch.path, package, depth + 1) for branch in branches
            ]
        elif kind in (None, "TYPE_UNSPECIFIED") and not schema.has("ref"):
            raise violation(self._request_type, schema.at("type"), "must be specified")
        if kind not in (None, "TYPE_UNSPECIFIED"):
            result["type"] = kind.lower()
        for name in ("title", "description", "pattern"):
            text = schema.string(name)
            if text is not None:
                result[name] = text
        for name in _INT64_FIELDS:
            number = schema.integer(name, "TYPE_INT64")
            if number is not None:
                result[name] = number
        for name in ("minimum", "maximum"):
            bound = schema.number(name)
            if bound is not None:
                result[name] = bound
        schema.boolean("nullable")
        self._format(schema, kind)
        self._enum(schema, kind, result)
        if kind == "OBJECT":
            self._object(schema, package, depth, result)
        if kind == "ARRAY":
            if not schema.has("items"):
                raise violation(self._request_type, schema.at("items"), "missing field.")
            result["items"] = self.read(schema.values["items"], schema.at("items"), package, depth + 1)
        return result

    def _format(self, schema: Message, kind: str | None) -> None:
        fmt = schema.string("format")
        if fmt and kind == "STRING" and not self._vertex and fmt not in _AI_STUDIO_STRING_FORMATS:
            raise violation(
                self._request_type,
                schema.at("format"),
                "only 'enum' and 'date-time' are supported for STRING type",
            )

    def _enum(self, schema: Message, kind: str | None, result: dict[str, Any]) -> None:
        values = schema.strings("enum")
        if not values:
            return
        if kind != "STRING" and not self._vertex:
            raise violation(self._request_type, schema.at("enum"), "only allowed for STRING type")
        result["enum"] = values

    def _object(self, schema: Message, package: str, depth: int, result: dict[str, Any]) -> None:
        properties = schema.values.get("properties")
        if properties is not None and not isinstance(properties, dict):
            raise invalid_argument(f"Invalid value at '{schema.at('properties')}', expected a map")
        if not properties and not (self._vertex and schema.has("additionalProperties")):
            raise violation(
                self._request_type, schema.at("properties"), "should be non-empty for OBJECT type"
            )
        result["properties"] = {
            name: self.read(sub, f"{schema.at('properties')}[{name}]", package, depth + 1)
            for name, sub in (properties or {}).items()
        }
        required = schema.strings("required")
        for index, name in enumerate(required):
            if name not in result["properties"]:
                raise violation(
                    self._request_type, f"{schema.at('required')}[{index}]", "property is not defined"
                )
        if required:
            result["required"] = required


def json_schema_object(value: Any, path: str, request_type: str) -> dict[str, Any]:
    """A `google.protobuf.Value` holding a JSON Schema: it must be a JSON object."""
    if not isinstance(value, dict):
        raise violation(request_type, path, "must be a JSON object holding a JSON Schema")
    return value
