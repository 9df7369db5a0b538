"""Control characters are refused in every JSON route's text, naming the field (issue 20).

Open311 refused NUL and ESC in its form fields; the JSON routes stored them. The routes and their
string fields are read from the OpenAPI document each handler publishes, so a route added later is
covered without touching this test: each string field gets a NUL, and the answer must be a 422 naming
exactly that field, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import Stack, citizen

ADMIN = {"sub": "admin-1", "cognito:groups": "admin"}
ENGLISH = {"Accept-Language": "en"}
REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "13812345678",
}


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _string_fields(schema: dict[str, Any], components: dict[str, Any], path: str, depth: int = 0) -> Iterator[str]:
    """The paths (`description`, `attachments[0]`, `a.b`) of every string a body of this schema may hold."""
    schema = _resolve(schema, components)
    if depth > 4:
        return
    options = schema.get("anyOf") or schema.get("oneOf") or [schema]
    for option in options:
        option = _resolve(option, components)
        kind = option.get("type")
        if kind == "string":
            yield path
            return
        if kind == "array":
            yield from _string_fields(option.get("items", {}), components, f"{path}[0]", depth + 1)
            return
        if kind == "object" or "properties" in option:
            for name, prop in option.get("properties", {}).items():
                yield from _string_fields(prop, components, f"{path}.{name}" if path else name, depth + 1)
            extra = option.get("additionalProperties")
            if extra and not option.get("properties"):  # a free-form object (the catalogue document)
                name = f"{path}.x" if path else "x"
                yield from ([name] if extra is True else _string_fields(extra, components, name, depth + 1))
            return


def _body_with(path: str, value: str) -> Any:
    """The smallest JSON object holding `value` at `path`."""
    parts = re.findall(r"[^.\[\]]+|\[0\]", path)
    body: Any = value
    for part in reversed(parts):
        body = [body] if part == "[0]" else {part: body}
    return body


def json_fields(stack: Stack) -> list[tuple[str, str, str]]:
    """(method, path, field) for every string field of every JSON request body the handlers document."""
    found: list[tuple[str, str, str]] = []
    for name in stack.lambdas.specs:
        app = getattr(stack.lambdas.module(name), "app", None)
        if app is None or not hasattr(app, "get_openapi_schema"):
            continue
        doc = app.get_openapi_schema(title="Minyi").model_dump(mode="json", by_alias=True, exclude_none=True)
        components = doc.get("components", {}).get("schemas", {})
        for path, operations in doc.get("paths", {}).items():
            for method, operation in operations.items():
                content = operation.get("requestBody", {}).get("content", {})
                if "application/json" in content:
                    for field in _string_fields(content["application/json"]["schema"], components, ""):
                        found.append((method.upper(), path, field))
    return sorted(set(found))


def test_a_nul_in_any_text_field_of_any_json_route_is_refused_naming_the_field(stack: Stack) -> None:
    # Given every text field of every JSON route the handlers document
    fields = json_fields(stack)
    routes = {(m, p) for m, p, _ in fields}
    assert {("POST", "/v1/requests"), ("POST", "/v1/cases/{case_id}/reply"), ("POST", "/v1/uploads")} <= routes
    assert {("POST", "/v1/requests", "attachments[0]"), ("PUT", "/v1/admin/catalog", "x")} <= set(fields)
    wrong = []
    for method, path, field in fields:
        # When a body holding a NUL in that one field is sent to the route
        url = re.sub(r"\{\w+\}", "x1", path)
        status, answer = stack.request(method, url, ADMIN, _body_with(field, "a\x00b"), headers=ENGLISH)
        # Then the answer is a 422 naming exactly that field
        if status != 422 or answer["problems"] != [{"field": field, "problem": "contains control characters"}]:
            wrong.append((method, path, field, status, answer))
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("ESC \x1b[31m red", True),
        ("DEL \x7f", True),
        ("C1 \x85 next line", True),
        ("a lone\rcarriage return", True),
        ("a form feed \x0c", True),
        ("line one\nline two\twith a tab", False),
        ("line one\r\nline two", False),
    ],
    ids=["esc", "del", "c1", "lone-cr", "form-feed", "newline-and-tab", "crlf"],
)
def test_a_description_with_control_characters_is_refused_and_nothing_is_written(
    stack: Stack, text: str, refused: bool
) -> None:
    # Given a citizen writing a description with a control character (or only line breaks and tabs)
    who = citizen()
    # When they submit it
    status, answer = stack.request("POST", "/v1/requests", who, {**REQUEST, "description": text}, headers=ENGLISH)
    # Then control characters are a 422 naming the description, and no case was filed; line breaks pass
    if refused:
        assert status == 422, answer
        assert answer["problems"] == [{"field": "description", "problem": "contains control characters"}]
        assert stack.request("GET", "/v1/requests", who)[1]["items"] == []
    else:
        assert status == 201, answer


def test_a_key_with_a_control_character_is_refused_without_echoing_it(stack: Stack) -> None:
    # Given a body whose nested key holds an escape sequence
    body = {**REQUEST, "location": {"lat\x1b[2J": 22.5, "lon": 114.0}}
    # When it is submitted / Then the refusal names the object holding it, never the key itself
    status, answer = stack.request("POST", "/v1/requests", citizen(), body, headers=ENGLISH)
    assert status == 422, answer
    assert answer["problems"] == [{"field": "location", "problem": "contains control characters"}]
