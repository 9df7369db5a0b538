"""SMS for the whole loop (issue 10): a receipt, every citizen notice in Chinese in one segment, the
rating link with its token, and the notices of withdrawals, supplements, transfers, the dispatch
queue's deadline, supervision instructions and the close of a supervised case."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from minyi.adapters.catalog_file import DISPATCH_CENTRE, SUPERVISION_OFFICE, shenzhen_catalog
from minyi.domain.models import Case, CaseStatus, Category, EventType, Role, SupervisionOrder, TimelineEvent
from minyi.domain.notices import _CITIZEN, DECLARED_SEGMENTS, VARIABLES, NoticeContext, sms_segments
from minyi.domain.rating_links import MAX_HOST_LENGTH, RatingLinks
from minyi.services.notify import plan_notices

UNITS = shenzhen_catalog().units
#: The longest unit name in the catalogue, and the longest web address the configuration allows.
LONGEST_UNIT = max(UNITS.values(), key=lambda u: len(u.name))
LONGEST_BASE = "https://" + "x" * MAX_HOST_LENGTH
TRACKING_NO = "SZ2612-7KQ3MX"
NOW = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC)


def case(**overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "id": "case-1",
        "tracking_no": TRACKING_NO,
        "citizen_id": "citizen-1",
        "phone": "+8613812345678",
        "category": Category.COMPLAINT,
        "topic": "traffic",
        "district": "futian",
        "description": "x",
        "status": CaseStatus.DISPATCHED,
        "unit_id": LONGEST_UNIT.id,
        "due_at": DUE,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Case(**{**fields, **overrides})


def event(type_: EventType, **facts: Any) -> TimelineEvent:
    return TimelineEvent(
        case_id="case-1",
        seq=3,
        type=type_,
        at=NOW,
        actor_role=Role.SYSTEM,
        actor_id="x",
        status=CaseStatus.DISPATCHED,
        unit_id=LONGEST_UNIT.id,
        due_at=DUE,
        facts=facts,
    )


def context(c: Case | None = None, previous: str | None = None) -> NoticeContext:
    links = RatingLinks(secret=b"k" * 32, base=LONGEST_BASE)
    return NoticeContext(
        case=c or case(),
        unit=LONGEST_UNIT,
        previous_unit=UNITS[previous] if previous else None,
        supervisors_phone=SUPERVISION_OFFICE.duty_phone,
        dispatchers_phone=DISPATCH_CENTRE.duty_phone,
        rating_address=links.address,
        rating_code=links.code(TRACKING_NO, 1),
    )


@pytest.mark.parametrize("type_", sorted(set(_CITIZEN) - set(DECLARED_SEGMENTS)))
def test_every_chinese_citizen_notice_fits_one_segment_at_its_longest(type_: EventType) -> None:
    # Given the longest unit name, the longest allowed link base and a full tracking number
    # When the citizen's notice for the event is written
    notices = [n for n in plan_notices(event(type_), context()) if n.kind == "citizen"]
    # Then it is one 70-character segment
    assert len(notices) == 1
    assert notices[0].segments == 1, (len(notices[0].body), notices[0].body)
    assert sms_segments(notices[0].body) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_answer_given_on_the_call_stays_within_its_declared_segments_at_its_longest(lang: str) -> None:
    # Given a consultation answered on the call with the longest answer a knowledge entry may have
    answer = "答" * VARIABLES["answer"].limit("zh")
    ev = event(EventType.ANSWERED_AT_INTAKE).model_copy(update={"note": answer})
    # When the caller's SMS is written
    (sms,) = [n for n in plan_notices(ev, context(case(language=lang))) if n.kind == "citizen"]
    # Then it carries the whole answer and the rating code, within the segments declared for it
    assert answer in sms.body and sms.template is not None and sms.template.params["answer"] == answer
    assert "code" in sms.template.params
    assert 1 < sms.segments <= DECLARED_SEGMENTS[EventType.ANSWERED_AT_INTAKE]


def test_the_receipt_carries_the_tracking_number() -> None:
    (receipt,) = plan_notices(event(EventType.SUBMITTED), context())
    assert receipt.kind == "citizen" and TRACKING_NO in receipt.body


def test_the_rating_invitation_names_the_constant_address_the_number_and_a_6_digit_code() -> None:
    # When the unit has replied
    (invitation,) = [n for n in plan_notices(event(EventType.REPLIED), context()) if n.kind == "citizen"]
    # Then the SMS names <host>/r (the same for every case), the tracking number and the round's code
    assert f"{'x' * MAX_HOST_LENGTH}/r评价" in invitation.body and TRACKING_NO in invitation.body
    assert "?t=" not in invitation.body and "https://" not in invitation.body
    code = invitation.body.split("评价码")[1][:6]
    assert code.isdigit() and RatingLinks(b"k" * 32, LONGEST_BASE).verify_code(TRACKING_NO, 1, code)


def test_a_token_does_not_fit_another_case_or_round() -> None:
    links = RatingLinks(b"k" * 32, "https://a.cn")
    token = links.token(TRACKING_NO, 1)
    assert not links.verify("SZ2612-AAAAAA", 1, token)
    assert not links.verify(TRACKING_NO, 2, token)
    assert not RatingLinks(b"other", "https://a.cn").verify(TRACKING_NO, 1, token)


def test_a_withdrawal_tells_the_unit_and_confirms_to_the_citizen() -> None:
    kinds = {n.kind for n in plan_notices(event(EventType.WITHDRAWN), context())}
    assert kinds == {"citizen", "unit"}


def test_a_supplement_tells_the_unit() -> None:
    (notice,) = plan_notices(event(EventType.SUPPLEMENTED), context())
    assert notice.kind == "unit" and notice.to == LONGEST_UNIT.duty_phone


def test_a_transfer_tells_both_units_and_the_citizen() -> None:
    notices = plan_notices(event(EventType.TRANSFERRED, from_unit="nanshan-police"), context(previous="nanshan-police"))
    by_kind = {n.kind: n.to for n in notices}
    assert by_kind == {
        "citizen": "+8613812345678",
        "unit": LONGEST_UNIT.duty_phone,
        "previous_unit": UNITS["nanshan-police"].duty_phone,
    }


def test_a_missed_dispatch_deadline_tells_dispatchers_and_supervisors() -> None:
    notices = plan_notices(event(EventType.DISPATCH_OVERDUE), context(case(unit_id=None, due_at=None)))
    assert {n.kind: n.to for n in notices} == {
        "dispatchers": DISPATCH_CENTRE.duty_phone,
        "supervisors": SUPERVISION_OFFICE.duty_phone,
    }


def test_instructions_reach_the_unit_and_a_moved_deadline_reaches_the_citizen() -> None:
    assert {n.kind for n in plan_notices(event(EventType.SUPERVISION_INSTRUCTED), context())} == {"unit"}
    assert {n.kind for n in plan_notices(event(EventType.EXTENSION_APPROVED), context())} == {"citizen", "unit"}


def test_supervisors_hear_when_a_case_they_supervised_closes() -> None:
    order = SupervisionOrder(instructions="x", due_at=DUE, by="s", at=NOW)
    supervised = plan_notices(event(EventType.CLOSED), context(case(supervision=order)))
    plain = plan_notices(event(EventType.CLOSED), context())
    assert "supervisors" in {n.kind for n in supervised}
    assert "supervisors" not in {n.kind for n in plain}
