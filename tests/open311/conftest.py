"""Open311 conformance fixtures: the real handlers from template.yaml on in-process moto (the
integration `Stack`), a GeoReport client that speaks form-encoded POSTs and reads XML with a
hardened parser, the open-data feed delivered from the stream, and the vendored JSON Schemas."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import pytest
from jsonschema import Draft7Validator
from moto import mock_aws
from referencing import Registry, Resource

from infra.local import moto_patches
from infra.local.gateway import LocalGateway
from infra.local.lambdas import LocalLambdas
from infra.local.streams import StreamPoller
from infra.local.template import Template
from minyi.adapters.aws import reset_clients
from minyi.adapters.catalog_file import shenzhen_catalog, shenzhen_units_and_rules
from minyi.adapters.dynamo import DynamoCatalogRepository, Table
from tests.integration.conftest import REGION, Stack, _end_waiting_executions
from tests.integration.conftest import stack as stack
from tests.local_runtime import QUIET_RUNTIME, SharedRuntimes

SCHEMAS = Path(__file__).parent / "schemas"
ROOT = Path(__file__).resolve().parents[2]
FEED = "ProjectionsFunction"  # the stream consumer that keeps the feed (and the scoreboard)
ADMIN = {"sub": "admin-1", "cognito:groups": "admin"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


# --- JSON Schemas (open311/schema-validation, vendored) --------------------------------------------


def _registry() -> Registry:
    registry: Registry = Registry()
    for path in SCHEMAS.glob("*.json"):
        registry = registry.with_resource(path.name, Resource.opaque(json.loads(path.read_text())))
    return registry


REGISTRY = _registry()


def validate(instance: Any, schema_file: str, definition: str | None = None) -> None:
    """Validate against a vendored schema file (or one definition of swagger.json); raises on error."""
    schema = json.loads((SCHEMAS / schema_file).read_text())
    if definition is not None:
        schema = {**schema["definitions"][definition], "definitions": schema["definitions"]}
    Draft7Validator(schema, registry=REGISTRY, format_checker=Draft7Validator.FORMAT_CHECKER).validate(instance)


# --- the GeoReport client --------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        assert self.headers.get("Content-Type", "").startswith("application/json"), self.headers
        return json.loads(self.text)

    def xml(self) -> Element:
        """The XML document, parsed with defusedxml (no entities, no external references)."""
        assert self.headers.get("Content-Type", "").startswith("text/xml"), self.headers
        assert self.text.startswith(XML_DECLARATION), self.text[:80]
        root = SafeET.fromstring(self.text.encode("utf-8"))
        assert "}" not in root.tag, "no namespace"
        return root

    def errors(self, fmt: str) -> list[tuple[int, str]]:
        if fmt == "json":
            return [(e["code"], e["description"]) for e in self.json()]
        root = self.xml()
        assert root.tag == "errors"
        return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in root.findall("error")]


class GeoReport:
    """What an Open311 client does: GETs with query strings, form-encoded POSTs, XML or JSON."""

    def __init__(self, built: Stack):
        self.stack = built

    def call(
        self,
        method: str,
        path: str,
        form: dict[str, str] | list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        raw_body: bytes | None = None,
    ) -> Answer:
        full = f"/open311/v2/{path}" if not path.startswith("/") else path
        bare, _, query = full.partition("?")
        route, params = next((r, p) for r in self.stack.routes if (p := r.match(method, bare)) is not None)
        body = raw_body if raw_body is not None else (urlencode(form).encode() if form is not None else b"")
        all_headers = {"Host": "open311.test", **(headers or {})}
        if form is not None and raw_body is None:
            all_headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        event = LocalGateway._proxy_event(route, method, bare, query, all_headers, body, params, None, "127.0.0.1")
        result = self.stack.lambdas.invoke(route.function, event)
        out_headers = dict(result.get("headers") or {})
        for name, values in (result.get("multiValueHeaders") or {}).items():
            out_headers[name] = ", ".join(values)
        return Answer(result["statusCode"], out_headers, result.get("body") or "")

    def get(self, path: str) -> Answer:
        return self.call("GET", path)

    def post(self, path: str, form: dict[str, str] | list[tuple[str, str]], **kwargs: Any) -> Answer:
        return self.call("POST", path, form, **kwargs)


class FeedPoller(StreamPoller):
    """Lambda's event source mapping for the projections (the Open311 feed among them) only."""

    def __init__(self, built: Stack):
        super().__init__(built.lambdas.template, built.lambdas, built.resources)
        self.mappings = [m for m in self.mappings if m.function == FEED]
        assert len(self.mappings) == 1, "the projections have one stream event source"

    def drain(self) -> None:
        idle = 0
        while idle < 2:
            idle = idle + 1 if self.poll_once() == 0 else 0
        assert self.mappings[0].stats["dead_lettered"] == 0


def issue_key(built: Stack, name: str = "FixMyStreet Shenzhen") -> dict[str, Any]:
    status, body = built.request("POST", "/v1/admin/open311-keys", ADMIN, {"name": name})
    assert status == 201, body
    return dict(body)


@pytest.fixture
def geo(stack: Stack) -> GeoReport:
    return GeoReport(stack)


@pytest.fixture
def feed(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> FeedPoller:
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    return FeedPoller(stack)


@pytest.fixture
def api_key(stack: Stack) -> str:
    return str(issue_key(stack)["api_key"])


@pytest.fixture
def short_window_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """The integration stack with a 2-second rating window, so an unrated reply closes in a test."""
    for key, value in {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    template = Template(REGION, {"RatingWindowSeconds": "2"})
    lambdas = LocalLambdas(template, {"POWERTOOLS_LOG_LEVEL": "WARNING", "RATING_WINDOW_SECONDS": "2"})
    lambdas.install_botocore_hook()
    moto_patches.install()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        reset_clients()
        from infra.local.aws import EmbeddedAws

        resources = EmbeddedAws(template).create_resources()
        _, rules = shenzhen_units_and_rules()
        DynamoCatalogRepository(Table(resources["CasesTable"])).seed(shenzhen_catalog(), rules)
        built = Stack(lambdas, resources)
        try:
            yield built
        finally:
            _end_waiting_executions(built)
    reset_clients()


# --- the local runtime over HTTP -------------------------------------------------------------------


class Runtime:
    """The local runtime (`python -m infra.local`) as a client sees it over HTTP."""

    def __init__(self, base_url: str):
        import requests

        self.base_url = base_url
        self.http = requests.Session()

    def token(self, role: str, unit: str | None = None) -> str:
        body: dict[str, Any] = {
            "sub": f"{role}-{uuid.uuid4().hex[:8]}",
            "role": role,
            **({"unit": unit} if unit else {}),
        }
        resp = self.http.post(f"{self.base_url}/local/tokens", json=body, timeout=10)
        resp.raise_for_status()
        return str(resp.json()["token"])

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def wait_for(self, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = probe()
            if last:
                return last
            time.sleep(0.2)
        raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


@pytest.fixture(scope="session")
def runtime(local_runtimes: SharedRuntimes, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """The process's shared runtime without the background sweep, the one the browser tests use
    (tests/local_runtime.py QUIET_RUNTIME): these tests follow only the reports they file."""
    return Runtime(local_runtimes.get(QUIET_RUNTIME, "open311-runtime", tmp_path_factory).base_url)
