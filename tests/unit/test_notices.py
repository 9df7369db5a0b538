"""Unit tests for the SMS notices (minyi.domain.notices): who gets what, in which language, how long.

Pure: no AWS, no I/O.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from minyi.adapters.catalog_file import SUPERVISION_OFFICE, shenzhen_catalog
from minyi.domain.models import Case, CaseStatus, Category, EventType, Role, TimelineEvent, Unit
from minyi.domain.notices import Notice, NoticeContext, sms_segments
from minyi.services.notify import plan_notices

UNIT: Unit = shenzhen_catalog().units["futian-traffic-police"]
TRACKING_NO = "SZ2603-7KQ3MX"
CITIZEN_PHONE = "+8613812345678"
RATING_ADDRESS = "minyi.example/r"
RATING_CODE = "042917"
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shenzhen
DUE = datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC)  # 9 March 23:59:59 in Shenzhen


def make_case(language: str = "zh", **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "id": "case-1",
        "tracking_no": TRACKING_NO,
        "citizen_id": "citizen-1",
        "phone": CITIZEN_PHONE,
        "language": language,
        "category": Category.COMPLAINT,
        "topic": "traffic",
        "district": "futian",
        "description": "Illegal parking on Shennan Road",
        "status": CaseStatus.DISPATCHED,
        "unit_id": UNIT.id,
        "due_at": DUE,
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(overrides)
    return Case(**fields)


def make_event(
    type_: EventType, seq: int = 2, unit_id: str | None = UNIT.id, due_at: datetime | None = DUE
) -> TimelineEvent:
    return TimelineEvent(
        case_id="case-1",
        seq=seq,
        type=type_,
        at=NOW,
        actor_role=Role.SYSTEM,
        actor_id="minyi",
        status=CaseStatus.DISPATCHED,
        unit_id=unit_id,
        due_at=due_at,
    )


def context(case: Case | None = None, unit: Unit | None = UNIT, supervisors: str | None = "default") -> NoticeContext:
    return NoticeContext(
        case=case or make_case(),
        unit=unit,
        supervisors_phone=SUPERVISION_OFFICE.duty_phone if supervisors == "default" else supervisors,
        rating_address=RATING_ADDRESS,
        rating_code=RATING_CODE,
    )


def measured_segments(body: str) -> int:
    """A body's SMS segments, measured here and not with the product's counter (`sms_segments`): the
    notices' texts are either all ASCII (English: GSM-7, 160 septets, 153 a part once split, and each of
    [ ] { } ^ ~ | \\ costs two septets) or hold Chinese (UCS-2: 70 UTF-16 code units, 67 a part)."""
    if body.isascii():
        septets = len(body) + sum(body.count(ch) for ch in "[]{}^~|\\")
        return 1 if septets <= 160 else math.ceil(septets / 153)
    code_units = len(body.encode("utf-16-be")) // 2
    return 1 if code_units <= 70 else math.ceil(code_units / 67)


def plan(type_: EventType, case: Case | None = None, **ctx: Any) -> list[Notice]:
    return plan_notices(make_event(type_), context(case, **ctx))


def recipients(notices: list[Notice]) -> dict[str, str]:
    return {n.kind: n.to for n in notices}


# --- who gets what -----------------------------------------------------------------------------

EXPECTED_RECIPIENTS: list[tuple[EventType, dict[str, str]]] = [
    (EventType.DISPATCHED, {"citizen": CITIZEN_PHONE, "unit": str(UNIT.duty_phone)}),
    (EventType.REPLIED, {"citizen": CITIZEN_PHONE}),
    (EventType.REOPENED, {"citizen": CITIZEN_PHONE, "unit": str(UNIT.duty_phone)}),
    (
        EventType.SUPERVISED,
        {"citizen": CITIZEN_PHONE, "unit": str(UNIT.duty_phone), "supervisors": str(SUPERVISION_OFFICE.duty_phone)},
    ),
    (EventType.CLOSED, {"citizen": CITIZEN_PHONE}),
    (EventType.OVERDUE, {"unit": str(UNIT.duty_phone), "supervisors": str(SUPERVISION_OFFICE.duty_phone)}),
    (EventType.DEADLINE_WARNING, {"unit": str(UNIT.duty_phone)}),
    (EventType.ACCEPTED, {}),
    (EventType.RATED, {}),
    (EventType.SUBMITTED, {"citizen": CITIZEN_PHONE}),  # the receipt
    (EventType.QUEUED, {}),
    (EventType.RETURNED, {}),
    (EventType.EXTENSION_REQUESTED, {}),
    (EventType.EXTENSION_APPROVED, {"citizen": CITIZEN_PHONE, "unit": str(UNIT.duty_phone)}),
    (EventType.EXTENSION_REFUSED, {}),
    (EventType.WORKFLOW_REPAIRED, {}),
]


@pytest.mark.parametrize(("event_type", "expected"), EXPECTED_RECIPIENTS, ids=[e.value for e, _ in EXPECTED_RECIPIENTS])
def test_each_event_type_notifies_exactly_its_recipients(event_type: EventType, expected: dict[str, str]) -> None:
    # Given a dispatched case of a unit with a duty phone, and a supervision office with one
    # When the event happens
    notices = plan(event_type)
    # Then exactly the expected recipients get one notice each, at their phone
    assert recipients(notices) == expected
    assert len(notices) == len(expected)
    # And every notice names its case, event and type
    for notice in notices:
        assert (notice.case_id, notice.event_seq, notice.event_type) == ("case-1", 2, event_type)


def test_replied_names_the_unit_and_invites_the_citizen_to_rate_at_the_constant_address() -> None:
    # Given a case answered by the unit
    # When the replied notice is planned
    (notice,) = plan(EventType.REPLIED)
    # Then the citizen reads who answered, and is asked to rate at the constant address with number and code
    assert notice.kind == "citizen"
    assert (
        notice.body == f"【民意速办】福田区交警大队已答复{TRACKING_NO}，请凭评价码{RATING_CODE}到{RATING_ADDRESS}评价"
    )
    assert notice.segments == 1
    # And the provider's template gets the unit, the number and the code as variables, the address never
    assert notice.template is not None
    assert notice.template.key == "citizen.replied.zh"
    assert notice.template.params == {"unit": "福田区交警大队", "no": TRACKING_NO, "code": RATING_CODE}


def test_a_reply_sms_that_would_take_two_segments_leaves_the_unit_out_and_stays_one() -> None:
    # Given a unit whose name with the rating address would not fit one segment
    long_name = Unit(
        id=UNIT.id, name="深圳市福田区城市管理和综合执法局沙头街道执法队", name_en="x", duty_phone="+8613000000000"
    )
    # When the replied notice is planned
    (notice,) = plan(EventType.REPLIED, unit=long_name)
    # Then the short registered text goes: one segment, the number and the code, no unit
    assert notice.body == f"【民意速办】{TRACKING_NO}已答复，请凭评价码{RATING_CODE}到{RATING_ADDRESS}评价"
    assert notice.segments == 1
    assert notice.template is not None and notice.template.key == "citizen.replied.short.zh"
    assert notice.template.params == {"no": TRACKING_NO, "code": RATING_CODE}
    # And so does a reply whose unit is not in the catalogue any more (no "-" for a name)
    (unnamed,) = plan(EventType.REPLIED, unit=None)
    assert unnamed.body == notice.body


def test_a_unit_without_a_duty_phone_and_no_supervision_phone_get_nothing() -> None:
    # Given a unit with no duty phone and no supervision office phone
    no_phone = Unit(id="no-phone", name="无值班电话单位", name_en="Unit without a duty phone")
    # When a supervised event is planned
    notices = plan(EventType.SUPERVISED, unit=no_phone, supervisors=None)
    # Then only the citizen is notified
    assert recipients(notices) == {"citizen": CITIZEN_PHONE}


def test_an_event_without_a_unit_sends_no_unit_notice() -> None:
    # Given an overdue event of a case that has no unit in the context
    # When it is planned
    notices = plan(EventType.OVERDUE, unit=None)
    # Then only the supervisors are told
    assert recipients(notices) == {"supervisors": SUPERVISION_OFFICE.duty_phone}


# --- language and content ------------------------------------------------------------------------


def test_chinese_citizen_gets_chinese_with_the_unit_name_and_local_deadline() -> None:
    # Given a Chinese-speaking citizen (the default)
    # When the case is dispatched
    by_kind = {n.kind: n for n in plan(EventType.DISPATCHED)}
    # Then the body is Chinese, names the unit and the deadline in Shenzhen time
    body = by_kind["citizen"].body
    assert body == f"【民意速办】您的诉求{TRACKING_NO}已派至福田区交警大队办理，时限03月09日23:59。"
    assert by_kind["unit"].body == f"【民意速办】新工单{TRACKING_NO}已派至贵单位，请于03月09日23:59前办结。"


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        (
            EventType.DISPATCHED,
            f"[Minyi] Your request {TRACKING_NO} is with Futian Traffic Police Brigade, due 09 Mar 23:59.",
        ),
        (
            EventType.REPLIED,
            f"[Minyi] Futian Traffic Police Brigade answered your request {TRACKING_NO}. "
            f"Rate it at {RATING_ADDRESS} with code {RATING_CODE}.",
        ),
        (
            EventType.REOPENED,
            f"[Minyi] Your request {TRACKING_NO} went back to Futian Traffic Police Brigade to be redone, "
            "due 09 Mar 23:59.",
        ),
        (
            EventType.SUPERVISED,
            f"[Minyi] Your request {TRACKING_NO} is now under special supervision; "
            "Futian Traffic Police Brigade will redo it.",
        ),
        (EventType.CLOSED, f"[Minyi] Your request {TRACKING_NO} is closed. Thank you."),
    ],
    ids=lambda v: v.value if isinstance(v, EventType) else "",
)
def test_english_citizen_gets_english_bodies(event_type: EventType, expected: str) -> None:
    # Given a citizen who chose English
    case = make_case(language="en")
    # When the event happens
    notices = plan(event_type, case)
    # Then the citizen's body is English, with the unit's English name and the local deadline
    citizen = next(n for n in notices if n.kind == "citizen")
    assert citizen.body == expected
    # And units and supervisors still get Chinese
    for staff_notice in (n for n in notices if n.kind != "citizen"):
        assert staff_notice.body.startswith("【民意速办】")
        assert "Minyi" not in staff_notice.body


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("event_type", list(EventType), ids=lambda e: e.value)
def test_every_body_carries_the_tracking_number(event_type: EventType, language: str) -> None:
    # Given a case in either language
    case = make_case(language=language)
    # When any event is planned
    notices = plan(event_type, case)
    # Then every body names the tracking number, and its segment count is the one measured here
    for notice in notices:
        assert TRACKING_NO in notice.body
        assert notice.segments == measured_segments(notice.body)
        assert "{" not in notice.body and "}" not in notice.body  # every placeholder filled


def test_a_missing_deadline_is_shown_as_a_dash() -> None:
    # Given a deadline warning event without a due date
    event = make_event(EventType.DEADLINE_WARNING, due_at=None)
    # When it is planned
    (notice,) = plan_notices(event, context())
    # Then the body shows "-" instead of a date
    assert "（-）" in notice.body


# --- length in SMS segments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_chinese_text_segments_are_70_then_67_characters(length: int, segments: int) -> None:
    # Given a Chinese (UCS-2) text of `length` characters / When counted / Then
    assert sms_segments("民" * length) == segments


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3)],
)
def test_gsm_text_segments_are_160_then_153_characters(length: int, segments: int) -> None:
    # Given a plain GSM-7 text of `length` characters / When counted / Then
    assert sms_segments("a" * length) == segments


def test_one_non_gsm_character_makes_the_whole_text_ucs2() -> None:
    # Given 100 Latin letters and one Chinese character
    text = "a" * 100 + "民"
    # When counted / Then the whole text is UCS-2: 101 characters are two segments
    assert sms_segments(text) == 2


def test_empty_text_is_one_segment() -> None:
    assert sms_segments("") == 1


def test_english_bodies_are_counted_as_gsm7_with_extension_characters_counting_double() -> None:
    # Given the English 'answered' notice (about 100 characters, two of them '[' and ']')
    (notice,) = plan(EventType.REPLIED, make_case(language="en"))
    assert 70 < len(notice.body) <= 158
    # When it is counted / Then it is one GSM-7 segment (each bracket costs two septets)
    assert notice.segments == 1
    # And a GSM text with extension characters counts them twice: 158 letters + "[]" = 162 septets
    assert sms_segments("a" * 158 + "[]") == 2
    assert sms_segments("a" * 156 + "[]") == 1


# --- the exactly-once key ------------------------------------------------------------------------


def test_outbox_key_is_one_per_event_and_recipient_kind() -> None:
    # Given the notices of a supervised event (seq 12) and of a later reopened event (seq 7)
    supervised = plan_notices(make_event(EventType.SUPERVISED, seq=12), context())
    reopened = plan_notices(make_event(EventType.REOPENED, seq=7), context())
    # Then each (event, kind) has its own zero-padded key
    assert [n.outbox_key for n in supervised] == [
        "OUTBOX#00012#citizen",
        "OUTBOX#00012#unit",
        "OUTBOX#00012#supervisors",
    ]
    assert [n.outbox_key for n in reopened] == ["OUTBOX#00007#citizen", "OUTBOX#00007#unit"]
    # And planning the same event twice gives the same keys (a redelivery finds the claim)
    again = plan_notices(make_event(EventType.SUPERVISED, seq=12), context())
    assert [n.outbox_key for n in again] == [n.outbox_key for n in supervised]
    # And keys sort in event order as strings
    keys = sorted(n.outbox_key for n in supervised + reopened)
    assert keys[0].startswith("OUTBOX#00007#")


def test_the_domain_plans_a_catalogue_key_and_facts_never_prose() -> None:
    from minyi.domain.notices import plan_messages

    # Given a dispatched case
    # When its notices are planned
    planned = {p.kind: p for p in plan_messages(make_event(EventType.DISPATCHED), context())}
    # Then each is a catalogue key with the case's facts: the unit by id, the deadline as a time
    citizen = planned["citizen"]
    assert citizen.message.key == "sms.citizen.dispatched" and citizen.language == "zh"
    assert citizen.message.params["no"] == TRACKING_NO and citizen.message.params["unit"] == UNIT.id
    assert citizen.message.params["due"] == DUE.isoformat()
    assert planned["unit"].message.key == "sms.unit.dispatched"
