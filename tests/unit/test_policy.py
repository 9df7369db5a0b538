"""Authorisation in one place (minyi.policy): one answer per situation, for every action.

- a role that may never take an action: Forbidden (403);
- a case the actor may not know about (another citizen's, another unit's): NotFound (404), exactly
  as for a case that does not exist;
- admins may do everything a role may.
Pure: no AWS, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from minyi import policy
from minyi.domain.errors import Forbidden, NotFound
from minyi.domain.models import DISPATCH_QUEUE, Actor, Case, CaseStatus, Category, Role
from minyi.policy import ROLES, Action

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
UNIT = "futian-traffic-police"
OTHER_UNIT = "luohu-traffic-police"
ACTORS = {
    Role.CITIZEN: Actor(role=Role.CITIZEN, id="citizen-1"),
    Role.OPERATOR: Actor(role=Role.OPERATOR, id="operator-1"),
    Role.STAFF: Actor(role=Role.STAFF, id="staff-1", unit_id=UNIT),
    Role.DISPATCHER: Actor(role=Role.DISPATCHER, id="dispatcher-1"),
    Role.SUPERVISOR: Actor(role=Role.SUPERVISOR, id="supervisor-1"),
    Role.ADMIN: Actor(role=Role.ADMIN, id="admin-1"),
    Role.SYSTEM: Actor(role=Role.SYSTEM, id="minyi"),
}
#: Who may take each action, written out here (not read from `policy.ROLES`, the table under test): admins
#: may take every action, the system actor none through the policy.
MAY: dict[Action, str] = {
    Action.SUBMIT: "citizen operator admin",
    Action.UPLOAD: "citizen operator staff supervisor admin",
    Action.READ_OWN: "citizen admin",
    Action.RATE: "citizen admin",
    Action.READ_CASE: "staff dispatcher supervisor admin",
    Action.LIST_UNIT: "staff dispatcher supervisor admin",
    Action.ACCEPT: "staff supervisor admin",
    Action.REPLY: "staff supervisor admin",
    Action.RETURN: "staff admin",
    Action.DISPATCH: "dispatcher admin",
    Action.RECLASSIFY: "dispatcher admin",
    Action.REQUEST_EXTENSION: "staff admin",
    Action.DECIDE_EXTENSION: "supervisor admin",
    Action.SUPERVISION: "supervisor admin",
    Action.REVEAL_PHONE: "supervisor admin",
    Action.ADD_NOTE: "staff dispatcher supervisor admin",
    Action.UNIT_DIRECTORY: "dispatcher supervisor admin",
    Action.INSTRUCT: "supervisor admin",
    Action.WITHDRAW: "citizen admin",
    Action.SUPPLEMENT: "citizen admin",
    Action.STATS: "staff dispatcher supervisor admin",
    Action.MANAGE_API_KEYS: "admin",
    Action.MANAGE_STAFF: "admin",
    Action.MANAGE_CATALOG: "admin",
    Action.MANAGE_MODELS: "admin",
    Action.KNOWLEDGE: "operator staff dispatcher supervisor admin",
    Action.REPLY_TEMPLATES: "staff supervisor admin",
    Action.CALLBACK: "operator admin",
    Action.ASSIGN: "staff admin",
    Action.ASSIST: "staff dispatcher admin",
    Action.SUGGEST: "citizen operator staff dispatcher supervisor admin",
    Action.DUPLICATES: "staff dispatcher admin",
    Action.HOTSPOTS: "dispatcher supervisor admin",
    Action.MERGE: "staff dispatcher admin",
    Action.UNMERGE: "supervisor admin",
    Action.FOLLOW: "citizen admin",
}
OWNER_ACTIONS = [Action.READ_OWN, Action.RATE, Action.WITHDRAW, Action.SUPPLEMENT]
CASE_ACTIONS = [Action.READ_CASE, Action.ACCEPT, Action.REPLY, Action.RETURN, Action.REQUEST_EXTENSION]


def make_case(**overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "id": "case-1",
        "tracking_no": "SZ2603-7KQ3MX",
        "citizen_id": "citizen-1",
        "phone": "+8613812345678",
        "category": Category.COMPLAINT,
        "topic": "traffic",
        "district": "futian",
        "description": "x",
        "status": CaseStatus.DISPATCHED,
        "unit_id": UNIT,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Case(**{**fields, **overrides})


@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
@pytest.mark.parametrize("role", list(ACTORS), ids=[r.value for r in ACTORS])
def test_each_role_may_take_exactly_the_actions_of_its_table(action: Action, role: Role) -> None:
    # Given an actor of a role, and whether the written-out table says it may take the action
    actor = ACTORS[role]
    allowed = role in {Role(name) for name in MAY[action].split()}
    # When it asks to take the action at all
    # Then it may exactly when the table names its role (admins always), else 403 naming the roles
    if allowed:
        policy.require(actor, action)
    else:
        with pytest.raises(Forbidden, match=r"error.needs_role"):
            policy.require(actor, action)


def test_the_written_out_table_covers_every_action_and_role() -> None:
    # Given the expectations above / Then each action and each role of the product has its place
    assert set(MAY) == set(Action)
    assert set(ACTORS) == set(Role)


def test_every_action_names_at_least_one_role() -> None:
    assert set(ROLES) == set(Action)
    assert all(ROLES[a] for a in Action)


@pytest.mark.parametrize("action", OWNER_ACTIONS, ids=[a.value for a in OWNER_ACTIONS])
def test_another_citizens_case_is_not_found_like_a_missing_one(action: Action) -> None:
    # Given a case filed by citizen-1, and citizen-2
    stranger = Actor(role=Role.CITIZEN, id="citizen-2")
    # When citizen-2 acts on it, and on a case that does not exist
    with pytest.raises(NotFound) as other:
        policy.require_case(stranger, action, make_case())
    with pytest.raises(NotFound) as missing:
        policy.require_case(stranger, action, None)
    # Then both answers are the same 404
    assert str(other.value) == str(missing.value)
    # And the owner may
    assert policy.require_case(ACTORS[Role.CITIZEN], action, make_case()).id == "case-1"


@pytest.mark.parametrize("action", CASE_ACTIONS, ids=[a.value for a in CASE_ACTIONS])
def test_staff_of_another_unit_get_404_for_a_case_they_never_held(action: Action) -> None:
    # Given a case with the Futian traffic police, and staff of another unit
    other = Actor(role=Role.STAFF, id="staff-2", unit_id=OTHER_UNIT)
    # When they act on it
    with pytest.raises(NotFound) as refused:
        policy.require_case(other, action, make_case())
    with pytest.raises(NotFound) as missing:
        policy.require_case(other, action, None)
    # Then it is the answer for a case that does not exist, word for word
    assert str(refused.value) == str(missing.value)
    # And staff of the unit that held it before (returned, transferred) still know it
    moved = make_case(unit_id=None, previous_unit_ids=[OTHER_UNIT], status=CaseStatus.RETURNED)
    assert policy.require_case(other, Action.READ_CASE, moved).id == "case-1"


def test_staff_without_a_unit_know_no_case() -> None:
    unitless = Actor(role=Role.STAFF, id="staff-0")
    with pytest.raises(NotFound):
        policy.require_case(unitless, Action.READ_CASE, make_case())


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN])
def test_desk_roles_know_every_unit_s_cases(role: Role) -> None:
    assert policy.require_case(ACTORS[role], Action.READ_CASE, make_case(unit_id=OTHER_UNIT)).id == "case-1"


def test_the_role_is_checked_before_the_case() -> None:
    # Given a citizen asking for a staff action on their own case, and on a missing case
    # Then the answer is 403 both times (the role never may), not 404
    for case in (make_case(), None):
        with pytest.raises(Forbidden):
            policy.require_case(ACTORS[Role.CITIZEN], Action.ACCEPT, case)


def test_unit_lists_staff_only_their_own_and_never_the_dispatch_queue() -> None:
    staff = ACTORS[Role.STAFF]
    policy.require_unit(staff, Action.LIST_UNIT, UNIT)
    with pytest.raises(Forbidden):
        policy.require_unit(staff, Action.LIST_UNIT, OTHER_UNIT)
    with pytest.raises(Forbidden):
        policy.require_unit(Actor(role=Role.STAFF, id="s", unit_id=DISPATCH_QUEUE), Action.LIST_UNIT, DISPATCH_QUEUE)
    for role in (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN):
        policy.require_unit(ACTORS[role], Action.LIST_UNIT, OTHER_UNIT)
        policy.require_unit(ACTORS[role], Action.LIST_UNIT, DISPATCH_QUEUE)
    with pytest.raises(Forbidden):
        policy.require_unit(ACTORS[Role.CITIZEN], Action.LIST_UNIT, UNIT)


def test_stats_scope() -> None:
    staff = ACTORS[Role.STAFF]
    # staff: their own unit's numbers, whatever they ask for, and never another unit's
    assert policy.stats_scope(staff, None) == UNIT
    assert policy.stats_scope(staff, UNIT) == UNIT
    with pytest.raises(Forbidden):
        policy.stats_scope(staff, OTHER_UNIT)
    with pytest.raises(Forbidden):
        policy.stats_scope(Actor(role=Role.STAFF, id="s"), None)
    # dispatchers, supervisors and admins: any unit or all
    for role in (Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN):
        assert policy.stats_scope(ACTORS[role], None) is None
        assert policy.stats_scope(ACTORS[role], OTHER_UNIT) == OTHER_UNIT
    # citizens: none
    with pytest.raises(Forbidden):
        policy.stats_scope(ACTORS[Role.CITIZEN], None)


def test_the_full_phone_is_for_the_unit_holding_the_open_case() -> None:
    staff = ACTORS[Role.STAFF]
    assert policy.sees_full_phone(staff, make_case())
    assert not policy.sees_full_phone(staff, make_case(status=CaseStatus.CLOSED))
    assert not policy.sees_full_phone(Actor(role=Role.STAFF, id="s", unit_id=OTHER_UNIT), make_case())
    for role in (Role.CITIZEN, Role.DISPATCHER, Role.SUPERVISOR):
        assert not policy.sees_full_phone(ACTORS[role], make_case())


# --- 协办: a unit asked to help reads and notes, nothing more -----------------------------------------


@pytest.mark.parametrize("action", list(Action))
def test_an_assisting_unit_may_read_and_note_only(action: Action) -> None:
    # Given a case another unit leads, on which the staff's unit was asked to help
    case = make_case(unit_id=OTHER_UNIT, assist_units=[UNIT])
    staff = ACTORS[Role.STAFF]
    if Role.STAFF not in ROLES[action] or action in OWNER_ACTIONS:
        return  # the role check answers first, as for any case
    # When it acts, Then reading and noting pass; anything else is 403 (it knows the case exists)
    if action in {Action.READ_CASE, Action.ADD_NOTE}:
        assert policy.require_case(staff, action, case) is case
    else:
        with pytest.raises(Forbidden):
            policy.require_case(staff, action, case)
    # and without the request to help, the case is unknown to it (404)
    with pytest.raises(NotFound):
        policy.require_case(staff, action, make_case(unit_id=OTHER_UNIT))
