"""What the scoreboard's integration modules share: stream delivery to the real ProjectionsFunction,
the stats API, and cases driven over HTTP or written through the repository."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from infra.local.gateway import LocalGateway
from infra.local.streams import StreamMapping, StreamPoller
from minyi.domain import lifecycle, scoreboard
from minyi.domain.lifecycle import RatingPolicy, Transition
from minyi.domain.models import Actor, Case, CaseStatus, Category, Role
from tests.integration.conftest import Stack, citizen, staff

SCOREBOARD = "ProjectionsFunction"  # the stream consumer that keeps the counters (and the Open311 feed)
TRAFFIC = "futian-traffic-police"
URBAN = "futian-urban-management"
REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Lorries use the residential street as a shortcut at night",
    "phone": "+86 138 1234 5678",
}
SUPERVISOR = {"sub": "sup-1", "cognito:groups": "supervisor"}
DISPATCHER = {"sub": "disp-1", "cognito:groups": "dispatcher"}
ADMIN = {"sub": "admin-1", "cognito:groups": "admin"}
SATISFIED = {"speed": 5, "effectiveness": 4, "experience": 5, "feedback_quality": 4}
UNSATISFIED = {"speed": 4, "effectiveness": 2, "experience": 4, "feedback_quality": 4}
ZERO = dict.fromkeys(scoreboard.COUNTERS, 0)


# --- stream delivery -------------------------------------------------------------------------------


class RecordingPoller(StreamPoller):
    """Lambda's event source mapping for the projections (the scoreboard's counters among them) only,
    remembering every batch it delivered."""

    def __init__(self, stack: Stack):
        super().__init__(stack.lambdas.template, stack.lambdas, stack.resources)
        self.mappings = [m for m in self.mappings if m.function == SCOREBOARD]
        assert len(self.mappings) == 1, "the projections have one stream event source"
        self.batches: list[list[dict[str, Any]]] = []
        self.skipping = False

    def deliver(self, mapping: StreamMapping, batch: list[dict[str, Any]], shard_id: str, stream_arn: str) -> None:
        if self.skipping:
            return
        self.batches.append(batch)
        super().deliver(mapping, batch, shard_id, stream_arn)

    def start_at_the_end(self) -> None:
        """Read past everything on the stream so far, delivering none of it (StartingPosition LATEST),
        and forget the batches delivered before."""
        self.skipping = True
        try:
            while self.poll_once():
                pass
        finally:
            self.skipping = False
        self.batches.clear()
        self.mappings[0].stats["dead_lettered"] = 0

    def drain(self) -> int:
        """poll_once() until two polls in a row read nothing more. Returns how many records this
        delivered to the scoreboard (timeline event INSERTs only, per the mapping's filter)."""
        already, idle = sum(len(b) for b in self.batches), 0
        while idle < 2:
            idle = idle + 1 if self.poll_once() == 0 else 0
        assert self.mappings[0].stats["dead_lettered"] == 0
        return sum(len(b) for b in self.batches) - already


# --- HTTP helpers ----------------------------------------------------------------------------------


def raw_get(stack: Stack, path: str, claims: dict[str, str] | None) -> dict[str, Any]:
    """Like Stack.request, but the handler's raw response (the CSV body is not JSON)."""
    route, params = next((r, p) for r in stack.routes if (p := r.match("GET", path.split("?")[0])) is not None)
    query = path.split("?", 1)[1] if "?" in path else ""
    event = LocalGateway._proxy_event(route, "GET", path.split("?")[0], query, {}, b"", params, claims, "127.0.0.1")
    return dict(stack.lambdas.invoke(route.function, event))


def stats(stack: Stack, claims: dict[str, str] | None, day_from: date, day_to: date, **query: str) -> dict[str, Any]:
    extra = "".join(f"&{k}={v}" for k, v in query.items())
    status, body = stack.request("GET", f"/v1/stats?from={day_from}&to={day_to}{extra}", claims)
    assert status == 200, body
    return dict(body)


def counters(scores: dict[str, Any]) -> dict[str, int]:
    return {k: scores[k] for k in scoreboard.COUNTERS}


def problem_fields(body: dict[str, Any]) -> list[str]:
    return [p["field"] for p in body["problems"]]


# --- driving cases ---------------------------------------------------------------------------------


def parked(stack: Stack, case_id: str, phase: str) -> Case:
    """The case once its workflow waits in `phase` of the case's current round."""
    return stack.wait_for(  # type: ignore[no-any-return]
        lambda: (
            (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == phase and c.wait.round == c.round and c
        )
    )


def handle_round(stack: Stack, case_id: str, unit: dict[str, str]) -> None:
    parked(stack, case_id, "handling")
    assert stack.request("POST", f"/v1/cases/{case_id}/accept", unit)[0] == 200
    status, body = stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Done."})
    assert status == 200, body
    parked(stack, case_id, "rating")


def rate(stack: Stack, case_id: str, who: dict[str, str], scores: dict[str, int], expect: str) -> None:
    status, body = stack.request("POST", f"/v1/requests/{case_id}/rating", who, scores)
    assert status == 200, body
    assert body["status"] == expect


def scripted_case(stack: Stack, script: list[tuple[dict[str, int], str]] | None) -> str:
    """Submit over HTTP, let the workflow dispatch it to the traffic police, then one handled round
    per rating in `script` (scores, expected status). None: handled once and left unrated."""
    who = citizen()
    status, created = stack.request("POST", "/v1/requests", who, REQUEST)
    assert status == 201, created
    case_id = str(created["id"])
    unit = staff(TRAFFIC)
    for scores, expect in script or [({}, "")]:
        handle_round(stack, case_id, unit)
        if script is not None:
            rate(stack, case_id, who, scores, expect)
    return case_id


def new_case(created_at: datetime) -> Case:
    return Case(
        id=uuid.uuid4().hex,
        tracking_no=f"SZ-{uuid.uuid4().hex[:12].upper()}",
        citizen_id=f"c-{uuid.uuid4().hex[:8]}",
        phone="+8613812345678",
        category=Category.COMPLAINT,
        topic="traffic",
        district="futian",
        description="Seeded directly in the table",
        status=CaseStatus.SUBMITTED,
        created_at=created_at,
        updated_at=created_at,
    )


def seed_dispatched(stack: Stack, submitted_at: datetime, dispatched_at: datetime, due_at: datetime, unit: str) -> Case:
    """Submitted and dispatched in one write through the repository, no workflow."""
    case = new_case(submitted_at)
    first = lifecycle.submitted(case, submitted_at)
    routed = lifecycle.dispatch(first.after, unit, due_at, lifecycle.ROUTER, dispatched_at, "seeded")
    transition = Transition(before=case, after=routed.after, events=[*first.events, *routed.events])
    stack.repo.create_case(transition, "5678", [])
    stored = stack.repo.get_case(case.id)
    assert stored is not None
    return stored


def late_case_closed_satisfied(stack: Stack, unit: str) -> str:
    """A case that went overdue, was answered late and rated satisfied (lifecycle + repository)."""
    now = datetime.now(UTC)
    case = seed_dispatched(
        stack, now - timedelta(seconds=3), now - timedelta(seconds=2), now - timedelta(seconds=1), unit
    )
    actor = Actor(role=Role.STAFF, id="s-late", unit_id=unit)
    case = stack.repo.save(lifecycle.mark_overdue(case, now))
    case = stack.repo.save(lifecycle.accept(case, actor, now))
    case = stack.repo.save(lifecycle.reply(case, "Sorry for the delay.", actor, now))
    who = Actor(role=Role.CITIZEN, id=case.citizen_id)
    closed = stack.repo.save(lifecycle.rate(case, SATISFIED, None, who, now, RatingPolicy(), now + timedelta(days=5)))
    assert closed.status == CaseStatus.CLOSED and closed.on_time is False
    return case.id


def event_days(stack: Stack, case_ids: list[str]) -> tuple[date, date]:
    days = [scoreboard.stats_day(e) for cid in case_ids for e in stack.repo.timeline(cid)]
    return min(days), max(days)
