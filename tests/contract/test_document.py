"""The OpenAPI document says everything the API answers, and what Schemathesis found stays fixed.

The document checks read `/openapi.json` of the local runtime, so a route added later without its
`responses=` (minyi.api.openapi) fails here at once, naming the route.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
import uuid
from typing import Any

import pytest
import requests

ERROR = "#/components/schemas/ErrorView"
CONFLICT = "#/components/schemas/ConflictView"
SERVER_ERROR = "#/components/schemas/ServerErrorView"
BODY_METHODS = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def document(runtime: str) -> dict[str, Any]:
    resp = requests.get(f"{runtime}/openapi.json", timeout=30)
    resp.raise_for_status()
    return dict(resp.json())


def _operations(document: dict[str, Any], prefix: str = "/v1/") -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in document["paths"].items()
        if path.startswith(prefix)
        for method, op in ops.items()
    ]


def _schema_ref(response: dict[str, Any]) -> str | None:
    return response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")


def _token(runtime: str, role: str, **extra: str) -> str:
    body = {"sub": f"contract-{role}-{uuid.uuid4().hex[:6]}", "role": role, **extra}
    resp = requests.post(f"{runtime}/local/tokens", json=body, timeout=10)
    resp.raise_for_status()
    return str(resp.json()["token"])


def _is_error(body: dict[str, Any]) -> bool:
    return {"error", "message", "problems"} <= set(body) and all(
        set(p) == {"field", "problem"} for p in body["problems"]
    )


# --- the document ----------------------------------------------------------------------------------


def test_every_operation_documents_every_error_it_can_answer_in_the_one_shape(document: dict[str, Any]) -> None:
    missing: list[str] = []
    for method, path, op in _operations(document):
        responses = op["responses"]
        signed_in = op.get("security", document.get("security")) != []
        wanted = {"413": ERROR, "422": ERROR, "500": SERVER_ERROR}
        if signed_in:
            wanted |= {"401": ERROR, "403": ERROR}
        if method in BODY_METHODS:
            wanted["415"] = ERROR
        if "409" in responses:
            wanted["409"] = CONFLICT
        for status in ("404", "429"):
            if status in responses:
                wanted[status] = ERROR
        for status, ref in wanted.items():
            if status not in responses or _schema_ref(responses[status]) != ref:
                missing.append(f"{method.upper()} {path}: {status} as {ref.rsplit('/', 1)[-1]}")
        if not any(s in responses for s in ("200", "201")):
            missing.append(f"{method.upper()} {path}: no success answer")
    assert not missing, "undocumented answers (use responses= from minyi.api.openapi):\n" + "\n".join(missing)


def test_creation_answers_201_and_the_created_case_links_to_its_reads_and_actions(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path in ("/v1/requests", "/v1/uploads", "/v1/admin/open311-keys"):
        assert "201" in paths[path]["post"]["responses"], path
        assert "200" not in paths[path]["post"]["responses"], path
    links = paths["/v1/requests"]["post"]["responses"]["201"]["links"]
    targets = {(link["operationRef"], tuple(link["parameters"].values())) for link in links.values()}
    for target_path in (
        "/v1/requests/{case_id}",
        "/v1/requests/{case_id}/timeline",
        "/v1/requests/{case_id}/withdraw",
        "/v1/requests/{case_id}/supplements",
        "/v1/requests/{case_id}/rating",
        "/v1/cases/{case_id}",
        "/v1/cases/{case_id}/timeline",
        "/v1/cases/{case_id}/accept",
        "/v1/cases/{case_id}/reply",
        "/v1/cases/{case_id}/return",
        "/v1/cases/{case_id}/dispatch",
        "/v1/cases/{case_id}/classification",
        "/v1/cases/{case_id}/notes",
        "/v1/cases/{case_id}/extension",
        "/v1/cases/{case_id}/extension/decision",
        "/v1/cases/{case_id}/supervision",
    ):
        method = "get" if target_path in paths and "get" in paths[target_path] else "post"
        ref = "#/paths/" + target_path.replace("/", "~1") + f"/{method}"
        assert (ref, ("$response.body#/id",)) in targets, target_path
    for ref, _ in targets:
        path, method = ref.removeprefix("#/paths/").replace("~1", "/").rsplit("/", 1)
        assert method in paths[path], f"the link to {ref} names no operation"


def test_the_csv_export_is_documented(document: dict[str, Any]) -> None:
    content = document["paths"]["/v1/stats"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    assert content["application/json"]["schema"]["$ref"] == "#/components/schemas/StatsView"


def test_the_conflict_carries_the_status_and_the_server_error_its_request_id(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ConflictView"]["properties"]["current_status"]["type"] == "string"
    assert "current_status" not in schemas["ConflictView"]["required"]
    assert "request_id" in schemas["ServerErrorView"]["required"]
    for name in ("ErrorView", "ConflictView", "ServerErrorView"):
        assert schemas[name]["additionalProperties"] is False


# --- what Schemathesis found -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "hello"),
        ("application/x-www-form-urlencoded", "category=complaint&topic=traffic"),
        ("application/xml", "<request/>"),
        ("text/plain", ""),
    ],
)
def test_a_body_that_is_not_json_is_415_in_the_one_error_shape(runtime: str, content_type: str, body: str) -> None:
    token = _token(runtime, "citizen", phone="+8613800000009")
    resp = requests.post(
        f"{runtime}/v1/requests",
        data=body.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type, "Accept-Language": "en"},
        timeout=30,
    )
    assert resp.status_code == 415, resp.text  # was 500 (RequestUnsupportedContentType) or a form parsed as fields
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["Cache-Control"] == "no-store"
    payload = resp.json()
    assert _is_error(payload) and set(payload) == {"error", "message", "problems", "key", "params"}
    assert payload["error"] == "unsupported_media_type"
    assert payload["problems"] == [{"field": "Content-Type", "problem": payload["problems"][0]["problem"]}]


def test_a_rating_link_token_with_other_than_ascii_is_an_unknown_link_not_a_500(runtime: str) -> None:
    # (from an address of its own: the Schemathesis runs on this runtime guess wrong from 127.0.0.1, and
    # wrong guesses lock their client out)
    url = urllib.parse.urlsplit(runtime)
    body = {"token": "é" * 16, "speed": 5, "effectiveness": 5, "experience": 5, "feedback_quality": 5}
    conn = http.client.HTTPConnection(
        url.hostname or "127.0.0.1", url.port, timeout=30, source_address=("127.0.0.9", 0)
    )
    try:
        conn.request(
            "POST",
            "/v1/track/SZ2611-ABCDEF/rating",
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        status, answer = resp.status, json.loads(resp.read())
    finally:
        conn.close()
    assert status == 404, answer
    assert _is_error(answer)


@pytest.mark.parametrize("value", ["0", "1700000000", "20261126", "2026-11-26T00:00:00"])
def test_a_date_in_a_query_string_is_only_yyyy_mm_dd(runtime: str, value: str) -> None:
    resp = requests.get(f"{runtime}/v1/public/stats", params={"to": value}, timeout=30)
    assert resp.status_code == 422, resp.text  # `0` was read as 1970-01-01
    assert resp.json()["problems"][0]["field"] == "to"
    assert requests.get(f"{runtime}/v1/public/stats", params={"to": "2026-11-26"}, timeout=30).status_code == 200


def test_a_text_longer_than_the_documented_maximum_is_refused_even_if_it_fits_once_stripped(runtime: str) -> None:
    token = _token(runtime, "admin")
    headers = {"Authorization": f"Bearer {token}"}
    resp = requests.post(f"{runtime}/v1/admin/open311-keys", json={"name": "\u00a0" + "k" * 100}, headers=headers)
    assert resp.status_code == 422, resp.text  # maxLength 100 counts what is sent
    assert resp.json()["problems"][0]["field"] == "name"
    resp = requests.post(f"{runtime}/v1/admin/open311-keys", json={"name": "  padded  "}, headers=headers)
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == "padded"


# --- 409 before ownership (issue 13, point 8) ------------------------------------------------------


def test_a_unit_that_returned_a_case_hears_409_with_the_status_for_every_action_not_another_unit(
    runtime: str,
) -> None:
    citizen = _token(runtime, "citizen", phone="+8613800000011")
    staff = _token(runtime, "staff", unit="futian-traffic-police")
    other_staff = _token(runtime, "staff", unit="nanshan-traffic-police")

    def call(method: str, path: str, token: str, body: dict[str, Any] | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
        return requests.request(method, f"{runtime}{path}", json=body, headers=headers, timeout=30)

    created = call(
        "POST",
        "/v1/requests",
        citizen,
        {
            "category": "complaint",
            "topic": "traffic",
            "district": "futian",
            "description": "Illegal parking blocks the bus lane on Shennan Road",
            "phone": "13800000011",
        },
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    deadline = time.monotonic() + 60
    while call("GET", f"/v1/requests/{case_id}", citizen).json()["status"] != "DISPATCHED":
        assert time.monotonic() < deadline, "the case was never dispatched"
        time.sleep(0.2)
    returned = call("POST", f"/v1/cases/{case_id}/return", staff, {"reason": "not ours: a road works permit"})
    assert returned.status_code == 200, returned.text

    actions: list[tuple[str, dict[str, Any] | None]] = [
        ("accept", None),
        ("reply", {"message": "done"}),
        ("return", {"reason": "again"}),
        ("extension", {"days": 2, "reason": "more time"}),
    ]
    for action, body in actions:
        resp = call("POST", f"/v1/cases/{case_id}/{action}", staff, body)
        assert resp.status_code == 409, (action, resp.text)
        assert resp.json()["current_status"] == "RETURNED", action
        assert "another unit" not in resp.json()["message"], action
        # a unit that never held the case may not know it exists
        assert call("POST", f"/v1/cases/{case_id}/{action}", other_staff, body).status_code == 404, action
