"""Handlers on moto: transactions, optimistic locking, idempotency and the workflow wiring.

One stack for the module: every test works on its own citizens and cases. A submission while Step
Functions is unavailable: tests/integration/test_submit_without_workflow.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minyi.adapters.aws import client
from minyi.domain import lifecycle
from minyi.domain.errors import ConcurrentUpdate
from minyi.domain.models import Actor, Case, CaseStatus, Category, Role, TrackingEntry, Upload
from tests.integration.conftest import Stack, citizen, staff

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(8))  # a PNG's signature: the content check reads it
REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
    "phone": "+86 138 1234 5678",
}


def _items(stack: Stack, pk: str) -> list[dict[str, Any]]:
    resp = client("dynamodb").query(
        TableName=stack.resources["CasesTable"],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )
    return list(resp["Items"])


def test_submit_writes_case_first_event_and_tracking_number_together(stack: Stack) -> None:
    # Given a citizen
    who = citizen()
    # When they submit a request
    status, body = stack.request("POST", "/v1/requests", who, REQUEST)
    # Then the case, its first timeline event and its tracking number exist, phone normalised
    assert status == 201, body
    items = _items(stack, f"CASE#{body['id']}")
    kinds = sorted(i["SK"]["S"] for i in items)
    assert kinds[0] == "CASE" and kinds[1] == "EVENT#00001"
    case = stack.repo.get_case(body["id"])
    assert case is not None and case.phone == "+8613812345678"
    assert stack.repo.tracking(body["tracking_no"]) == TrackingEntry(
        tracking_no=body["tracking_no"], case_id=body["id"], phone_last4="5678"
    )


def test_a_failed_attachment_claim_leaves_nothing_half_written(stack: Stack) -> None:
    # Given an upload already attached to another citizen's... own earlier case
    who = citizen()
    upload_id = uuid.uuid4().hex
    key = f"uploads/{who['sub']}/{upload_id}"
    now = datetime.now(UTC)
    stack.uploads.put(
        Upload(
            upload_id=upload_id,
            owner_id=who["sub"],
            key=key,
            content_type="image/png",
            size=len(PNG),
            created_at=now,
            expires_at=int((now + timedelta(days=7)).timestamp()),
        )
    )
    client("s3").put_object(Bucket=stack.resources["AttachmentsBucket"], Key=key, Body=PNG, ContentType="image/png")
    first_status, first = stack.request("POST", "/v1/requests", who, {**REQUEST, "attachments": [upload_id]})
    assert first_status == 201, first
    stored = stack.uploads.get(upload_id)
    assert stored is not None and stored.case_id == first["id"]
    # When a second case names the same upload
    status, body = stack.request("POST", "/v1/requests", who, {**REQUEST, "attachments": [upload_id]})
    # Then it is refused naming the field, and only the first case exists
    assert status == 422
    assert body["problems"][0]["field"] == "attachments[0]"
    _, listing = stack.request("GET", "/v1/requests", who)
    assert [c["id"] for c in listing["items"]] == [first["id"]]


def test_idempotency_key_returns_the_same_case(stack: Stack) -> None:
    # Given a citizen whose phone retries the same submission
    who = citizen()
    headers = {"Idempotency-Key": f"retry-{uuid.uuid4().hex}"}
    # When the request arrives twice with the same key and body
    s1, b1 = stack.request("POST", "/v1/requests", who, REQUEST, headers)
    s2, b2 = stack.request("POST", "/v1/requests", who, REQUEST, headers)
    # Then both answers name one case, and there is only one
    assert (s1, s2) == (201, 201)
    assert b1["id"] == b2["id"]
    _, listing = stack.request("GET", "/v1/requests", who)
    assert len(listing["items"]) == 1
    # And the same key with another body is refused, naming the header
    s3, b3 = stack.request("POST", "/v1/requests", who, {**REQUEST, "description": "other"}, headers)
    assert s3 == 422 and b3["problems"][0]["field"] == "Idempotency-Key"


def test_stale_version_write_is_refused_and_writes_no_event(stack: Stack) -> None:
    # Given a dispatched case written straight through the repository (no workflow writing beside us)
    now = datetime.now(UTC)
    fresh = Case(
        id=uuid.uuid4().hex,
        tracking_no=f"SZ-{uuid.uuid4().hex[:6]}",
        citizen_id="c-lock",
        phone="+8613812345678",
        category=Category.COMPLAINT,
        topic="traffic",
        district="futian",
        description="optimistic locking",
        status=CaseStatus.SUBMITTED,
        created_at=now,
        updated_at=now,
    )
    stack.repo.create_case(lifecycle.submitted(fresh, now), "5678", [])
    submitted = stack.repo.get_case(fresh.id)
    assert submitted is not None
    router = lifecycle.ROUTER
    case = stack.repo.save(
        lifecycle.dispatch(submitted, "futian-traffic-police", now + timedelta(days=5), router, now, "routed")
    )
    events_before = len(stack.repo.timeline(case.id))
    # And two writers who read the same version
    actor = Actor(role=Role.STAFF, id="s1", unit_id=case.unit_id)
    first = lifecycle.accept(case, actor, now)
    second = lifecycle.accept(case, actor, now)
    # When both save, the second with the version it read
    stack.repo.save(first)
    with pytest.raises(ConcurrentUpdate):
        stack.repo.save(second)
    # Then exactly one accepted event was written, and the case moved on once
    events = stack.repo.timeline(case.id)
    assert len(events) == events_before + 1
    assert [e.type.value for e in events].count("accepted") == 1
    stored = stack.repo.get_case(case.id)
    assert stored is not None and stored.version == case.version + 1


def test_workflow_runs_from_dispatch_to_close_and_a_retried_reply_changes_nothing(stack: Stack) -> None:
    # Given a submitted case and the unit's staff
    who = citizen()
    _, created = stack.request("POST", "/v1/requests", who, REQUEST)
    case_id = created["id"]
    unit = staff()
    # When the workflow dispatches it, the unit accepts and replies (twice: a retry)
    stack.wait_for(lambda: stack.status(case_id) == "DISPATCHED")
    stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == "handling")
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", unit)[0] == 200
    assert stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Fixed."})[0] == 200
    retry_status, retry = stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Fixed."})
    # Then the retry is a conflict that names the current status, and there is one reply
    assert retry_status == 409 and retry["current_status"] == "REPLIED"
    # When the citizen is satisfied
    stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == "rating")
    scores = {"speed": 5, "effectiveness": 5, "experience": 4, "feedback_quality": 5}
    status, view = stack.request("POST", f"/v1/requests/{case_id}/rating", who, scores)
    # Then the case closes on time and the execution named by the case id succeeds
    assert status == 200 and view["status"] == "CLOSED" and view["on_time"] is True
    sfn = client("stepfunctions")
    arn = stack.resources["CaseWorkflow"].replace(":stateMachine:", ":execution:") + f":{case_id}"
    stack.wait_for(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")
    types = [e.type.value for e in stack.repo.timeline(case_id)]
    assert types == ["submitted", "dispatched", "accepted", "replied", "rated", "closed"]
