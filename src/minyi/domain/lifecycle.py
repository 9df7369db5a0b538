"""The case lifecycle: every rule about which action may happen when, and what it changes.

Pure functions from (case, action, now) to a `Transition` (the new case and the timeline events it
appends). No I/O: the services load the case, call one function here and persist the result in one
conditional transaction. The workflow's view of a case is derived here too (`workflow_outcome`), so
the state machine and the table can never disagree about what happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from minyi.domain import hotspots
from minyi.domain.errors import Forbidden, InvalidTransition, NotFound
from minyi.domain.messages import Message, message
from minyi.domain.models import (
    DISPATCH_QUEUE,
    DISPATCH_STATUSES,
    EVENT_VERSION,
    HANDLING_STATUSES,
    TERMINAL_STATUSES,
    WITHDRAWABLE_STATUSES,
    Actor,
    Attachment,
    CallbackAttempt,
    CallbackOutcome,
    Case,
    CaseStatus,
    Category,
    Channel,
    CloseReason,
    EventType,
    Extension,
    Language,
    Rating,
    RatingChannel,
    Reply,
    Reporter,
    ReporterVia,
    Role,
    SupervisionOrder,
    Supplement,
    TimelineEvent,
)

Phase = Literal["dispatch", "handling", "rating"]
Outcome = Literal["dispatched", "queued", "replied", "returned", "extended", "closed", "redo"]


@dataclass(frozen=True)
class Transition:
    before: Case
    after: Case
    events: list[TimelineEvent] = field(default_factory=list)


@dataclass(frozen=True)
class RatingPolicy:
    """A rating is unsatisfied when any dimension is at or below this score."""

    unsatisfied_at_or_below: int = 2


ROUTER = Actor(role=Role.SYSTEM, id="router")


class LifecycleAction(StrEnum):
    """Every action the lifecycle checks against the case's status, by the words its refusal uses
    (`cannot <action> a case in status <status>`)."""

    DISPATCH = "dispatch"
    QUEUE = "queue"
    ACCEPT = "accept"
    REPLY = "reply to"
    RETURN = "return"
    RATE = "rate"
    CLOSE_UNRATED = "close"
    ANSWER_AT_INTAKE = "answer at intake"
    CALL_BACK = "call back"
    MARK_OVERDUE = "mark overdue"
    WARN = "warn"
    EXTEND = "extend"
    DECIDE_EXTENSION = "decide an extension for"
    RESTART_WORKFLOW = "restart the workflow of"
    FLAG = "flag"
    WITHDRAW = "withdraw"
    SUPPLEMENT = "add information to"
    TRANSFER = "transfer"
    MARK_DISPATCH_OVERDUE = "mark dispatch overdue"
    INSTRUCT = "give instructions on"
    ASSIGN = "assign"
    CORRECT_CLASSIFICATION = "correct the classification of"
    REQUEST_ASSIST = "ask for assistance on"
    MERGE = "merge"
    MERGE_INTO = "merge a case into"
    UNMERGE = "undo the merge of"
    FOLLOW = "follow"


#: Statuses a case may still change in (anything but closed or withdrawn).
OPEN_STATUSES = frozenset(CaseStatus) - TERMINAL_STATUSES

#: The one table of which action may happen in which status (Signalen's ALLOWED_STATUS_CHANGES, by
#: action): every status check of this module reads it, through `_require` or `allows`. The other
#: rules of an action (its round, a pending extension, the unit) stay with the action below.
ALLOWED_STATUSES: Mapping[LifecycleAction, frozenset[CaseStatus]] = MappingProxyType(
    {
        LifecycleAction.DISPATCH: DISPATCH_STATUSES,
        LifecycleAction.QUEUE: frozenset({CaseStatus.SUBMITTED}),
        LifecycleAction.ACCEPT: HANDLING_STATUSES - {CaseStatus.IN_PROGRESS},
        LifecycleAction.REPLY: frozenset({CaseStatus.IN_PROGRESS}),
        # only in the first round, too: a reopened or supervised case stays with its unit
        LifecycleAction.RETURN: frozenset({CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS}),
        # a consultation answered at intake (closed) is rated too: `rate` says why
        LifecycleAction.RATE: frozenset({CaseStatus.REPLIED}),
        LifecycleAction.CLOSE_UNRATED: frozenset({CaseStatus.REPLIED}),
        LifecycleAction.ANSWER_AT_INTAKE: frozenset({CaseStatus.SUBMITTED}),
        LifecycleAction.CALL_BACK: frozenset({CaseStatus.REPLIED}),
        LifecycleAction.MARK_OVERDUE: HANDLING_STATUSES,
        LifecycleAction.WARN: HANDLING_STATUSES,
        LifecycleAction.EXTEND: HANDLING_STATUSES,
        LifecycleAction.DECIDE_EXTENSION: HANDLING_STATUSES,
        LifecycleAction.RESTART_WORKFLOW: OPEN_STATUSES,
        LifecycleAction.FLAG: OPEN_STATUSES,
        LifecycleAction.WITHDRAW: WITHDRAWABLE_STATUSES,
        LifecycleAction.SUPPLEMENT: OPEN_STATUSES,
        LifecycleAction.TRANSFER: frozenset({CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS}),
        LifecycleAction.MARK_DISPATCH_OVERDUE: DISPATCH_STATUSES,
        LifecycleAction.INSTRUCT: HANDLING_STATUSES,
        LifecycleAction.ASSIGN: OPEN_STATUSES,
        LifecycleAction.CORRECT_CLASSIFICATION: OPEN_STATUSES,
        LifecycleAction.REQUEST_ASSIST: OPEN_STATUSES,
        # 并单: a case whose reply waits for its rating is answered already (nothing left to do once)
        LifecycleAction.MERGE: OPEN_STATUSES - {CaseStatus.REPLIED},
        LifecycleAction.MERGE_INTO: OPEN_STATUSES,
        LifecycleAction.UNMERGE: frozenset({CaseStatus.MERGED}),
        LifecycleAction.FOLLOW: OPEN_STATUSES,
    }
)


def allows(action: LifecycleAction, status: CaseStatus) -> bool:
    """Whether the table lets `action` happen to a case in `status`."""
    return status in ALLOWED_STATUSES[action]


class _Builder:
    """Accumulates changes and events for one transition."""

    def __init__(self, case: Case, actor: Actor, now: datetime):
        self.before = case
        self.case = case.model_copy(deep=True)
        self.actor = actor
        self.now = now
        self.events: list[TimelineEvent] = []

    def event(
        self,
        type_: EventType,
        note: str | Message | None = None,
        unit_id: str | None = None,
        *,
        said: str | None = None,
        **facts: bool | int | str,
    ) -> None:
        """Append an event; `unit_id` names the unit it concerns when that is not the case's unit now
        (the unit that returned a case, the unit a transfer took it from). `note` is what a person
        typed (kept as written) or what the platform says (a `Message`: a key and its facts, never
        prose); `said` is a person's words that go with the platform's message (a citizen's comment)."""
        platform = note if isinstance(note, Message) else None
        typed = said if platform is not None else note
        self.case.event_count += 1
        self.events.append(
            TimelineEvent(
                case_id=self.case.id,
                seq=self.case.event_count,
                type=type_,
                at=self.now,
                actor_role=self.actor.role,
                actor_id=self.actor.id,
                status=self.case.status,
                unit_id=unit_id or self.case.unit_id,
                note=typed if isinstance(typed, str) else None,
                round=self.case.round,
                due_at=self.case.due_at,
                facts=facts,
                message=platform,
                v=EVENT_VERSION,
            )
        )

    def done(self) -> Transition:
        self.case.updated_at = self.now
        return Transition(before=self.before, after=self.case, events=self.events)


def _leaving_overdue(b: _Builder) -> dict[str, str]:
    """The fact that takes the case off its unit's open-overdue gauge, if it is on one."""
    unit = b.case.overdue_unit
    b.case.overdue_unit = None
    return {"overdue_unit": unit} if unit else {}


def _require(case: Case, action: LifecycleAction) -> None:
    """The case's status must allow `action` (`ALLOWED_STATUSES`), else 409."""
    if not allows(action, case.status):
        raise InvalidTransition(action.value, case.status)


def _require_unit(case: Case, actor: Actor) -> None:
    """Staff act only on their own unit's cases; supervisors and admins on any. Checked after the
    state, so a unit that returned a case hears that it was returned (409), not "another unit"."""
    if actor.role == Role.STAFF and actor.unit_id != case.unit_id:
        raise Forbidden("error.another_unit")


def submitted(case: Case, now: datetime, by: Actor | None = None, position_district: str | None = None) -> Transition:
    """The first event of a new case (the case arrives already in SUBMITTED); `by` is who filed it
    when not the citizen (a hotline operator). `position_district`: the district the case's location lies
    in, when that is not the district chosen; the choice stands (the problem may be elsewhere than the
    phone), and the event tells the dispatch centre and the unit (`note.position_elsewhere`)."""
    b = _Builder(case, by or Actor(role=Role.CITIZEN, id=case.citizen_id), now)
    note = None
    facts: dict[str, Any] = {}
    if position_district is not None and position_district != case.district:
        note = message("note.position_elsewhere", chosen=case.district, at=position_district)
        facts["position_district"] = position_district
    b.event(EventType.SUBMITTED, note, channel=case.channel.value, **facts, **hotspots.submitted_facts(case))
    return b.done()


def dispatch(
    case: Case,
    unit_id: str,
    due_at: datetime,
    actor: Actor,
    now: datetime,
    note: str | Message,
    urgent: bool = False,
) -> Transition:
    """Route to a unit (automatically by rule, or by a dispatcher); the deadline starts now. `urgent`
    (a dispatcher's 紧急) marks the case; an urgent case's event says so (its unit's notice differs)."""
    _require(case, LifecycleAction.DISPATCH)
    b = _Builder(case, actor, now)
    b.case.urgent = case.urgent or urgent
    b.case.assist_units = [u for u in case.assist_units if u != unit_id]
    b.case.status = CaseStatus.DISPATCHED
    b.case.unit_id = unit_id
    b.case.due_at = due_at
    b.case.dispatched_at = now
    b.case.dispatched_unit = unit_id
    b.case.overdue = False
    b.case.in_dispatch_queue = False
    b.case.dispatch_due_at = None
    b.case.dispatch_overdue = False
    b.case.warned_round = case.round - 1  # a new unit gets its own 75 % warning
    b.event(EventType.DISPATCHED, note, **_urgent_fact(b.case))
    return b.done()


def _urgent_fact(case: Case) -> dict[str, Any]:
    """The fact an urgent case's dispatch or transfer carries (the unit's SMS says 紧急)."""
    return {"urgent": True} if case.urgent else {}


def queue_for_dispatcher(
    case: Case, now: datetime, reason: str | Message, dispatch_due_at: datetime | None = None
) -> Transition:
    """No rule covers the case: the dispatch centre must pick a unit by `dispatch_due_at`."""
    _require(case, LifecycleAction.QUEUE)
    if case.in_dispatch_queue:
        raise InvalidTransition("queue", case.status, "error.already_queued")
    b = _Builder(case, ROUTER, now)
    b.case.in_dispatch_queue = True
    b.case.dispatch_due_at = dispatch_due_at
    b.case.dispatch_overdue = False
    b.event(EventType.QUEUED, reason)
    return b.done()


def accept(case: Case, actor: Actor, now: datetime) -> Transition:
    _require(case, LifecycleAction.ACCEPT)
    _require_unit(case, actor)
    b = _Builder(case, actor, now)
    b.case.status = CaseStatus.IN_PROGRESS
    b.event(EventType.ACCEPTED)
    return b.done()


def reply(case: Case, message: str, actor: Actor, now: datetime, attachments: Sequence[Attachment] = ()) -> Transition:
    """The unit answers this round (with files, e.g. a photo of the repair)."""
    _require(case, LifecycleAction.REPLY)
    _require_unit(case, actor)
    assert case.unit_id is not None and case.due_at is not None
    b = _Builder(case, actor, now)
    on_time = now <= case.due_at and not case.overdue and not case.ever_overdue
    files = [a.upload_id for a in attachments]
    b.case.replies.append(
        Reply(round=case.round, unit_id=case.unit_id, message=message, at=now, on_time=on_time, attachments=files)
    )
    b.case.attachments.extend(attachments)
    b.case.status = CaseStatus.REPLIED
    b.case.overdue = False
    if case.extension and case.extension.status == "pending":
        b.case.extension = None
    b.event(EventType.REPLIED, message)
    return b.done()


def return_to_dispatch(
    case: Case, reason: str, actor: Actor, now: datetime, dispatch_due_at: datetime | None = None
) -> Transition:
    """A unit says the case is not theirs: back to the dispatch centre. Only in the first round:
    a reopened or supervised case must be redone by the unit that answered it."""
    _require(case, LifecycleAction.RETURN)
    if case.round > 1:
        raise InvalidTransition("return", case.status, "error.reopened_stays_with_unit")
    _require_unit(case, actor)
    assert case.unit_id is not None
    b = _Builder(case, actor, now)
    b.case.status = CaseStatus.RETURNED
    b.case.previous_unit_ids.append(case.unit_id)
    b.case.unit_id = None
    b.case.assignee = None
    b.case.due_at = None
    b.case.overdue = False
    b.case.extension = None
    b.case.in_dispatch_queue = True
    b.case.dispatch_due_at = dispatch_due_at
    b.case.dispatch_overdue = False
    b.event(EventType.RETURNED, reason, unit_id=case.unit_id, returned_by=case.unit_id, **_leaving_overdue(b))
    return b.done()


def is_unsatisfied(scores: dict[str, int], policy: RatingPolicy) -> bool:
    return any(score <= policy.unsatisfied_at_or_below for score in scores.values())


def rate(
    case: Case,
    scores: dict[str, int],
    comment: str | None,
    actor: Actor,
    now: datetime,
    policy: RatingPolicy,
    redo_due_at: datetime,
    channel: RatingChannel = RatingChannel.ONLINE,
) -> Transition:
    """The citizen's four-dimension rating of this round's reply.

    Satisfied closes. Unsatisfied the first time reopens the case to the same unit (rollback);
    unsatisfied after the redo puts it under special supervision; a supervised case closes on its
    next rating whatever it says. A consultation answered on the call (直接办结) is already closed:
    its rating is recorded and counted, and changes nothing else (no unit handled it to redo it).
    `channel` callback: an operator records what the caller said on a 回访 call (`callback`).
    """
    if channel == RatingChannel.CALLBACK or actor.id == case.citizen_id:
        rater = case.citizen_id
    elif any(r.citizen_id == actor.id for r in case.reporters):
        rater = actor.id
    else:
        raise NotFound("error.no_such_request")  # the same answer as the policy's: ids cannot be probed
    if any(r.round == case.round and rated_by(case, r) == rater for r in case.ratings):
        raise InvalidTransition("rate", case.status, "error.reply_already_rated")
    intake = case.status == CaseStatus.CLOSED and case.closed_reason == CloseReason.ANSWERED_AT_INTAKE
    late = _late_rating(case, rater)
    if not intake and late is None:
        _require(case, LifecycleAction.RATE)
    satisfied = not is_unsatisfied(scores, policy)
    b = _Builder(case, actor, now)
    b.case.ratings.append(
        Rating(
            round=case.round if late is None else late,
            by=rater if rater != case.citizen_id else None,
            comment=comment,
            satisfied=satisfied,
            at=now,
            channel=channel,
            **scores,
        )
    )
    # the citizen's words go with the scores: the unit redoing the case and supervisors read why
    verdict = "satisfied" if satisfied else "unsatisfied"
    b.event(
        EventType.RATED,
        message(f"note.rated.{verdict}{'.commented' if comment else ''}", **scores),
        said=comment,
        satisfied=satisfied,
        channel=channel.value,
    )
    b.events[-1].facts.update(_rating_facts(rater != case.citizen_id, late is not None))
    if intake or late is not None:
        pass  # recorded and counted; the round was decided by another reporter's rating
    elif satisfied and not all_rated(b.case):
        pass  # every reporter has a say: the case waits for the others (or its rating window)
    elif satisfied:
        _close(b, CloseReason.SATISFIED)
    elif case.supervised:
        _close(b, CloseReason.CLOSED_UNDER_SUPERVISION)
    elif case.reopen_count == 0:
        b.case.reopen_count = 1
        _redo(b, CaseStatus.REOPENED, redo_due_at)
        b.event(EventType.REOPENED, message("note.reopened"))
    else:
        b.case.supervised = True
        _redo(b, CaseStatus.SUPERVISED, redo_due_at)
        b.event(EventType.SUPERVISED, message("note.supervised"))
    return b.done()


def _rating_facts(reporter: bool, late: bool) -> dict[str, bool | int | str]:
    """A rating event's facts: by another reporter than the case's citizen (并单), late for its round."""
    facts: dict[str, bool | int | str] = {}
    if reporter:
        facts["reporter"] = True
    if late:
        facts["late"] = True
    return facts


def rated_by(case: Case, rating: Rating) -> str:
    """Who gave a rating (ratings stored before reporters existed are the case's citizen's)."""
    return rating.by or case.citizen_id


def raters(case: Case) -> list[str]:
    """Everyone who may rate the case's answer: its citizen and its other reporters (并单, "me too")."""
    return [case.citizen_id, *(r.citizen_id for r in case.reporters if r.citizen_id != case.citizen_id)]


def all_rated(case: Case) -> bool:
    """Every reporter rated this round's reply."""
    rated = {rated_by(case, r) for r in case.ratings if r.round == case.round}
    return all(person in rated for person in raters(case))


def _late_rating(case: Case, rater: str) -> int | None:
    """The round a reporter's rating is late for, or None: another reporter's unsatisfied rating already
    rolled the round back (the case is open, its last reply rated, not by `rater`). Such a rating is
    recorded and counted, and rolls nothing back again (once per round)."""
    if case.status in TERMINAL_STATUSES or case.status == CaseStatus.REPLIED or not case.replies:
        return None
    last = case.replies[-1].round
    ratings = [r for r in case.ratings if r.round == last]
    if not ratings or any(rated_by(case, r) == rater for r in ratings):
        return None
    return last


def _redo(b: _Builder, status: CaseStatus, due_at: datetime) -> None:
    """An unsatisfied rating sends the case back to the unit that answered it, in a new round
    (rollback: REOPENED; after the redo: SUPERVISED) with a deadline and clock of its own."""
    b.case.status = status
    b.case.round += 1
    b.case.due_at = due_at
    b.case.dispatched_at = b.now  # the redo round's clock starts now
    b.case.overdue = False


def _close(b: _Builder, reason: CloseReason) -> None:
    b.case.status = CaseStatus.CLOSED
    b.case.closed_at = b.now
    b.case.closed_reason = reason
    b.case.on_time = bool(b.case.replies) and all(r.on_time for r in b.case.replies) and not b.case.ever_overdue
    b.case.wait = None
    b.event(
        EventType.CLOSED,
        message(f"note.closed.{reason.value}"),
        reason=reason.value,
        on_time=b.case.on_time,
        satisfied=reason == CloseReason.SATISFIED,
        # every reopened case closed satisfied, after the redo or under supervision (the scoreboard's footnote)
        resolved_after_rollback=reason == CloseReason.SATISFIED and b.case.reopen_count > 0,
        **_leaving_overdue(b),
    )


def answer_at_intake(
    created: Transition, answer: str, knowledge_id: str | None, operator: Actor, now: datetime
) -> Transition:
    """直接办结: the operator answered a hotline consultation on the call. The new case (`created`,
    from `submitted`) closes at once with the answer as the centre's reply, in an event of its own;
    no unit handles it and no workflow runs for it. The caller is texted the answer with a rating
    code and may still rate it (`rate`)."""
    case = created.after
    if operator.role != Role.OPERATOR or case.channel != Channel.HOTLINE:
        raise Forbidden("error.operator_answers_at_intake")
    if case.category != Category.CONSULTATION:
        raise InvalidTransition("answer at intake", case.status, "error.intake_answer_consultation_only")
    _require(case, LifecycleAction.ANSWER_AT_INTAKE)
    b = _Builder(case, operator, now)
    b.case.replies.append(Reply(round=case.round, unit_id=DISPATCH_QUEUE, message=answer, at=now, on_time=True))
    b.case.knowledge_id = knowledge_id
    b.event(EventType.ANSWERED_AT_INTAKE, answer, **({"knowledge_id": knowledge_id} if knowledge_id else {}))
    b.case.status = CaseStatus.CLOSED
    b.case.closed_at = now
    b.case.closed_reason = CloseReason.ANSWERED_AT_INTAKE
    b.case.on_time = True
    b.event(
        EventType.CLOSED,
        message(f"note.closed.{CloseReason.ANSWERED_AT_INTAKE.value}"),
        reason=CloseReason.ANSWERED_AT_INTAKE.value,
        answered_at_intake=True,
        on_time=True,
        satisfied=False,
    )
    done = b.done()
    return Transition(before=created.before, after=done.after, events=[*created.events, *done.events])


#: 回访: unreachable attempts on this many different working days close the case unrated.
CALLBACK_ATTEMPTS = 3


def awaits_callback(case: Case) -> bool:
    """A hotline case whose reply waits for its caller's rating: the operators' 回访 list."""
    return (
        case.channel == Channel.HOTLINE
        and allows(LifecycleAction.CALL_BACK, case.status)
        and not any(r.round == case.round and rated_by(case, r) == case.citizen_id for r in case.ratings)
    )


def callback(
    case: Case,
    outcome: CallbackOutcome,
    working_day: str,
    actor: Actor,
    now: datetime,
    rating: tuple[dict[str, int], str | None, RatingPolicy, datetime] | None = None,
) -> Transition:
    """回访: an operator called the caller about this round's reply. `rated`: the caller's scores count
    as their rating (channel callback: the same `rate` rule, so unsatisfied rolls back); `declined`:
    reached, would not rate, the case closes unrated; `unreachable`: recorded, and on the
    `CALLBACK_ATTEMPTS`-th different working day without reaching them the case closes unrated."""
    if not awaits_callback(case):
        raise InvalidTransition("call back", case.status, "error.no_callback_waiting")
    attempt = CallbackAttempt(round=case.round, outcome=outcome, at=now, by=actor.id, working_day=working_day)
    if outcome == CallbackOutcome.RATED:
        if rating is None:
            raise InvalidTransition("call back", case.status, "error.callback_needs_the_scores")
        scores, comment, policy, redo_due_at = rating
        b = _Builder(case, actor, now)
        b.case.callbacks.append(attempt)
        b.event(EventType.CALLBACK, message(f"note.callback.{outcome.value}"), outcome=outcome.value)
        first = b.done()
        rated = rate(first.after, scores, comment, actor, now, policy, redo_due_at, RatingChannel.CALLBACK)
        return Transition(before=case, after=rated.after, events=[*first.events, *rated.events])
    b = _Builder(case, actor, now)
    b.case.callbacks.append(attempt)
    days = {
        a.working_day for a in b.case.callbacks if a.round == case.round and a.outcome == CallbackOutcome.UNREACHABLE
    }
    b.event(
        EventType.CALLBACK, message(f"note.callback.{outcome.value}"), outcome=outcome.value, unreachable_days=len(days)
    )
    if outcome == CallbackOutcome.DECLINED:
        _close(b, CloseReason.CALLBACK_DECLINED)
    elif len(days) >= CALLBACK_ATTEMPTS:
        _close(b, CloseReason.UNREACHABLE)
    return b.done()


def close_unrated(case: Case, now: datetime) -> Transition:
    """The rating window ended. Unrated, unless some of the case's reporters rated this round's reply
    (all satisfied: an unsatisfied one would have rolled it back) while the others never did."""
    _require(case, LifecycleAction.CLOSE_UNRATED)
    b = _Builder(case, Actor(role=Role.SYSTEM, id="rating-window"), now)
    rated = any(r.round == case.round for r in case.ratings)
    _close(b, CloseReason.SATISFIED if rated else CloseReason.UNRATED)
    return b.done()


def mark_overdue(case: Case, now: datetime) -> Transition:
    """The deadline passed without a reply: flag, escalate, keep waiting for the reply."""
    _require(case, LifecycleAction.MARK_OVERDUE)
    if case.overdue:
        raise InvalidTransition("mark overdue", case.status, "error.already_overdue")
    if case.due_at is None or now < case.due_at:
        raise InvalidTransition("mark overdue", case.status, "error.deadline_not_passed")
    b = _Builder(case, Actor(role=Role.SYSTEM, id="deadline"), now)
    b.case.overdue = True
    b.case.ever_overdue = True
    opens = case.overdue_unit is None  # the unit's gauge counts a case once per holding
    b.case.overdue_unit = case.unit_id
    b.event(EventType.OVERDUE, message("note.overdue", due=case.due_at), opens_overdue=opens)
    return b.done()


def warn_deadline(case: Case, now: datetime) -> Transition:
    """75 % of the handling time has passed: warn the unit once per round."""
    _require(case, LifecycleAction.WARN)
    if case.warned_round >= case.round or case.overdue:
        raise InvalidTransition("warn", case.status, "error.already_warned")
    b = _Builder(case, Actor(role=Role.SYSTEM, id="sweep"), now)
    b.case.warned_round = case.round
    b.event(EventType.DEADLINE_WARNING, message("note.deadline_warning", due=case.due_at))
    return b.done()


def request_extension(
    case: Case, days: int, reason: str, actor: Actor, now: datetime, max_per_round: int = 1
) -> Transition:
    """Only before the deadline, and at most `max_per_round` times in one handling round: an
    extension may not turn an overdue case into an on-time one."""
    _require(case, LifecycleAction.EXTEND)
    if case.extension and case.extension.status == "pending":
        raise InvalidTransition("request an extension for", case.status, "error.extension_pending")
    if case.overdue or case.ever_overdue or (case.due_at is not None and now >= case.due_at):
        raise InvalidTransition("request an extension for", case.status, "error.deadline_passed")
    if case.extension_rounds.count(case.round) >= max_per_round:
        raise InvalidTransition(
            "request an extension for", case.status, "error.extensions_per_round", max=max_per_round
        )
    _require_unit(case, actor)  # after every rule of the case's state (409 before "another unit")
    b = _Builder(case, actor, now)
    b.case.extension = Extension(days=days, reason=reason, requested_at=now, requested_by=actor.id)
    b.case.extension_rounds.append(case.round)
    b.event(EventType.EXTENSION_REQUESTED, message("note.extension_requested", days=days), said=reason)
    return b.done()


def decide_extension(
    case: Case, approve: bool, new_due_at: datetime | None, actor: Actor, now: datetime, note: str | None
) -> Transition:
    _require(case, LifecycleAction.DECIDE_EXTENSION)
    if not case.extension or case.extension.status != "pending":
        raise InvalidTransition("decide an extension for", case.status, "error.no_extension_pending")
    b = _Builder(case, actor, now)
    assert b.case.extension is not None
    b.case.extension.status = "approved" if approve else "refused"
    b.case.extension.decided_at = now
    if approve:
        assert new_due_at is not None
        b.case.due_at = new_due_at
        # the new deadline is enforced from now on; ever_overdue keeps the case off the on-time count
        b.case.overdue = new_due_at <= now
        noted = ".noted" if note else ""
        b.event(EventType.EXTENSION_APPROVED, message(f"note.extension_approved{noted}", due=new_due_at), said=note)
    else:
        b.event(EventType.EXTENSION_REFUSED, note)
    return b.done()


MAX_REPAIRS = 3


def restart_execution_name(case: Case) -> str | None:
    """The execution name the case's last restart gave it (None before any restart)."""
    return f"{case.id}-r{case.repair_count}" if case.repair_count > 0 else None


def restart_workflow(case: Case, now: datetime, execution_status: str | None) -> Transition:
    """The case's execution failed, timed out or never started (`execution_status` FAILED, TIMED_OUT,
    ABORTED, or None): a new one resumes it at the step its status implies (every workflow step
    decides from the case)."""
    _require(case, LifecycleAction.RESTART_WORKFLOW)
    if case.repair_count >= MAX_REPAIRS:
        raise InvalidTransition("restart the workflow of", case.status, "error.too_many_restarts")
    b = _Builder(case, Actor(role=Role.SYSTEM, id="sweep"), now)
    b.case.repair_count += 1
    b.case.execution_name = restart_execution_name(b.case)
    b.case.wait = None
    b.event(EventType.WORKFLOW_REPAIRED, workflow_message("note.workflow_repaired", execution_status, b.case))
    return b.done()


def reveal_phone(case: Case, actor: Actor, now: datetime) -> Transition:
    """A supervisor asked for the citizen's full number: recorded in the staff timeline (who, when)."""
    b = _Builder(case, actor, now)
    b.event(EventType.PHONE_REVEALED, message("note.phone_revealed", role=actor.role.value, actor=actor.id))
    return b.done()


def workflow_message(key: str, execution_status: str | None, case: Case | None = None) -> Message:
    """A note about the case's workflow execution: `<key>` with its status (FAILED, TIMED_OUT,
    ABORTED), `<key>.never_started` when there was none; with the restarted execution's name."""
    facts = {"execution": case.execution_name} if case is not None and case.execution_name else {}
    if execution_status is None:
        return message(f"{key}.never_started", **facts)
    return message(key, workflow=execution_status, **facts)


def flag_for_supervisor(case: Case, now: datetime, reason: str | Message) -> Transition:
    if case.flagged or not allows(LifecycleAction.FLAG, case.status):
        raise InvalidTransition("flag", case.status, "error.already_flagged")
    b = _Builder(case, Actor(role=Role.SYSTEM, id="sweep"), now)
    b.case.flagged = True
    b.event(EventType.FLAGGED, reason)
    return b.done()


# --- citizens add, withdraw; staff note, transfer, supervise ------------------------------------


def withdraw(case: Case, reason: str | None, actor: Actor, now: datetime) -> Transition:
    """The citizen no longer needs an answer: terminal, until the unit has answered this round."""
    _require(case, LifecycleAction.WITHDRAW)
    b = _Builder(case, actor, now)
    b.case.status = CaseStatus.WITHDRAWN
    b.case.closed_at = now
    b.case.closed_reason = CloseReason.WITHDRAWN
    b.case.wait = None
    b.case.overdue = False
    b.case.in_dispatch_queue = False
    b.case.dispatch_due_at = None
    b.case.extension = None
    b.event(EventType.WITHDRAWN, reason, unit_id=case.unit_id, **_leaving_overdue(b))
    return b.done()


def supplement(case: Case, text: str, attachments: list[Attachment], actor: Actor, now: datetime) -> Transition:
    """The citizen adds information (and media) to an open case; the unit sees it at once."""
    _require(case, LifecycleAction.SUPPLEMENT)
    b = _Builder(case, actor, now)
    b.case.supplements.append(Supplement(text=text, upload_ids=[a.upload_id for a in attachments], at=now))
    b.case.attachments.extend(attachments)
    b.event(EventType.SUPPLEMENTED, text, attachments=len(attachments))
    return b.done()


def add_note(case: Case, text: str, actor: Actor, now: datetime) -> Transition:
    """An internal note: staff views only, never the citizen's or the public one."""
    b = _Builder(case, actor, now)
    b.event(EventType.NOTE_ADDED, text)
    return b.done()


def media_viewed(case: Case, actor: Actor, now: datetime) -> Transition:
    """Staff were given links to the citizen's media: who looked at personal data, and when."""
    b = _Builder(case, actor, now)
    b.event(
        EventType.MEDIA_VIEWED,
        message("note.media_viewed", count=len(case.attachments), role=actor.role.value, actor=actor.id),
    )
    return b.done()


def transfer(
    case: Case, unit_id: str, due_at: datetime, reason: str, actor: Actor, now: datetime, urgent: bool = False
) -> Transition:
    """改派: a dispatcher moves a case a unit holds to another unit, with a fresh deadline."""
    _require(case, LifecycleAction.TRANSFER)
    if case.unit_id == unit_id:
        raise InvalidTransition("transfer", case.status, "error.already_with_unit")
    assert case.unit_id is not None
    b = _Builder(case, actor, now)
    b.case.previous_unit_ids.append(case.unit_id)
    b.case.unit_id = unit_id
    b.case.assignee = None
    b.case.urgent = case.urgent or urgent
    b.case.assist_units = [u for u in case.assist_units if u != unit_id]
    b.case.status = CaseStatus.DISPATCHED
    b.case.due_at = due_at
    b.case.dispatched_at = now
    b.case.overdue = False
    b.case.extension = None
    b.case.warned_round = case.round - 1
    b.event(EventType.TRANSFERRED, reason, from_unit=case.unit_id, **_urgent_fact(b.case), **_leaving_overdue(b))
    return b.done()


def mark_dispatch_overdue(case: Case, now: datetime) -> Transition:
    """The dispatch centre did not pick a unit in time: dispatchers and supervisors are told."""
    _require(case, LifecycleAction.MARK_DISPATCH_OVERDUE)
    if not case.in_dispatch_queue or case.dispatch_overdue:
        raise InvalidTransition("mark dispatch overdue", case.status, "error.not_in_dispatch_queue")
    if case.dispatch_due_at is None or now < case.dispatch_due_at:
        raise InvalidTransition("mark dispatch overdue", case.status, "error.dispatch_deadline_not_passed")
    b = _Builder(case, Actor(role=Role.SYSTEM, id="sweep"), now)
    b.case.dispatch_overdue = True
    b.event(EventType.DISPATCH_OVERDUE, message("note.dispatch_overdue", due=case.dispatch_due_at))
    return b.done()


def instruct(case: Case, instructions: str, due_at: datetime, actor: Actor, now: datetime) -> Transition:
    """A supervisor's instructions to the unit holding the case, with the deadline they set."""
    _require(case, LifecycleAction.INSTRUCT)
    b = _Builder(case, actor, now)
    b.case.supervision = SupervisionOrder(instructions=instructions, due_at=due_at, by=actor.id, at=now)
    b.case.due_at = due_at
    b.case.overdue = False  # the new deadline is enforced again; ever_overdue keeps it off the on-time count
    b.event(EventType.SUPERVISION_INSTRUCTED, instructions)
    return b.done()


# --- units organise their work: assignee, 协办 -------------------------------------------------------

#: Units one case may ask to help at once (协办).
MAX_ASSIST_UNITS = 5


def assign(case: Case, username: str, actor: Actor, now: datetime, name: str | None = None) -> Transition:
    """The holding unit gives the case to one of its people (the service checked that `username` is
    a staff account of that unit). Recorded in the staff timeline only, with the person's name."""
    if not allows(LifecycleAction.ASSIGN, case.status) or case.unit_id is None:
        raise InvalidTransition("assign", case.status, "error.assign_only_held")
    _require_unit(case, actor)
    if case.assignee == username:
        raise InvalidTransition("assign", case.status, "error.already_assigned")
    b = _Builder(case, actor, now)
    b.case.assignee = username
    to = (
        message("note.assigned", name=name, username=username)
        if name
        else message("note.assigned.username", username=username)
    )
    b.event(EventType.ASSIGNED, to, assignee=username)
    return b.done()


def correct_classification(
    case: Case,
    topic: str,
    district: str,
    labels: dict[Language, str],
    reason: str,
    actor: Actor,
    now: datetime,
) -> Transition:
    """A dispatcher corrects the case's topic and district (codes the service checked against the
    catalogue), with a reason for the staff timeline; `labels` is the new "topic · district" in each
    language, kept in the event so the citizen reads what it was corrected to even if names change.

    Only the classification changes, never who holds the case: a case in the dispatch queue stays
    there for a dispatcher to send with the suggestions of its new classification; a case a unit
    holds stays with it (a dispatcher transfers it, 改派, if the correction makes it another unit's).
    The automatic router reads the classification when it runs, so a case not yet routed is routed
    by the corrected one."""
    _require(case, LifecycleAction.CORRECT_CLASSIFICATION)
    if case.topic == topic and case.district == district:
        raise InvalidTransition("correct the classification of", case.status, "error.already_classified")
    b = _Builder(case, actor, now)
    b.case.topic = topic
    b.case.district = district
    b.event(
        EventType.RECLASSIFIED,
        reason,
        topic=topic,
        district=district,
        from_topic=case.topic,
        from_district=case.district,
        **{f"label_{language}": label for language, label in labels.items()},
    )
    return b.done()


def request_assist(case: Case, unit_ids: Sequence[str], note: str, actor: Actor, now: datetime) -> Transition:
    """协办: other units are asked to help. They read the case and add notes; the lead unit (the one
    holding it) still answers the citizen, and the case's on-time count stays the lead unit's."""
    if not allows(LifecycleAction.REQUEST_ASSIST, case.status) or case.unit_id is None:
        raise InvalidTransition("ask for assistance on", case.status, "error.assist_only_held")
    _require_unit(case, actor)
    if case.unit_id in unit_ids:
        raise InvalidTransition("ask for assistance on", case.status, "error.lead_cannot_assist")
    new = [u for u in dict.fromkeys(unit_ids) if u not in case.assist_units]
    if not new:
        raise InvalidTransition("ask for assistance on", case.status, "error.already_assisting")
    if len(case.assist_units) + len(new) > MAX_ASSIST_UNITS:
        raise InvalidTransition(
            "ask for assistance on", case.status, "error.assist_units_at_most", max=MAX_ASSIST_UNITS
        )
    b = _Builder(case, actor, now)
    b.case.assist_units = [*case.assist_units, *new]
    b.event(EventType.ASSIST_REQUESTED, note, assist_units=",".join(new))
    return b.done()


# --- 并单: one problem, several reporters -------------------------------------------------------

#: Reporters one case may gather (merged cases' and "me too"s): each costs an SMS per reply and closure.
MAX_REPORTERS = 50


def _joining(kept: Case, people: Sequence[Reporter]) -> list[Reporter]:
    """Those of `people` not yet following `kept` (its citizen or a reporter already), within the limit."""
    known = set(raters(kept))
    new: list[Reporter] = []
    for person in people:
        if person.citizen_id not in known:
            known.add(person.citizen_id)
            new.append(person)
    if new and len(kept.reporters) + len(new) > MAX_REPORTERS:
        raise InvalidTransition("follow", kept.status, "error.reporters_at_most", max=MAX_REPORTERS)
    return new


def merge(case: Case, into: Case, reason: str, actor: Actor, now: datetime) -> tuple[Transition, Transition]:
    """并单: `case` reports the same problem as `into` (the kept case), which is handled once. The merged
    case leaves every working list (MERGED is terminal: its workflow ends, its unit's overdue gauge lets
    go of it); its reporter, and those who followed it, follow the kept case from now on (its SMS, its
    rating). Both open, the same topic, never into itself or a merged case. The two transitions are
    saved in one transaction."""
    _require(case, LifecycleAction.MERGE)
    if into.id == case.id:
        raise InvalidTransition("merge", case.status, "error.merge_into_itself")
    if into.status == CaseStatus.MERGED:
        into_merged = LifecycleAction.MERGE_INTO.value
        raise InvalidTransition(into_merged, into.status, "error.merge_into_merged", into=into.tracking_no)
    if not allows(LifecycleAction.MERGE_INTO, into.status):
        raise InvalidTransition(
            LifecycleAction.MERGE_INTO.value, into.status, "error.merge_into_not_open", into=into.tracking_no
        )
    if into.topic != case.topic:
        raise InvalidTransition("merge", case.status, "error.merge_other_topic", into=into.tracking_no)
    _require_unit(case, actor)
    theirs = [
        Reporter(
            citizen_id=case.citizen_id,
            phone=case.phone,
            language=case.language,
            via=ReporterVia.MERGED,
            case_id=case.id,
            tracking_no=case.tracking_no,
            at=now,
        ),
        *(
            r.model_copy(update={"via": ReporterVia.MERGED, "case_id": case.id, "tracking_no": case.tracking_no})
            for r in case.reporters
        ),
    ]
    joining = _joining(into, theirs)
    b = _Builder(case, actor, now)
    uncounted = _uncounted_dispatch(case)
    b.case.status = CaseStatus.MERGED
    b.case.merged_into = into.tracking_no
    b.case.merged_into_case = into.id
    b.case.wait = None
    b.case.overdue = False
    b.case.in_dispatch_queue = False
    b.case.dispatch_due_at = None
    b.case.extension = None
    b.event(
        EventType.MERGED,
        message("note.merged", into=into.tracking_no),
        said=reason,
        into=into.tracking_no,
        into_case=into.id,
        **_leaving_overdue(b),
    )
    b.events[-1].facts.update(uncounted)
    k = _Builder(into, actor, now)
    k.case.reporters = [*into.reporters, *joining]
    k.event(
        EventType.REPORTER_ADDED,
        message("note.reporter_added.merged", source=case.tracking_no, count=len(joining)),
        via=ReporterVia.MERGED.value,
        from_no=case.tracking_no,
        from_case=case.id,
        count=len(joining),
    )
    return b.done(), k.done()


def _uncounted_dispatch(case: Case) -> dict[str, bool]:
    """The fact that takes a merged case off its unit's `dispatched` count (its workload): the kept case
    is the unit's work, counted once. Only while the unit its last dispatch counted it for holds it (a
    case in the dispatch queue is no unit's; a transferred one stays counted where it was dispatched).
    An undone merge clears the count's unit: routed again, the case is counted by that dispatch."""
    counted = case.dispatched_unit or case.unit_id  # cases stored before the field: their holding unit
    return {"uncounts_dispatch": True} if case.unit_id is not None and counted == case.unit_id else {}


def unmerge(
    case: Case, kept: Case | None, reason: str, actor: Actor, now: datetime
) -> tuple[Transition, Transition | None]:
    """A supervisor undoes a merge: the case is routed again from the start (SUBMITTED, no unit, a new
    workflow execution named `<id>-u<n>`: the service starts it), and its reporters stop following the
    kept case (which records that, if it still lists them)."""
    _require(case, LifecycleAction.UNMERGE)
    b = _Builder(case, actor, now)
    into = case.merged_into or ""
    b.case.status = CaseStatus.SUBMITTED
    if case.unit_id is not None:
        b.case.previous_unit_ids.append(case.unit_id)
    b.case.unit_id = None
    b.case.dispatched_unit = None
    b.case.assignee = None
    b.case.due_at = None
    b.case.merged_into = None
    b.case.merged_into_case = None
    b.case.unmerge_count += 1
    b.case.execution_name = unmerge_execution_name(b.case)
    # the event is the unit's that held the case when merged: its `merged` count is taken back there
    b.event(EventType.UNMERGED, message("note.unmerged", source=into), case.unit_id, said=reason, from_no=into)
    leaving = [r for r in kept.reporters if r.case_id == case.id] if kept is not None else []
    if kept is None or not leaving:
        return b.done(), None
    k = _Builder(kept, actor, now)
    k.case.reporters = [r for r in kept.reporters if r.case_id != case.id]
    k.event(
        EventType.REPORTER_REMOVED,
        message("note.reporter_removed", source=case.tracking_no, count=len(leaving)),
        from_no=case.tracking_no,
        from_case=case.id,
        count=len(leaving),
    )
    return b.done(), k.done()


def unmerge_execution_name(case: Case) -> str:
    """The workflow execution an undone merge starts (one name per undo: a retried start finds it)."""
    return f"{case.id}-u{case.unmerge_count}"


def follow(case: Case, reporter: Reporter, actor: Actor, now: datetime) -> Transition | None:
    """ "Me too" (我也遇到): `reporter` follows the open case instead of filing a second one. None when
    they already do (its citizen, or a reporter already): asking twice changes nothing."""
    _require(case, LifecycleAction.FOLLOW)
    joining = _joining(case, [reporter])
    if not joining:
        return None
    b = _Builder(case, actor, now)
    b.case.reporters = [*case.reporters, *joining]
    b.event(
        EventType.REPORTER_ADDED,
        message("note.reporter_added.follow"),
        via=ReporterVia.FOLLOW.value,
        count=1,
    )
    return b.done()


# --- the workflow's view -------------------------------------------------------------------------


def workflow_outcome(case: Case, phase: Phase, round_: int, scheduled_due_at: datetime | None) -> Outcome | None:
    """What a workflow parked in `phase` of `round_` should do next, or None to keep waiting.

    Used both by the workflow's park step (if the case moved on before the token was stored, the
    step completes at once) and by the API after a transition (to signal the parked execution).
    """
    status = case.status
    if status in TERMINAL_STATUSES:
        return "closed"  # closed or withdrawn: the execution ends
    if phase == "dispatch":
        return None if status in DISPATCH_STATUSES else "dispatched"
    if phase == "handling":
        if case.round > round_:
            return "redo"
        if status in HANDLING_STATUSES:
            return None if case.due_at == scheduled_due_at else "extended"
        if status == CaseStatus.RETURNED:
            return "returned"
        return "replied"
    # rating
    if case.round > round_:
        return "redo"
    return None if status == CaseStatus.REPLIED else "closed"
