"""Authorisation in one place: may this actor do this, and to this case?

Every route asks here (through its service), so each situation has one answer everywhere:
- a role that may never take an action: 403 naming the roles that may;
- a case the actor may not know about (another citizen's; another unit's, for staff): 404, the same
  answer as for a case that does not exist, so ids cannot be probed;
- a case the actor knows but that is in no state for the action: 409 with its status (the domain's
  rule, checked before who holds it now, so a unit that returned a case hears "returned", not "no").
Admins may do everything a role may.
"""

from __future__ import annotations

from enum import StrEnum

from minyi.domain.errors import Forbidden, NotFound
from minyi.domain.models import DISPATCH_QUEUE, Actor, Case, CaseStatus, Channel, Role
from minyi.domain.phone import caller_id


class Action(StrEnum):
    SUBMIT = "submit"
    UPLOAD = "upload"
    READ_OWN = "read_own"
    RATE = "rate"
    READ_CASE = "read_case"
    LIST_UNIT = "list_unit"
    ACCEPT = "accept"
    REPLY = "reply"
    RETURN = "return"
    DISPATCH = "dispatch"
    RECLASSIFY = "reclassify"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    SUPERVISION = "supervision"
    REVEAL_PHONE = "reveal_phone"
    ADD_NOTE = "add_note"
    UNIT_DIRECTORY = "unit_directory"
    INSTRUCT = "instruct"
    WITHDRAW = "withdraw"
    SUPPLEMENT = "supplement"
    STATS = "stats"
    MANAGE_API_KEYS = "manage_api_keys"
    MANAGE_STAFF = "manage_staff"
    MANAGE_CATALOG = "manage_catalog"
    MANAGE_MODELS = "manage_models"
    KNOWLEDGE = "knowledge"
    REPLY_TEMPLATES = "reply_templates"
    CALLBACK = "callback"
    ASSIGN = "assign"
    ASSIST = "assist"
    SUGGEST = "suggest"
    DUPLICATES = "duplicates"
    HOTSPOTS = "hotspots"
    MERGE = "merge"
    UNMERGE = "unmerge"
    FOLLOW = "follow"


_STAFF_DESK = frozenset({Role.STAFF, Role.DISPATCHER, Role.SUPERVISOR})

#: Who may take each action at all (admins may take every action).
ROLES: dict[Action, frozenset[Role]] = {
    Action.SUBMIT: frozenset({Role.CITIZEN, Role.OPERATOR}),
    Action.UPLOAD: frozenset({Role.CITIZEN, Role.OPERATOR, Role.STAFF, Role.SUPERVISOR}),
    Action.READ_OWN: frozenset({Role.CITIZEN}),
    Action.RATE: frozenset({Role.CITIZEN}),
    Action.READ_CASE: _STAFF_DESK,
    Action.LIST_UNIT: _STAFF_DESK,
    Action.ACCEPT: frozenset({Role.STAFF, Role.SUPERVISOR}),
    Action.REPLY: frozenset({Role.STAFF, Role.SUPERVISOR}),
    Action.RETURN: frozenset({Role.STAFF}),
    Action.DISPATCH: frozenset({Role.DISPATCHER}),
    Action.RECLASSIFY: frozenset({Role.DISPATCHER}),
    Action.REQUEST_EXTENSION: frozenset({Role.STAFF}),
    Action.DECIDE_EXTENSION: frozenset({Role.SUPERVISOR}),
    Action.SUPERVISION: frozenset({Role.SUPERVISOR}),
    Action.REVEAL_PHONE: frozenset({Role.SUPERVISOR}),
    Action.ADD_NOTE: _STAFF_DESK,
    Action.UNIT_DIRECTORY: frozenset({Role.DISPATCHER, Role.SUPERVISOR}),
    Action.INSTRUCT: frozenset({Role.SUPERVISOR}),
    Action.WITHDRAW: frozenset({Role.CITIZEN}),
    Action.SUPPLEMENT: frozenset({Role.CITIZEN}),
    Action.STATS: _STAFF_DESK,
    Action.MANAGE_API_KEYS: frozenset({Role.ADMIN}),
    # accounts other than citizens' exist only because an admin created them
    Action.MANAGE_STAFF: frozenset({Role.ADMIN}),
    Action.MANAGE_CATALOG: frozenset({Role.ADMIN}),
    # the intake topic models: which one suggests topics (issue 18)
    Action.MANAGE_MODELS: frozenset({Role.ADMIN}),
    # the knowledge base: operators answer calls from it, desks look things up in it
    Action.KNOWLEDGE: frozenset({Role.OPERATOR}) | _STAFF_DESK,
    Action.REPLY_TEMPLATES: frozenset({Role.STAFF, Role.SUPERVISOR}),
    # 回访: operators call hotline callers back and record what they say
    Action.CALLBACK: frozenset({Role.OPERATOR}),
    # the holding unit gives a case to one of its people
    Action.ASSIGN: frozenset({Role.STAFF}),
    # 协办: the dispatch centre, or the holding unit, asks other units to help
    Action.ASSIST: frozenset({Role.STAFF, Role.DISPATCHER}),
    # smart intake: whoever files or reads a complaint sees what it suggests (issue 18)
    Action.SUGGEST: frozenset({Role.CITIZEN, Role.OPERATOR}) | _STAFF_DESK,
    # the open cases a case may repeat: the dispatch centre and the holding unit (require_case)
    Action.DUPLICATES: frozenset({Role.DISPATCHER, Role.STAFF}),
    # 未诉先办: the city's hotspots are the dispatch centre's and the supervision office's to act on
    Action.HOTSPOTS: frozenset({Role.DISPATCHER, Role.SUPERVISOR}),
    # 并单: the dispatch centre, or the unit holding the case (the lifecycle checks it holds it)
    Action.MERGE: frozenset({Role.STAFF, Role.DISPATCHER}),
    # undoing a merge routes the case again: the supervisors' call
    Action.UNMERGE: frozenset({Role.SUPERVISOR}),
    # "me too": a signed-in citizen follows an open case by its tracking number
    Action.FOLLOW: frozenset({Role.CITIZEN}),
}

#: What a unit asked to help (协办) may do on the case: read it and add internal notes; the lead unit
#: answers, returns and asks for extensions.
ASSISTING_ACTIONS = frozenset({Action.READ_CASE, Action.ADD_NOTE})

#: Actions on a case that belong to the citizen who filed it.
_OWNER_ACTIONS = frozenset({Action.READ_OWN, Action.RATE, Action.WITHDRAW, Action.SUPPLEMENT})


def require(actor: Actor, action: Action) -> None:
    """403 unless the actor's role may take the action at all."""
    allowed = ROLES[action]
    if actor.role != Role.ADMIN and actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden("error.needs_role", roles=names)


def require_case(actor: Actor, action: Action, case: Case | None) -> Case:
    """The role check, then 404 unless the actor may know this case exists. Returns the case."""
    require(actor, action)
    if case is None:
        raise NotFound("error.no_such_request" if action in _OWNER_ACTIONS else "error.no_such_case")
    if action in _OWNER_ACTIONS:
        if not _owns(actor, case):
            raise NotFound("error.no_such_request")
    elif actor.role == Role.STAFF and not _unit_knows(actor, case):
        if assists(actor, case):
            if action not in ASSISTING_ACTIONS:
                raise Forbidden("error.assisting_unit_reads_only")
            return case
        raise NotFound("error.no_such_case")  # word for word the answer for a missing case
    return case


def owner_ids(actor: Actor) -> list[str]:
    """Whose requests a citizen owns: their account's, and the hotline calls made from the mobile the
    account is verified with (an operator filed them under the number: `caller_id`). Never a number
    the account has not proved."""
    if actor.role != Role.CITIZEN or not actor.phone:
        return [actor.id]
    return [actor.id, caller_id(actor.phone)]


def _owns(actor: Actor, case: Case) -> bool:
    if case.citizen_id == actor.id:
        return True
    return case.channel == Channel.HOTLINE and case.citizen_id in owner_ids(actor)[1:]


def assists(actor: Actor, case: Case) -> bool:
    """The actor's unit was asked to help on the case (协办)."""
    return actor.unit_id is not None and actor.unit_id in case.assist_units


def _unit_knows(actor: Actor, case: Case) -> bool:
    """Staff know the cases their unit holds and those it held before (returned, transferred)."""
    return actor.unit_id is not None and (case.unit_id == actor.unit_id or actor.unit_id in case.previous_unit_ids)


def sees_full_phone(actor: Actor, case: Case) -> bool:
    """The citizen's full number is for the unit that holds the case while it is open (to call back);
    everyone else sees it masked unless a supervisor asks for it (Action.REVEAL_PHONE, recorded)."""
    return (
        actor.role == Role.STAFF
        and actor.unit_id is not None
        and case.unit_id == actor.unit_id
        and case.status != CaseStatus.CLOSED
    )


def require_unit(actor: Actor, action: Action, unit_id: str) -> None:
    """Staff see only their own unit's lists; dispatchers and supervisors any unit's (and the queue)."""
    require(actor, action)
    if actor.role == Role.STAFF and actor.unit_id != unit_id:
        raise Forbidden("error.own_unit_cases_only")
    if actor.role == Role.STAFF and unit_id == DISPATCH_QUEUE:
        raise Forbidden("error.dispatch_queue_for_dispatchers")


def stats_scope(actor: Actor, unit_id: str | None) -> str | None:
    """Which unit's numbers the actor may read: staff only their own unit's; others any or all."""
    require(actor, Action.STATS)
    if actor.role != Role.STAFF:
        return unit_id
    if not actor.unit_id:
        raise Forbidden("error.no_unit_no_numbers")
    if unit_id not in (None, actor.unit_id):
        raise Forbidden("error.own_unit_numbers_only")
    return actor.unit_id
