"""FROZEN: the reader of timeline events stored before messages (schema v1). Never extend it.

Until issue 19 the domain wrote its own notes as English prose into `TimelineEvent.note` ("routed to
福田区交警大队", "unsatisfied (speed 1, ...)") and the staff console parsed them back. Events are an
audit record and are never rewritten, so the events stored then are read through this module: once,
at read time, each old note of a known shape becomes the `Message` the domain writes today (a key
and its facts), and a person's words that went with it (a citizen's comment, an extension's reason)
go back into `note`, as written. A note of no known shape (anything staff typed) stays as it is.

The shapes below are exactly the ones the v1 domain wrote; new notes are `Message`s from the start
(`minyi.domain.lifecycle`), so nothing is ever added here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from minyi.domain.messages import Message, message
from minyi.domain.models import EVENT_VERSION, EventType, TimelineEvent

#: A matched v1 note -> its message and the words a person typed (None: none).
_Upgrade = Callable[[re.Match[str]], tuple[Message, str | None]]

_DIMENSIONS = ("speed", "effectiveness", "experience", "feedback_quality")


def _scores(summary: str) -> dict[str, int | str]:
    parts = (part.partition(" ") for part in summary.split(", "))
    return {name: int(value) if value.isdigit() else value for name, _, value in parts if name in _DIMENSIONS}


def _rated(verdict: str) -> _Upgrade:
    def upgrade(m: re.Match[str]) -> tuple[Message, str | None]:
        commented = ".commented" if m[2] is not None else ""
        return message(f"note.rated.{verdict}{commented}", **_scores(m[1])), m[2]

    return upgrade


def _workflow(key: str) -> _Upgrade:
    """`workflow execution never started` / `workflow execution FAILED` (+ the restart's name)."""

    def upgrade(m: re.Match[str]) -> tuple[Message, str | None]:
        status = m["status"]
        facts = {"execution": m["execution"]} if "execution" in m.groupdict() else {}
        if status == "never started":
            return message(f"{key}.never_started", **facts), None
        return message(key, workflow=status, **facts), None

    return upgrade


_WORKFLOW = r"workflow execution (?P<status>never started|\S+)"

#: (event type, the whole v1 note, its message and typed words).
_SHAPES: list[tuple[EventType, re.Pattern[str], _Upgrade]] = [
    (EventType.DISPATCHED, re.compile(r"routed to (.+)"), lambda m: (message("note.routed", unit=m[1]), None)),
    (EventType.DISPATCHED, re.compile(r"dispatched to (.+)"), lambda m: (message("note.dispatched", unit=m[1]), None)),
    (
        EventType.QUEUED,
        re.compile(r"no routing rule for (\S+) in (\S+)"),
        lambda m: (message("note.no_rule", topic=m[1], district=m[2]), None),
    ),
    (EventType.RATED, re.compile(r"satisfied \(([^)]*)\)(?:; comment: (.*))?", re.S), _rated("satisfied")),
    (EventType.RATED, re.compile(r"unsatisfied \(([^)]*)\)(?:; comment: (.*))?", re.S), _rated("unsatisfied")),
    (
        EventType.REOPENED,
        re.compile(r"unsatisfied: returned to the same unit to redo"),
        lambda m: (message("note.reopened"), None),
    ),
    (
        EventType.SUPERVISED,
        re.compile(r"unsatisfied after the redo: under special supervision"),
        lambda m: (message("note.supervised"), None),
    ),
    (
        EventType.OVERDUE,
        re.compile(r"deadline (\S+) passed: escalated to supervisors"),
        lambda m: (message("note.overdue", due=m[1]), None),
    ),
    (
        EventType.DEADLINE_WARNING,
        re.compile(r"due (\S+)"),
        lambda m: (message("note.deadline_warning", due=m[1]), None),
    ),
    (
        EventType.EXTENSION_REQUESTED,
        re.compile(r"(\d+) working day\(s\): (.*)", re.S),
        lambda m: (message("note.extension_requested", days=int(m[1])), m[2]),
    ),
    (
        EventType.EXTENSION_APPROVED,
        re.compile(r"new deadline (\S+?)(?:: (.*))?", re.S),
        lambda m: (message("note.extension_approved" + (".noted" if m[2] else ""), due=m[1]), m[2] or None),
    ),
    (
        EventType.WORKFLOW_REPAIRED,
        re.compile(_WORKFLOW + r"; restarted as (?P<execution>\S+)"),
        _workflow("note.workflow_repaired"),
    ),
    (
        EventType.PHONE_REVEALED,
        re.compile(r"citizen's phone number shown to (\S+) (\S+)"),
        lambda m: (message("note.phone_revealed", role=m[1], actor=m[2]), None),
    ),
    (
        EventType.FLAGGED,
        re.compile(r"not routed in time although its workflow runs"),
        lambda m: (message("note.flagged.not_routed"), None),
    ),
    (
        EventType.FLAGGED,
        re.compile(_WORKFLOW + r"; automatic restarts exhausted"),
        _workflow("note.flagged.restarts_exhausted"),
    ),
    (
        EventType.MEDIA_VIEWED,
        re.compile(r"(\d+) attachment link\(s\) given to (\S+) (\S+)"),
        lambda m: (message("note.media_viewed", count=int(m[1]), role=m[2], actor=m[3]), None),
    ),
    (
        EventType.DISPATCH_OVERDUE,
        re.compile(r"not dispatched by (\S+)"),
        lambda m: (message("note.dispatch_overdue", due=m[1]), None),
    ),
    (
        EventType.ASSIGNED,
        re.compile(r"assigned to (.+) \((\S+)\)"),
        lambda m: (message("note.assigned", name=m[1], username=m[2]), None),
    ),
    (
        EventType.ASSIGNED,
        re.compile(r"assigned to (\S+)"),
        lambda m: (message("note.assigned.username", username=m[1]), None),
    ),
    (
        EventType.CLOSED,
        re.compile(r"(satisfied|closed_under_supervision|unrated|answered_at_intake|unreachable|callback_declined)"),
        lambda m: (message(f"note.closed.{m[1]}"), None),
    ),
    (
        EventType.CALLBACK,
        re.compile(r"(rated|unreachable|declined)"),
        lambda m: (message(f"note.callback.{m[1]}"), None),
    ),
]


def upgraded(event: TimelineEvent) -> TimelineEvent:
    """The event as the domain writes it today: a v1 system note as its `Message`; anything else
    (a newer event, a note staff typed) unchanged."""
    if event.v >= EVENT_VERSION or event.message is not None or event.note is None:
        return event
    for kind, shape, upgrade in _SHAPES:
        if kind == event.type and (match := shape.fullmatch(event.note)):
            said, typed = upgrade(match)
            return event.model_copy(update={"message": said, "note": typed})
    return event
