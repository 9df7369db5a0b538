"""RequestService on fakes: submitting (validations naming the field, attachments, a workflow that
will not start), uploads, the citizen's own list, case and timeline, and public tracking."""

from __future__ import annotations

import logging

import pytest

from minyi.domain.errors import Forbidden, InvalidInput, NotFound, TooManyAttempts, VerificationRequired
from minyi.domain.metrics import Metric
from minyi.domain.models import CaseStatus, EventType, Location
from minyi.ports import GuessScope
from minyi.services.guess_budgets import TRACKING_MAX_FAILURES, TRACKING_NUMBER_BUDGET
from minyi.services.requests import RequestService, mask_address
from tests.fakes import Fakes
from tests.unit.services.conftest import (
    CITIZEN,
    DISPATCHER,
    OTHER_CITIZEN,
    OTHER_PHONE,
    PNG,
    STAFF,
    Recorded,
    new_request,
)


def uploaded(fakes: Fakes, service: RequestService, body: bytes = PNG, content_type: str = "image/png") -> str:
    """A presigned upload by CITIZEN whose object arrived in the store."""
    ticket = service.new_upload(CITIZEN, content_type, len(body))
    fakes.store.upload(ticket.upload.key, content_type, body)
    return ticket.upload.upload_id


def problem_field(exc: pytest.ExceptionInfo[InvalidInput]) -> str:
    return exc.value.field


# --- submit ----------------------------------------------------------------------------------------


def test_a_submission_saves_the_case_its_first_event_and_tracking_and_starts_the_workflow(
    fakes: Fakes, recorded: Recorded
) -> None:
    # Given a citizen
    service = fakes.request_service()
    # When they submit a request
    case = service.submit(CITIZEN, new_request())
    # Then the case is stored SUBMITTED, with its first event and a tracking number for its phone
    stored = fakes.cases.get_case(case.id)
    assert stored is not None and stored.status == CaseStatus.SUBMITTED and stored.version == 1
    assert stored.citizen_id == CITIZEN.id and stored.phone == "+8613812345678"
    assert fakes.cases.event_types(case.id)[0] == EventType.SUBMITTED
    entry = fakes.cases.tracking(case.tracking_no)
    assert entry is not None and (entry.case_id, entry.phone_last4) == (case.id, "5678")
    # And its workflow was started, named by the case id, and the submission counted
    assert fakes.workflow.starts == [(case.id, case.id)]
    assert recorded(Metric.CASES_SUBMITTED) == 1
    assert recorded(Metric.WORKFLOW_START_FAILURES) == 0


def test_a_workflow_that_will_not_start_still_returns_the_case_and_counts_the_failure(
    fakes: Fakes, recorded: Recorded
) -> None:
    # Given Step Functions refusing to start executions
    fakes.workflow.refuse_starts = 1
    service = fakes.request_service()
    # When a citizen submits
    case = service.submit(CITIZEN, new_request())
    # Then the case is saved and returned (the sweep starts its workflow later), and the failure counted
    assert fakes.cases.get_case(case.id) is not None
    assert case.status == CaseStatus.SUBMITTED
    assert fakes.workflow.starts == []
    assert recorded(Metric.WORKFLOW_START_FAILURES) == 1
    assert recorded(Metric.CASES_SUBMITTED) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"topic": "no-such-topic"}, "topic"),
        ({"district": "atlantis"}, "district"),
        ({"location": Location(lat=39.9, lon=116.4)}, "location"),  # Beijing: outside the city
        ({"attachments": ["u1", "u1"]}, "attachments"),
        ({"attachments": ["never-issued"]}, "attachments[0]"),
    ],
    ids=["topic", "district", "location", "duplicate-attachment", "unknown-upload"],
)
def test_an_invalid_request_is_refused_naming_the_field_and_saves_nothing(
    fakes: Fakes, overrides: dict[str, object], field: str
) -> None:
    service = fakes.request_service()
    with pytest.raises(InvalidInput) as refused:
        service.submit(CITIZEN, new_request(**overrides))
    assert problem_field(refused) == field
    assert fakes.cases.cases == {} and fakes.workflow.starts == []


def test_only_citizens_and_operators_submit(fakes: Fakes) -> None:
    with pytest.raises(Forbidden):
        fakes.request_service().submit(STAFF, new_request())
    assert fakes.cases.cases == {}


# --- attachments -----------------------------------------------------------------------------------


def test_an_attachment_is_sealed_as_evidence_and_claimed_by_the_case(fakes: Fakes) -> None:
    # Given a photo the citizen uploaded with a ticket
    service = fakes.request_service()
    upload_id = uploaded(fakes, service)
    # When the request names it
    case = service.submit(CITIZEN, new_request(attachments=[upload_id]))
    # Then the case carries the sealed copy (what the unit sees is what was checked), and the upload is claimed
    (attachment,) = case.attachments
    assert attachment.upload_id == upload_id and attachment.key.startswith("evidence/")
    assert (attachment.content_type, attachment.size) == ("image/png", len(PNG))
    assert fakes.store.objects[attachment.key][0] == PNG
    upload = fakes.uploads.get(upload_id)
    assert upload is not None and upload.case_id == case.id


def test_an_upload_attached_once_cannot_be_attached_again(fakes: Fakes) -> None:
    service = fakes.request_service()
    upload_id = uploaded(fakes, service)
    service.submit(CITIZEN, new_request(attachments=[upload_id]))
    with pytest.raises(InvalidInput) as refused:
        service.submit(CITIZEN, new_request(attachments=[upload_id]))
    assert refused.value.field == "attachments[0]" and refused.value.problem.key == "error.upload_attached_elsewhere"
    assert len(fakes.cases.cases) == 1


def test_another_citizens_upload_is_unknown(fakes: Fakes) -> None:
    service = fakes.request_service()
    upload_id = uploaded(fakes, service)
    with pytest.raises(InvalidInput) as refused:
        service.submit(OTHER_CITIZEN, new_request(phone=OTHER_PHONE, attachments=[upload_id]))
    assert refused.value.field == "attachments[0]"


def test_an_upload_whose_object_never_arrived_is_refused(fakes: Fakes) -> None:
    service = fakes.request_service()
    ticket = service.new_upload(CITIZEN, "image/png", 100)
    with pytest.raises(InvalidInput) as refused:
        service.submit(CITIZEN, new_request(attachments=[ticket.upload.upload_id]))
    assert refused.value.field == "attachments[0]" and refused.value.problem.key == "error.nothing_uploaded"


@pytest.mark.parametrize(
    ("declared", "stored_type", "body", "problem"),
    [
        (10, "image/png", PNG, "error.upload_larger_than_declared"),  # larger than the ticket allowed
        (64, "image/png", b"\xff\xd8\xff\xe0" + bytes(32), "error.upload_content_not"),  # a JPEG posted as a PNG
        (64, "image/png", b"<html><script>alert(1)</script></html>", "error.upload_content_not"),  # not a PNG at all
    ],
    ids=["too-large", "jpeg-as-png", "html-as-png"],
)
def test_what_arrived_is_checked_against_the_ticket(
    fakes: Fakes, declared: int, stored_type: str, body: bytes, problem: str
) -> None:
    service = fakes.request_service()
    ticket = service.new_upload(CITIZEN, "image/png", declared)
    fakes.store.upload(ticket.upload.key, stored_type, body)
    with pytest.raises(InvalidInput) as refused:
        service.submit(CITIZEN, new_request(attachments=[ticket.upload.upload_id]))
    assert refused.value.field == "attachments[0]" and refused.value.problem.key == problem
    assert fakes.cases.cases == {}


# --- uploads ---------------------------------------------------------------------------------------


def test_a_new_upload_is_presigned_for_its_own_key_and_recorded(fakes: Fakes) -> None:
    service = fakes.request_service(upload_ttl=600)
    ticket = service.new_upload(CITIZEN, "image/png", 1024)
    upload = fakes.uploads.get(ticket.upload.upload_id)
    assert upload is not None and upload.owner_id == CITIZEN.id and upload.case_id is None
    assert upload.key == f"uploads/{CITIZEN.id}/{upload.upload_id}"
    assert fakes.store.presigned == [
        {"key": upload.key, "content_type": "image/png", "max_size": 1024, "expires_in": 600}
    ]
    assert ticket.expires_in == 600 and ticket.fields["key"] == upload.key
    # the record outlives the ticket, then expires with the table's TTL
    assert upload.expires_at > int(fakes.clock().timestamp())


@pytest.mark.parametrize(
    ("content_type", "size", "field"),
    [("application/pdf", 100, "content_type"), ("image/png", 11 * 1024 * 1024, "size")],
    ids=["type", "size"],
)
def test_an_upload_of_a_wrong_type_or_size_is_refused_naming_the_field(
    fakes: Fakes, content_type: str, size: int, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        fakes.request_service().new_upload(CITIZEN, content_type, size)
    assert refused.value.field == field
    assert fakes.uploads.uploads == {} and fakes.store.presigned == []


# --- the citizen's own cases -----------------------------------------------------------------------


def test_the_own_list_is_newest_first_paged_and_only_the_citizens(fakes: Fakes) -> None:
    service = fakes.request_service()
    mine = []
    for _ in range(3):
        mine.append(service.submit(CITIZEN, new_request()).id)
        fakes.clock.advance(minutes=1)
    service.submit(OTHER_CITIZEN, new_request(phone=OTHER_PHONE))

    first = service.list_own(CITIZEN, 2, None)
    second = service.list_own(CITIZEN, 2, first.next_cursor)

    assert [c.id for c in first.cases] == mine[::-1][:2] and first.next_cursor
    assert [c.id for c in second.cases] == mine[::-1][2:] and second.next_cursor is None
    # a cursor of this list is not one of another citizen's
    with pytest.raises(InvalidInput) as refused:
        service.list_own(OTHER_CITIZEN, 2, first.next_cursor)
    assert refused.value.field == "cursor"


def test_the_owner_reads_the_case_and_timeline_and_anyone_else_gets_404(fakes: Fakes) -> None:
    service = fakes.request_service()
    upload_id = uploaded(fakes, service)
    case = service.submit(CITIZEN, new_request(attachments=[upload_id]))

    detail = service.own_case(CITIZEN, case.id)
    assert detail.case.id == case.id
    assert list(detail.download_urls) == [upload_id]  # a download link for each attachment
    assert [e.type for e in service.timeline(CITIZEN, case.id).events] == [EventType.SUBMITTED]

    # another citizen: the same answer as for a case that does not exist
    for read in (service.own_case, service.timeline):
        with pytest.raises(NotFound) as other:
            read(OTHER_CITIZEN, case.id)
        with pytest.raises(NotFound) as missing:
            read(OTHER_CITIZEN, "no-such-case")
        assert str(other.value) == str(missing.value)


# --- public tracking -------------------------------------------------------------------------------


CLIENT = "203.0.113.7"
OTHER_CLIENT = "198.51.100.20"

#: What every log record carries whatever was logged (times, ids, the source line): not what the code said.
_RECORD_ATTRIBUTES = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def what_was_logged(records: list[logging.LogRecord]) -> str:
    """The messages and their `extra` fields: where a guess could be logged (a timestamp's or an id's
    digits are not, so they cannot make a test fail by chance)."""
    return " ".join(
        f"{record.getMessage()} "
        + " ".join(f"{name}={value}" for name, value in record.__dict__.items() if name not in _RECORD_ATTRIBUTES)
        for record in records
    )


def test_tracking_needs_the_number_and_the_phones_last_four_digits(fakes: Fakes) -> None:
    service = fakes.request_service()
    case = service.submit(CITIZEN, new_request())

    found = service.track(case.tracking_no.lower(), CLIENT, phone_last4="5678")
    assert found.case.id == case.id and [e.type for e in found.events] == [EventType.SUBMITTED]
    # wrong digits and unknown numbers get the same answer
    with pytest.raises(NotFound) as wrong_digits:
        service.track(case.tracking_no, CLIENT, phone_last4="0000")
    with pytest.raises(NotFound) as unknown:
        service.track("SZ2603-NOSUCH", CLIENT, phone_last4="5678")
    assert str(wrong_digits.value) == str(unknown.value)


def test_a_client_is_locked_out_after_five_wrong_guesses_and_no_one_else_is(
    fakes: Fakes, recorded: Recorded, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a case, and a stranger who guesses its digits wrong until the limit
    service = fakes.request_service()
    case = service.submit(CITIZEN, new_request())
    for n in range(TRACKING_MAX_FAILURES - 1):
        with pytest.raises(NotFound):
            service.track(case.tracking_no, CLIENT, phone_last4=f"{n:04d}")
    with caplog.at_level("WARNING"), pytest.raises(TooManyAttempts) as locked:
        service.track(case.tracking_no, CLIENT, phone_last4="0009")
    # Then that client is refused for 15 minutes, even with the right digits
    assert locked.value.retry_after == 15 * 60
    with pytest.raises(TooManyAttempts):
        service.track(case.tracking_no, CLIENT, phone_last4="5678")
    # And the owner, tracking from another address, is not refused because of the stranger
    assert service.track(case.tracking_no, OTHER_CLIENT, phone_last4="5678").case.id == case.id
    # And the lockout was counted and logged with the address masked, never the digits
    assert recorded(Metric.TRACKING_LOCKOUTS) == 1
    logged = what_was_logged(caplog.records)
    assert "client=203.0.113.0" in logged and CLIENT not in logged and "0009" not in logged
    # And once the lock has passed, the right digits work from the first client again
    fakes.clock.advance(minutes=16)
    assert service.track(case.tracking_no, CLIENT, phone_last4="5678").case.id == case.id


def test_right_guesses_are_given_back_so_only_wrong_ones_count(fakes: Fakes) -> None:
    # Given a client that guessed wrong four times
    service = fakes.request_service()
    case = service.submit(CITIZEN, new_request())
    for n in range(TRACKING_MAX_FAILURES - 1):
        with pytest.raises(NotFound):
            service.track(case.tracking_no, CLIENT, phone_last4=f"{n:04d}")
    # When it then tracks with the right digits many times
    for _ in range(10):
        service.track(case.tracking_no, CLIENT, phone_last4="5678")
    # Then its count stays at four wrong guesses
    assert fakes.lockouts.failures(GuessScope.CLIENT, CLIENT) == TRACKING_MAX_FAILURES - 1


def test_a_number_under_attack_takes_the_sms_code_instead_of_the_last_four_digits(
    fakes: Fakes, recorded: Recorded
) -> None:
    # Given a case whose number collects 30 wrong guesses within the hour from many addresses
    service = fakes.request_service()
    case = service.submit(CITIZEN, new_request())
    limit = TRACKING_NUMBER_BUDGET.limit
    for n in range(limit - 1):
        with pytest.raises(NotFound):
            service.track(case.tracking_no, f"10.0.{n}.1", phone_last4="0000")
        fakes.clock.advance(minutes=1)
    with pytest.raises(VerificationRequired) as suspended:
        service.track(case.tracking_no, "10.1.0.1", phone_last4="0000")
    assert suspended.value.code == "verification_required"
    assert recorded(Metric.TRACKING_VERIFICATION_REQUIRED) == 1
    # Then last-4 alone is refused from any address, even with the right digits
    with pytest.raises(VerificationRequired):
        service.track(case.tracking_no, OTHER_CLIENT, phone_last4="5678")
    # And the refusal costs that client nothing: it was no guess
    assert fakes.lockouts.failures(GuessScope.CLIENT, OTHER_CLIENT) == 0
    # But the code from the SMS rating link still shows the case
    token = fakes.links.token(case.tracking_no, 1)
    assert service.track(case.tracking_no, OTHER_CLIENT, token=token).case.id == case.id
    # And the signed-in owner still sees it
    assert service.own_case(CITIZEN, case.id).case.id == case.id
    # And 15 minutes later, the last four digits work again
    fakes.clock.advance(minutes=15)
    assert service.track(case.tracking_no, OTHER_CLIENT, phone_last4="5678").case.id == case.id


def test_a_wrong_sms_code_answers_like_wrong_digits_and_counts_for_the_client(fakes: Fakes) -> None:
    # Given a case and its SMS code for round 1
    service = fakes.request_service()
    case = service.submit(CITIZEN, new_request())
    # When a client offers a code that is not the case's
    with pytest.raises(NotFound) as wrong:
        service.track(case.tracking_no, CLIENT, token="AAAAAAAAAA")
    # Then it answers as wrong digits do, and it counts as a wrong guess of that client
    assert wrong.value.message.key == "error.no_such_tracked_request"
    assert fakes.lockouts.failures(GuessScope.CLIENT, CLIENT) == 1
    # And the right code of another case does not open this one
    other = service.submit(CITIZEN, new_request())
    with pytest.raises(NotFound):
        service.track(case.tracking_no, CLIENT, token=fakes.links.token(other.tracking_no, 1))


@pytest.mark.parametrize(
    ("address", "masked"),
    [("203.0.113.7", "203.0.113.0"), ("2001:db8:1234:5678::9", "2001:db8:1234::"), ("not-an-ip", "unknown")],
)
def test_a_logged_client_address_is_masked(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_the_catalogue_is_loaded_once_while_warm(fakes: Fakes) -> None:
    service = fakes.request_service()
    for _ in range(3):
        service.submit(CITIZEN, new_request())
    assert service.catalog_snapshot().topics
    assert fakes.catalog_repo.loads == 1


def test_a_location_in_another_district_than_the_chosen_one_is_noted_for_the_dispatch_centre(fakes: Fakes) -> None:
    from minyi.api.views import staff_timeline
    from minyi.domain.messages import message

    # Given a citizen who chose Luohu but whose pin lies in Futian's area
    case = fakes.request_service().submit(
        CITIZEN, new_request(district="luohu", location=Location(lat=22.5431, lon=114.0579))
    )
    # When the case is filed / Then the choice stands, and its first event says where the pin lies
    assert case.district == "luohu"
    first = fakes.cases.timeline(case.id)[0]
    assert first.type == EventType.SUBMITTED
    assert first.message == message("note.position_elsewhere", chosen="luohu", at="futian")
    assert first.facts["position_district"] == "futian"
    # And the dispatcher reads it with the districts' names
    view = staff_timeline(fakes.case_service().staff_timeline(DISPATCHER, case.id))
    note = view.events[0].note
    assert note is not None and "福田区" in note and "罗湖区" in note


def test_a_location_in_the_chosen_district_adds_no_note(fakes: Fakes) -> None:
    case = fakes.request_service().submit(
        CITIZEN, new_request(district="futian", location=Location(lat=22.5431, lon=114.0579))
    )
    first = fakes.cases.timeline(case.id)[0]
    assert first.message is None and "position_district" not in first.facts
