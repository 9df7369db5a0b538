"""Issue 21, part 3, on fakes: operators answer from the knowledge base (直接办结), units start from reply
templates, and operators call hotline callers back (回访) for the rating they could not give by SMS."""

from __future__ import annotations

import pytest

from minyi.domain import lifecycle
from minyi.domain.errors import Forbidden, InvalidInput, InvalidTransition
from minyi.domain.knowledge import search
from minyi.domain.models import (
    Actor,
    CallbackOutcome,
    Case,
    CaseStatus,
    Channel,
    CloseReason,
    EventType,
    RatingChannel,
    Role,
    WorkflowWait,
)
from minyi.domain.notices import NoticeContext
from minyi.domain.scoreboard import increments
from minyi.services.hotline import HotlineService
from minyi.services.notify import plan_notices
from minyi.services.results import IntakeAnswer, Scorecard
from tests.fakes import Fakes
from tests.unit.services.conftest import CITIZEN, STAFF, TRAFFIC, new_request

OPERATOR = Actor(role=Role.OPERATOR, id="operator-1")
CALLER = "+8613700001234"
SATISFIED = Scorecard(speed=5, effectiveness=4, experience=5, feedback_quality=4)
UNSATISFIED = Scorecard(speed=2, effectiveness=4, experience=5, feedback_quality=4)


def hotline(fakes: Fakes) -> HotlineService:
    return fakes.hotline_service()


def answered(fakes: Fakes, knowledge_id: str | None = "gjj-withdraw-rent") -> Case:
    request = new_request(
        channel="hotline",
        category="consultation",
        topic="housing",
        phone=CALLER,
        description="租房能不能取公积金",
        answered_at_intake=IntakeAnswer(answer="可以，在公积金网上服务大厅申请租房提取。", knowledge_id=knowledge_id),
    )
    return fakes.request_service().submit(OPERATOR, request)


def hotline_replied(fakes: Fakes) -> Case:
    """A hotline complaint the unit answered, its workflow parked for the rating."""
    request = new_request(channel="hotline", phone=CALLER)
    created = fakes.request_service().submit(OPERATOR, request)
    case = fakes.cases.get_case(created.id)
    assert case is not None
    now = fakes.clock()
    case = fakes.cases.save(
        lifecycle.dispatch(case, TRAFFIC, fakes.deadlines.due_at(now, 5), lifecycle.ROUTER, now, "r")
    )
    service = fakes.case_service()
    service.accept(STAFF, case.id)
    service.reply(STAFF, case.id, "已安排警力整治违停。")
    stored = fakes.cases.get_case(case.id)
    assert stored is not None
    return fakes.cases.park(stored, WorkflowWait(phase="rating", round=1, token="token-rating"))


# --- knowledge base and reply templates --------------------------------------------------------


def test_the_shenzhen_knowledge_base_finds_the_rent_withdrawal_for_a_few_chinese_words(fakes: Fakes) -> None:
    # Given the Shenzhen catalogue's knowledge base (no word segmenter anywhere)
    # When an operator searches the words a caller used, in another order than the question's
    hits = hotline(fakes).knowledge(OPERATOR, "公积金 租房", None, 5)
    # Then the entry about withdrawing for rent comes first
    assert hits[0].entry.id == "gjj-withdraw-rent"
    assert hits[0].score > hits[1].score if len(hits) > 1 else True


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("社保缴费记录怎么查", "shebao-query"),
        ("居住证过期", "juzhuzheng-renew"),
        ("工地晚上噪音", "noise-construction"),
    ],
)
def test_search_ranks_the_entry_the_question_is_about_first(fakes: Fakes, query: str, expected: str) -> None:
    assert hotline(fakes).knowledge(STAFF, query, None, 3)[0].entry.id == expected


def test_search_finds_nothing_for_unrelated_words_and_lists_all_without_a_query(fakes: Fakes) -> None:
    entries = fakes.catalog.get().knowledge
    assert search(entries, "火星移民签证") == []
    assert [h.entry.id for h in search(entries, "", limit=100)] == [e.id for e in entries]


def test_a_topic_keeps_that_topics_entries_and_an_unknown_topic_is_named(fakes: Fakes) -> None:
    hits = hotline(fakes).knowledge(OPERATOR, "怎么办", "traffic", 50)
    assert hits and all(h.entry.topic in (None, "traffic") for h in hits)
    with pytest.raises(InvalidInput) as err:
        hotline(fakes).knowledge(OPERATOR, "x", "mars", 5)
    assert err.value.field == "topic"


def test_citizens_may_not_read_the_knowledge_base_nor_operators_the_reply_templates(fakes: Fakes) -> None:
    with pytest.raises(Forbidden):
        hotline(fakes).knowledge(CITIZEN, "社保", None, 5)
    with pytest.raises(Forbidden):
        hotline(fakes).reply_templates(OPERATOR, None)


def test_reply_templates_for_a_topic_are_its_own_and_the_general_ones(fakes: Fakes) -> None:
    templates = hotline(fakes).reply_templates(STAFF, "traffic")
    ids = {t.id for t in templates}
    assert "traffic-enforced" in ids and "accepted-handled" in ids and "noise-handled" not in ids
    assert len(hotline(fakes).reply_templates(STAFF, None)) >= 8


# --- 直接办结 ---------------------------------------------------------------------------------------


def test_an_answer_at_intake_closes_the_consultation_at_once_without_a_workflow(fakes: Fakes) -> None:
    # When an operator answers a consultation on the call
    case = answered(fakes)
    # Then the case is closed with its own reason, the answer is its reply, and no workflow started
    assert case.status == CaseStatus.CLOSED and case.closed_reason == CloseReason.ANSWERED_AT_INTAKE
    assert case.replies[0].message.startswith("可以") and case.knowledge_id == "gjj-withdraw-rent"
    assert fakes.workflow.starts == []
    events = fakes.cases.timeline(case.id)
    assert [e.type for e in events] == [EventType.SUBMITTED, EventType.ANSWERED_AT_INTAKE, EventType.CLOSED]
    assert events[1].note == case.replies[0].message
    # and the scoreboard counts it apart, not among the units' closed cases
    assert increments(events[2]) == {"answered_at_intake": 1}


def test_the_caller_is_texted_the_answer_with_a_rating_code_and_no_second_closing_sms(fakes: Fakes) -> None:
    case = answered(fakes)
    ctx = NoticeContext(case=case, unit=None, supervisors_phone=None, rating_address="x.cn/r", rating_code="123456")
    texts = [n for e in fakes.cases.timeline(case.id)[1:] for n in plan_notices(e, ctx) if n.kind == "citizen"]
    assert len(texts) == 1 and case.replies[0].message in texts[0].body and "123456" in texts[0].body


def test_the_caller_may_still_rate_an_answer_given_on_the_call(fakes: Fakes) -> None:
    case = answered(fakes)
    owner = Actor(role=Role.CITIZEN, id=case.citizen_id)
    detail = fakes.case_service().rate(owner, case.id, UNSATISFIED)
    # the rating is recorded and counted; the case stays closed (no unit to redo it)
    assert detail.case.status == CaseStatus.CLOSED and len(detail.case.ratings) == 1
    assert fakes.cases.event_types(case.id)[-1] == EventType.RATED
    with pytest.raises(InvalidTransition):
        fakes.case_service().rate(owner, case.id, SATISFIED)


@pytest.mark.parametrize(
    ("overrides", "actor", "error", "field"),
    [
        ({"category": "complaint"}, OPERATOR, InvalidInput, "answered_at_intake"),
        ({}, CITIZEN, Forbidden, None),
        ({"knowledge_id": "no-such-entry"}, OPERATOR, InvalidInput, "answered_at_intake.knowledge_id"),
    ],
)
def test_an_answer_at_intake_is_a_hotline_operators_for_a_consultation_only(
    fakes: Fakes, overrides: dict[str, str], actor: Actor, error: type[Exception], field: str | None
) -> None:
    intake = IntakeAnswer(answer="答复", knowledge_id=overrides.get("knowledge_id"))
    fields = {"channel": "hotline", "category": overrides.get("category", "consultation"), "phone": CALLER}
    with pytest.raises(error) as err:
        fakes.request_service().submit(actor, new_request(**fields, answered_at_intake=intake))
    if field:
        assert getattr(err.value, "field", None) == field
    assert fakes.cases.cases == {}  # nothing half-written


# --- 回访 -----------------------------------------------------------------------------------------


def test_a_hotline_reply_waits_in_the_callback_list_oldest_first_and_leaves_it_when_rated(fakes: Fakes) -> None:
    # Given two hotline replies, an hour apart, and an app reply
    first = hotline_replied(fakes)
    fakes.clock.advance(hours=1)
    second = hotline_replied(fakes)
    service = hotline(fakes)
    # Then operators see both hotline replies, the older first
    assert [c.id for c in service.callbacks(OPERATOR, 20, None).cases] == [first.id, second.id]
    # When the operator calls the first caller, who rates satisfied
    detail = service.callback(OPERATOR, first.id, CallbackOutcome.RATED, SATISFIED, "满意")
    # Then it counts as the caller's rating (channel callback), closes, and signals the parked workflow
    assert detail.case.status == CaseStatus.CLOSED and detail.case.closed_reason == CloseReason.SATISFIED
    assert detail.case.ratings[-1].channel == RatingChannel.CALLBACK
    assert fakes.workflow.signals[-1] == ("token-rating", {"outcome": "closed"})
    assert [c.id for c in service.callbacks(OPERATOR, 20, None).cases] == [second.id]


def test_an_unsatisfied_callback_rolls_the_case_back_to_the_unit(fakes: Fakes) -> None:
    case = hotline_replied(fakes)
    detail = hotline(fakes).callback(OPERATOR, case.id, CallbackOutcome.RATED, UNSATISFIED, None)
    assert detail.case.status == CaseStatus.REOPENED and detail.case.unit_id == TRAFFIC
    assert fakes.cases.event_types(case.id)[-3:] == [EventType.CALLBACK, EventType.RATED, EventType.REOPENED]


def test_three_unreachable_working_days_close_the_case_unrated_but_not_three_calls_in_a_day(fakes: Fakes) -> None:
    case = hotline_replied(fakes)
    service = hotline(fakes)
    # Given three unreachable calls on one day: the case still waits
    for _ in range(3):
        after = service.callback(OPERATOR, case.id, CallbackOutcome.UNREACHABLE, None, None).case
    assert after.status == CaseStatus.REPLIED
    # When the caller is unreachable on two more days
    fakes.clock.advance(days=1)
    service.callback(OPERATOR, case.id, CallbackOutcome.UNREACHABLE, None, None)
    fakes.clock.advance(days=1)
    after = service.callback(OPERATOR, case.id, CallbackOutcome.UNREACHABLE, None, None).case
    # Then the case closes unrated, with a reason of its own
    assert after.status == CaseStatus.CLOSED and after.closed_reason == CloseReason.UNREACHABLE
    assert service.callbacks(OPERATOR, 20, None).cases == []


def test_a_declined_callback_closes_it_and_a_callback_needs_a_waiting_hotline_reply(fakes: Fakes) -> None:
    case = hotline_replied(fakes)
    service = hotline(fakes)
    after = service.callback(OPERATOR, case.id, CallbackOutcome.DECLINED, None, None).case
    assert after.closed_reason == CloseReason.CALLBACK_DECLINED
    with pytest.raises(InvalidTransition):
        service.callback(OPERATOR, case.id, CallbackOutcome.UNREACHABLE, None, None)


def test_callbacks_are_the_operators_and_rated_needs_the_scores(fakes: Fakes) -> None:
    case = hotline_replied(fakes)
    assert case.channel == Channel.HOTLINE
    with pytest.raises(Forbidden):
        hotline(fakes).callback(STAFF, case.id, CallbackOutcome.UNREACHABLE, None, None)
    with pytest.raises(Forbidden):
        hotline(fakes).callbacks(STAFF, 20, None)
    with pytest.raises(InvalidInput):
        hotline(fakes).callback(OPERATOR, case.id, CallbackOutcome.RATED, None, None)
