"""The base of every JSON request body, for both HTTP edges: the platform's API (`minyi.api.schemas`)
and Open311's key administration (`minyi.open311.admin`).

It sits beside them, not in either, so neither edge imports the other: unknown fields are refused,
whitespace is stripped, `maxLength` counts what is sent, and the OpenAPI document states which
characters every text may hold (what `minyi.api.body_guard` and `minyi.domain.text_rules` enforce).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, GetJsonSchemaHandler, ValidationInfo, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from minyi.domain.base import Model

#: A character a text may hold (`minyi.domain.text_rules`): no C0 control but tab and newline, a carriage
#: return only before a newline (CRLF), no DEL or C1 control.
_TEXT_CHARACTER = r"(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)"
#: Any text of such characters (every string of a JSON body: the body guard refuses the others).
TEXT = rf"^{_TEXT_CHARACTER}*$"
#: A text of such characters that is not only blanks (what is left after `str_strip_whitespace`).
NOT_BLANK = rf"^{_TEXT_CHARACTER}*[^\s\x00-\x1f\x7f-\x9f]{_TEXT_CHARACTER}*$"


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _text_patterns(schema: dict[str, Any]) -> None:
    """Every string of a body schema (its properties, their `anyOf` branches and array items) says which
    characters it may hold, and a required one (`minLength`) that it is more than blanks. A string that
    states its own pattern or choices keeps them."""
    for prop in schema.get("properties", {}).values():
        for branch in [prop, *prop.get("anyOf", [])]:
            # pydantic writes the bounds of a constrained type inside an optional field as its own
            # keywords (`ge`): the document says them in JSON Schema's
            for pydantic_name, json_name in _BOUNDS.items():
                if pydantic_name in branch:
                    branch[json_name] = branch.pop(pydantic_name)
            for string in [branch, branch.get("items") or {}]:
                if string.get("type") != "string" or "pattern" in string or "enum" in string or "const" in string:
                    continue
                string["pattern"] = NOT_BLANK if string.get("minLength") else TEXT


class StrictBody(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _max_length_as_sent(cls, value: object, info: ValidationInfo) -> object:
        """Whitespace is stripped before the length checks, but the document's `maxLength` counts what is
        sent: a text longer than that is refused even if it would fit once stripped."""
        if isinstance(value, str) and info.field_name in cls.model_fields:
            for meta in cls.model_fields[info.field_name].metadata:
                limit = getattr(meta, "max_length", None)
                if isinstance(limit, int) and len(value) > limit:
                    raise PydanticCustomError(
                        "string_too_long", "String should have at most {max_length} characters", {"max_length": limit}
                    )
        return value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The document states what the body guard and the stripping check: no control characters in any
        text, and (whitespace is stripped before `minLength` is checked) more than blanks in a required
        one (Python's and the stripping's idea of a blank)."""
        schema = handler(core_schema)
        _text_patterns(handler.resolve_ref_schema(schema))
        return schema
