"""Timeline events carry keys and facts; the api layer renders them in the reader's language.

The platform's own notes (routing, warnings, repairs, ratings, reads of personal data) are `Message`s
rendered from the catalogue, in Chinese for a Chinese reader and in English for an English one; what
a person typed is shown as written. Events stored before messages (schema v1, English prose in
`note`) still read the same way, through the frozen `legacy_events` reader.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from minyi.api import views
from minyi.domain import lifecycle
from minyi.domain.lifecycle import RatingPolicy
from minyi.domain.messages import message
from minyi.domain.models import Actor, Case, CaseStatus, Category, EventType, Language, Role, TimelineEvent, Unit
from minyi.services.results import CaseTimeline, PublicCase

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shenzhen
UNIT = "futian-traffic-police"
UNITS = {UNIT: Unit(id=UNIT, name="福田区交警大队", name_en="Futian Traffic Police Brigade", district="futian")}
STAFF = Actor(role=Role.STAFF, id="staff-1", unit_id=UNIT)
SUPERVISOR = Actor(role=Role.SUPERVISOR, id="sup-1")
CITIZEN = Actor(role=Role.CITIZEN, id="citizen-1")
SCORES = {"speed": 4, "effectiveness": 2, "experience": 3, "feedback_quality": 2}


def a_case(**changes: object) -> Case:
    case = Case(
        id="c1",
        tracking_no="SZ2603-ABCDEF",
        citizen_id="citizen-1",
        status=CaseStatus.DISPATCHED,
        category=Category.COMPLAINT,
        topic="traffic",
        district="futian",
        description="路灯不亮",
        phone="+8613812345678",
        unit_id=UNIT,
        due_at=NOW + timedelta(days=5),
        created_at=NOW,
        updated_at=NOW,
    )
    return case.model_copy(update=changes)


def staff_reads(event: TimelineEvent, language: Language) -> Any:
    """The event as the staff timeline shows it to a reader of `language`."""
    found = CaseTimeline(case=a_case(language=language), events=[event], units=UNITS)
    return views.staff_timeline(found).events[0]


def last(transition: lifecycle.Transition) -> TimelineEvent:
    return transition.events[-1]


def rated(comment: str | None) -> TimelineEvent:
    case = a_case(status=CaseStatus.REPLIED)
    return lifecycle.rate(case, SCORES, comment, CITIZEN, NOW, RatingPolicy(), NOW + timedelta(days=5)).events[0]


@pytest.mark.parametrize(
    ("written", "chinese", "english"),
    [
        (
            lambda: last(lifecycle.media_viewed(a_case(), STAFF, NOW)),
            "向承办单位 staff-1 提供了 0 个附件链接",
            "0 attachment link(s) given to Unit staff staff-1",
        ),
        (
            lambda: last(lifecycle.reveal_phone(a_case(), SUPERVISOR, NOW)),
            "向督办员 sup-1 显示了群众的完整手机号",
            "citizen's phone number shown to Supervisor sup-1",
        ),
        (
            lambda: last(lifecycle.warn_deadline(a_case(), NOW)),
            "临近办理时限：2026年03月07日 09:00到期",
            "due 2026-03-07 09:00",
        ),
        (
            lambda: last(lifecycle.mark_overdue(a_case(due_at=NOW), NOW)),
            "已超过办理时限（2026年03月02日 09:00），上报督办",
            "deadline 2026-03-02 09:00 passed: escalated to supervisors",
        ),
        (
            lambda: last(lifecycle.restart_workflow(a_case(), NOW, None)),
            "办理流程未启动，已重新启动（c1-r1）",
            "workflow execution never started; restarted as c1-r1",
        ),
        (
            lambda: last(lifecycle.restart_workflow(a_case(), NOW, "TIMED_OUT")),
            "办理流程异常（TIMED_OUT），已重新启动（c1-r1）",
            "workflow execution TIMED_OUT; restarted as c1-r1",
        ),
        (
            lambda: last(
                lifecycle.dispatch(
                    a_case(status=CaseStatus.SUBMITTED, unit_id=None),
                    UNIT,
                    NOW + timedelta(days=5),
                    lifecycle.ROUTER,
                    NOW,
                    message("note.routed", unit=UNIT),
                )
            ),
            "按派单规则派至福田区交警大队",
            "routed to Futian Traffic Police Brigade",
        ),
        (
            lambda: rated(None),
            "不满意（处置速度 4，处置效果 2，服务体验 3，反馈质量 2）",
            "unsatisfied (Speed 4, Effectiveness 2, Service experience 3, Feedback quality 2)",
        ),
        (
            lambda: rated("路口还是没人管\n(早高峰)"),
            "不满意（处置速度 4，处置效果 2，服务体验 3，反馈质量 2）。群众意见：路口还是没人管\n(早高峰)",
            "unsatisfied (Speed 4, Effectiveness 2, Service experience 3, Feedback quality 2); "
            "comment: 路口还是没人管\n(早高峰)",
        ),
        (
            lambda: last(lifecycle.request_extension(a_case(), 3, "需要勘察现场", STAFF, NOW)),
            "申请延期3个工作日：需要勘察现场",
            "3 working day(s): 需要勘察现场",
        ),
        (
            lambda: last(lifecycle.assign(a_case(), "ede86e16", STAFF, NOW, name="王警官")),
            "已交由王警官（ede86e16）办理",
            "assigned to 王警官 (ede86e16)",
        ),
    ],
    ids=[
        "media",
        "reveal",
        "warning",
        "overdue",
        "repair",
        "repair-timed-out",
        "routed",
        "rated",
        "rated-comment",
        "extension",
        "assigned",
    ],
)
def test_a_system_note_reads_in_the_readers_language(written: Any, chinese: str, english: str) -> None:
    # Given an event as the domain writes it: the platform's note as a key and facts, never prose
    event = written()
    assert event.message is not None and event.v == 2
    # Then a Chinese reader reads the note in Chinese, an English reader in English (glossary terms, local time)
    assert staff_reads(event, "zh").note == chinese
    assert staff_reads(event, "en").note == english


@pytest.mark.parametrize(
    ("make", "typed"),
    [
        (
            lambda: lifecycle.return_to_dispatch(a_case(), "routed to the wrong unit: urban management", STAFF, NOW),
            "routed to the wrong unit: urban management",
        ),
        (
            lambda: lifecycle.add_note(a_case(), "due 2026-03-09 per the caller", STAFF, NOW),
            "due 2026-03-09 per the caller",
        ),
        (
            lambda: lifecycle.reply(a_case(status=CaseStatus.IN_PROGRESS), "satisfied (we fixed it)", STAFF, NOW),
            "satisfied (we fixed it)",
        ),
    ],
    ids=["return", "note", "reply"],
)
def test_what_a_person_typed_is_shown_as_written(make: Any, typed: str) -> None:
    # Given free text staff wrote, even when it looks like an old system note
    event = make().events[-1]
    # Then it stays in the note as written, with no message, and reads so in every language
    assert event.message is None and event.note == typed
    assert staff_reads(event, "zh").note == typed
    assert staff_reads(event, "en").note == typed
    assert staff_reads(event, "zh").note_message is None


def test_answers_carry_each_events_key_and_params_next_to_its_text() -> None:
    # Given a case the router dispatched to the traffic police
    submitted = a_case(status=CaseStatus.SUBMITTED, unit_id=None, due_at=None)
    routed = lifecycle.dispatch(
        submitted, UNIT, NOW + timedelta(days=5), lifecycle.ROUTER, NOW, message("note.routed", unit=UNIT)
    )
    case, event = routed.after, routed.events[0]
    # When the citizen's own timeline and the staff timeline are read
    own = views.owner_timeline(CaseTimeline(case=case, events=[event], units=UNITS)).events[0]
    staff = views.staff_timeline(CaseTimeline(case=case, events=[event], units=UNITS)).events[0]
    public = views.public_tracking(PublicCase(case=case, events=[event], units=UNITS)).events[0]
    # Then each carries the text's key and facts next to the rendered text
    for view in (own, staff, public):
        assert view.text == "已派至福田区交警大队办理，时限2026年03月07日 09:00"
        assert view.key == "event.dispatched"
        assert view.params["unit"] == UNIT and view.params["due"] == (NOW + timedelta(days=5)).isoformat()
    # And the staff timeline the note's key and facts next to the rendered note
    assert staff.note == "按派单规则派至福田区交警大队"
    assert staff.note_message is not None
    assert (staff.note_message.key, staff.note_message.params) == ("note.routed", {"unit": UNIT})
    assert own.note_message is None and own.note is None


# --- events stored before messages (schema v1): real old-shaped items ------------------------------


def stored_v1(seq: int, type_: str, note: str, **fields: Any) -> TimelineEvent:
    """An event item as the v1 adapter stored it (no `v`, no `message`, the platform's note in English)."""
    item = {
        "PK": "CASE#c1",
        "SK": f"EVENT#{seq:05d}",
        "entity": "event",
        "case_id": "c1",
        "seq": seq,
        "type": type_,
        "at": "2026-03-02T01:00:00Z",
        "actor_role": "system",
        "actor_id": "router",
        "status": "DISPATCHED",
        "unit_id": UNIT,
        "note": note,
        "round": 1,
        "due_at": "2026-03-07T01:00:00Z",
        "facts": {},
        **fields,
    }
    return TimelineEvent.model_validate(item)


@pytest.mark.parametrize(
    ("type_", "note", "chinese", "english"),
    [
        ("dispatched", "routed to 福田区交警大队", "按派单规则派至福田区交警大队", "routed to 福田区交警大队"),
        ("dispatched", "dispatched to 福田区交警大队", "派单员派至福田区交警大队", "dispatched to 福田区交警大队"),
        (
            "queued_for_dispatch",
            "no routing rule for other in nanshan",
            "没有适用的派单规则（other · nanshan），转派单中心",
            "no routing rule for other in nanshan",
        ),
        (
            "rated",
            "unsatisfied (speed 1, effectiveness 1, experience 2, feedback_quality 1); comment: 没人管",
            "不满意（处置速度 1，处置效果 1，服务体验 2，反馈质量 1）。群众意见：没人管",
            "unsatisfied (Speed 1, Effectiveness 1, Service experience 2, Feedback quality 1); comment: 没人管",
        ),
        (
            "overdue",
            "deadline 2026-03-07T01:00:00+00:00 passed: escalated to supervisors",
            "已超过办理时限（2026年03月07日 09:00），上报督办",
            "deadline 2026-03-07 09:00 passed: escalated to supervisors",
        ),
        (
            "deadline_warning",
            "due 2026-03-07T01:00:00+00:00",
            "临近办理时限：2026年03月07日 09:00到期",
            "due 2026-03-07 09:00",
        ),
        (
            "extension_approved",
            "new deadline 2026-03-09T01:00:00+00:00: 同意",
            "新的办理时限：2026年03月09日 09:00：同意",
            "new deadline 2026-03-09 09:00: 同意",
        ),
        (
            "workflow_repaired",
            "workflow execution never started; restarted as c1-r1",
            "办理流程未启动，已重新启动（c1-r1）",
            "workflow execution never started; restarted as c1-r1",
        ),
        (
            "flagged_for_supervisor",
            "workflow execution FAILED; automatic restarts exhausted",
            "办理流程异常（FAILED），自动重启次数已用完，请人工处理",
            "workflow execution FAILED; automatic restarts exhausted",
        ),
        (
            "media_viewed",
            "2 attachment link(s) given to staff staff-1",
            "向承办单位 staff-1 提供了 2 个附件链接",
            "2 attachment link(s) given to Unit staff staff-1",
        ),
        ("assigned", "assigned to 王警官 (ede86e16)", "已交由王警官（ede86e16）办理", "assigned to 王警官 (ede86e16)"),
        ("closed", "satisfied", "群众满意，已办结", "closed: the citizen is satisfied"),
    ],
)
def test_an_event_stored_as_english_prose_keeps_rendering(type_: str, note: str, chinese: str, english: str) -> None:
    # Given an event stored before messages, its note in the v1 domain's English
    event = stored_v1(7, type_, note)
    assert event.v == 1 and event.message is None
    # Then staff read it in their language, as if it had been written as a message
    assert staff_reads(event, "zh").note == chinese
    assert staff_reads(event, "en").note == english


def test_a_v1_note_of_no_known_shape_is_shown_as_written() -> None:
    # Given v1 events whose notes staff typed (one looks like a system note of another event type)
    for event in (stored_v1(3, "returned", "routed to the wrong unit"), stored_v1(4, "note_added", "请尽快处理")):
        # Then they are shown as written, with no message
        view = staff_reads(event, "zh")
        assert view.note == event.note and view.note_message is None


def test_a_v2_note_is_never_parsed_as_prose() -> None:
    # Given a new event whose typed note happens to read like a v1 system note
    event = last(lifecycle.add_note(a_case(), "x", STAFF, NOW)).model_copy(
        update={"type": EventType.ASSIGNED, "note": "assigned to someone"}
    )
    # Then it is shown as written (only v1 events are read as prose)
    assert staff_reads(event, "zh").note == "assigned to someone"
