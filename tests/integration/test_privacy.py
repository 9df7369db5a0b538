"""Private by default: staff free text stays in staff views, the citizen's full number goes only
where it is needed, and no answer with personal data may be cached."""

from __future__ import annotations

import json
from typing import Any

from infra.local.gateway import LocalGateway
from tests.integration.conftest import Stack, citizen, staff

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "13812345678",
}
DISPATCHER = {"sub": "dispatcher-1", "cognito:groups": "dispatcher"}
SUPERVISOR = {"sub": "supervisor-1", "cognito:groups": "supervisor"}
RETURN_REASON = "Not ours: Mr Wang of the housing bureau (13900001111) owns this road"


def dispatched_case(stack: Stack) -> tuple[dict[str, str], str, str]:
    who = citizen()
    _, created = stack.request("POST", "/v1/requests", who, REQUEST)
    case_id = created["id"]
    stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == "handling")
    return who, case_id, created["tracking_no"]


def headers_of(stack: Stack, path: str, claims: dict[str, str]) -> dict[str, str]:
    route, params = next((r, p) for r in stack.routes if (p := r.match("GET", path)) is not None)
    event = LocalGateway._proxy_event(route, "GET", path, "", {}, b"", params, claims, "127.0.0.1")
    result = stack.lambdas.invoke(route.function, event)
    return {**(result.get("headers") or {}), **{k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}}


def test_a_return_reason_is_shown_to_staff_but_never_to_the_citizen_or_the_public(stack: Stack) -> None:
    # Given a dispatched case that the unit returns with a reason naming a third person
    who, case_id, tracking_no = dispatched_case(stack)
    status, _ = stack.request("POST", f"/v1/cases/{case_id}/return", staff(), {"reason": RETURN_REASON})
    assert status == 200
    # When the citizen, the public and the dispatcher read the timeline
    _, own = stack.request("GET", f"/v1/requests/{case_id}/timeline", who)
    _, public = stack.request("GET", f"/v1/track/{tracking_no}?phone_last4=5678", None)
    _, internal = stack.request("GET", f"/v1/cases/{case_id}/timeline", DISPATCHER)
    # Then only the staff timeline carries the reason; the others read the platform's own text
    assert RETURN_REASON not in json.dumps(own, ensure_ascii=False)
    assert RETURN_REASON not in json.dumps(public, ensure_ascii=False)
    returned = [e for e in internal["events"] if e["type"] == "returned"]
    assert returned and returned[0]["note"] == RETURN_REASON
    citizen_returned = [e for e in own["events"] if e["type"] == "returned"]
    assert citizen_returned and citizen_returned[0]["text"] == "正在重新分派承办单位"


def test_the_full_number_goes_only_to_the_unit_holding_the_open_case(stack: Stack) -> None:
    # Given a case dispatched to the Futian traffic police
    _, case_id, _ = dispatched_case(stack)
    unit = staff()
    # When the unit, a dispatcher and a supervisor read it
    _, as_unit = stack.request("GET", f"/v1/cases/{case_id}", unit)
    _, as_dispatcher = stack.request("GET", f"/v1/cases/{case_id}", DISPATCHER)
    _, as_supervisor = stack.request("GET", f"/v1/cases/{case_id}", SUPERVISOR)
    # Then only the unit sees the full number; everyone sees the masked one
    assert as_unit["citizen_phone"] == "+8613812345678"
    assert as_dispatcher["citizen_phone"] is None and as_supervisor["citizen_phone"] is None
    assert as_dispatcher["phone"] == as_supervisor["phone"] == "138****5678"
    # And an action's answer never carries it
    _, accepted = stack.request("POST", f"/v1/cases/{case_id}/accept", unit)
    assert accepted["citizen_phone"] is None


def test_a_supervisor_may_reveal_the_number_and_the_reveal_is_recorded(stack: Stack) -> None:
    # Given a dispatched case
    _, case_id, _ = dispatched_case(stack)
    # When a supervisor asks for the full number
    status, view = stack.request("GET", f"/v1/cases/{case_id}?reveal=phone", SUPERVISOR)
    # Then it is shown, and the staff timeline records who saw it
    assert status == 200, view
    assert view["citizen_phone"] == "+8613812345678"
    _, internal = stack.request("GET", f"/v1/cases/{case_id}/timeline", SUPERVISOR)
    reveals = [e for e in internal["events"] if e["type"] == "phone_revealed"]
    assert len(reveals) == 1 and "supervisor-1" in reveals[0]["note"]
    # But a dispatcher may not ask for it
    assert stack.request("GET", f"/v1/cases/{case_id}?reveal=phone", DISPATCHER)[0] == 403


def test_answers_with_personal_data_are_not_cacheable(stack: Stack) -> None:
    # Given a citizen's case
    who, case_id, _ = dispatched_case(stack)
    # When the citizen reads it, and anyone reads the catalogue
    case_headers = headers_of(stack, f"/v1/requests/{case_id}", who)
    catalog_headers = headers_of(stack, "/v1/catalog", who)
    published_headers = headers_of(stack, "/v1/public/stats", who)
    staff_stats_headers = headers_of(stack, "/v1/stats", SUPERVISOR)
    # Then the case and the staff's numbers may not be stored; the city's published counts may be cached
    # for a while; the public catalogue may be stored but is asked for again on every use (an admin's new
    # document shows in the very next form)
    assert case_headers["Cache-Control"] == "no-store"
    assert staff_stats_headers["Cache-Control"] == "no-store"
    assert catalog_headers["Cache-Control"] == "public, no-cache"
    assert catalog_headers["ETag"].startswith('"')
    assert published_headers["Cache-Control"].startswith("public, max-age=")


def test_a_browser_holding_the_catalogue_is_told_it_is_current_and_a_changed_one_is_sent_again(
    stack: Stack,
) -> None:
    # Given a browser that read the catalogue and kept its ETag
    route, params = next((r, p) for r in stack.routes if (p := r.match("GET", "/v1/catalog")) is not None)

    def read(if_none_match: str | None) -> dict[str, Any]:
        headers = {"If-None-Match": if_none_match} if if_none_match else {}
        event = LocalGateway._proxy_event(route, "GET", "/v1/catalog", "", headers, b"", params, None, "127.0.0.1")
        return stack.lambdas.invoke(route.function, event)

    first = read(None)
    tag = {**(first.get("headers") or {}), **{k: v[-1] for k, v in (first.get("multiValueHeaders") or {}).items()}}[
        "ETag"
    ]
    # When it asks again with that ETag, and with one of an older catalogue
    again = read(tag)
    older = read('"0000"')
    # Then the same catalogue answers 304 without a body, and an older copy gets the whole catalogue
    assert first["statusCode"] == 200 and json.loads(first["body"])["topics"]
    assert again["statusCode"] == 304 and again["body"] == ""
    assert older["statusCode"] == 200 and older["body"] == first["body"]
