"""Refuse hostile request bodies before any parser sees them.

`json.loads` raises RecursionError on deeply nested input and ValueError on integers longer than
Python's digit limit; both would surface as a 5xx from inside the resolver's validation, which runs
before any middleware. One linear scan of the raw body bounds size, nesting and number length, so
such input gets a clear 4xx naming the problem instead.

Control characters (`minyi.domain.text_rules`) are refused here too, in any string of any JSON body,
keys included: one check for every JSON route, naming the field, before any model or handler runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from minyi.domain.messages import Message, message
from minyi.domain.text_rules import CONTROL_CHARACTERS_PROBLEM, has_control_characters

#: The largest JSON body any route accepts (a description is at most 4,000 characters).
MAX_BODY_BYTES = 64 * 1024
#: No request model nests deeper than a few levels.
MAX_DEPTH = 32
#: No field is a number with more digits than this (DynamoDB keeps 38 significant digits).
MAX_NUMBER_DIGITS = 38

NOT_VALID_JSON = message("error.not_valid_json")
NOT_AN_OBJECT = message("error.not_a_json_object")


@dataclass(frozen=True)
class BodyProblem:
    status: int
    error: str
    problem: Message
    field: str = "body"


def check_body(body: str | None, max_bytes: int = MAX_BODY_BYTES) -> BodyProblem | None:
    """None if the raw body is within bounds, else what is wrong with it."""
    if not body:
        return None
    if len(body.encode("utf-8", errors="surrogatepass")) > max_bytes:
        return BodyProblem(413, "payload_too_large", message("error.body_too_large", kb=max_bytes // 1024))
    depth = 0
    digits = 0
    in_string = False
    escaped = False
    for ch in body:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch.isdigit():
            digits += 1
            if digits > MAX_NUMBER_DIGITS:
                return BodyProblem(422, "validation_error", message("error.number_too_long", digits=MAX_NUMBER_DIGITS))
            continue
        if ch not in ".eE+-":
            digits = 0
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return BodyProblem(422, "validation_error", message("error.nested_too_deep", levels=MAX_DEPTH))
        elif ch in "]}":
            depth -= 1
    return None


def check_json_object(body: str) -> BodyProblem | None:
    """None if a bounded body (`check_body`) is a JSON object, as every JSON body of this API is, with
    no control character in any of its strings; else what is wrong with it, for the body as a whole (the
    validator would report `[0]` for a list, or validate only its first element) or the field at fault."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return BodyProblem(422, "validation_error", NOT_VALID_JSON)
    if not isinstance(parsed, dict):
        return BodyProblem(422, "validation_error", NOT_AN_OBJECT)
    field = _control_characters_at(parsed, "")
    if field is not None:
        return BodyProblem(422, "validation_error", message(CONTROL_CHARACTERS_PROBLEM), field or "body")
    return None


def _control_characters_at(value: Any, path: str) -> str | None:
    """The path (`description`, `attachments[0]`, `location.lat`) of the first string holding a control
    character, as the validator names fields; a key holding one is named by where it sits, never echoed."""
    if isinstance(value, str):
        return path if has_control_characters(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if has_control_characters(key):
                return path
            found = _control_characters_at(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _control_characters_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
