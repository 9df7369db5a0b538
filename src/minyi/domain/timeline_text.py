"""What the citizen and public tracking read for each timeline event: the platform's message.

Staff write free text into events (return reasons, extension reasons, decision notes, internal
notes); that text may name people or internal matters, so it stays in the event's internal `note`,
shown only in staff views. The citizen's own view and public tracking show the platform's message for
the event instead: a catalogue key `event.<type>` (`locale/*/minyi.po`) and its facts (the unit, the
deadline), rendered at the edge in the citizen's language (`minyi.text`, times in Asia/Shanghai).
Events that are internal process (warnings, repairs, flags, extension requests, phone reveals) have
no public message and are not shown at all.

The citizen's timeline tells the same story as their SMS: every step an SMS announced (a transfer to
another unit, a withdrawal) has its message here, and so has what the citizen did themselves (a
supplement). `event_files` ties the unit's answers and the citizen's supplements to their files.
"""

from __future__ import annotations

from minyi.domain.messages import Message, message
from minyi.domain.models import Case, EventType, Language, TimelineEvent

#: The events the citizen and public tracking read, each as `event.<type>` in the catalogue.
PUBLIC_EVENTS: frozenset[EventType] = frozenset(
    {
        EventType.SUBMITTED,
        EventType.QUEUED,
        EventType.DISPATCHED,
        EventType.ACCEPTED,
        EventType.RETURNED,
        EventType.REPLIED,
        EventType.RATED,
        EventType.REOPENED,
        EventType.SUPERVISED,
        EventType.CLOSED,
        EventType.OVERDUE,
        EventType.EXTENSION_APPROVED,
        # the same steps the citizen's SMS announce (minyi.domain.notices), and what the citizen did
        EventType.TRANSFERRED,
        EventType.WITHDRAWN,
        EventType.SUPPLEMENTED,
        # the new "topic · district" as the event recorded it (the dispatcher's reason stays in the staff note)
        EventType.RECLASSIFIED,
        # 并单: into which tracking number the request was merged (its SMS says so too), and its undoing
        EventType.MERGED,
        EventType.UNMERGED,
    }
)

#: Staff views name the citizen where the citizen's own texts say 您 ("you"): staff never read "您已评价";
#: and say who returned a case where the citizen reads only that it is being reassigned
#: (`event.staff.<type>`).
STAFF_EVENTS: frozenset[EventType] = frozenset({EventType.RATED, EventType.RETURNED})


def is_public(event: TimelineEvent) -> bool:
    return event.type in PUBLIC_EVENTS


def _facts(event: TimelineEvent, language: Language) -> dict[str, str | None]:
    """The facts the event texts name: its unit (by id: the reader's language names it), its
    deadline (ISO, shown in Asia/Shanghai; none: "-"), its status, a reclassification's label."""
    facts = {
        "unit": event.unit_id or "",
        "due": event.due_at.isoformat() if event.due_at else None,
        "status": event.status.value,
    }
    if event.type == EventType.RECLASSIFIED:
        facts["label"] = str(event.facts.get(f"label_{language}", ""))
    if event.type == EventType.MERGED:
        facts["into"] = str(event.facts.get("into", ""))
    return facts


def public_message(event: TimelineEvent, language: Language) -> Message | None:
    """The platform's message for the event, or None for internal events. `language` picks the one
    fact recorded per language (a reclassification's label)."""
    if event.type not in PUBLIC_EVENTS:
        return None
    return message(f"event.{event.type.value}", **_facts(event, language))


def staff_message(event: TimelineEvent, language: Language) -> Message | None:
    """The platform's message for the event as staff read it: the citizen's, in the third person
    where that one speaks to the citizen."""
    if event.type in STAFF_EVENTS:
        return message(f"event.staff.{event.type.value}", **_facts(event, language))
    return public_message(event, language)


def event_files(case: Case, events: list[TimelineEvent]) -> dict[int, list[str]]:
    """The upload ids of the files each event brought, by event seq: a reply's (the unit's answer
    files) and a supplement's (the citizen's). A reply or supplement is written in the same
    transaction as its event, at the same instant, so the instant ties them."""
    replies = {r.at: r.attachments for r in case.replies}
    supplements = {s.at: s.upload_ids for s in case.supplements}
    files: dict[int, list[str]] = {}
    for event in events:
        found = {EventType.REPLIED: replies, EventType.SUPPLEMENTED: supplements}.get(event.type, {}).get(event.at)
        if found:
            files[event.seq] = list(found)
    return files
