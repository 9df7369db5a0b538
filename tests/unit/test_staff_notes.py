"""The platform's own notes in the staff timeline read in Chinese for a Chinese reader; what staff wrote
is shown as written, in any language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minyi.api.staff_notes import staff_note
from minyi.domain import lifecycle
from minyi.domain.lifecycle import RatingPolicy
from minyi.domain.models import Actor, Case, CaseStatus, Category, EventType, Role

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shenzhen
STAFF = Actor(role=Role.STAFF, id="staff-1", unit_id="futian-traffic-police")
SUPERVISOR = Actor(role=Role.SUPERVISOR, id="sup-1")
CITIZEN = Actor(role=Role.CITIZEN, id="citizen-1")


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
        unit_id="futian-traffic-police",
        due_at=NOW + timedelta(days=5),
        created_at=NOW,
        updated_at=NOW,
    )
    return case.model_copy(update=changes)


def last_note(transition: lifecycle.Transition) -> tuple[EventType, str]:
    event = transition.events[-1]
    assert event.note is not None
    return event.type, event.note


def rated_note(comment: str | None) -> tuple[EventType, str]:
    """The rating event's note of an unsatisfied rating with `comment`."""
    scores = {"speed": 4, "effectiveness": 2, "experience": 3, "feedback_quality": 2}
    case = a_case(status=CaseStatus.REPLIED)
    event = lifecycle.rate(case, scores, comment, CITIZEN, NOW, RatingPolicy(), NOW + timedelta(days=5)).events[0]
    assert event.type == EventType.RATED and event.note is not None
    return event.type, event.note


@pytest.mark.parametrize(
    ("written", "chinese"),
    [
        (lambda: last_note(lifecycle.media_viewed(a_case(), STAFF, NOW)), "向承办单位 staff-1 提供了 0 个附件链接"),
        (lambda: last_note(lifecycle.reveal_phone(a_case(), SUPERVISOR, NOW)), "向督办员 sup-1 显示了群众的完整手机号"),
        (lambda: last_note(lifecycle.warn_deadline(a_case(), NOW)), "临近办理时限：2026年03月07日 09:00到期"),
        (
            lambda: last_note(lifecycle.mark_overdue(a_case(due_at=NOW), NOW)),
            "已超过办理时限（2026年03月02日 09:00），上报督办",
        ),
        (
            lambda: last_note(lifecycle.restart_workflow(a_case(), NOW, "workflow execution never started")),
            "办理流程未启动，已重新启动（c1-r1）",
        ),
        (
            lambda: (EventType.DISPATCHED, "routed to 福田区交警大队"),
            "按派单规则派至福田区交警大队",
        ),
        (
            lambda: (EventType.QUEUED, "no routing rule for other in nanshan"),
            "没有适用的派单规则（other · nanshan），转派单中心",
        ),
        (
            lambda: (EventType.RATED, "unsatisfied (speed 1, effectiveness 1, experience 2, feedback_quality 1)"),
            "不满意（处置速度 1，处置效果 1，服务体验 2，反馈质量 1）",
        ),
        (
            lambda: rated_note("路口还是没人管\n(早高峰)"),
            "不满意（处置速度 4，处置效果 2，服务体验 3，反馈质量 2）。群众意见：路口还是没人管\n(早高峰)",
        ),
    ],
    ids=["media", "reveal", "warning", "overdue", "repair", "routed", "queued", "rated", "rated-comment"],
)
def test_a_system_note_reads_in_chinese_for_a_chinese_reader(written: object, chinese: str) -> None:
    # Given a note as the domain writes it
    event_type, note = written()  # type: ignore[operator]
    # Then a Chinese reader reads it in Chinese, an English reader as written
    assert staff_note(event_type, note, "zh") == chinese
    assert staff_note(event_type, note, "en") == note


@pytest.mark.parametrize(
    ("event_type", "note"),
    [
        (EventType.RETURNED, "routed to the wrong unit: this is urban management"),
        (EventType.NOTE_ADDED, "due 2026-03-09 per the caller"),
        (EventType.DISPATCHED, "按规则改派"),
        (EventType.REPLIED, "satisfied (we fixed it)"),
    ],
)
def test_what_staff_wrote_is_shown_as_written(event_type: EventType, note: str) -> None:
    # Given free text staff wrote, even when it looks like a system note of another event type
    # Then it is shown as written
    assert staff_note(event_type, note, "zh") == note


def test_an_assignment_reads_in_chinese_with_the_persons_name() -> None:
    from minyi.api.staff_notes import staff_note
    from minyi.domain.models import EventType

    assert staff_note(EventType.ASSIGNED, "assigned to 王警官 (ede86e16)", "zh") == "已交由王警官（ede86e16）办理"
    assert staff_note(EventType.ASSIGNED, "assigned to 王警官 (ede86e16)", "en") == "assigned to 王警官 (ede86e16)"
