"""NotifyService on fakes: each notice of an event sent exactly once through the outbox, a failed send
marked FAILED and reported (NoticeFailed) so the record is retried, redeliveries suppressed."""

from __future__ import annotations

import pytest

from minyi.domain import lifecycle
from minyi.domain.errors import NotFound
from minyi.domain.metrics import Metric
from minyi.domain.models import Case, EventType, OutboxStatus, Role, TimelineEvent
from minyi.observability import serving_invocation
from minyi.services.notify import NoticeFailed
from tests.fakes import Fakes
from tests.unit.services.conftest import CITIZEN, OTHER_UNIT, PHONE, STAFF, TRAFFIC, Recorded, new_request


def dispatched(fakes: Fakes, language: str = "zh") -> tuple[Case, TimelineEvent]:
    """A case routed to the Futian traffic police, and its `dispatched` timeline event."""
    created = fakes.request_service().submit(CITIZEN, new_request(language=language))
    case = fakes.cases.get_case(created.id)
    assert case is not None
    now = fakes.clock()
    due = fakes.deadlines.due_at(now, 5)
    case = fakes.cases.save(lifecycle.dispatch(case, TRAFFIC, due, lifecycle.ROUTER, now, "rule"))
    return case, fakes.cases.timeline(case.id)[-1]


def unit_phone(fakes: Fakes) -> str:
    phone = fakes.catalog.get().units[TRAFFIC].duty_phone
    assert phone is not None
    return phone


def test_a_dispatch_texts_the_citizen_and_the_unit_once_each(fakes: Fakes, recorded: Recorded) -> None:
    # Given a case just dispatched to the traffic police
    case, event = dispatched(fakes)
    assert event.type == EventType.DISPATCHED
    # When its event is handled
    sent = fakes.notify_service().handle(event)
    # Then the citizen and the unit's duty phone each got one SMS naming the case
    assert sent == 2
    assert sorted(to for to, _, _ in fakes.sender.sent) == sorted([PHONE, unit_phone(fakes)])
    assert all(case.tracking_no in body for _, body, _ in fakes.sender.sent)
    # And the outbox records each as SENT with the provider's message id, one attempt
    entries = fakes.outbox.entries(case.id)
    assert sorted(e.kind for e in entries) == ["citizen", "unit"]
    assert all(e.status == OutboxStatus.SENT and e.attempts == 1 for e in entries)
    assert {e.provider_message_id for e in entries} == {m for _, _, m in fakes.sender.sent}
    assert recorded(Metric.SMS_SENT) == 2 and recorded(Metric.SMS_SEGMENTS) >= 2


def test_a_batch_with_two_events_of_one_case_reads_the_case_once(fakes: Fakes) -> None:
    # Given a case submitted and dispatched: two events in one stream batch
    case, dispatch_event = dispatched(fakes)
    submit_event = fakes.cases.timeline(case.id)[0]
    service = fakes.notify_service()
    reads = fakes.cases.case_reads

    # When one invocation handles both
    def batch(_event: object, _context: object) -> int:
        return service.handle(submit_event) + service.handle(dispatch_event)

    sent = serving_invocation(batch, None, None)
    # Then every notice went out, and the case was read once
    assert sent == len(fakes.sender.sent) >= 3
    assert fakes.cases.case_reads - reads == 1


def test_a_redelivered_event_sends_nothing_twice(fakes: Fakes, recorded: Recorded) -> None:
    _, event = dispatched(fakes)
    service = fakes.notify_service()
    service.handle(event)
    # When the stream delivers the same event again
    again = service.handle(event)
    # Then nothing more is sent, and the suppressed duplicates are counted
    assert again == 0 and len(fakes.sender.sent) == 2
    assert recorded(Metric.SMS_DUPLICATES_SUPPRESSED) == 2


def test_a_failed_send_is_marked_failed_reported_and_sent_once_on_retry(fakes: Fakes, recorded: Recorded) -> None:
    # Given a provider that refuses the next message
    case, event = dispatched(fakes)
    fakes.sender.fail_next = 1
    service = fakes.notify_service()
    # When the event is handled, the other notice still goes out, and the record is reported failed
    with pytest.raises(NoticeFailed):
        service.handle(event)
    assert len(fakes.sender.sent) == 1
    failed = [e for e in fakes.outbox.entries(case.id) if e.status == OutboxStatus.FAILED]
    assert len(failed) == 1 and failed[0].attempts == 1 and failed[0].last_error
    assert recorded(Metric.SMS_FAILURES) == 1
    # When the record is retried and the provider accepts
    assert service.handle(event) == 1
    # Then every notice was sent exactly once, the failed one on its second attempt
    entries = fakes.outbox.entries(case.id)
    assert all(e.status == OutboxStatus.SENT for e in entries)
    assert sorted(e.attempts for e in entries) == [1, 2]
    assert sorted(to for to, _, _ in fakes.sender.sent) == sorted([PHONE, unit_phone(fakes)])
    assert all(e.last_error is None for e in entries)


def test_a_provider_outage_fails_every_notice_and_sends_nothing(fakes: Fakes) -> None:
    case, event = dispatched(fakes)
    fakes.sender.down = True
    with pytest.raises(NoticeFailed):
        fakes.notify_service().handle(event)
    assert fakes.sender.sent == []
    assert [e.status for e in fakes.outbox.entries(case.id)] == [OutboxStatus.FAILED] * 2


def test_the_rating_sms_carries_the_constant_address_and_the_code_of_the_round(fakes: Fakes) -> None:
    case, _ = dispatched(fakes)
    case = fakes.cases.save(lifecycle.accept(case, STAFF, fakes.clock()))
    case = fakes.cases.save(lifecycle.reply(case, "Done.", STAFF, fakes.clock()))
    replied = fakes.cases.timeline(case.id)[-1]
    assert replied.type == EventType.REPLIED

    fakes.notify_service().handle(replied)

    (body,) = fakes.sender.to(PHONE)
    # Then it names the constant rating address, the number and the round's 6-digit code; no link of the case
    assert "m.test/r评价" in body and case.tracking_no in body
    assert f"评价码{fakes.links.code(case.tracking_no, case.round)}" in body
    assert "?t=" not in body and "/r/" not in body


def test_a_citizen_who_chose_english_is_texted_in_english(fakes: Fakes) -> None:
    _, event = dispatched(fakes, language="en")
    fakes.notify_service().handle(event)
    (body,) = fakes.sender.to(PHONE)
    assert body.isascii()


def test_an_event_that_notifies_nobody_writes_no_outbox(fakes: Fakes) -> None:
    case, _ = dispatched(fakes)
    case = fakes.cases.save(lifecycle.accept(case, STAFF, fakes.clock()))
    accepted = fakes.cases.timeline(case.id)[-1]
    assert accepted.type == EventType.ACCEPTED and accepted.actor_role == Role.STAFF
    assert fakes.notify_service().handle(accepted) == 0
    assert fakes.outbox.entries(case.id) == [] and fakes.sender.calls == 0


def test_the_event_of_a_missing_case_is_an_error(fakes: Fakes) -> None:
    _, event = dispatched(fakes)
    orphan = event.model_copy(update={"case_id": "ghost"})
    with pytest.raises(NotFound):
        fakes.notify_service().handle(orphan)
    assert fakes.sender.calls == 0


def test_each_unit_asked_to_assist_is_texted_once_at_its_duty_phone(fakes: Fakes, recorded: Recorded) -> None:
    # Given a case the traffic police lead, who ask Luohu's traffic police and Futian's ecology office to help
    case, _ = dispatched(fakes)
    fakes.case_service().request_assist(STAFF, case.id, [OTHER_UNIT, "futian-ecology"], "please check your side")
    event = fakes.cases.timeline(case.id)[-1]
    assert event.type == EventType.ASSIST_REQUESTED
    units = fakes.catalog.get().units
    # When its event is handled
    sent = fakes.notify_service().handle(event)
    # Then each helping unit's duty phone got one Chinese SMS naming the case, and no one else got any
    assert sent == 2
    phones = {units[OTHER_UNIT].duty_phone, units["futian-ecology"].duty_phone}
    assert {to for to, _, _ in fakes.sender.sent} == phones and len(fakes.sender.sent) == 2
    for _, body, _ in fakes.sender.sent:
        assert body == f"【民意速办】工单{case.tracking_no}需贵单位协办，请登录工作台查看并配合主办单位办理。"
    # And the outbox holds one SENT entry per helping unit
    entries = fakes.outbox.entries(case.id)
    assert sorted(e.to for e in entries) == sorted(phones)
    assert all(e.kind == "assist_unit" and e.status == OutboxStatus.SENT for e in entries)
    # When the stream delivers the event again, nothing more is sent
    assert fakes.notify_service().handle(event) == 0 and len(fakes.sender.sent) == 2
    assert recorded(Metric.SMS_DUPLICATES_SUPPRESSED) == 2
