"""GeoReport documents as XML (required) or JSON, with the specification's element names.

XML: the declaration with UTF-8, no namespace, a list element around repeated children, absent
values as empty elements. JSON: bare arrays exactly where the specification shows them (services,
requests, the POST answer, tokens, errors, updates); objects for discovery and a service definition.
Times are W3C date-times in Asia/Shanghai with their offset (`2026-11-26T08:30:00+08:00`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from xml.etree import ElementTree as ET

from minyi.domain.deadlines import CITY_TZ
from minyi.open311.errors import Problem
from minyi.open311.model import (
    Discovery,
    PublicRequest,
    PublicUpdate,
    Service,
    ServiceDefinition,
    Submitted,
    TokenAnswer,
)

Format = Literal["xml", "json"]
CONTENT_TYPES: dict[str, str] = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

#: Element order of a request, as the specification lists them.
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "lat",
    "long",
    "media_url",
)
EXTENDED_FIELDS = ("channel", "category", "district", "reopen_count", "supervised")
NOTE_FIELDS = ("datetime", "type", "summary", "description")
UPDATE_FIELDS = (
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
    "external_status_code",
)


def w3c(at: datetime) -> str:
    return at.astimezone(CITY_TZ).isoformat(timespec="seconds")


def _plain(value: Any) -> Any:
    """A JSON value: times as W3C strings, nested lists and dicts converted."""
    if isinstance(value, datetime):
        return w3c(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


#: Characters XML 1.0 cannot carry at all (C0 controls but tab, newline, return; U+FFFE, U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3c(value)
    return _NOT_XML.sub("", str(value))


def _xml_value(parent: ET.Element, name: str, value: Any, item_name: str | None = None) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(element, key, inner)
    elif isinstance(value, list):
        for inner in value:
            _xml_value(element, item_name or name.rstrip("s"), inner)
    else:
        text = _text(value)
        if text is not None:
            element.text = text


def _document(root_name: str, item_name: str, items: Sequence[dict[str, Any]]) -> str:
    root = ET.Element(root_name)
    for item in items:
        _xml_value(root, item_name, item)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode")


def _render(fmt: Format, json_value: Any, xml: str) -> str:
    return json.dumps(_plain(json_value), ensure_ascii=False) if fmt == "json" else xml


# --- documents -------------------------------------------------------------------------------------


def discovery(doc: Discovery, fmt: Format) -> str:
    data = doc.model_dump()
    root = ET.Element("discovery")
    for key in ("changeset", "contact", "key_service"):
        _xml_value(root, key, data[key])
    endpoints = ET.SubElement(root, "endpoints")
    for endpoint in data["endpoints"]:
        element = ET.SubElement(endpoints, "endpoint")
        for key in ("specification", "url", "changeset", "type"):
            _xml_value(element, key, endpoint[key])
        _xml_value(element, "formats", endpoint["formats"], "format")
    return _render(fmt, data, XML_DECLARATION + ET.tostring(root, encoding="unicode"))


def services(items: list[Service], fmt: Format) -> str:
    data = [s.model_dump() for s in items]
    return _render(fmt, data, _document("services", "service", data))


def service_definition(definition: ServiceDefinition, fmt: Format) -> str:
    data = definition.model_dump()
    root = ET.Element("service_definition")
    _xml_value(root, "service_code", data["service_code"])
    attributes = ET.SubElement(root, "attributes")
    for attribute in data["attributes"]:
        element = ET.SubElement(attributes, "attribute")
        for key, value in attribute.items():
            if key == "values":
                _xml_value(element, "values", value, "value")
            else:
                _xml_value(element, key, value)
    return _render(fmt, data, XML_DECLARATION + ET.tostring(root, encoding="unicode"))


def request_fields(request: PublicRequest, extensions: bool) -> dict[str, Any]:
    data = request.model_dump()
    out: dict[str, Any] = {name: data[name] for name in REQUEST_FIELDS}
    if extensions:
        out["extended_attributes"] = {name: data[name] for name in EXTENDED_FIELDS}
        out["notes"] = [{name: note[name] for name in NOTE_FIELDS} for note in data["notes"]]
    return out


def requests(items: list[PublicRequest], fmt: Format, extensions: bool = False) -> str:
    data = [request_fields(r, extensions) for r in items]
    if fmt == "json":
        return _render(fmt, data, "")
    root = ET.Element("service_requests")
    for item in data:
        element = ET.SubElement(root, "request")
        for key, value in item.items():
            _xml_value(element, key, value, "note" if key == "notes" else None)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode")


def submitted(items: list[Submitted], fmt: Format) -> str:
    data = [s.model_dump() for s in items]
    return _render(fmt, data, _document("service_requests", "request", data))


def tokens(items: list[TokenAnswer], fmt: Format) -> str:
    data = [t.model_dump() for t in items]
    return _render(fmt, data, _document("service_requests", "request", data))


def updates(items: list[PublicUpdate], fmt: Format) -> str:
    data = [{**u.model_dump(), "media_url": None} for u in items]
    data = [{name: item[name] for name in UPDATE_FIELDS} for item in data]
    return _render(fmt, data, _document("service_request_updates", "request_update", data))


def errors(problems: list[Problem], fmt: Format) -> str:
    data = [{"code": p.code, "description": p.description} for p in problems]
    return _render(fmt, data, _document("errors", "error", data))
