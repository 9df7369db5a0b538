"""What the citizen and public tracking read for each timeline event: text written by the platform.

Staff write free text into events (return reasons, extension reasons, decision notes, internal
notes); that text may name people or internal matters, so it stays in the event's internal `note`,
shown only in staff views. The citizen's own view and public tracking show these texts instead, in
the citizen's language, with times in Asia/Shanghai. Events that are internal process (warnings,
repairs, flags, extension requests, phone reveals) have no public text and are not shown at all.

The citizen's timeline tells the same story as their SMS: every step an SMS announced (a transfer to
another unit, a withdrawal) has its text here, and so has what the citizen did themselves (a
supplement). `event_files` ties the unit's answers and the citizen's supplements to their files.
"""

from __future__ import annotations

from datetime import datetime

from minyi.domain.deadlines import CITY_TZ
from minyi.domain.models import Case, EventType, Language, TimelineEvent

_TEXTS: dict[EventType, dict[Language, str]] = {
    EventType.SUBMITTED: {"zh": "诉求已提交", "en": "Request submitted"},
    EventType.QUEUED: {
        "zh": "诉求已转市民意速办调度中心分派",
        "en": "Waiting for the dispatch centre to assign a unit",
    },
    EventType.DISPATCHED: {"zh": "已派至{unit}办理，时限{due}", "en": "Assigned to {unit}, due {due}"},
    EventType.ACCEPTED: {"zh": "{unit}已受理", "en": "{unit} has taken it up"},
    EventType.RETURNED: {"zh": "正在重新分派承办单位", "en": "Being reassigned to the responsible unit"},
    EventType.REPLIED: {"zh": "{unit}已答复", "en": "{unit} has answered"},
    EventType.RATED: {"zh": "您已评价", "en": "You rated the answer"},
    EventType.REOPENED: {"zh": "已退回{unit}重新办理，时限{due}", "en": "Sent back to {unit} to redo, due {due}"},
    EventType.SUPERVISED: {"zh": "已列入督办，时限{due}", "en": "Under special supervision, due {due}"},
    EventType.CLOSED: {"zh": "已办结", "en": "Closed"},
    EventType.OVERDUE: {"zh": "已超过办理时限，已上报督办", "en": "Past its deadline: escalated to supervisors"},
    EventType.EXTENSION_APPROVED: {"zh": "办理时限已延长至{due}", "en": "Deadline extended to {due}"},
    # the same steps the citizen's SMS announce (minyi.domain.notices), and what the citizen did
    EventType.TRANSFERRED: {"zh": "已改派至{unit}办理，时限{due}", "en": "Transferred to {unit}, due {due}"},
    EventType.WITHDRAWN: {"zh": "诉求已撤回", "en": "Request withdrawn"},
    EventType.SUPPLEMENTED: {"zh": "您已补充材料", "en": "You added information"},
    # the new "topic · district" as the event recorded it (the dispatcher's reason stays in the staff note)
    EventType.RECLASSIFIED: {"zh": "诉求分类已更正为 {label}", "en": "Request reclassified as {label}"},
}

#: Staff views name the citizen where the citizen's own texts say 您 ("you"): staff never read "您已评价";
#: and say who returned a case where the citizen reads only that it is being reassigned.
_STAFF_TEXTS: dict[EventType, dict[Language, str]] = {
    EventType.RATED: {"zh": "群众已评价", "en": "The citizen rated the answer"},
    EventType.RETURNED: {"zh": "{unit}退回，待重新派单", "en": "{unit} returned it for reassignment"},
}


def local_time(at: datetime | None, language: Language) -> str:
    if at is None:
        return "-"
    local = at.astimezone(CITY_TZ)
    return local.strftime("%Y年%m月%d日 %H:%M") if language == "zh" else local.strftime("%Y-%m-%d %H:%M")


def is_public(event: TimelineEvent) -> bool:
    return event.type in _TEXTS


def public_text(event: TimelineEvent, language: Language, unit_name: str | None) -> str | None:
    """The platform's text for the event in `language`, or None for internal events."""
    texts = _TEXTS.get(event.type)
    if texts is None:
        return None
    fallback = "承办单位" if language == "zh" else "the responsible unit"
    return texts[language].format(
        unit=unit_name or fallback,
        due=local_time(event.due_at, language),
        label=event.facts.get(f"label_{language}", ""),
    )


def staff_text(event: TimelineEvent, language: Language, unit_name: str | None) -> str | None:
    """The platform's text for the event as staff read it: the citizen's text, in the third person
    where that one speaks to the citizen."""
    texts = _STAFF_TEXTS.get(event.type)
    if texts is None:
        return public_text(event, language, unit_name)
    fallback = "承办单位" if language == "zh" else "the responsible unit"
    return texts[language].format(unit=unit_name or fallback)


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
