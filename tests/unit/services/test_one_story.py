"""Issue 21 p1 on fakes: every reporter reads the answer, and the citizen reads one story.

- tracking (last four digits or the SMS code) gives the owner the unit's answers, named by the unit,
  with links to the unit's answer files only (never the citizen's own media on that route);
- the citizen's timeline has the steps their SMS announced (a transfer to the new unit, a withdrawal)
  and their own supplements with their files;
- a hotline caller who signs in with the same mobile finds the calls under their requests, and
  nobody else does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from minyi.api import views
from minyi.domain import lifecycle
from minyi.domain.errors import InvalidInput, NotFound
from minyi.domain.models import Actor, Attachment, AttachmentKind, Case, Channel, Role
from minyi.services.requests import RequestService
from tests.fakes import Fakes
from tests.unit.services.conftest import (
    CITIZEN,
    DISPATCHER,
    OTHER_CITIZEN,
    PHONE,
    PNG,
    STAFF,
    TRAFFIC,
    new_request,
)

OPERATOR = Actor(role=Role.OPERATOR, id="operator-1")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ANSWER = "已清理占道车辆，并在路口加装了隔离桩。"
ANSWER_FILE = Attachment(
    upload_id="answer-photo", key="evidence/answer-photo", kind=AttachmentKind.PHOTO, content_type="image/png", size=40
)


def _save(fakes: Fakes, transition: lifecycle.Transition) -> Case:
    return fakes.cases.save(transition)


def _stored(fakes: Fakes, case: Case) -> Case:
    stored = fakes.cases.get_case(case.id)
    assert stored is not None
    return stored


def _photo(fakes: Fakes, service: RequestService) -> str:
    ticket = service.new_upload(CITIZEN, "image/png", len(PNG))
    fakes.store.upload(ticket.upload.key, "image/png", PNG)
    return ticket.upload.upload_id


def _answered(fakes: Fakes, service: RequestService) -> tuple[Case, str]:
    """A citizen's case with a photo, dispatched to the traffic police, who answered with a photo."""
    photo = _photo(fakes, service)
    case = _stored(fakes, service.submit(CITIZEN, new_request(attachments=[photo])))
    case = _save(fakes, lifecycle.dispatch(case, TRAFFIC, T0 + timedelta(days=5), DISPATCHER, T0, "routed"))
    case = _save(fakes, lifecycle.accept(case, STAFF, T0 + timedelta(minutes=1)))
    case = _save(fakes, lifecycle.reply(case, ANSWER, STAFF, T0 + timedelta(minutes=2), [ANSWER_FILE]))
    return case, photo


@pytest.mark.parametrize("proof", ["digits", "code"])
def test_tracking_gives_the_owner_the_units_answer_and_its_files_only(fakes: Fakes, proof: str) -> None:
    # Given a case the unit answered with a photo, filed with the citizen's own photo
    service = fakes.request_service()
    case, photo = _answered(fakes, service)
    # When its owner tracks it with the last four digits, or with the code of the rating SMS
    if proof == "digits":
        found = service.track(case.tracking_no, "203.0.113.9", phone_last4=PHONE[-4:])
    else:
        assert service.links is not None
        code = service.links().code(case.tracking_no, case.round)
        found = service.track(case.tracking_no, "203.0.113.9", token=code)
    tracked = views.public_tracking(found)
    # Then they read the answer, who gave it (in their language) and when, with a link to the answer file
    (answer,) = tracked.replies
    assert (answer.text, answer.unit, answer.at, answer.round) == (ANSWER, "福田区交警大队", case.replies[0].at, 1)
    assert [(f.upload_id, bool(f.download_url)) for f in answer.attachments] == [("answer-photo", True)]
    # And the replied step of the timeline carries the same file
    (replied,) = [e for e in tracked.events if e.type == "replied"]
    assert [f.upload_id for f in replied.attachments] == ["answer-photo"]
    # And the citizen's own photo is nowhere in the answer (no id, no link)
    assert photo not in tracked.model_dump_json()


def test_the_citizens_timeline_tells_the_transfer_the_supplement_and_the_withdrawal(fakes: Fakes) -> None:
    # Given a case dispatched to the Futian environment bureau, transferred to the traffic police
    service = fakes.request_service()
    case = _stored(fakes, service.submit(CITIZEN, new_request()))
    case = _save(fakes, lifecycle.dispatch(case, "futian-environment", T0 + timedelta(days=5), DISPATCHER, T0, "r"))
    case = _save(
        fakes,
        lifecycle.transfer(case, TRAFFIC, T0 + timedelta(days=6), "not ours", DISPATCHER, T0 + timedelta(hours=1)),
    )
    # And the citizen added a photo, then withdrew
    photo = _photo(fakes, service)
    service.supplement(CITIZEN, case.id, "车牌号见照片", [photo])
    service.withdraw(CITIZEN, case.id, None)
    # When the citizen reads their timeline
    events = views.owner_timeline(service.timeline(CITIZEN, case.id)).events
    by_type = {e.type.value: e for e in events}
    # Then the transfer names the new unit, as the SMS did
    assert by_type["transferred"].text == "已改派至福田区交警大队办理，时限2026年03月08日 09:00"
    # And their supplement is there with their words and their photo's link
    supplemented = by_type["supplemented"]
    assert (supplemented.text, supplemented.note) == ("您已补充材料", "车牌号见照片")
    assert [(f.upload_id, bool(f.download_url)) for f in supplemented.attachments] == [(photo, True)]
    # And the withdrawal ends the story
    assert events[-1].type.value == "withdrawn" and events[-1].text == "诉求已撤回"
    # And public tracking tells the same steps, without the citizen's words or photo
    tracked = views.public_tracking(service.track(case.tracking_no, "203.0.113.9", phone_last4=PHONE[-4:]))
    assert [e.type.value for e in tracked.events] == [e.type.value for e in events]
    assert "车牌号见照片" not in tracked.model_dump_json() and photo not in tracked.model_dump_json()


def test_a_hotline_caller_who_signs_in_with_the_same_mobile_finds_the_calls_and_no_one_else_does(
    fakes: Fakes,
) -> None:
    # Given two calls an operator filed for the citizen's mobile, one for another number, and an app request
    service = fakes.request_service()
    calls = [service.submit(OPERATOR, new_request(channel=Channel.HOTLINE, phone=PHONE)) for _ in range(2)]
    other_call = service.submit(OPERATOR, new_request(channel=Channel.HOTLINE, phone=OTHER_CITIZEN.phone))
    own = service.submit(CITIZEN, new_request())
    # When the citizen lists their requests, two a page
    first = service.list_own(CITIZEN, 2, None)
    assert first.next_cursor is not None
    second = service.list_own(CITIZEN, 2, first.next_cursor)
    listed = [c.id for c in first.cases + second.cases]
    # Then the calls from their mobile are there with their own request, newest first, each once
    assert sorted(listed) == sorted([own.id, *(c.id for c in calls)])
    assert listed == [c.id for c in sorted([own, *calls], key=lambda c: (c.created_at, c.id), reverse=True)]
    # And they may open a call and its timeline
    assert service.own_case(CITIZEN, calls[0].id).case.channel == Channel.HOTLINE
    assert service.timeline(CITIZEN, calls[0].id).events
    # But never the call of another number, nor may its owner see theirs
    with pytest.raises(NotFound):
        service.own_case(CITIZEN, other_call.id)
    assert [c.id for c in service.list_own(OTHER_CITIZEN, 10, None).cases] == [other_call.id]
    with pytest.raises(NotFound):
        service.own_case(OTHER_CITIZEN, calls[0].id)
    # And an account without a verified mobile finds only its own, and a cursor of another list is refused
    unverified = Actor(role=Role.CITIZEN, id=CITIZEN.id)
    assert [c.id for c in service.list_own(unverified, 10, None).cases] == [own.id]
    with pytest.raises(InvalidInput):
        service.list_own(OTHER_CITIZEN, 2, first.next_cursor)
